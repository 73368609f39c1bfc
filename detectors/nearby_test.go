package detectors

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNearbyCapturesNearestWins(t *testing.T) {
	r := &Rule{ID: "x", Pattern: `tok_(?P<secret>[a-z]{8})`, Nearby: &Nearby{Lines: 3, Patterns: []string{
		`tenant=(?P<tenant>[a-z]+)`, `client=(?P<client_id>[0-9]+)`,
	}}}
	text := "tenant=far\nline\nline\nline\nline\nline\ntenant=near\nclient=42\ntok_abcdefgh\n"
	start := strings.Index(text, "tok_")
	got := r.NearbyCaptures([]byte(text), start, start+12)
	if d := cmp.Diff(map[string]string{"tenant": "near", "client_id": "42"}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	// Beyond Lines, nothing.
	far := "client=7\n" + strings.Repeat("x\n", 10) + "tok_abcdefgh\n"
	start = strings.Index(far, "tok_")
	if got := r.NearbyCaptures([]byte(far), start, start+12); got != nil {
		t.Errorf("captured %v beyond the window", got)
	}
}

func TestNearbyValidate(t *testing.T) {
	cases := []struct {
		name string
		n    Nearby
		want string
	}{
		{"ok", Nearby{Patterns: []string{`a=(?P<a>x)`}}, ""},
		{"no patterns", Nearby{}, "nearby: no patterns"},
		{"no named group", Nearby{Patterns: []string{`a=(x)`}}, "has no named group"},
		{"secret group", Nearby{Patterns: []string{`(?P<secret>x)`}}, "belongs to the rule's pattern"},
		{"bad regex", Nearby{Patterns: []string{`(?P<a>x`}}, "nearby pattern"},
		{"too many lines", Nearby{Lines: 500, Patterns: []string{`(?P<a>x)`}}, "lines must be between"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.n.validate(), "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("validate() = %q, want %q", got, tc.want)
			}
		})
	}
}
