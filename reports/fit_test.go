package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

func maxLineWidth(s string) (int, string) {
	w, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if n := twwidth.Width(l); n > w {
			w, line = n, l
		}
	}
	return w, line
}

func TestShorten(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w    int
		cut  Cut
		want string
	}{
		{"short", 10, CutMiddle, "short"},
		{"services/payments/deploy/config.env:12", 20, CutMiddle, "servic…config.env:12"},
		{"github-fine-grained-pat", 12, CutEnd, "github-fine…"},
		// Wide characters count two columns and are never split.
		{"設定/設定/設定/config.env:1", 16, CutMiddle, "設定/…nfig.env:1"},
		{"設定ファイル", 7, CutEnd, "設定フ…"},
	} {
		got := shorten(tt.in, tt.w, tt.cut)
		if got != tt.want || twwidth.Width(got) > tt.w {
			t.Errorf("shorten(%q, %d) = %q (width %d), want %q", tt.in, tt.w, got, twwidth.Width(got), tt.want)
		}
	}
}

func TestFitRowsDropsAndNarrows(t *testing.T) {
	header := []string{"ID", "NOTES", "PATH"}
	rows := [][]string{{"a1", strings.Repeat("n", 30), "very/long/" + strings.Repeat("d", 40) + "/file.go:1"}}
	fits := []Fit{{Cut: CutNone}, {Cut: CutEnd, Min: 30, Drop: 1}, {Cut: CutMiddle, Min: 12}}

	h, got, dropped := FitRows(40, header, rows, fits)
	if d := cmp.Diff([]string{"NOTES"}, dropped); d != "" {
		t.Errorf("dropped (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"ID", "PATH"}, h); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	if !strings.HasSuffix(got[0][1], "/file.go:1") || !strings.HasPrefix(got[0][1], "very/") {
		t.Errorf("path not cut in the middle: %q", got[0][1])
	}
	if w := tableOverhead(2) + twwidth.Width(got[0][0]) + twwidth.Width(got[0][1]); w > 40 {
		t.Errorf("fitted row is %d wide", w)
	}
	// No limit: unchanged.
	h, got, dropped = FitRows(0, header, rows, fits)
	if d := cmp.Diff(rows, got); d != "" || len(dropped) != 0 || len(h) != 3 {
		t.Errorf("width 0 changed the table: %s %v", d, dropped)
	}
}

// TestTableReporterFitsWidth: the scan table at 80 columns, with a long
// path holding wide characters, draws no line wider than 80, keeps the
// rule and the preview whole and the file name at the end of the path.
func TestTableReporterFitsWidth(t *testing.T) {
	f := scanner.Finding{RuleID: "github-fine-grained-pat", Severity: detectors.SeverityCritical,
		File: "services/payments-gateway/deployment/environments/production-eu-west/設定ファイル/config.env", Line: 3,
		Redacted: "github_p********", Commit: "0123456789abcdef0123456789abcdef01234567", Date: time.Unix(0, 0)}
	for _, width := range []int{80, 60} {
		var buf bytes.Buffer
		if err := (&tableReporter{opts: Options{Width: width}}).Report(&buf, []scanner.Finding{f}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if w, line := maxLineWidth(out); w > width {
			t.Errorf("width %d: a line is %d columns: %q", width, w, line)
		}
		wants := []string{"github-fine-grained-pat", "github_p********", "config.env:3", "servi"}
		if width < 80 {
			wants = []string{"github_p********", ".env:3"} // the preview stays whole
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: %q missing from\n%s", width, want, out)
			}
		}
	}
	var buf bytes.Buffer
	if err := (&tableReporter{}).Report(&buf, []scanner.Finding{f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), f.File+":3") {
		t.Errorf("no width limit, yet the path was cut:\n%s", buf.String())
	}
}
