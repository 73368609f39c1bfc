package forge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A redirect from the API to another host must not carry the token (the
// transport adds it per request, so the http.Client's own stripping of
// Authorization on cross-host redirects would not help).
func TestTokenStaysOnTheAPIHost(t *testing.T) {
	const token = "synthetic-test-token-not-a-secret"
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range []string{"Authorization", "Private-Token"} {
			if v := r.Header.Get(h); v != "" {
				leaked = append(leaked, h+": "+v)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer other.Close()
	var sawToken bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sawToken = sawToken || strings.Contains(r.Header.Get("Authorization"), token) || r.Header.Get("Private-Token") == token
		mu.Unlock()
		// Every listing is redirected to the other host.
		http.Redirect(w, r, other.URL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer api.Close()

	gh, err := NewGitHub(api.URL+"/api/v3/", token, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = gh.OrgRepos(context.Background(), "acme")
	gl, err := NewGitLab(api.URL, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = gl.GroupProjects(context.Background(), "acme")

	if !sawToken {
		t.Fatal("the API host never received the token: the test proves nothing")
	}
	if len(leaked) > 0 {
		t.Errorf("the token followed a redirect to another host: %q", leaked)
	}
}
