package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
)

// TestOrgScanGitHeaderNotToListedHost: a repository the API lists with a
// clone URL on another host (here plain http, as a hostile or misconfigured
// listing could give) is fetched without the token.
func TestOrgScanGitHeaderNotToListedHost(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	fx := newGHFixture(t)
	var mu sync.Mutex
	var got []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer foreign.Close()
	fx.gh.repos = []fakeGHRepo{{name: "elsewhere", id: 201, clone: foreign.URL + "/acme/elsewhere.git"}}
	_, _, stderr := runSprawl(context.Background(), "scan", "github", "--org", "acme", "--cache-dir", fx.cache, "--ci-stores=false", "--format", "json")
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatalf("git never asked the listed host\n%s", stderr)
	}
	for _, a := range got {
		if a != "" {
			t.Errorf("the listed host received Authorization: %q", a)
		}
	}
}
