package inventory

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
)

// Environment is the deployment environment a location belongs to.
type Environment string

// Environments. Unknown means no rule matched; it never counts towards
// sharing across environments.
const (
	EnvProduction  Environment = "production"
	EnvStaging     Environment = "staging"
	EnvDevelopment Environment = "development"
	EnvSandbox     Environment = "sandbox" // also non-production, QA, demo
	EnvTest        Environment = "test"
	EnvCI          Environment = "ci"
	EnvUnknown     Environment = "unknown"
)

// Environments lists every classifiable environment.
var Environments = []Environment{EnvProduction, EnvStaging, EnvDevelopment, EnvSandbox, EnvTest, EnvCI}

// ParseEnvironment reads an environment name; "non-production" and
// "nonprod" mean sandbox.
func ParseEnvironment(s string) (Environment, error) {
	v := Environment(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case "non-production", "nonprod", "non-prod":
		return EnvSandbox, nil
	case EnvUnknown:
		return EnvUnknown, nil
	}
	for _, e := range Environments {
		if v == e {
			return e, nil
		}
	}
	return "", fmt.Errorf("%w: unknown environment %q (want production, staging, development, sandbox, test, ci)", ErrInvalid, s)
}

// Fields an EnvironmentRule can look at.
const (
	FieldPath       = "path"       // path inside the repository
	FieldBranch     = "branch"     // branch the scan was on
	FieldRepository = "repository" // the repository's name: last element, no .git
)

// EnvironmentRule maps an RE2 pattern (Go regexp syntax) to an
// environment. Field restricts it to "path", "branch" or "repository";
// empty means all three (see Classifier.Classify for the order).
type EnvironmentRule struct {
	Pattern string      `json:"pattern" mapstructure:"pattern"`
	Env     Environment `json:"env" mapstructure:"env"`
	Field   string      `json:"field,omitempty" mapstructure:"field"`
}

// Separators around an environment word: start, end, or anything that is
// not a letter or digit ("config/prod/", ".env.production", "values-staging.yaml").
const (
	wb = `(^|[^a-z0-9])`
	we = `([^a-z0-9]|$)`
)

// DefaultEnvironmentRules classify locations when no configured rule
// matches. Order matters: where a credential lives in CI or in test
// fixtures wins over the environment words in its name, and
// "non-prod"/"pre-prod" are tried before "prod".
var DefaultEnvironmentRules = []EnvironmentRule{
	{Env: EnvCI, Field: FieldPath, Pattern: `(?i)(^|/)(\.github/workflows|\.github/actions|\.circleci|\.buildkite|\.gitlab/ci|\.tekton|\.woodpecker)/|` +
		`(^|/)(\.gitlab-ci\.ya?ml|jenkinsfile|azure-pipelines\.ya?ml|\.travis\.ya?ml|bitbucket-pipelines\.ya?ml|\.drone\.ya?ml|cloudbuild\.ya?ml|buildspec\.ya?ml|\.woodpecker\.ya?ml)$`},
	{Env: EnvTest, Field: FieldPath, Pattern: `(?i)(^|/)(tests?|__tests__|spec|specs|testdata|test-data|fixtures?|__fixtures__|e2e|mocks?)/|` +
		`(_test\.go|\.test\.[cm]?[jt]sx?|\.spec\.[cm]?[jt]sx?|_spec\.rb|_test\.py|(^|/)test_[^/]*\.py)$`},
	{Env: EnvSandbox, Pattern: `(?i)` + wb + `(sandbox|sbx|non-?prod|non-?production|qa|demo)` + we},
	{Env: EnvStaging, Pattern: `(?i)` + wb + `(staging|stage|stg|pre-?prod|pre-?production|uat)` + we},
	{Env: EnvDevelopment, Pattern: `(?i)` + wb + `(dev|develop|development|local)` + we},
	{Env: EnvProduction, Pattern: `(?i)` + wb + `(prod|production|prd|live)` + we},
	{Env: EnvTest, Field: FieldRepository, Pattern: `(?i)` + wb + `(test|tests|testing)` + we},
	{Env: EnvCI, Field: FieldRepository, Pattern: `(?i)` + wb + `(ci|cicd|ci-cd)` + we},
}

type compiledRule struct {
	re    *regexp.Regexp
	env   Environment
	field string
}

// Classifier assigns environments to locations. It is safe for concurrent use.
type Classifier struct {
	user, defaults []compiledRule

	// memo caches each (rule set, field, value)'s first matching rule's
	// environment ("" for none): branches, repositories and many paths
	// repeat across an inventory's locations.
	mu   sync.Mutex
	memo map[memoKey]Environment
}

type memoKey struct {
	set          int
	field, value string
}

// memoCap bounds the cache; it is emptied when full.
const memoCap = 1 << 16

// NewClassifier compiles configured rules, which are tried before
// DefaultEnvironmentRules. A bad pattern, environment or field is an error
// wrapping ErrInvalid.
func NewClassifier(rules []EnvironmentRule) (*Classifier, error) {
	c := &Classifier{}
	var err error
	if c.user, err = compileRules(rules); err != nil {
		return nil, err
	}
	if c.defaults, err = compileRules(DefaultEnvironmentRules); err != nil {
		return nil, err
	}
	return c, nil
}

func compileRules(rules []EnvironmentRule) ([]compiledRule, error) {
	out := make([]compiledRule, 0, len(rules))
	for i, r := range rules {
		env, err := ParseEnvironment(string(r.Env))
		if err != nil {
			return nil, fmt.Errorf("environment rule %d: %w", i+1, err)
		}
		switch r.Field {
		case "", FieldPath, FieldBranch, FieldRepository:
		default:
			return nil, fmt.Errorf("%w: environment rule %d: unknown field %q (want path, branch or repository)", ErrInvalid, i+1, r.Field)
		}
		if r.Pattern == "" {
			return nil, fmt.Errorf("%w: environment rule %d: empty pattern", ErrInvalid, i+1)
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%w: environment rule %d: %v", ErrInvalid, i+1, err)
		}
		out = append(out, compiledRule{re: re, env: env, field: r.Field})
	}
	return out, nil
}

// Classify returns the environment of a location. Configured rules come
// before the defaults; within each set the most specific evidence wins:
// the path is tried first (every rule in order), then the branch, then the
// repository's name (see RepositoryName), so config/prod/… in a repository
// named "…-staging" is production.
func (c *Classifier) Classify(l Location) Environment {
	values := [...]struct{ field, v string }{
		{FieldPath, l.Path}, {FieldBranch, l.Branch}, {FieldRepository, RepositoryName(l.Repository)},
	}
	for si, set := range [][]compiledRule{c.user, c.defaults} {
		for _, fv := range values {
			if fv.v == "" {
				continue
			}
			if env := c.match(si, set, fv.field, fv.v); env != "" {
				return env
			}
		}
	}
	return EnvUnknown
}

// match is the first rule of set (number si) for field that matches v,
// through the memo.
func (c *Classifier) match(si int, set []compiledRule, field, v string) Environment {
	k := memoKey{si, field, v}
	c.mu.Lock()
	env, ok := c.memo[k]
	c.mu.Unlock()
	if ok {
		return env
	}
	for _, r := range set {
		if (r.field == "" || r.field == field) && r.re.MatchString(v) {
			env = r.env
			break
		}
	}
	c.mu.Lock()
	if c.memo == nil || len(c.memo) >= memoCap {
		c.memo = make(map[memoKey]Environment)
	}
	c.memo[k] = env
	c.mu.Unlock()
	return env
}

// RepositoryName is the last element of a repository path or URL without a
// ".git" suffix: environment words in the directories above a checkout
// ("/home/dev/…") say nothing about the repository.
func RepositoryName(repo string) string {
	r := strings.TrimRight(strings.ReplaceAll(repo, `\`, "/"), "/")
	r = strings.TrimSuffix(path.Base(r), ".git")
	if r == "." || r == "/" {
		return ""
	}
	return r
}
