package forge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimiter is an http.RoundTripper that waits out API rate limits.
//
//   - Primary limits: a response with X-RateLimit-Remaining (GitHub) or
//     RateLimit-Remaining (GitLab) of 0 makes the next request wait until
//     the reset time the same response gives; a 403 or 429 saying so is
//     retried after that wait.
//   - Secondary limits: a 403 or 429 with Retry-After (seconds or an HTTP
//     date) is retried after it; one with neither header but a body that
//     mentions a rate limit, and any other 429 (Bitbucket's), is retried
//     with exponential backoff from one minute (GitHub's documented
//     advice).
//   - Delays: a successful response with Retry-After (Azure DevOps, when
//     it slows a heavy user down) makes the next request wait that long.
//     Azure DevOps' X-RateLimit-Remaining of 0 with X-RateLimit-Reset is
//     a primary limit as above.
//
// Each wait is capped at MaxWait; after MaxRetries retries the limited
// response is returned as it is. Only requests without a body (or with
// GetBody) are retried.
type RateLimiter struct {
	Base       http.RoundTripper // default NewTransport(Limits{}): timeouts and size caps
	MaxWait    time.Duration     // cap on one wait (default 15 minutes)
	MaxRetries int               // default 6
	// Sleep waits d or until ctx is done (default: a timer). Tests inject
	// one that records waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Notify, if set, is told about each wait (for a progress line).
	Notify func(wait time.Duration, why string)

	mu    sync.Mutex
	until time.Time // no request before this (an exhausted primary quota)
}

func (r *RateLimiter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *RateLimiter) sleep(ctx context.Context, d time.Duration, why string) error {
	if d <= 0 {
		return nil
	}
	if max := r.maxWait(); d > max {
		d = max
	}
	if r.Notify != nil {
		r.Notify(d, why)
	}
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *RateLimiter) maxWait() time.Duration {
	if r.MaxWait > 0 {
		return r.MaxWait
	}
	return 15 * time.Minute
}

// RoundTrip implements http.RoundTripper.
func (r *RateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	base := r.Base
	if base == nil {
		base = defaultTransport
	}
	retries := r.MaxRetries
	if retries <= 0 {
		retries = 6
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		wait := r.until.Sub(r.now())
		r.mu.Unlock()
		if err := r.sleep(ctx, wait, "primary rate limit exhausted"); err != nil {
			return nil, err
		}
		if attempt > 0 && req.Body != nil && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, why := r.judge(resp, attempt)
		if why == "" {
			return resp, nil
		}
		if attempt >= retries || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err := r.sleep(ctx, wait, why); err != nil {
			return nil, err
		}
	}
}

// judge returns how long to wait before retrying resp, and why; why is
// empty when resp is not rate-limited. A successful response that used up
// the quota sets the time the next request may go.
func (r *RateLimiter) judge(resp *http.Response, attempt int) (time.Duration, string) {
	if resp.StatusCode < 400 {
		// Azure DevOps delays a heavy user's requests and says so with
		// Retry-After on a successful answer: the next request waits.
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), r.now()); ok && d > 0 {
			r.mu.Lock()
			if t := r.now().Add(d); t.After(r.until) {
				r.until = t
			}
			r.mu.Unlock()
			return 0, ""
		}
	}
	remaining, reset, hasReset := r.quota(resp.Header)
	if remaining == "0" && hasReset && resp.StatusCode < 400 {
		r.mu.Lock()
		if reset.After(r.until) {
			r.until = reset
		}
		r.mu.Unlock()
		// The wait is ours; go-github would otherwise refuse the next
		// request itself (a RateLimitError) instead of waiting for it.
		for _, h := range []string{"X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Remaining", "RateLimit-Reset"} {
			resp.Header.Del(h)
		}
		return 0, ""
	}
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, ""
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), r.now()); ok {
		return d, fmt.Sprintf("secondary rate limit (HTTP %d, Retry-After)", resp.StatusCode)
	}
	if remaining == "0" && hasReset {
		return reset.Sub(r.now()) + time.Second, fmt.Sprintf("primary rate limit (HTTP %d)", resp.StatusCode)
	}
	backoff := time.Minute << min(attempt, 10)
	if resp.StatusCode == http.StatusTooManyRequests {
		return backoff, "rate limited (HTTP 429)"
	}
	// A 403 is a rate limit only if it says so; otherwise it is a
	// permission problem, for the caller. Keep the body readable.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if strings.Contains(strings.ToLower(string(body)), "rate limit") {
		return backoff, "secondary rate limit (HTTP 403)"
	}
	return 0, ""
}

// quota reads the remaining-requests header and the reset time (Unix
// seconds) under GitHub's or GitLab's names.
func (r *RateLimiter) quota(h http.Header) (remaining string, reset time.Time, ok bool) {
	remaining = h.Get("X-RateLimit-Remaining")
	rs := h.Get("X-RateLimit-Reset")
	if remaining == "" {
		remaining, rs = h.Get("RateLimit-Remaining"), h.Get("RateLimit-Reset")
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(rs), 10, 64); err == nil && n > 0 {
		return strings.TrimSpace(remaining), time.Unix(n, 0), true
	}
	return strings.TrimSpace(remaining), time.Time{}, false
}

// retryAfter reads a Retry-After value: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}
