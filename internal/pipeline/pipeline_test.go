package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

// widgetRules is a rule file with one rule of the tests' own, so that no
// fixture here is shaped like a real credential.
const widgetRules = `provider: Widget
rules:
  - id: widget-code
    name: Widget code
    keywords: [widgetcode]
    pattern: 'widgetcode=(?P<secret>[a-z]{4}[0-9]{6})'
    severity: high
`

// widget is a line the widget rule finds, its value made up here.
func widget(n int) string {
	return fmt.Sprintf("widgetcode=%s%06d\n", "qzxv", 100000+n)
}

// writeFile writes content under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newWidget builds a pipeline with the widget rule, its messages in log.
func newWidget(t *testing.T, c Config, log *bytes.Buffer) *Pipeline {
	t.Helper()
	c.RuleFiles = append(c.RuleFiles, writeFile(t, t.TempDir(), "widget.yaml", widgetRules))
	c.Log = log
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	override := writeFile(t, dir, "override.yaml", `provider: 1Password
rules:
  - id: 1password-secret-key
    name: 1Password account Secret Key, stricter
    keywords: [a3-]
    pattern: '\b(?P<secret>A3-[A-Z0-9]{6}-[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b'
    severity: critical
    override: true
`)
	rules, overrides, err := LoadRules(Config{RuleFiles: []string{override}, DisableRules: []string{"age-secret-key"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Override{{ID: "1password-secret-key", File: override}}, overrides); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
	for _, r := range rules {
		if r.ID == "age-secret-key" {
			t.Errorf("disabled rule %s still loaded", r.ID)
		}
		if r.ID == "1password-secret-key" && r.Severity != detectors.SeverityCritical {
			t.Errorf("%s: severity %v, want the override's critical", r.ID, r.Severity)
		}
	}

	// A rule file a repository's config names outside its tree is
	// skipped with a warning.
	var warned []string
	repo := t.TempDir()
	_, overrides, err = LoadRules(Config{
		RuleFiles: []string{override}, RulesFromRepo: true, RepoTree: repo, ConfigPath: filepath.Join(repo, ".sprawl.yaml"),
		Warn: func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(overrides) != 0 || len(warned) != 1 || !strings.Contains(warned[0], "ignoring rule file") {
		t.Errorf("rule file outside the repository: overrides %v, warnings %q", overrides, warned)
	}
}

func TestNewUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "provider: X\nrules:\n  - id: Bad_Id\n")
	for name, c := range map[string]Config{
		"invalid rule":      {RuleFiles: []string{bad}},
		"unknown disabled":  {DisableRules: []string{"no-such-rule"}},
		"allowlist regex":   {Allowlist: detectors.Allowlist{Regexes: []string{"("}}},
		"missing baseline":  {BaselineFile: filepath.Join(dir, "none.json")},
		"missing rule file": {RuleFiles: []string{filepath.Join(dir, "none.yaml")}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(c)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Errorf("New: %v, want a UsageError", err)
			}
		})
	}
}

func TestScanBaselineAndTrace(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", widget(1)+widget(2))
	var log bytes.Buffer
	p := newWidget(t, Config{}, &log)
	ctx := context.Background()
	res, _, err := p.Scan(ctx, &scanner.DirSource{Path: dir}, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("without a baseline: %d findings, want 2", len(res.Findings))
	}
	var bl bytes.Buffer
	if err := scanner.NewBaseline(res.Findings[:1], time.Now()).Write(&bl); err != nil {
		t.Fatal(err)
	}
	baseline := writeFile(t, t.TempDir(), "baseline.json", bl.String())

	p = newWidget(t, Config{BaselineFile: baseline}, &log)
	res, suppressed, err := p.Scan(ctx, &scanner.DirSource{Path: dir}, ScanOptions{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || suppressed != 1 {
		t.Fatalf("with a baseline: %d findings, %d suppressed, want 1 and 1", len(res.Findings), suppressed)
	}
	if len(p.Suppressed) != 1 || p.Suppressed[0].Suppressed != SuppressedBaseline || p.Suppressed[0].Root != dir {
		t.Errorf("suppressed: %+v, want the baselined finding, reason %q, root %s", p.Suppressed, SuppressedBaseline, dir)
	}
	if res.Findings[0].Source != "dir" || res.Findings[0].Root != dir {
		t.Errorf("finding source %q root %q, want dir and %s", res.Findings[0].Source, res.Findings[0].Root, dir)
	}
}

func TestScanGitleaksIgnore(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", widget(1)+widget(2))
	writeFile(t, dir, scanner.GitleaksIgnoreFile, "a.txt:widget-code:2\nnot an entry\n")
	writeFile(t, dir, ".gitleaks.toml", "")
	var log bytes.Buffer
	p := newWidget(t, Config{}, &log)
	res, _, err := p.Scan(context.Background(), &scanner.DirSource{Path: dir}, ScanOptions{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Line != 1 {
		t.Errorf("findings %+v, want line 1's only", res.Findings)
	}
	if len(p.Suppressed) != 1 || p.Suppressed[0].Suppressed != SuppressedIgnore {
		t.Errorf("suppressed %+v, want line 2's for %s", p.Suppressed, SuppressedIgnore)
	}
	for _, want := range []string{
		"sprawl: found .gitleaks.toml, which sprawl does not read",
		"sprawl: .gitleaksignore: 1 fingerprint read, 1 findings ignored\n",
		"sprawl: .gitleaksignore: 1 line not a fingerprint",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}

	log.Reset()
	p = newWidget(t, Config{Quiet: true}, &log)
	if _, _, err := p.Scan(context.Background(), &scanner.DirSource{Path: dir}, ScanOptions{}); err != nil {
		t.Fatal(err)
	}
	if log.Len() != 0 {
		t.Errorf("quiet: log %q, want nothing", log.String())
	}
}

// fakeInventory records what a scan hands it and suppresses one secret.
type fakeInventory struct {
	recorded []scanner.Finding
	drop     string // the secret Suppress drops
	err      error  // returned by Suppress
}

func (f *fakeInventory) Record(_ context.Context, src scanner.Source, res scanner.Result, _ []*detectors.Rule) (string, error) {
	f.recorded = res.Findings
	return "recorded " + src.Kind(), nil
}

func (f *fakeInventory) Suppress(_ context.Context, fs []scanner.Finding) ([]scanner.Finding, int, error) {
	if f.err != nil {
		return nil, 0, f.err
	}
	var kept []scanner.Finding
	for _, x := range fs {
		if x.Secret != f.drop {
			kept = append(kept, x)
		}
	}
	return kept, len(fs) - len(kept), nil
}

func (f *fakeInventory) Key() ([]byte, error) { return []byte("inventory-key-for-tests"), nil }

func TestScanInventory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", widget(1)+strings.TrimSuffix(widget(2), "\n")+" // sprawl:allow\n"+widget(3))
	var log bytes.Buffer
	p := newWidget(t, Config{}, &log)
	inv := &fakeInventory{drop: strings.TrimPrefix(strings.TrimSpace(widget(3)), "widgetcode=")}
	res, suppressed, err := p.Scan(context.Background(), &scanner.DirSource{Path: dir}, ScanOptions{Inventory: inv, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	// Every finding is recorded, the silenced one marked.
	silenced := 0
	for _, f := range inv.recorded {
		if f.Suppressed != "" {
			silenced++
		}
	}
	if len(inv.recorded) != 3 || silenced != 1 {
		t.Errorf("recorded %d findings, %d silenced; want 3 and 1", len(inv.recorded), silenced)
	}
	if log.String() != "recorded dir\n" {
		t.Errorf("log %q, want the inventory's summary line", log.String())
	}
	if len(res.Findings) != 1 || suppressed != 1 {
		t.Fatalf("%d findings, %d suppressed; want 1 and 1", len(res.Findings), suppressed)
	}
	want := scanner.Fingerprint([]byte("inventory-key-for-tests"), res.Findings[0].Secret)
	if res.Findings[0].InventoryFingerprint != want {
		t.Errorf("inventory fingerprint %q, want %q", res.Findings[0].InventoryFingerprint, want)
	}
	var reasons []string
	for _, f := range p.Suppressed {
		reasons = append(reasons, f.Suppressed)
	}
	if diff := cmp.Diff([]string{SuppressedInline, SuppressedInventory}, reasons); diff != "" {
		t.Errorf("suppressed reasons (-want +got):\n%s", diff)
	}

	// The inventory's errors reach the caller as they are.
	errStore := errors.New("store gone")
	inv.err = errStore
	if _, _, err := p.Scan(context.Background(), &scanner.DirSource{Path: dir}, ScanOptions{Inventory: inv}); !errors.Is(err, errStore) {
		t.Errorf("Scan: %v, want the inventory's error", err)
	}
	// So do those of Verify.
	inv.err = nil
	errFlags := errors.New("bad flags")
	o := ScanOptions{Inventory: inv, Verify: func() (*Verify, error) { return nil, errFlags }}
	if _, _, err := p.Scan(context.Background(), &scanner.DirSource{Path: dir}, o); !errors.Is(err, errFlags) {
		t.Errorf("Scan: %v, want Verify's error", err)
	}
}

func TestFailing(t *testing.T) {
	p := &Pipeline{Config: Config{FailOn: detectors.SeverityHigh}}
	revokedHigh := scanner.Finding{Severity: detectors.SeverityHigh, Verification: &scanner.Verification{Status: scanner.VerifyRevoked}}
	unknownHigh := scanner.Finding{Severity: detectors.SeverityHigh, Verification: &scanner.Verification{Status: scanner.VerifyUnknown}}
	for _, tc := range []struct {
		name string
		fs   []scanner.Finding
		want bool
	}{
		{"none", nil, false},
		{"below fail-on", []scanner.Finding{{Severity: detectors.SeverityMedium}}, false},
		{"at fail-on", []scanner.Finding{{Severity: detectors.SeverityHigh}}, true},
		{"revoked", []scanner.Finding{revokedHigh}, false},
		{"unknown", []scanner.Finding{unknownHigh}, true},
		{"widened policy", []scanner.Finding{{Severity: detectors.SeverityLow, RuleID: gate.ConfigChangeRule}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Failing(tc.fs); got != tc.want {
				t.Errorf("Failing = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifyFindings(t *testing.T) {
	var log bytes.Buffer
	p := newWidget(t, Config{Verbose: true}, &log)
	fs := []scanner.Finding{
		{RuleID: "widget-code", Secret: "one"},
		{RuleID: "widget-code", Secret: "two"},
		{RuleID: "widget-code", Secret: "three", Verification: &scanner.Verification{Status: scanner.VerifyLive}},
	}
	key := []byte("inventory-key-for-tests")
	v := &Verify{
		Results:     []string{scanner.VerifyUnknown},
		Fingerprint: scanner.Fingerprint(key, "two"),
		Key:         func() ([]byte, error) { return key, nil },
		CachePath:   "off",
	}
	got, err := p.VerifyFindings(context.Background(), v, fs)
	if err != nil {
		t.Fatal(err)
	}
	// Only "two" was asked about (a rule without a validator: unknown);
	// "one" was not sent anywhere, "three" was verified before.
	if fs[0].Verification != nil || fs[1].Verification == nil || fs[1].Verification.Status != scanner.VerifyUnknown {
		t.Errorf("verifications: %+v, %+v; want none and unknown", fs[0].Verification, fs[1].Verification)
	}
	var secrets []string
	for _, f := range got {
		secrets = append(secrets, f.Secret)
	}
	if diff := cmp.Diff([]string{"one", "two"}, secrets); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if want := "sprawl: verified 1 finding: 0 live, 0 revoked, 1 unknown\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}

	// VerifyForInventory leaves findings without a validator alone.
	fs[0].Verification, fs[1].Verification = nil, nil
	if err := p.VerifyForInventory(context.Background(), &Verify{CachePath: "off"}, fs); err != nil {
		t.Fatal(err)
	}
	if fs[0].Verification != nil || fs[1].Verification != nil {
		t.Errorf("VerifyForInventory verified findings whose rule has no validator")
	}

	errKey := errors.New("no key")
	v.Key = func() ([]byte, error) { return nil, errKey }
	if _, err := p.VerifyFindings(context.Background(), v, fs); !errors.Is(err, errKey) {
		t.Errorf("VerifyFindings: %v, want the key's error", err)
	}
}
