package httpretry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestRetryAfter(t *testing.T) {
	type result struct {
		D  time.Duration
		OK bool
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		want result
	}{
		{"absent", header(), result{}},
		{"seconds", header("Retry-After", "7"), result{7 * time.Second, true}},
		{"zero", header("Retry-After", "0"), result{0, true}},
		{"negative", header("Retry-After", "-3"), result{}},
		{"fraction", header("Retry-After", "1.5"), result{}},
		{"http-date ahead", header("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), result{90 * time.Second, true}},
		{"http-date past", header("Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)), result{0, true}},
		{"rfc 850 date", header("Retry-After", "Sunday, 01-Mar-26 12:00:30 GMT"), result{30 * time.Second, true}},
		{"asctime date", header("Retry-After", "Sun Mar  1 12:01:00 2026"), result{time.Minute, true}},
		{"garbage", header("Retry-After", "soon"), result{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := RetryAfter(tc.h, now)
			if diff := cmp.Diff(tc.want, result{d, ok}); diff != "" {
				t.Errorf("RetryAfter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        Policy
		n        int
		min, max time.Duration // inclusive
	}{
		{"uniform", Policy{Base: time.Second, Max: 1500 * time.Millisecond, Jitter: Uniform}, 0, time.Second, 1500*time.Millisecond - 1},
		{"uniform ignores the try", Policy{Base: time.Second, Max: 1500 * time.Millisecond, Jitter: Uniform}, 9, time.Second, 1500*time.Millisecond - 1},
		{"uniform without span", Policy{Base: time.Second, Max: time.Second, Jitter: Uniform}, 0, time.Second, time.Second},
		{"full first", Policy{Base: time.Second, Max: 20 * time.Second, Doublings: 5, Jitter: Full}, 0, 1, time.Second},
		{"full third", Policy{Base: time.Second, Max: 20 * time.Second, Doublings: 5, Jitter: Full}, 2, 1, 4 * time.Second},
		{"full capped by max", Policy{Base: time.Second, Max: 20 * time.Second, Doublings: 5, Jitter: Full}, 9, 1, 20 * time.Second},
		{"full capped by doublings", Policy{Base: time.Second, Max: time.Hour, Doublings: 5, Jitter: Full}, 9, 1, 32 * time.Second},
		{"full zero", Policy{Max: time.Second, Doublings: 5, Jitter: Full}, 3, 0, 0},
		{"equal first", Policy{Base: 800 * time.Millisecond, Max: time.Minute, Doublings: 16, Jitter: Equal}, 0, 400 * time.Millisecond, 800 * time.Millisecond},
		{"equal third", Policy{Base: 800 * time.Millisecond, Max: time.Minute, Doublings: 16, Jitter: Equal}, 2, 1600 * time.Millisecond, 3200 * time.Millisecond},
		{"equal capped", Policy{Base: 800 * time.Millisecond, Max: time.Minute, Doublings: 16, Jitter: Equal}, 30, time.Minute, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 200 {
				if d := tc.p.Backoff(tc.n); d < tc.min || d > tc.max {
					t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.n, d, tc.min, tc.max)
				}
			}
		})
	}
}

func TestWait(t *testing.T) {
	azure := Policy{Base: time.Hour, Max: time.Minute, Doublings: 16, Jitter: Equal, RetryAfter: true,
		RetryAfterMS: []string{"retry-after-ms", "x-ms-retry-after-ms"}}
	plain := Policy{Base: 5 * time.Second, Max: 5 * time.Second, Jitter: Uniform}
	for _, tc := range []struct {
		name string
		p    Policy
		h    http.Header
		want time.Duration
	}{
		{"no header: backoff", azure, nil, time.Minute},
		{"milliseconds first", azure, header("retry-after-ms", "250", "Retry-After", "9"), 250 * time.Millisecond},
		{"second ms header", azure, header("x-ms-retry-after-ms", "40"), 40 * time.Millisecond},
		{"bad ms: Retry-After", azure, header("retry-after-ms", "x", "Retry-After", "9"), 9 * time.Second},
		{"Retry-After seconds", azure, header("Retry-After", "3"), 3 * time.Second},
		{"Retry-After date", azure, header("Retry-After", now.Add(20*time.Second).Format(http.TimeFormat)), 20 * time.Second},
		{"Retry-After capped", azure, header("Retry-After", "3600"), time.Minute},
		{"milliseconds capped", azure, header("retry-after-ms", "3600000"), time.Minute},
		{"unreadable: backoff", azure, header("Retry-After", "later"), time.Minute},
		{"not honoured", plain, header("Retry-After", "1", "retry-after-ms", "1"), 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Wait(0, tc.h, now); got != tc.want {
				t.Errorf("Wait = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryStatus(t *testing.T) {
	p := Policy{Retries: 2, Status: func(code int) bool { return code == http.StatusTooManyRequests }}
	for _, tc := range []struct {
		n, code int
		want    bool
	}{
		{0, 429, true}, {1, 429, true}, {2, 429, false}, {0, 500, false},
	} {
		if got := p.RetryStatus(tc.n, tc.code); got != tc.want {
			t.Errorf("RetryStatus(%d, %d) = %v, want %v", tc.n, tc.code, got, tc.want)
		}
	}
	if (&Policy{Retries: 5}).RetryStatus(0, 503) {
		t.Error("a policy without Status retried a 503")
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep after cancel = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := (&Policy{Base: time.Hour, Max: time.Hour}).Pause(ctx, 0, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Pause past the deadline = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("cancelled sleeps took %v", d)
	}
}

type body struct {
	io.Reader
	closed bool
}

func (b *body) Close() error { b.closed = true; return nil }

func TestReadBody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		limit int64
		want  string
	}{
		{"whole", "answer", 64, "answer"},
		{"bounded", "answer", 3, "ans"},
		{"empty", "", 8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &body{Reader: strings.NewReader(tc.in)}
			got, err := ReadBody(b, tc.limit)
			if err != nil || string(got) != tc.want || !b.closed {
				t.Errorf("ReadBody = %q, %v (closed %v), want %q, closed", got, err, b.closed, tc.want)
			}
		})
	}
}
