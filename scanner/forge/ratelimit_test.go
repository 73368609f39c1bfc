package forge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scripted answers requests from a list of handlers, one per request.
type scripted struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter)
	n     int
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.n
	s.n++
	if i >= len(s.steps) {
		w.WriteHeader(500)
		return
	}
	s.steps[i](w)
}

func ok(w http.ResponseWriter) { io.WriteString(w, `{}`) }

func status(code int, body string, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// fakeClock advances only when the limiter sleeps.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func TestRateLimiter(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	reset := func(d time.Duration) string { return strconv.FormatInt(t0.Add(d).Unix(), 10) }
	tests := []struct {
		name      string
		steps     []func(w http.ResponseWriter)
		requests  int
		wantCodes []int
		wantWaits []time.Duration
	}{
		{"secondary limit, Retry-After seconds",
			[]func(http.ResponseWriter){status(403, `{"message":"You have exceeded a secondary rate limit"}`, "Retry-After", "30"), ok},
			1, []int{200}, []time.Duration{30 * time.Second}},
		{"429 with an HTTP-date Retry-After",
			[]func(http.ResponseWriter){status(429, ``, "Retry-After", t0.Add(90*time.Second).UTC().Format(http.TimeFormat)), ok},
			1, []int{200}, []time.Duration{90 * time.Second}},
		{"primary limit 403 waits for the reset",
			[]func(http.ResponseWriter){status(403, `{"message":"API rate limit exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset(5*time.Minute)), ok},
			1, []int{200}, []time.Duration{5*time.Minute + time.Second}},
		{"GitLab RateLimit headers",
			[]func(http.ResponseWriter){status(429, ``, "RateLimit-Remaining", "0", "RateLimit-Reset", reset(2*time.Minute)), ok},
			1, []int{200}, []time.Duration{2*time.Minute + time.Second}},
		{"the last request of a quota makes the next one wait",
			[]func(http.ResponseWriter){status(200, `{}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset(10*time.Minute)), ok},
			2, []int{200, 200}, []time.Duration{10 * time.Minute}},
		{"a delayed answer (Azure DevOps: Retry-After on a 200) holds the next request back",
			[]func(http.ResponseWriter){status(200, `{}`, "Retry-After", "4", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset(5*time.Minute)), ok},
			2, []int{200, 200}, []time.Duration{4 * time.Second}},
		{"waits are capped",
			[]func(http.ResponseWriter){status(403, `{"message":"API rate limit exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset(3*time.Hour)), ok},
			1, []int{200}, []time.Duration{time.Hour}},
		{"secondary limit without Retry-After backs off exponentially",
			[]func(http.ResponseWriter){status(403, `{"message":"You have exceeded a secondary rate limit"}`), status(403, `{"message":"secondary rate limit"}`), ok},
			1, []int{200}, []time.Duration{time.Minute, 2 * time.Minute}},
		{"a plain 403 is a permission problem, not retried",
			[]func(http.ResponseWriter){status(403, `{"message":"Resource not accessible by integration"}`), ok},
			1, []int{403}, nil},
		{"gives up after MaxRetries",
			[]func(http.ResponseWriter){status(429, ``, "Retry-After", "1"), status(429, ``, "Retry-After", "1"), status(429, ``, "Retry-After", "1"), ok},
			1, []int{429}, []time.Duration{time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&scripted{steps: tt.steps})
			defer srv.Close()
			clk := &fakeClock{now: t0}
			rl := &RateLimiter{MaxWait: time.Hour, MaxRetries: 2, Sleep: clk.Sleep, Now: clk.Now}
			hc := &http.Client{Transport: rl}
			var codes []int
			for i := 0; i < tt.requests; i++ {
				resp, err := hc.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				codes = append(codes, resp.StatusCode)
				if resp.StatusCode == 403 && len(body) == 0 {
					t.Error("a 403 handed back lost its body")
				}
			}
			if diff := cmp.Diff(tt.wantCodes, codes); diff != "" {
				t.Errorf("status codes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWaits, clk.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimiterCancel(t *testing.T) {
	srv := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){status(429, ``, "Retry-After", "3600"), ok}})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	rl := &RateLimiter{} // real sleep
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	done := make(chan error, 1)
	go func() {
		_, err := (&http.Client{Transport: rl}).Do(req)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled request kept waiting out the rate limit")
	}
}

func TestNextLink(t *testing.T) {
	h := `<https://gitlab.example/api/v4/groups/1/projects?page=3>; rel="next", <https://gitlab.example/api/v4/groups/1/projects?page=1>; rel="first", <https://gitlab.example/api/v4/groups/1/projects?page=9>; rel="last"`
	if got := nextLink(h); got != "https://gitlab.example/api/v4/groups/1/projects?page=3" {
		t.Errorf("nextLink = %q", got)
	}
	if got := nextLink(`<https://x/?page=1>; rel="first"`); got != "" {
		t.Errorf("nextLink without next = %q", got)
	}
}

// TestGitLabLinkToOtherHost: a Link header naming another host is not
// followed (the token would go with it).
func TestGitLabLinkToOtherHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<https://elsewhere.example/api/v4/groups/acme/projects?page=2>; rel="next"`)
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	gl, err := NewGitLab(srv.URL, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gl.GroupProjects(context.Background(), "acme"); err == nil {
		t.Error("followed a next page on another host")
	}
}
