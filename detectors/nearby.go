package detectors

import (
	"fmt"
	"regexp"
	"sync"
)

// Nearby declares values a validator needs that sit apart from the
// secret, on the lines around it: the tenant and client id beside an
// Entra ID client secret, a service-account key file's e-mail and private
// key beside its key id, the instance URL beside a self-managed GitLab
// token. Each pattern's named groups become captures of the finding (as
// the pattern's own groups do); when a group matches more than once, the
// match nearest the secret wins. Like a pattern's groups, they are read
// only for the validators and never leave the machine but in the
// validator's request.
type Nearby struct {
	// Lines is how many lines on each side of the match are searched
	// (default 20, at most 200).
	Lines int `yaml:"lines,omitempty" json:"lines,omitempty"`
	// Patterns are RE2 expressions, each with at least one named group.
	Patterns []string `yaml:"patterns" json:"patterns"`

	once  sync.Once
	res   []*regexp.Regexp
	err   error
	names []string
}

const (
	defaultNearbyLines = 20
	maxNearbyLines     = 200
)

func (n *Nearby) compile() error {
	n.once.Do(func() {
		seen := map[string]bool{}
		for _, p := range n.Patterns {
			re, err := regexp.Compile(p)
			if err != nil {
				n.err = fmt.Errorf("nearby pattern %q: %w", p, err)
				return
			}
			named := false
			for _, name := range re.SubexpNames() {
				if name == "" {
					continue
				}
				if name == SecretGroup {
					n.err = fmt.Errorf("nearby pattern %q: the group %q belongs to the rule's pattern", p, SecretGroup)
					return
				}
				named = true
				if !seen[name] {
					seen[name] = true
					n.names = append(n.names, name)
				}
			}
			if !named {
				n.err = fmt.Errorf("nearby pattern %q has no named group", p)
				return
			}
			n.res = append(n.res, re)
		}
	})
	return n.err
}

// validate reports the block's problems.
func (n *Nearby) validate() []string {
	var problems []string
	if len(n.Patterns) == 0 {
		problems = append(problems, "nearby: no patterns")
	}
	if n.Lines < 0 || n.Lines > maxNearbyLines {
		problems = append(problems, fmt.Sprintf("nearby: lines must be between 0 and %d", maxNearbyLines))
	}
	// A fresh copy: validate must not leave a half-compiled block behind.
	c := &Nearby{Patterns: n.Patterns}
	if err := c.compile(); err != nil {
		problems = append(problems, "nearby: "+err.Error())
	}
	return problems
}

// Names returns the capture names the block can provide.
func (n *Nearby) Names() []string {
	if n == nil || n.compile() != nil {
		return nil
	}
	return n.names
}

// NearbyCaptures reads the rule's Nearby captures from the lines around
// data[start:end] (the text a match spanned). It returns nil when the
// rule declares none or none is found.
func (r *Rule) NearbyCaptures(data []byte, start, end int) map[string]string {
	n := r.Nearby
	if n == nil || n.compile() != nil || start < 0 || end > len(data) || start > end {
		return nil
	}
	lines := n.Lines
	if lines <= 0 {
		lines = defaultNearbyLines
	}
	s, e := start, end
	for i := 0; i <= lines && s > 0; i++ {
		s = lineStart(data, s-1)
	}
	for i := 0; i <= lines && e < len(data); i++ {
		e = lineEnd(data, e+1)
	}
	window := data[s:e]
	type best struct {
		val  string
		dist int
	}
	found := map[string]best{}
	for _, re := range n.res {
		names := re.SubexpNames()
		for _, m := range re.FindAllSubmatchIndex(window, -1) {
			for g := 1; g < len(names); g++ {
				if names[g] == "" || m[2*g] < 0 {
					continue
				}
				// Distance from the match; a group that overlaps it
				// (a JSON object around the secret) is at 0.
				gs, ge := s+m[2*g], s+m[2*g+1]
				dist := 0
				switch {
				case ge <= start:
					dist = start - ge
				case gs >= end:
					dist = gs - end
				}
				if b, ok := found[names[g]]; !ok || dist < b.dist {
					found[names[g]] = best{string(window[m[2*g]:m[2*g+1]]), dist}
				}
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	out := make(map[string]string, len(found))
	for k, b := range found {
		out[k] = b.val
	}
	return out
}
