package inventory

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

func TestClassify(t *testing.T) {
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		loc  Location
		want Environment
	}{
		{Location{Path: "config/prod/db.yaml"}, EnvProduction},
		{Location{Path: "config/production.json"}, EnvProduction},
		{Location{Path: ".env.production"}, EnvProduction},
		{Location{Path: "deploy/values-prod.yaml"}, EnvProduction},
		{Location{Path: "deploy/values-staging.yaml"}, EnvStaging},
		{Location{Path: "k8s/stg/secret.yaml"}, EnvStaging},
		{Location{Path: "config/preprod/app.env"}, EnvStaging},
		{Location{Path: "config/pre-prod/app.env"}, EnvStaging},
		{Location{Path: ".env.development"}, EnvDevelopment},
		{Location{Path: ".env.local"}, EnvDevelopment},
		{Location{Path: "config/dev/app.env"}, EnvDevelopment},
		{Location{Path: "payments-sandbox/keys.env"}, EnvSandbox},
		{Location{Path: "config/nonprod/app.env"}, EnvSandbox},
		{Location{Path: "config/non-prod/app.env"}, EnvSandbox},
		{Location{Path: "qa/settings.py"}, EnvSandbox},
		{Location{Path: "test/fixtures/token.txt"}, EnvTest},
		{Location{Path: "pkg/client/client_test.go"}, EnvTest},
		{Location{Path: "src/__tests__/api.spec.ts"}, EnvTest},
		{Location{Path: "testdata/prod/app.env"}, EnvTest}, // fixtures win over the word prod
		{Location{Path: ".github/workflows/deploy-prod.yml"}, EnvCI},
		{Location{Path: ".gitlab-ci.yml"}, EnvCI},
		{Location{Path: "Jenkinsfile"}, EnvCI},
		{Location{Path: "src/main.go"}, EnvUnknown},
		{Location{Path: "src/product/devices.go"}, EnvUnknown}, // "product", "devices": not words
		{Location{Path: "src/app.env", Branch: "staging"}, EnvStaging},
		{Location{Path: "src/app.env", Branch: "main"}, EnvUnknown},
		{Location{Path: "app.env", Repository: "/home/dev/src/acme-prod.git"}, EnvProduction},
		{Location{Path: "app.env", Repository: "/home/dev/src/acme"}, EnvUnknown}, // parent dirs say nothing
		{Location{Path: "app.env", Repository: "https://git.example/acme/infra-staging"}, EnvStaging},
		{Location{Path: "app.env", Repository: "https://git.example/acme/integration-tests"}, EnvTest},
		{Location{Path: "config/prod/app.env", Repository: "acme-staging"}, EnvProduction}, // path first
	}
	for _, tt := range tests {
		if got := c.Classify(tt.loc); got != tt.want {
			t.Errorf("Classify(%+v) = %s, want %s", tt.loc, got, tt.want)
		}
	}
}

func TestClassifyConfigured(t *testing.T) {
	c, err := NewClassifier([]EnvironmentRule{
		{Pattern: `^payments$`, Env: EnvProduction, Field: FieldRepository},
		{Pattern: `(^|/)qa-live/`, Env: "non-production"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify(Location{Path: "test/x.env", Repository: "/src/payments"}); got != EnvProduction {
		t.Errorf("configured repository rule: %s", got)
	}
	if got := c.Classify(Location{Path: "qa-live/x.env"}); got != EnvSandbox {
		t.Errorf("configured path rule: %s", got)
	}
	if got := c.Classify(Location{Path: "config/staging/x", Repository: "/src/other"}); got != EnvStaging {
		t.Errorf("defaults after configured: %s", got)
	}
	for _, bad := range []EnvironmentRule{{Pattern: "(", Env: EnvTest}, {Pattern: "x", Env: "moon"}, {Pattern: "x", Env: EnvTest, Field: "author"}, {Env: EnvTest}} {
		if _, err := NewClassifier([]EnvironmentRule{bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewClassifier(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestRepositoryName(t *testing.T) {
	for in, want := range map[string]string{
		"/home/u/src/api":                  "api",
		"/home/u/src/api/":                 "api",
		"https://git.example/acme/api.git": "api",
		"git@git.example:acme/api.git":     "api",
		"":                                 "",
		"/":                                "",
	} {
		if got := RepositoryName(in); got != want {
			t.Errorf("RepositoryName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1h": time.Hour, "90d": 90 * day, "52w": 364 * day, "1y": 365 * day, "30m": 30 * time.Minute, "30min": 30 * time.Minute, "1.5d": 36 * time.Hour, "2h30m": 150 * time.Minute,
	} {
		got, err := ParseDuration(in)
		if err != nil || time.Duration(got) != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, time.Duration(got), err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-1d", "0h", "d", "1x"} {
		if _, err := ParseDuration(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDuration(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * day: "90d", 30 * time.Minute: "30min", 90 * time.Second: "1m30s", 25 * time.Hour: "25h"} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMaxAge(t *testing.T) {
	p := Policy{MaxAge: map[Class]Duration{ClassPassword: Duration(30 * day)}, RuleMaxAge: map[string]Duration{"aws-secret": Duration(7 * day)}}
	tests := []struct {
		rule  string
		class Class
		want  time.Duration
	}{
		{"x", ClassToken, time.Hour},
		{"x", ClassAPIKey, 90 * day},
		{"x", ClassClientSecret, 90 * day},
		{"x", ClassPrivateKey, 365 * day},
		{"x", ClassSigningKey, 365 * day},
		{"x", ClassPassword, 30 * day},
		{"x", "", 90 * day},        // no class: api-key
		{"x", "mystery", 90 * day}, // unknown class: api-key
		{"aws-secret", ClassAPIKey, 7 * day},
	}
	for _, tt := range tests {
		if got := p.MaxAgeFor(tt.rule, tt.class); got != tt.want {
			t.Errorf("MaxAgeFor(%s, %s) = %v, want %v", tt.rule, tt.class, got, tt.want)
		}
	}
}

func TestTransitions(t *testing.T) {
	ok := [][2]Status{
		{StatusOpen, StatusRotationRequired}, {StatusOpen, StatusRotated}, {StatusOpen, StatusFalsePositive},
		{StatusRotationRequired, StatusRotated}, {StatusRotationRequired, StatusRevoked}, {StatusRotationRequired, StatusAcceptedRisk},
		{StatusRotated, StatusRotationRequired}, {StatusRotated, StatusRevoked}, {StatusRevoked, StatusRotationRequired},
		{StatusFalsePositive, StatusOpen}, {StatusAcceptedRisk, StatusRotationRequired},
	}
	for _, tr := range ok {
		if err := CheckTransition(tr[0], tr[1], "because"); err != nil {
			t.Errorf("%s → %s: %v", tr[0], tr[1], err)
		}
	}
	bad := [][2]Status{
		{StatusOpen, StatusOpen}, {StatusRotationRequired, StatusOpen}, {StatusRotated, StatusOpen}, {StatusRotated, StatusFalsePositive},
		{StatusRevoked, StatusRotated}, {StatusFalsePositive, StatusRotated}, {StatusAcceptedRisk, StatusRevoked},
	}
	for _, tr := range bad {
		if err := CheckTransition(tr[0], tr[1], "because"); !errors.Is(err, ErrInvalidTransition) {
			t.Errorf("%s → %s: %v, want ErrInvalidTransition", tr[0], tr[1], err)
		}
	}
	if err := CheckTransition(StatusOpen, StatusAcceptedRisk, " "); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("accepted-risk without a reason: %v", err)
	}
	if _, err := ParseStatus("Rotated"); err != nil {
		t.Errorf("ParseStatus is case-insensitive: %v", err)
	}
	if !StatusFalsePositive.Suppresses() || !StatusAcceptedRisk.Suppresses() || StatusRotated.Suppresses() || StatusOpen.Suppresses() {
		t.Errorf("Suppresses wrong")
	}
}

func TestNewBatch(t *testing.T) {
	key := randomBytes(t, 32)
	sec := randomSecret(t)
	early, late := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	low := commitFinding(sec, "a.env", 9, "late", late)
	low.Severity, low.RuleID = detectors.SeverityLow, "generic-secret"
	high := commitFinding(sec, "a.env", 3, "early", early)
	high.RuleID = "test-password"
	b, err := NewBatch(key, Scan{Source: "git", Repository: "https://ci:" + sec + "@git.example/x.git", Classes: map[string]Class{"test-password": ClassPassword}},
		[]scanner.Finding{low, high, finding("", "empty", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Secrets) != 1 || len(b.Locations) != 1 || b.Scan.Findings != 2 {
		t.Fatalf("batch = %d secrets, %d locations, %d findings", len(b.Secrets), len(b.Locations), b.Scan.Findings)
	}
	s, l := b.Secrets[0], b.Locations[0]
	if s.RuleID != "test-password" || s.Class != ClassPassword || s.Fingerprint != scanner.Fingerprint(key, sec) || s.Preview != scanner.Redact(sec) {
		t.Errorf("secret = %+v", s)
	}
	if l.Line != 3 || l.Commit != "early" || !l.Date.Equal(early) || l.AtTip != nil {
		t.Errorf("location = %+v (history without a tip checker: unknown)", l)
	}
	if b.Scan.Repository != "https://git.example/x.git" || l.Repository != b.Scan.Repository {
		t.Errorf("repository %q keeps credentials", b.Scan.Repository)
	}
	if b.KeyCheck != KeyCheck(key) {
		t.Errorf("key check missing")
	}
	// A working-tree finding is at the tip.
	b, _ = NewBatch(key, Scan{Source: "dir", Repository: "/w"}, []scanner.Finding{finding(sec, "a", 1)})
	if tip := b.Locations[0].AtTip; tip == nil || !*tip {
		t.Errorf("dir finding at tip = %v", tip)
	}
	if _, err := NewBatch(key, Scan{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no source: %v", err)
	}
}

func TestCleanRepository(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tok@git.example/a/b.git?x=1#f": "https://git.example/a/b.git",
		"https://git.example/a/b":                    "https://git.example/a/b",
		"/home/u/src/b":                              "/home/u/src/b",
		"ssh://git@git.example/a/b.git":              "ssh://git.example/a/b.git",
	} {
		if got := CleanRepository(in); got != want {
			t.Errorf("CleanRepository(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvaluateAge(t *testing.T) {
	c, _ := NewClassifier(nil)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := Secret{RuleID: "r", Class: ClassPassword, Status: StatusOpen, FirstSeen: now.Add(-24 * time.Hour),
		Locations: []Location{{Path: "a", Repository: "/r", Date: now.Add(-100 * day)}, {Path: "b", Repository: "/r"}}}
	e := Evaluate(s, Policy{}, c, now)
	if !e.Overdue || e.Age != Duration(100*day) || !e.EarliestEvidence.Equal(now.Add(-100*day)) {
		t.Errorf("from the commit date: overdue=%v age=%v", e.Overdue, e.Age)
	}
	s.Locations[0].Date = time.Time{}
	if e := Evaluate(s, Policy{}, c, now); e.Overdue || e.Age != Duration(24*time.Hour) {
		t.Errorf("from first seen: overdue=%v age=%v", e.Overdue, e.Age)
	}
	s.Locations[0].Date = now.Add(-100 * day)
	s.Status = StatusAcceptedRisk
	if e := Evaluate(s, Policy{}, c, now); e.Overdue {
		t.Errorf("an accepted risk is not overdue")
	}
	if diff := cmp.Diff([]Environment{}, e.Environments); diff != "" {
		t.Errorf("environments: %s", diff)
	}
}
