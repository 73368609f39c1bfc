package corpus

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScoreKnownNumbers(t *testing.T) {
	labels := Labels{
		Files: []string{"a/.env", "b/jwks.json"},
		Items: []Label{
			{File: "a/.env", Line: 3, Kind: "k1", Family: "f1"},
			{File: "a/.env", Line: 10, Span: 26, Kind: "pem", Family: "private-key"},
			{File: "b/jwks.json", Line: 5, Pre: 2, Kind: "jwk", Family: "private-key"},
			{File: "b/jwks.json", Line: 20, Kind: "k2", Family: "f1"},
			{File: "b/jwks.json", Line: 30, Kind: "placeholder", Family: "placeholder", Bait: true},
		},
	}
	findings := []Found{
		{"a/.env", 3, "r1"},       // TP
		{"a/.env", 3, "r2"},       // duplicate of the same label
		{"a/.env", 12, "pem"},     // TP: inside the PEM's span
		{"a/.env", 36, "pem"},     // duplicate: last line of the span
		{"a/.env", 37, "x"},       // FP, unlabelled line
		{"b/jwks.json", 3, "jwk"}, // TP: within Pre
		{"b/jwks.json", 30, "g"},  // FP on bait
		{"labels.json", 1, "x"},   // ignored: not a corpus file
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
		{Family: "f1", Secrets: 2, TP: 1, FN: 1, Recall: 0.5},
		{Family: "private-key", Secrets: 2, TP: 2, Recall: 1},
		{Family: "placeholder", FP: 1},
		{Family: "unlabelled", FP: 1},
	}
	if diff := cmp.Diff(wantFam, r.Families); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	if len(r.Missed) != 1 || r.Missed[0].Kind != "k2" {
		t.Errorf("missed %+v", r.Missed)
	}
	if len(r.FalsePositives) != 2 || r.FalsePositives[0].Bait != nil ||
		r.FalsePositives[1].Bait == nil || r.FalsePositives[1].Bait.Kind != "placeholder" {
		t.Errorf("false positives %+v", r.FalsePositives)
	}
	s := r.String()
	for _, want := range []string{"precision 0.600", "recall 0.750", "b/jwks.json:20  k2 (f1)", "b/jwks.json:30  g  on bait placeholder", "private-key"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

func TestScoreNearestLabelWins(t *testing.T) {
	labels := Labels{Items: []Label{
		{File: "f", Line: 10, Span: 5, Kind: "pem", Family: "private-key"},
		{File: "f", Line: 12, Kind: "pw", Family: "generic"},
	}}
	r := Score(labels, []Found{{"f", 12, "a"}, {"f", 11, "b"}})
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
