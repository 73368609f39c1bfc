package forgetest

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// faults is what every fake shares: refused and missing paths, throttled
// requests, a request log and a count of requests without the right
// credentials.
type faults struct {
	mu sync.Mutex
	// status answers any path with this prefix with the status (403, 404).
	status map[string]int
	// throttle answers the next n requests of a path with 429.
	throttle map[string]int
	log      []string
	badAuth  int
}

// Fail makes every request whose path starts with prefix (as served,
// e.g. "/acme/Secret/_apis/git/repositories") answer with code.
func (f *faults) Fail(prefix string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status == nil {
		f.status = map[string]int{}
	}
	f.status[prefix] = code
}

// Throttle makes the next n requests of path answer 429 with
// Retry-After: 7.
func (f *faults) Throttle(path string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle == nil {
		f.throttle = map[string]int{}
	}
	f.throttle[path] += n
}

// Log returns the paths served, in order (queries left out).
func (f *faults) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// BadAuth counts requests that came without the expected credentials.
func (f *faults) BadAuth() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.badAuth
}

// fault records the request and answers it if a fault applies, telling
// the caller whether it did.
func (f *faults) fault(w http.ResponseWriter, r *http.Request, authOK bool, message func(code int) any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	f.log = append(f.log, path)
	if !authOK {
		f.badAuth++
		writeJSON(w, http.StatusUnauthorized, message(http.StatusUnauthorized))
		return true
	}
	if f.throttle[path] > 0 {
		f.throttle[path]--
		w.Header().Set("Retry-After", "7")
		writeJSON(w, http.StatusTooManyRequests, message(http.StatusTooManyRequests))
		return true
	}
	for prefix, code := range f.status {
		if strings.HasPrefix(path, prefix) {
			writeJSON(w, code, message(code))
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// page cuts items into pages of n: the items of page p (from 0) and
// whether another follows.
func page[T any](items []T, p, n int) ([]T, bool) {
	if n <= 0 {
		n = 2
	}
	start := p * n
	if start >= len(items) {
		return []T{}, false
	}
	end := min(start+n, len(items))
	return items[start:end], end < len(items)
}
