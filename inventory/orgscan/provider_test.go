package orgscan

import (
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/scanner/forge"
)

// TestGitOrigin: the origin git may send the org scan's token to is the
// provider's web host over the API's scheme, taken from the API
// configuration, never from a clone URL the API lists.
func TestGitOrigin(t *testing.T) {
	web := func(apiURL string) string {
		gh, err := forge.NewGitHub(apiURL, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return gh.WebBase
	}
	for _, tc := range []struct{ web, want string }{
		{web(""), "https://github.com"},
		{web("https://api.github.com/"), "https://github.com"},
		{web("https://ghe.example/api/v3"), "https://ghe.example"},
		{"https://gitlab.example/", "https://gitlab.example"},
		{"https://gitlab.example:8443/sub", "https://gitlab.example:8443"},
		{"http://gitlab.example", "http://gitlab.example"}, // kept, and refused by scanner.GitAuth (not https)
	} {
		if got := GitOrigin(tc.web); got != tc.want {
			t.Errorf("GitOrigin(%q) = %q, want %q", tc.web, got, tc.want)
		}
	}
}

// TestBasicAuth: a token becomes an HTTP Basic header for the web
// origin; no token, no header.
func TestBasicAuth(t *testing.T) {
	a := BasicAuth("x-access-token", "tok", "https://github.com/")
	if a.Origin != "https://github.com" || !strings.HasPrefix(a.Header, "Authorization: Basic ") {
		t.Errorf("BasicAuth = %+v", a)
	}
	if a := BasicAuth("oauth2", "", "https://gitlab.example"); a.Header != "" || a.Origin != "https://gitlab.example" {
		t.Errorf("without a token: %+v", a)
	}
}
