package verify

import (
	"context"
	"net/url"
	"sync"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// Findings verifies findings in place (setting each one's Verification)
// with at most workers requests in flight overall; per-host limits apply
// within that. The same secret of the same rule is asked about once.
// rules maps rule ids to rules; a finding of a rule without a validator
// is unknown ("no validator") and costs no request.
func (v *Verifier) Findings(ctx context.Context, rules map[string]*detectors.Rule, fs []scanner.Finding, workers int) {
	if workers <= 0 {
		workers = 8
	}
	type group struct {
		c   Candidate
		idx []int
	}
	var order []*group
	byKey := map[string]*group{}
	for i := range fs {
		c := Candidate{Rule: rules[fs[i].RuleID], Secret: fs[i].Secret, Captures: fs[i].Captures, Fingerprint: fs[i].Fingerprint}
		if c.Rule == nil || c.Rule.Verify == nil || c.Secret == "" {
			reason := "no validator"
			if c.Rule != nil && c.Rule.Verify != nil {
				reason = "secret not available"
			}
			fs[i].Verification = &scanner.Verification{Status: scanner.VerifyUnknown, CheckedAt: v.o.Now().UTC().Truncate(1e9), Reason: reason}
			continue
		}
		k := c.key()
		g := byKey[k]
		if g == nil {
			g = &group{c: c}
			byKey[k] = g
			order = append(order, g)
		}
		g.idx = append(g.idx, i)
	}
	// Interleave hosts, so that workers waiting on one host's rate limit
	// do not hold up the others.
	byHost := map[string][]*group{}
	var hostOrder []string
	for _, g := range order {
		h := g.c.host()
		if byHost[h] == nil {
			hostOrder = append(hostOrder, h)
		}
		byHost[h] = append(byHost[h], g)
	}
	order = order[:0]
	for len(hostOrder) > 0 {
		next := hostOrder[:0]
		for _, h := range hostOrder {
			order = append(order, byHost[h][0])
			if byHost[h] = byHost[h][1:]; len(byHost[h]) > 0 {
				next = append(next, h)
			}
		}
		hostOrder = next
	}
	jobs := make(chan *group)
	var wg sync.WaitGroup
	for w := 0; w < workers && w < len(order); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range jobs {
				r := v.Verify(ctx, g.c)
				for _, i := range g.idx {
					rc := r
					fs[i].Verification = &rc
				}
			}
		}()
	}
	for _, g := range order {
		select {
		case jobs <- g:
		case <-ctx.Done():
			r := scanner.Verification{Status: scanner.VerifyUnknown, CheckedAt: v.o.Now().UTC().Truncate(1e9), Reason: "cancelled"}
			for _, i := range g.idx {
				rc := r
				fs[i].Verification = &rc
			}
		}
	}
	close(jobs)
	wg.Wait()
}

// host is the host a candidate's request goes to, for scheduling only.
func (c Candidate) host() string {
	v := c.Rule.Verify
	if v.InstanceHost != "" {
		return c.Captures[v.InstanceHost]
	}
	if u, err := url.Parse(v.Request.URL); err == nil {
		return u.Hostname()
	}
	return ""
}

// Filter keeps the findings whose verification status is in statuses (all
// if statuses is empty). A finding never verified counts as unknown.
func Filter(fs []scanner.Finding, statuses []string) []scanner.Finding {
	if len(statuses) == 0 {
		return fs
	}
	want := map[string]bool{}
	for _, s := range statuses {
		want[s] = true
	}
	out := fs[:0:0]
	for _, f := range fs {
		s := scanner.VerifyUnknown
		if f.Verification != nil {
			s = f.Verification.Status
		}
		if want[s] {
			out = append(out, f)
		}
	}
	return out
}
