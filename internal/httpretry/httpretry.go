package httpretry

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Jitter is how a Policy spreads its waits.
type Jitter int

const (
	// Uniform waits between Base and Max, whatever the try (Vault's
	// client).
	Uniform Jitter = iota
	// Full waits up to min(Max, Base doubled per failed try): any
	// duration from 1ns up to that ("full jitter", the AWS SDKs'
	// standard mode).
	Full
	// Equal waits half of Base doubled per failed try, plus up to the
	// other half, at most Max (azcore's exponential retry).
	Equal
)

// Policy is how a client tries a call again.
type Policy struct {
	// Retries is how many times a call is tried again after its first
	// try.
	Retries int
	// Base is the first wait (Full, Equal) or the shortest (Uniform);
	// Max the longest, a server's Retry-After included.
	Base, Max time.Duration
	// Doublings caps how often Base doubles (Full, Equal).
	Doublings int
	Jitter    Jitter
	// Status reports whether an answer's HTTP status is worth another
	// try; nil: none is.
	Status func(code int) bool
	// RetryAfter honours an answer's Retry-After (seconds or an
	// HTTP-date), and RetryAfterMS names headers whose value is the wait
	// in milliseconds, looked at first (Azure's retry-after-ms).
	RetryAfter   bool
	RetryAfterMS []string
}

// Again reports whether failed try n (counted from 0) leaves a retry.
func (p *Policy) Again(n int) bool { return n < p.Retries }

// RetryStatus reports whether an answer with status code to try n is
// worth another try, and one is left.
func (p *Policy) RetryStatus(n, code int) bool {
	return p.Status != nil && p.Status(code) && p.Again(n)
}

// Backoff is the wait after failed try n (counted from 0), before any
// cap a server's Retry-After would need.
func (p *Policy) Backoff(n int) time.Duration {
	switch p.Jitter {
	case Full:
		d := min(p.Base<<min(n, p.Doublings), p.Max)
		if d <= 0 {
			return 0
		}
		return time.Duration(rand.Int64N(int64(d)) + 1)
	case Equal:
		d := p.Base << min(n, p.Doublings)
		return min(d/2+time.Duration(rand.Int64N(int64(d/2)+1)), p.Max)
	default:
		wait := p.Base
		if span := p.Max - p.Base; span > 0 {
			wait += time.Duration(rand.Int64N(int64(span)))
		}
		return wait
	}
}

// Wait is how long to wait after failed try n whose answer's header is
// h (nil for a transport error): what the server asked for where the
// policy honours it, else the backoff; never more than Max when the
// server chose.
func (p *Policy) Wait(n int, h http.Header, now time.Time) time.Duration {
	if h != nil {
		for _, k := range p.RetryAfterMS {
			if ms, err := strconv.Atoi(h.Get(k)); err == nil && ms >= 0 {
				return min(time.Duration(ms)*time.Millisecond, p.Max)
			}
		}
		if p.RetryAfter {
			if d, ok := RetryAfter(h, now); ok {
				return min(d, p.Max)
			}
		}
	}
	return p.Backoff(n)
}

// Pause sleeps Wait(n, h, now), or until ctx is done.
func (p *Policy) Pause(ctx context.Context, n int, h http.Header) error {
	return Sleep(ctx, p.Wait(n, h, time.Now()))
}

// RetryAfter reads h's Retry-After: a count of seconds or an HTTP-date
// (RFC 9110 §10.2.3), a date in the past being no wait. ok is false
// where there is none or it is neither.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d, or until ctx is done (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ReadBody reads at most limit bytes of body and closes it.
func ReadBody(body io.ReadCloser, limit int64) ([]byte, error) {
	defer body.Close()
	return io.ReadAll(io.LimitReader(body, limit))
}
