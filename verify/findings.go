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
	paired := pairAWS(rules, fs)
	for i := range fs {
		c := Candidate{Rule: rules[fs[i].RuleID], Secret: fs[i].Secret, Captures: fs[i].Captures, Fingerprint: fs[i].Fingerprint}
		if p, ok := paired[i]; ok {
			c = p
		}
		if !c.hasValidator() || c.Secret == "" {
			reason := "no validator"
			if c.hasValidator() {
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
	if v == nil {
		// A host named beside the secret: a SMART token endpoint, a
		// database server.
		if u, err := url.Parse(c.Captures[smartEndpointCapture]); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
		if d, err := parseDBURI(c.Captures[dbURICapture]); err == nil {
			return d.addr()
		}
		for _, n := range []string{jiraURLCapture, confluenceURLCapture} {
			if u, err := url.Parse(c.Captures[n]); err == nil && u.Hostname() != "" {
				return u.Hostname()
			}
		}
		if p := programFor(c.Rule.ID); p != nil && len(p.hosts) > 0 {
			return p.hosts[0]
		}
		return ""
	}
	if v.InstanceHost != "" {
		return c.Captures[v.InstanceHost]
	}
	if v.Instance != nil && c.Captures[v.Instance.Capture] != "" {
		return c.Captures[v.Instance.Capture]
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

// pairAWS joins AWS secret access keys with the key ids found in the same
// place (same source, file, commit and blob), each to the nearest by line:
// STS needs both. A secret finding and its key id's finding get the same
// candidate (the secret's rule and fingerprint, the key id as a capture),
// so the pair costs one request. A finding left unpaired is not in the
// result; its rule's validator then says no key id was found.
func pairAWS(rules map[string]*detectors.Rule, fs []scanner.Finding) map[int]Candidate {
	type place struct{ source, root, file, commit, blob string }
	at := func(f scanner.Finding) place { return place{f.Source, f.Root, f.File, f.Commit, f.Blob} }
	ids := map[place][]int{}
	secrets := map[place][]int{}
	for i, f := range fs {
		switch {
		case f.RuleID == awsKeyIDRule && f.Secret != "":
			ids[at(f)] = append(ids[at(f)], i)
		case awsSecretRules[f.RuleID] && f.Secret != "":
			secrets[at(f)] = append(secrets[at(f)], i)
		}
	}
	nearest := func(from int, among []int) int {
		best := -1
		for _, j := range among {
			if best < 0 || absInt(fs[j].Line-fs[from].Line) < absInt(fs[best].Line-fs[from].Line) {
				best = j
			}
		}
		return best
	}
	out := map[int]Candidate{}
	for pl, ss := range secrets {
		for _, s := range ss {
			id := nearest(s, ids[pl])
			if id < 0 {
				continue
			}
			out[s] = awsCandidate(rules, fs[s], fs[id].Secret)
		}
	}
	for pl, is := range ids {
		for _, i := range is {
			s := nearest(i, secrets[pl])
			if s < 0 {
				continue
			}
			out[i] = awsCandidate(rules, fs[s], fs[i].Secret)
		}
	}
	return out
}

func awsCandidate(rules map[string]*detectors.Rule, secret scanner.Finding, keyID string) Candidate {
	caps := map[string]string{awsKeyIDCapture: keyID}
	for k, x := range secret.Captures {
		caps[k] = x
	}
	return Candidate{Rule: rules[secret.RuleID], Secret: secret.Secret, Captures: caps, Fingerprint: secret.Fingerprint}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
