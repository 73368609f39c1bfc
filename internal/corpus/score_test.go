package corpus

import (
	"math"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
)

func TestScoreKnownNumbers(t *testing.T) {
	labels := Labels{
		Files: []string{"a/.env", "b/jwks.json"},
		Items: []Label{
			{File: "a/.env", Line: 3, Kind: "generic-password", Family: "generic"},
			{File: "a/.env", Line: 10, Span: 26, Kind: "rsa-private-key", Family: "private-key"},
			{File: "b/jwks.json", Line: 5, Pre: 2, Kind: "jwk-private-key", Family: "private-key"},
			{File: "b/jwks.json", Line: 20, Kind: "slack-bot-token", Family: "slack"},
			{File: "b/jwks.json", Line: 30, Kind: "placeholder", Family: "placeholder", Bait: true},
		},
	}
	findings := []Found{
		{"a/.env", 3, "generic-password"},     // TP
		{"a/.env", 3, "generic-secret"},       // duplicate of the same label
		{"a/.env", 12, "private-key-rsa"},     // TP: inside the PEM's span
		{"a/.env", 36, "private-key-rsa"},     // duplicate: last line of the span
		{"a/.env", 37, "x"},                   // FP, unlabelled line
		{"b/jwks.json", 3, "jwk-private-key"}, // TP: within Pre
		{"b/jwks.json", 30, "g"},              // FP on bait
		{"labels.json", 1, "x"},               // ignored: not a corpus file
	}
	r := Score(labels, findings)
	type totals struct{ Secrets, Findings, TP, FP, FN, Dup, Ignored int }
	got := totals{r.Secrets, r.Findings, r.TP, r.FP, r.FN, r.Duplicates, r.Ignored}
	if diff := cmp.Diff(totals{4, 7, 3, 2, 1, 2, 1}, got); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !near(r.Precision, 0.6) || !near(r.Recall, 0.75) || !near(r.F1, 2*0.6*0.75/1.35) {
		t.Errorf("precision %v recall %v F1 %v", r.Precision, r.Recall, r.F1)
	}
	wantFam := []FamilyScore{
		{Family: "generic", Secrets: 1, TP: 1, Recall: 1},
		{Family: "private-key", Secrets: 2, TP: 2, Recall: 1},
		{Family: "slack", Secrets: 1, FN: 1},
		{Family: "placeholder", FP: 1},
		{Family: "unlabelled", FP: 1},
	}
	if diff := cmp.Diff(wantFam, r.Families); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	if len(r.Missed) != 1 || r.Missed[0].Kind != "slack-bot-token" {
		t.Errorf("missed %+v", r.Missed)
	}
	if len(r.FalsePositives) != 2 || r.FalsePositives[0].Bait != nil ||
		r.FalsePositives[1].Bait == nil || r.FalsePositives[1].Bait.Kind != "placeholder" {
		t.Errorf("false positives %+v", r.FalsePositives)
	}
	s := r.String()
	for _, want := range []string{"precision 0.600", "recall 0.750", "b/jwks.json:20  slack-bot-token (slack)", "b/jwks.json:30  g  on bait placeholder", "private-key"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

func TestScoreNearestLabelWins(t *testing.T) {
	labels := Labels{Items: []Label{
		{File: "f", Line: 10, Span: 5, Kind: "generic-secret", Family: "generic"},
		{File: "f", Line: 12, Kind: "generic-password", Family: "generic"},
	}}
	r := Score(labels, []Found{{"f", 12, "generic-secret"}, {"f", 11, "generic-secret"}})
	if r.TP != 2 || r.FP != 0 || r.Duplicates != 0 {
		t.Errorf("TP %d FP %d dup %d, want 2 0 0", r.TP, r.FP, r.Duplicates)
	}
	// Without Files every file counts; with nothing found precision is 0.
	if r := Score(labels, nil); r.Precision != 0 || r.Recall != 0 || r.FN != 2 {
		t.Errorf("empty findings: %+v", r)
	}
}

func TestNormalizeFindings(t *testing.T) {
	root := t.TempDir()
	abs := filepath.Join(root, "proj", ".env")
	in := []Found{
		{File: abs, Line: 1},
		{File: "proj/.env", Line: 2},
		{File: "./proj/.env", Line: 3},
	}
	for _, f := range NormalizeFindings(root, in) {
		if f.File != "proj/.env" {
			t.Errorf("line %d: %q", f.Line, f.File)
		}
	}
	// Paths relative to the working directory, with a relative root.
	t.Chdir(filepath.Dir(root))
	base := filepath.Base(root)
	rel := NormalizeFindings(base, []Found{{File: base + "/proj/.env"}, {File: "proj/.env"}, {File: filepath.Join(root, "proj/.env")}})
	for _, f := range rel {
		if f.File != "proj/.env" {
			t.Errorf("relative root: %+v", rel)
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	l := Labels{Seed: 9, Files: []string{"p/a"}, Items: []Label{{File: "p/a", Line: 2, Col: 5, Span: 1, Kind: "k", Family: "f", Project: "p", value: "dropped"}}}
	path := filepath.Join(t.TempDir(), LabelsFile)
	if err := WriteLabels(path, l); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Items[0].value = ""
	if diff := cmp.Diff(l, got, cmp.AllowUnexported(Label{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// fakeKinds accepts a rule for a label when the rule is named after the
// label's kind, or is "neutral-…" and the label is not a provider's.
type fakeKinds struct{}

func (fakeKinds) Accepts(l Label, rule string) bool {
	return rule == l.Kind || strings.HasPrefix(rule, "neutral-") && l.Family == "generic"
}
func (fakeKinds) Neutral(rule string) bool { return strings.HasPrefix(rule, "neutral-") }

func TestScoreCountsOnlyRulesOfTheLabelsKind(t *testing.T) {
	labels := Labels{Items: []Label{
		{File: "f", Line: 1, Kind: "stripe-key", Family: "stripe"}, // generic rule only
		{File: "f", Line: 2, Kind: "slack-token", Family: "slack"}, // another vendor's rule only
		{File: "f", Line: 3, Kind: "aws-key", Family: "aws"},       // generic, then its own rule
		{File: "f", Line: 4, Kind: "password", Family: "generic"},  // neutral rule counts
		{File: "f", Line: 5, Kind: "secret", Family: "generic"},    // a vendor's rule misnames it
	}}
	r := ScoreWith(labels, []Found{
		{"f", 1, "neutral-api-key"},
		{"f", 2, "epic-client-secret"},
		{"f", 3, "neutral-secret"},
		{"f", 3, "aws-key"},
		{"f", 4, "neutral-password"},
		{"f", 5, "mirth-password"},
	}, fakeKinds{})
	type totals struct{ TP, FP, FN, Dup, Generic, Other int }
	if diff := cmp.Diff(totals{2, 0, 3, 0, 1, 2}, totals{r.TP, r.FP, r.FN, r.Duplicates, r.GenericHits, r.OtherHits}); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	want := []Misfit{
		{Label: labels.Items[0], RuleID: "neutral-api-key", Generic: true},
		{Label: labels.Items[1], RuleID: "epic-client-secret"},
		{Label: labels.Items[4], RuleID: "mirth-password"},
	}
	if diff := cmp.Diff(want, r.Misfits, cmp.AllowUnexported(Label{})); diff != "" {
		t.Errorf("misfits (-want +got):\n%s", diff)
	}
	if want := 5.0 / 5; r.RecallAnyRule != want || r.Recall != 2.0/5 {
		t.Errorf("recall %v, recall by any rule %v; want 0.4 and %v", r.Recall, r.RecallAnyRule, want)
	}
	s := r.String()
	for _, w := range []string{"f:1  stripe-key (stripe)  found only by generic rule neutral-api-key", "f:2  slack-token (slack)  found only by rule epic-client-secret of another kind", "generic 1, other 2"} {
		if !strings.Contains(s, w) {
			t.Errorf("report lacks %q:\n%s", w, s)
		}
	}
}

func TestBuiltinRuleKinds(t *testing.T) {
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	k := BuiltinRuleKinds()
	// Every pattern names at least one rule of the catalogue, so a renamed
	// rule cannot silently turn hits into misses.
	var patterns []string
	for _, ps := range kindRules {
		patterns = append(patterns, ps...)
	}
	for _, ps := range familyRules {
		patterns = append(patterns, ps...)
	}
	for _, p := range patterns {
		found := false
		for _, r := range rules {
			if ok, _ := path.Match(p, r.ID); ok {
				found = true
			}
		}
		if !found {
			t.Errorf("pattern %q matches no built-in rule", p)
		}
	}
	// Every provider kind the corpus generates has a rule of its own kind,
	// but those the catalogue has no rule for.
	noRule := map[string]bool{"wandb-api-key": true, "slack-signing-secret": true}
	for kind, spec := range secretKinds {
		if !providerFamilies[spec.family] || noRule[kind] {
			continue
		}
		found := false
		for _, r := range rules {
			if k.Accepts(Label{Kind: kind, Family: spec.family}, r.ID) {
				found = true
			}
		}
		if !found {
			t.Errorf("kind %s (%s) accepts no built-in rule", kind, spec.family)
		}
	}
	cases := []struct {
		label Label
		rule  string
		want  bool
	}{
		{Label{Kind: "aws-secret-access-key", Family: "aws"}, "aws-secret-access-key", true},
		{Label{Kind: "aws-secret-access-key", Family: "aws"}, "aws-healthlake-secret-access-key", true},
		{Label{Kind: "aws-secret-access-key", Family: "aws"}, "generic-secret", false},
		{Label{Kind: "aws-secret-access-key", Family: "aws"}, "generic-django-flask-secret-key", false},
		{Label{Kind: "postgres-uri", Family: "database"}, "postgres-uri-password", true},
		{Label{Kind: "snowflake-password", Family: "database"}, "generic-password", false},
		{Label{Kind: "epic-client-secret", Family: "healthcare"}, "cerner-client-secret-endpoint", false},
		{Label{Kind: "generic-password", Family: "generic"}, "generic-password", true},
		{Label{Kind: "generic-password", Family: "generic"}, "url-basic-auth", true},
		{Label{Kind: "smtp-password", Family: "generic"}, "mirth-channel-password", false},
		{Label{Kind: "supabase-service-role-key", Family: "generic"}, "jwt", true},
		{Label{Kind: "credfile-password", Family: "credential-file"}, "netrc-password", true},
		{Label{Kind: "credfile-password", Family: "credential-file"}, "github-pat", false},
	}
	for _, c := range cases {
		if got := k.Accepts(c.label, c.rule); got != c.want {
			t.Errorf("Accepts(%s, %s) = %v, want %v", c.label.Kind, c.rule, got, c.want)
		}
	}
	if !k.Neutral("generic-password") || !k.Neutral("url-basic-auth") || k.Neutral("github-pat") {
		t.Error("Neutral misclassifies generic-password, url-basic-auth or github-pat")
	}
}
