package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseBaselineQuotesNothing: a baseline path can name any readable
// file; the parse error must not print its content, not even the one
// character encoding/json quotes.
func TestParseBaselineQuotesNothing(t *testing.T) {
	for _, data := range []string{
		"root:$6$Zq8ContentOfTheFile:19000:0:99999:7:::\n",
		`{"version": "Zq8ContentOfTheFile"}`,
		`{"version": 1, "findings": [{"fingerprint": 7}]}`,
		`Zq8`,
	} {
		_, err := ParseBaseline([]byte(data), "shadow")
		if err == nil {
			t.Fatalf("ParseBaseline(%q) succeeded", data)
		}
		if strings.Contains(err.Error(), "Zq8") || strings.Contains(err.Error(), "root") || strings.Contains(err.Error(), "'r'") || strings.Contains(err.Error(), "'Z'") {
			t.Errorf("error quotes the file: %v", err)
		}
	}
}

func TestEngineKeepAllowed(t *testing.T) {
	tok1, tok2 := testToken(1), testToken(2)
	data := "a = \"" + tok1 + "\"  # sprawl" + ":allow\nb = \"" + tok2 + "\"\n"
	for _, keep := range []bool{false, true} {
		e := testEngine(t)
		e.KeepAllowed = keep
		res, err := e.Run(context.Background(), &ReaderSource{R: strings.NewReader(data), Name: "a.py"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]loc{{"a.py", 2, "github-pat"}}, locs(res.Findings)); d != "" {
			t.Errorf("keep=%v findings (-want +got):\n%s", keep, d)
		}
		var want []loc
		if keep {
			want = []loc{{"a.py", 1, "github-pat"}}
		}
		if d := cmp.Diff(want, locs(res.Allowed)); d != "" {
			t.Errorf("keep=%v allowed (-want +got):\n%s", keep, d)
		}
		if res.Stats.Suppressed != 1 {
			t.Errorf("keep=%v suppressed = %d, want 1", keep, res.Stats.Suppressed)
		}
	}
}
