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
		n    *Nearby
		want string
	}{
		{"ok", &Nearby{Patterns: []string{`a=(?P<a>x)`}}, ""},
		{"no patterns", &Nearby{}, "nearby: no patterns"},
		{"no named group", &Nearby{Patterns: []string{`a=(x)`}}, "has no named group"},
		{"secret group", &Nearby{Patterns: []string{`(?P<secret>x)`}}, "belongs to the rule's pattern"},
		{"bad regex", &Nearby{Patterns: []string{`(?P<a>x`}}, "nearby pattern"},
		{"too many lines", &Nearby{Lines: 500, Patterns: []string{`(?P<a>x)`}}, "lines must be between"},
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

func TestVerifyInstanceValidate(t *testing.T) {
	groups := map[string]bool{"host": true, "secret": true}
	const def = "https://api.example.com/v1/me"
	cases := []struct {
		name string
		in   VerifyInstance
		want string
	}{
		{"default url", VerifyInstance{Capture: "host"}, ""},
		{"labels before the capture", VerifyInstance{Capture: "host", URL: "https://api.${host}/v1/me", Domains: []string{"*.example.eu"}}, ""},
		{"unknown capture", VerifyInstance{Capture: "site"}, "capture \"site\" is not a named group"},
		{"http", VerifyInstance{Capture: "host", URL: "http://${host}/v1/me"}, "only https"},
		{"fixed host", VerifyInstance{Capture: "host", URL: "https://evil.example/${host}"}, "url host \"evil.example\" must be ${host}"},
		{"capture then more", VerifyInstance{Capture: "host", URL: "https://${host}.evil.example/"}, "must be ${host}"},
		{"bad domain", VerifyInstance{Capture: "host", Domains: []string{"10.0.0.1"}}, "not a lower-case DNS name"},
		{"wildcard over a top-level domain", VerifyInstance{Capture: "host", Domains: []string{"*.com"}}, "not a lower-case DNS name"},
		{"wildcard public", VerifyInstance{Capture: "host", Public: []string{"*.example.com"}}, "name hosts, not a wildcard"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.in.validate(def, groups), "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("validate() = %q, want %q", got, tc.want)
			}
		})
	}
	if !MatchDomain("a.b.example.eu", []string{"*.example.eu"}) || MatchDomain("example.eu", []string{"*.example.eu"}) || MatchDomain("badexample.eu", []string{"*.example.eu"}) {
		t.Error("MatchDomain")
	}
}
