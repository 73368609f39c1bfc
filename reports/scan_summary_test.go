package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

// summarySource is a source of a given kind; its embedders add the
// counts a git source offers.
type summarySource struct{ kind string }

func (s summarySource) Kind() string                                            { return s.kind }
func (s summarySource) Root() string                                            { return "." }
func (s summarySource) Chunks(context.Context, func(scanner.Chunk) error) error { return nil }

type messagesSource struct {
	summarySource
	messages int
}

func (s messagesSource) MessagesScanned() int { return s.messages }

type selectingSource struct {
	messagesSource
	selected int
}

func (s selectingSource) Selected() int { return s.selected }

type shallowSource struct {
	messagesSource
	shallow bool
}

func (s shallowSource) Shallow() bool { return s.shallow }

// TestWriteScanSummary compares each case's summary, plain and verbose,
// with testdata/scan_summary.golden.txt (go test -update rewrites it).
func TestWriteScanSummary(t *testing.T) {
	hostile := "evil\x1b[2J\nname\t.txt"
	cases := []struct {
		name      string
		src       scanner.Source
		res       scanner.Result
		baselined int
	}{
		{"empty dir", summarySource{"dir"}, scanner.Result{}, 0},
		{"one file, one finding", summarySource{"dir"},
			scanner.Result{Stats: scanner.Stats{Items: 1, Bytes: 100, Duration: 1234567 * time.Nanosecond}, Findings: make([]scanner.Finding, 1)}, 0},
		{"git without message counts", summarySource{"git"}, scanner.Result{Stats: scanner.Stats{Items: 2, Bytes: 2048}}, 0},
		{"git with messages", messagesSource{summarySource{"git"}, 3},
			scanner.Result{Stats: scanner.Stats{Items: 4, Bytes: 5 << 20, Duration: 90 * time.Second}, Findings: make([]scanner.Finding, 2)}, 0},
		{"git with one blob and one message", messagesSource{summarySource{"git"}, 1}, scanner.Result{Stats: scanner.Stats{Items: 2}}, 0},
		{"a shallow clone's whole history", shallowSource{messagesSource{summarySource{"git"}, 1}, true}, scanner.Result{Stats: scanner.Stats{Items: 3}}, 0},
		{"a full clone", shallowSource{messagesSource{summarySource{"git"}, 1}, false}, scanner.Result{Stats: scanner.Stats{Items: 3}}, 0},
		{"messages counted for git only", messagesSource{summarySource{"dir"}, 5}, scanner.Result{Stats: scanner.Stats{Items: 6}}, 0},
		{"everything", selectingSource{messagesSource{summarySource{"git"}, 2}, 40},
			scanner.Result{Findings: make([]scanner.Finding, 3), Stats: scanner.Stats{Items: 12, Bytes: 3 << 29, Duration: 2500 * time.Millisecond,
				Aggregated: 150, Suppressed: 2, Errors: 4,
				Skipped:      map[string]int{"too large": 1, "binary": 3, "excluded": 0},
				FirstSkipped: []string{"a.png: binary", hostile + ": binary"},
				FirstErrors:  []string{"b: permission denied", hostile + ": read error"}}}, 5},
		{"errors without names", summarySource{"dir"}, scanner.Result{Stats: scanner.Stats{Items: 1, Errors: 1}}, 0},
		{"all errors named", summarySource{"dir"}, scanner.Result{Stats: scanner.Stats{Errors: 1, FirstErrors: []string{"x: gone"}}}, 1},
		{"selecting dir", selectingSource{messagesSource{summarySource{"dir"}, 0}, 7},
			scanner.Result{Stats: scanner.Stats{Items: 7, Skipped: map[string]int{"binary": 2}}}, 0},
	}
	var got strings.Builder
	for _, c := range cases {
		for _, verbose := range []bool{false, true} {
			fmt.Fprintf(&got, "== %s (verbose %v)\n", c.name, verbose)
			if err := WriteScanSummary(&got, c.src, c.res, c.baselined, verbose); err != nil {
				t.Fatal(err)
			}
		}
	}
	golden := filepath.Join("testdata", "scan_summary.golden.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

// TestWriteScanSummaryError: the writer's error comes back.
func TestWriteScanSummaryError(t *testing.T) {
	err := WriteScanSummary(&failingWriter{n: 10}, summarySource{"dir"}, scanner.Result{Stats: scanner.Stats{Errors: 2, FirstErrors: []string{"a"}}}, 0, true)
	if !errors.Is(err, errWrite) {
		t.Errorf("error %v, want %v", err, errWrite)
	}
}
