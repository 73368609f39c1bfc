package scanner

import (
	"context"
	"sort"
)

// CIVariable is one CI/CD variable whose value its provider returns
// (GitHub Actions variables, GitLab CI/CD variables).
type CIVariable struct {
	// Path names the variable in findings and the inventory, e.g.
	// "github:acme/api/env/production/vars/DEPLOY_URL" or
	// "gitlab:acme/api/vars/DB_PASSWORD[production]".
	Path  string
	Name  string
	Value string
	// Note describes the variable's protection for findings
	// (Finding.Message), e.g. "unmasked, unprotected".
	Note string
	// Tags are added to findings in the variable.
	Tags []string
}

// VariableSource scans CI variables as content: one chunk per variable,
// "NAME=value", so rules that look for an assignment see the name.
type VariableSource struct {
	// Name is the source kind ("github-actions", "gitlab-ci").
	Name string
	// Store is the root reported for findings (the organisation's or
	// group's web address).
	Store string
	Vars  []CIVariable
}

// Kind implements Source.
func (v *VariableSource) Kind() string { return v.Name }

// Root implements Source.
func (v *VariableSource) Root() string { return v.Store }

// Chunks implements Source.
func (v *VariableSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	for _, cv := range v.Vars {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(Chunk{Data: []byte(cv.Name + "=" + cv.Value + "\n"), Path: cv.Path, Line: 1, Message: cv.Note}); err != nil {
			return err
		}
	}
	return nil
}

// Finish implements Finisher: findings in a variable carry its tags.
func (v *VariableSource) Finish(fs []Finding) []Finding {
	tags := map[string][]string{}
	for _, cv := range v.Vars {
		tags[cv.Path] = cv.Tags
	}
	for i := range fs {
		extra := tags[fs[i].File]
		if len(extra) == 0 {
			continue
		}
		t := append(append([]string(nil), fs[i].Tags...), extra...)
		sort.Strings(t)
		out := t[:0]
		for j, s := range t {
			if j == 0 || s != t[j-1] {
				out = append(out, s)
			}
		}
		fs[i].Tags = out
	}
	return fs
}
