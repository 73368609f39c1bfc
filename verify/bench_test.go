package verify

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// BenchmarkFindings verifies 1,000 findings of 50 providers (50 hosts, 20
// distinct secrets each) against one fake server that takes 5 ms per
// answer, with the default per-host limits (4 in flight, 10 starts per
// second per host). It reports the peak concurrency seen per host, and a
// second pass within the TTL must make no request.
func BenchmarkFindings(b *testing.B) {
	b.Run("default-limits", func(b *testing.B) { benchFindings(b, 0) })
	// Without the rate limit the concurrency limit is what binds.
	b.Run("no-rate-limit", func(b *testing.B) { benchFindings(b, -1) })
}

func benchFindings(b *testing.B, interval time.Duration) {
	const providers, perProvider = 50, 20
	hosts := make([]string, providers)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("api.provider%02d.test", i)
	}
	var mu sync.Mutex
	cur, peak := map[string]int{}, map[string]int{}
	requests := 0
	srv, pool := testcert.Server(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		cur[r.Host]++
		if cur[r.Host] > peak[r.Host] {
			peak[r.Host] = cur[r.Host]
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		cur[r.Host]--
		mu.Unlock()
		w.WriteHeader(200)
	}), hosts...)
	rules := map[string]*detectors.Rule{}
	var fs []scanner.Finding
	for i, h := range hosts {
		r := testRule(b, "https://"+h+"/me", h)
		r.ID = fmt.Sprintf("provider%02d-token", i)
		rules[r.ID] = r
		for j := 0; j < perProvider; j++ {
			fs = append(fs, scanner.Finding{RuleID: r.ID, Secret: testSecret + fmt.Sprint(j), Fingerprint: fmt.Sprintf("fp-%d-%d", i, j)})
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		cache := NewCache()
		o := Options{Cache: cache, Interval: interval, RootCAs: pool, DialContext: dialTo(srv.Listener.Addr().String()), Proxy: noProxy}
		v := New(o)
		batch := append([]scanner.Finding(nil), fs...)
		v.Findings(context.Background(), rules, batch, 64)
		for _, f := range batch {
			if f.Verification.Status != scanner.VerifyLive {
				b.Fatalf("%s: %s (%s)", f.RuleID, f.Verification.Status, f.Verification.Reason)
			}
		}
		mu.Lock()
		before := requests
		mu.Unlock()
		v.Findings(context.Background(), rules, append([]scanner.Finding(nil), fs...), 64)
		mu.Lock()
		if requests != before {
			b.Fatalf("a rescan within the TTL made %d requests", requests-before)
		}
		mu.Unlock()
	}
	b.StopTimer()
	maxPeak := 0
	for _, p := range peak {
		if p > maxPeak {
			maxPeak = p
		}
	}
	if maxPeak > DefaultPerHost {
		b.Fatalf("peak concurrency per host %d, limit %d", maxPeak, DefaultPerHost)
	}
	b.ReportMetric(float64(maxPeak), "peak/host")
	b.ReportMetric(float64(len(fs)), "findings/op")
}
