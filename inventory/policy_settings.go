package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The policy as people write it: the settings 'inventory policy set'
// takes (--max-age token=2h, --environment '^acme=production') and the
// inventory section of the config file. Reading the flags, finding the
// file and checking its keys is the command's; decoding the section and
// turning its strings into a Policy is here.

// SetMaxAge applies one maximum-age setting, KEY=DURATION (a duration as
// ParseDuration reads it), to p:
//
//	CLASS=DURATION              the maximum age of a rotation class
//	rule:ID=DURATION            that of one rule
//	path:PATTERN=DURATION       that of managed secrets held at paths
//	path:PATTERN#CLASS=DURATION matching PATTERN (of that class only)
//	unused=DURATION             how long a managed secret may go unread
//
// A path rule is appended, since the first match wins, unless one with
// the same pattern and class is there: then its age is replaced in place.
// An error names the setting ("token: …"; a caller adds the flag's name).
// SetMaxAge does not Validate p: an unknown class is left for Validate.
func (p *Policy) SetMaxAge(setting string) error {
	k, v, ok := strings.Cut(setting, "=")
	if !ok {
		return fmt.Errorf("%q: want CLASS=DURATION or rule:ID=DURATION", setting)
	}
	d, err := ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	if k == "unused" {
		p.UnusedAfter = d
		return nil
	}
	if pat, isPath := strings.CutPrefix(k, "path:"); isPath {
		r := PathRule{Pattern: pat, MaxAge: d}
		if i := strings.LastIndex(pat, "#"); i >= 0 {
			r.Pattern, r.Class = pat[:i], Class(pat[i+1:])
		}
		if r.Pattern == "" {
			return fmt.Errorf("%s: empty path pattern", k)
		}
		p.setPathRule(r)
		return nil
	}
	if id, isRule := strings.CutPrefix(k, "rule:"); isRule {
		if p.RuleMaxAge == nil {
			p.RuleMaxAge = map[string]Duration{}
		}
		p.RuleMaxAge[id] = d
		return nil
	}
	if p.MaxAge == nil {
		p.MaxAge = map[Class]Duration{}
	}
	p.MaxAge[Class(k)] = d
	return nil
}

// setPathRule replaces the age of the path rule with r's pattern and
// class in place (order matters: the first match wins), else appends r.
func (p *Policy) setPathRule(r PathRule) {
	for i, x := range p.PathMaxAge {
		if x.Pattern == r.Pattern && x.Class == r.Class {
			p.PathMaxAge[i] = r
			return
		}
	}
	p.PathMaxAge = append(p.PathMaxAge, r)
}

// AddEnvironmentRule appends the environment rule PATTERN=ENV to p,
// split at the last "=" (a pattern may hold one). An error names the
// setting; the pattern and environment are left for Validate.
func (p *Policy) AddEnvironmentRule(setting string) error {
	i := strings.LastIndex(setting, "=")
	if i <= 0 {
		return fmt.Errorf("%q: want PATTERN=ENV", setting)
	}
	p.Environments = append(p.Environments, EnvironmentRule{Pattern: setting[:i], Env: Environment(setting[i+1:])})
	return nil
}

// PolicyConfig is the inventory section of the config file, as its YAML
// keys (ConfigPolicy decodes it out of the file; the tags say where each
// key goes):
//
//	inventory:
//	  environments:            # tried before the built-in rules, in order
//	    - {pattern: '^acme-payments', env: production, field: repository}
//	    - {pattern: '(^|/)qa/', env: sandbox}
//	  max-age:                 # per rotation class
//	    token: 2h
//	    api-key: 180d
//	  rule-max-age:            # per rule id
//	    github-pat: 30d
//	  path-max-age:            # managed secrets by where they are held
//	    - {pattern: 'secret/epic/*', class: client-secret, max-age: 90d}
//	  unused-after: 90d
//
// Durations are strings as ParseDuration reads them.
type PolicyConfig struct {
	Environments []struct {
		Pattern string `yaml:"pattern"`
		Env     string `yaml:"env"`
		Field   string `yaml:"field"`
	} `yaml:"environments"`
	MaxAge     map[string]string `yaml:"max-age"`
	RuleMaxAge map[string]string `yaml:"rule-max-age"`
	PathMaxAge []struct {
		Pattern string `yaml:"pattern"`
		Class   string `yaml:"class"`
		MaxAge  string `yaml:"max-age"`
	} `yaml:"path-max-age"`
	UnusedAfter string `yaml:"unused-after"`
}

// Policy is the policy c describes. An error names the first key (in
// file order for lists, by name in a map) whose duration does not parse,
// from the section down ("max-age.token: …",
// "path-max-age[1]: …"). Policy does not Validate the result: classes,
// patterns and environments are checked there.
func (c PolicyConfig) Policy() (Policy, error) {
	var p Policy
	for _, r := range c.Environments {
		p.Environments = append(p.Environments, EnvironmentRule{Pattern: r.Pattern, Env: Environment(r.Env), Field: r.Field})
	}
	// Keys in order, so that of several bad ones the error always names
	// the same (the first).
	for _, cl := range slices.Sorted(maps.Keys(c.MaxAge)) {
		v := c.MaxAge[cl]
		d, err := ParseDuration(v)
		if err != nil {
			return p, fmt.Errorf("max-age.%s: %w", cl, err)
		}
		if p.MaxAge == nil {
			p.MaxAge = map[Class]Duration{}
		}
		p.MaxAge[Class(cl)] = d
	}
	for _, r := range slices.Sorted(maps.Keys(c.RuleMaxAge)) {
		v := c.RuleMaxAge[r]
		d, err := ParseDuration(v)
		if err != nil {
			return p, fmt.Errorf("rule-max-age.%s: %w", r, err)
		}
		if p.RuleMaxAge == nil {
			p.RuleMaxAge = map[string]Duration{}
		}
		p.RuleMaxAge[r] = d
	}
	for i, r := range c.PathMaxAge {
		d, err := ParseDuration(r.MaxAge)
		if err != nil {
			return p, fmt.Errorf("path-max-age[%d]: %w", i, err)
		}
		p.PathMaxAge = append(p.PathMaxAge, PathRule{Pattern: r.Pattern, Class: Class(r.Class), MaxAge: d})
	}
	if c.UnusedAfter != "" {
		d, err := ParseDuration(c.UnusedAfter)
		if err != nil {
			return p, fmt.Errorf("unused-after: %w", err)
		}
		p.UnusedAfter = d
	}
	return p, nil
}

// ConfigPolicy is the policy the inventory section of a config file
// describes, data being the whole file, validated. ok is false when the
// file has no inventory section. An error reads as it follows the file's
// name ("inventory: …", "inventory.max-age.token: …", or the YAML
// parser's on one line where the file does not parse): the command
// prefixes "config PATH: ".
func ConfigPolicy(data []byte) (p Policy, ok bool, err error) {
	var top struct {
		Inventory yaml.Node `yaml:"inventory"`
	}
	if err := yaml.Unmarshal(data, &top); err != nil {
		return p, false, errors.New(oneLine(err))
	}
	if top.Inventory.Kind == 0 {
		return p, false, nil
	}
	// The section is decoded on its own, with unknown keys refused, so
	// that the rest of the file (the scan's settings) is not this
	// package's to know.
	section, err := yaml.Marshal(&top.Inventory)
	if err != nil {
		return p, false, err
	}
	var c PolicyConfig
	dec := yaml.NewDecoder(bytes.NewReader(section))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		// The type's name means nothing to whoever wrote the file.
		msg := strings.ReplaceAll(oneLine(err), fmt.Sprintf(" in type %T", c), "")
		return p, false, fmt.Errorf("inventory: %s", msg)
	}
	if p, err = c.Policy(); err != nil {
		return p, false, fmt.Errorf("inventory.%w", err)
	}
	if err := p.Validate(); err != nil {
		return p, false, fmt.Errorf("inventory: %w", err)
	}
	return p, true, nil
}

// oneLine is err's text with every run of white space one space: the
// YAML decoder lists several problems on lines of their own.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
