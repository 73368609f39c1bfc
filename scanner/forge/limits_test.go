package forge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clients returns a GitHub and a GitLab client of srv, both sending
// through rt, as (name, list) pairs that list an organisation's or a
// group's repositories.
func clients(t *testing.T, url, token string, rt http.RoundTripper) map[string]func(context.Context) error {
	t.Helper()
	gh, err := NewGitHub(url+"/api/v3/", token, rt)
	if err != nil {
		t.Fatal(err)
	}
	gl, err := NewGitLab(url, token, rt)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]func(context.Context) error{
		"github": func(ctx context.Context) error { _, err := gh.OrgRepos(ctx, "acme"); return err },
		"gitlab": func(ctx context.Context) error { _, err := gl.GroupProjects(ctx, "acme"); return err },
	}
}

// A server that accepts the request and never answers must not hang the
// scan: the client's own timeout ends the request (the test's context is
// only a safety net, far longer).
func TestAPIServerThatNeverAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit Limits
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"no headers", Limits{HeaderTimeout: 200 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"headers, then a body that never ends", Limits{RequestTimeout: 300 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("["))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(tc.serve))
			defer srv.Close()
			for name, list := range clients(t, srv.URL, "", NewTransport(tc.limit)) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := list(ctx)
				expired := ctx.Err() != nil
				cancel()
				if !errors.Is(err, ErrTimeout) || expired {
					t.Errorf("%s: err = %v, want ErrTimeout from the client's own limit", name, err)
				}
			}
		})
	}
}

// An endless JSON array fails cleanly once the body passes the cap; the
// client stops reading (the server sees its writes fail long before it
// has sent what it would).
func TestAPIEndlessArray(t *testing.T) {
	for _, tc := range []struct {
		name, element string
		limit         Limits
		want          string
	}{
		{"bytes", `{"id":1,"full_name":"acme/r","path_with_namespace":"acme/r","description":"` + strings.Repeat("x", 4000) + `"},`,
			Limits{MaxBody: 4 << 20}, "larger than 4 MiB"},
		{"objects", `{},`, Limits{MaxObjects: 5000}, "more than 5000 JSON objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte("["))
				el := []byte(tc.element)
				for sent.Load() < 4<<30 { // 4 GiB: far more than any client may read
					n, err := w.Write(el)
					sent.Add(int64(n))
					if err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			for name, list := range clients(t, srv.URL, "", NewTransport(tc.limit)) {
				sent.Store(0)
				err := list(context.Background())
				if !errors.Is(err, ErrResponseTooLarge) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %v, want ErrResponseTooLarge (%s)", name, err, tc.want)
				}
				// Give the handler a moment to see the closed connection.
				deadline := time.Now().Add(5 * time.Second)
				for prev := int64(-1); time.Now().Before(deadline) && prev != sent.Load(); {
					prev = sent.Load()
					time.Sleep(50 * time.Millisecond)
				}
				if got := sent.Load(); got > 64<<20 {
					t.Errorf("%s: the server got %d MiB out before the client stopped", name, got>>20)
				}
			}
		})
	}
}

// The token goes to the API's scheme and host only: a redirect to another
// host or to plain http is refused and carries nothing; the transport
// itself compares the scheme, not just the host.
func TestTokenOriginAndRedirects(t *testing.T) {
	const token = "synthetic-test-token-not-a-secret"
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization")+r.Header.Get("Private-Token"))
		mu.Unlock()
		w.Write([]byte(`[]`))
	}))
	defer other.Close()
	var sawToken atomic.Bool
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), token) || r.Header.Get("Private-Token") == token {
			sawToken.Store(true)
		}
		// Down to plain http on another port, as a hostile or broken
		// proxy would.
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	rt := Bounded(api.Client().Transport, Limits{})
	for name, list := range clients(t, api.URL, token, rt) {
		err := list(context.Background())
		if err == nil || !strings.Contains(err.Error(), "redirect to http://127.0.0.1") || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: err = %v, want the redirect refused", name, err)
		}
	}
	if !sawToken.Load() {
		t.Fatal("the API never received the token: the test proves nothing")
	}
	if len(elsewhere) > 0 {
		t.Errorf("the redirect target was asked %d times (headers %q)", len(elsewhere), elsewhere)
	}

	// Same host, other scheme: the transport adds nothing.
	var got []string
	rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Scheme+" "+r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	a := &authTransport{base: rec, header: "Authorization", value: "Bearer " + token, origin: origin{"https", "api.example.test"}}
	for _, u := range []string{"https://api.example.test/x", "http://api.example.test/x", "https://other.example.test/x", "https://API.example.test/y"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if _, err := a.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"https Bearer " + token, "http ", "https ", "https Bearer " + token}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("headers sent = %q, want %q", got, want)
	}

	// A token is never configured for plain http off this machine.
	if _, err := NewGitHub("http://github.example.test/api/v3/", token, nil); err == nil || !strings.Contains(err.Error(), "only sent over https") {
		t.Errorf("NewGitHub(http://…) = %v, want a refusal", err)
	}
	if _, err := NewGitLab("http://gitlab.example.test", token, nil); err == nil || !strings.Contains(err.Error(), "only sent over https") {
		t.Errorf("NewGitLab(http://…) = %v, want a refusal", err)
	}
	if _, err := NewGitLab("http://gitlab.example.test", "", nil); err != nil {
		t.Errorf("NewGitLab(http://…) without a token = %v, want it accepted", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
