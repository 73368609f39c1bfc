package reports

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/scanner"
)

// Fixed moments of the fixture: the third quarter of 2026, reported on
// 5 October.
var (
	q3Since  = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	q3Until  = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	reportAt = time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
)

// fixtureSecret builds an obviously synthetic value; only its keyed
// fingerprint and redacted preview reach the inventory.
func fixtureSecret(name string) string {
	return "SYNTHETIC-FIXTURE-" + strings.ToUpper(name) + "-0000000000000000"
}

type fixtureClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixtureClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixtureClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// fixtureInventory is a small, fixed inventory: two repositories of an
// EHR integration, a cloud key shared by both and by production and
// sandbox paths, an Epic client secret, a database password rotated in
// the quarter, a false positive, a token first seen in the quarter.
func fixtureInventory(t *testing.T) inventory.Store {
	t.Helper()
	ctx := context.Background()
	s, err := inventory.OpenSQLite(ctx, filepath.Join(t.TempDir(), "inventory.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	populateFixture(t, s)
	return s
}

// populateFixture writes the fixture into an empty store.
func populateFixture(t *testing.T, s inventory.Store) {
	t.Helper()
	ctx := context.Background()
	clk := &fixtureClock{}
	if !inventory.SetClock(s, clk.now) {
		t.Fatal("SetClock refused the SQLite store")
	}
	key := []byte("fixture-key-0123456789abcdef")
	classes := map[string]inventory.Class{
		"aws-access-key": inventory.ClassAPIKey, "epic-client-secret": inventory.ClassClientSecret,
		"postgres-password": inventory.ClassPassword, "slack-webhook": inventory.ClassWebhook, "github-pat": inventory.ClassToken,
	}
	find := func(rule string, sev detectors.Severity, secret, path string, line int, commit string, date time.Time) scanner.Finding {
		return scanner.Finding{RuleID: rule, RuleName: rule, Severity: sev, Secret: secret, File: path, Line: line, Commit: commit, Author: "dev", Date: date}
	}
	aws := fixtureSecret("aws")
	epic := fixtureSecret("epic")
	pg := fixtureSecret("postgres")
	hook := fixtureSecret("webhook")
	pat := fixtureSecret("pat")
	old := time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)
	ingest := func(at time.Time, repo string, complete bool, fs ...scanner.Finding) {
		t.Helper()
		clk.set(at)
		if _, err := inventory.Ingest(ctx, s, key, inventory.Scan{
			Source: "git", Repository: repo, Branch: "main", Started: at.Add(-time.Minute), Finished: at,
			Complete: complete, Classes: classes, Actor: "ci",
		}, fs); err != nil {
			t.Fatal(err)
		}
	}
	status := func(at time.Time, secret string, to inventory.Status, actor, reason string) {
		t.Helper()
		clk.set(at)
		if _, err := s.SetStatus(ctx, scanner.Fingerprint(key, secret), inventory.StatusChange{To: to, Actor: actor, Reason: reason, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	gw, app := "https://github.com/acme/ehr-gateway", "https://github.com/acme/fhir-app"
	// Before the quarter.
	ingest(time.Date(2026, 6, 15, 8, 0, 0, 0, time.UTC), gw, true,
		find("aws-access-key", detectors.SeverityCritical, aws, "config/production.env", 3, "c0ffee01", old),
		find("epic-client-secret", detectors.SeverityHigh, epic, "config/sandbox.yaml", 12, "c0ffee02", old.AddDate(0, 1, 0)))
	// In the quarter.
	ingest(time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC), gw, true,
		find("aws-access-key", detectors.SeverityCritical, aws, "config/production.env", 3, "c0ffee01", old),
		find("epic-client-secret", detectors.SeverityHigh, epic, "config/sandbox.yaml", 12, "c0ffee02", old.AddDate(0, 1, 0)),
		find("epic-client-secret", detectors.SeverityHigh, epic, "config/production.yaml", 14, "c0ffee03", time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)),
		find("postgres-password", detectors.SeverityHigh, pg, "deploy/staging/values.yaml", 40, "c0ffee04", time.Date(2026, 7, 8, 0, 0, 0, 0, time.UTC)),
		find("slack-webhook", detectors.SeverityMedium, hook, "docs/example.md", 7, "c0ffee05", time.Date(2026, 7, 9, 0, 0, 0, 0, time.UTC)))
	ingest(time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC), app, true,
		find("aws-access-key", detectors.SeverityCritical, aws, ".env.production", 1, "beef0001", old.AddDate(0, 2, 0)))
	status(time.Date(2026, 7, 12, 14, 0, 0, 0, time.UTC), hook, inventory.StatusFalsePositive, "alice", "documentation placeholder")
	status(time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC), pg, inventory.StatusRotationRequired, "alice", "found in staging values")
	status(time.Date(2026, 8, 20, 16, 0, 0, 0, time.UTC), pg, inventory.StatusRotated, "bob", "rotated in the database; old password dropped")
	// The last scan verified the AWS key: still live.
	liveAWS := find("aws-access-key", detectors.SeverityCritical, aws, ".env.production", 1, "beef0001", old.AddDate(0, 2, 0))
	liveAWS.Verification = &scanner.Verification{Status: scanner.VerifyLive, CheckedAt: time.Date(2026, 9, 2, 7, 59, 0, 0, time.UTC),
		Identity: map[string]string{"account": "111122223333", "arn": "arn:aws:iam::111122223333:user/ci-deploy"}}
	ingest(time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC), app, true,
		liveAWS,
		find("github-pat", detectors.SeverityCritical, pat, "scripts/release.sh", 22, "beef0002", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)))
	ingest(time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC), gw, true,
		find("aws-access-key", detectors.SeverityCritical, aws, "config/production.env", 3, "c0ffee01", old),
		find("epic-client-secret", detectors.SeverityHigh, epic, "config/sandbox.yaml", 12, "c0ffee02", old.AddDate(0, 1, 0)),
		find("epic-client-secret", detectors.SeverityHigh, epic, "config/production.yaml", 14, "c0ffee03", time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)))
	// GitHub Actions secret metadata: DEPLOY_KEY at organisation and
	// repository level (the repository's overrides), old; NPM_TOKEN fresh.
	clk.set(time.Date(2026, 9, 30, 8, 30, 0, 0, time.UTC))
	if _, err := s.RecordCISecrets(ctx, inventory.CISecretBatch{Provider: "github", Owner: "acme", Complete: true,
		Seen: time.Date(2026, 9, 30, 8, 30, 0, 0, time.UTC), Actor: "ci", Secrets: []inventory.CISecretRecord{
			{Store: "actions", Scope: inventory.ScopeOrg, Name: "DEPLOY_KEY", Visibility: "all",
				CreatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)},
			{Store: "actions", Scope: inventory.ScopeRepo, Repository: "acme/ehr-gateway", Name: "DEPLOY_KEY",
				CreatedAt: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)},
			{Store: "dependabot", Scope: inventory.ScopeOrg, Name: "NPM_TOKEN", Visibility: "private",
				CreatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		}}); err != nil {
		t.Fatal(err)
	}
	// An index of the same Vault before the quarter: the managed
	// section's starting figures (the database password then on an old
	// version, overdue).
	clk.set(time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	if _, err := s.RecordVaultIndex(ctx, &inventory.VaultIndexBatch{
		Adapter: "vault", Store: "https://vault.acme.internal:8200", KeyCheck: inventory.KeyCheck(key), Complete: true,
		Mounts: []string{"secret"}, At: time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC), Actor: "ci",
		Entries: []inventory.VaultEntryRecord{
			{Mount: "secret", Path: "ehr-gateway/aws", Field: "secret_access_key", Engine: "kv2", Version: "3",
				Updated: time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), Fingerprint: scanner.Fingerprint(key, aws)},
			{Mount: "secret", Path: "ehr-gateway/db", Field: "password", Engine: "kv2", Version: "6",
				Updated: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Fingerprint: scanner.Fingerprint(key, fixtureSecret("db-old"))},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// AWS Secrets Manager: a secret written once 14 months ago and last
	// read in May; one rotated by its Lambda ten days before the end.
	clk.set(time.Date(2026, 9, 30, 8, 45, 0, 0, time.UTC))
	legacy := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	rotated := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	if _, err := s.RecordVaultIndex(ctx, &inventory.VaultIndexBatch{
		Adapter: "aws", Store: "us-east-1", KeyCheck: inventory.KeyCheck(key), Complete: true,
		At: time.Date(2026, 9, 30, 8, 45, 0, 0, time.UTC), Actor: "ci",
		Entries: []inventory.VaultEntryRecord{
			{Path: "prod/epic-sftp", Field: "password", Engine: "secretsmanager", Version: "v1", VersionAt: legacy, Created: legacy,
				Fingerprint: scanner.Fingerprint(key, fixtureSecret("sftp")), Facts: vault.Facts{Versions: 1, AccessRecorded: true,
					LastAccessed: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), LastChanged: legacy}},
			{Path: "prod/rds-app", Field: "password", Engine: "secretsmanager", Version: "v9", VersionAt: rotated, Created: legacy, AutoRotation: true,
				Fingerprint: scanner.Fingerprint(key, fixtureSecret("rds")), Facts: vault.Facts{Versions: 2, AccessRecorded: true,
					LastAccessed: time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC), LastRotated: rotated, RotationPeriod: 30 * 24 * time.Hour,
					NextRotation: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// Azure Key Vault: an Epic client secret with no expiry.
	clk.set(time.Date(2026, 9, 30, 8, 50, 0, 0, time.UTC))
	enabled := true
	if _, err := s.RecordVaultIndex(ctx, &inventory.VaultIndexBatch{
		Adapter: "azure", Store: "https://acme-ehr.vault.azure.net", KeyCheck: inventory.KeyCheck(key), Complete: true,
		At: time.Date(2026, 9, 30, 8, 50, 0, 0, time.UTC), Actor: "ci",
		Entries: []inventory.VaultEntryRecord{
			{Path: "epic-client-secret", Engine: "keyvault", Version: "0a1b", VersionAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
				Created: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Fingerprint: scanner.Fingerprint(key, fixtureSecret("epic-kv")),
				Facts: vault.Facts{Versions: 3, ExpirySupported: true, Enabled: &enabled, LastChanged: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// A Vault index: the AWS key is also kept in Vault (so its leak is a
	// leaked managed secret); another field holds a value never leaked.
	clk.set(time.Date(2026, 9, 30, 9, 0, 0, 0, time.UTC))
	if _, err := s.RecordVaultIndex(ctx, &inventory.VaultIndexBatch{
		Adapter: "vault", Store: "https://vault.acme.internal:8200", KeyCheck: inventory.KeyCheck(key), Complete: true,
		Mounts: []string{"secret"}, At: time.Date(2026, 9, 30, 9, 0, 0, 0, time.UTC), Actor: "ci",
		Entries: []inventory.VaultEntryRecord{
			{Mount: "secret", Path: "ehr-gateway/aws", Field: "secret_access_key", Engine: "kv2", Version: "3",
				Updated: time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), Fingerprint: scanner.Fingerprint(key, aws)},
			{Mount: "secret", Path: "ehr-gateway/db", Field: "password", Engine: "kv2", Version: "7",
				Updated: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC), Fingerprint: scanner.Fingerprint(key, fixtureSecret("db-new"))},
		},
	}); err != nil {
		t.Fatal(err)
	}
}

func buildFixtureReport(t *testing.T, s inventory.Store, since, until time.Time) *InventoryReport {
	t.Helper()
	r, err := BuildInventoryReport(context.Background(), s, PeriodOptions{Since: since, Until: until, Now: reportAt, Inventory: "fixture.db"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t *testing.T, r *InventoryReport, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteInventoryReport(&b, r, format); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./reports -update and review the diff)\n--- got ---\n%s", name, got)
	}
}

// TestInventoryReportOneScan: a period with a single scan on a single day
// says "1 scan", prints its date once and labels the lone point.
func TestInventoryReportOneScan(t *testing.T) {
	s := fixtureInventory(t)
	d := time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC)
	r := buildFixtureReport(t, s, d, d.AddDate(0, 0, 1))
	if len(r.Trend) != 1 || len(r.Scans) != 1 {
		t.Fatalf("trend %+v, scans %d: want one point, one scan", r.Trend, len(r.Scans))
	}
	html := string(render(t, r, "html"))
	if !strings.Contains(html, "(1 scan)") || strings.Contains(html, "(1 scans)") {
		t.Error(`the trend heading does not say "(1 scan)"`)
	}
	start := strings.Index(html, `<svg class="chart trend"`)
	chart := html[start : start+strings.Index(html[start:], "</svg>")]
	if n := strings.Count(chart, "2026-09-02</text>"); n != 1 {
		t.Errorf("the one-day axis prints the date %d times, want once:\n%s", n, chart)
	}
	if !strings.Contains(chart, `class="lone"`) || !strings.Contains(chart, "open on 2026-09-02 (1 scan)") {
		t.Errorf("the lone point is not labelled:\n%s", chart)
	}
}

// TestNewLeaksFileColumn: every format's new-leaks table says which file.
func TestNewLeaksFileColumn(t *testing.T) {
	r := buildFixtureReport(t, fixtureInventory(t), q3Since, q3Until)
	for _, format := range []string{"html", "markdown", "table"} {
		out := string(render(t, r, format))
		i := strings.Index(out, "New leaks in the period")
		j := strings.Index(out, "Rotations in the period")
		if i < 0 || j < i {
			t.Fatalf("%s: no new leaks section", format)
		}
		sec := strings.ReplaceAll(out[i:j], "<wbr>", "")
		// HTML names repository and file in one column, for width.
		header := map[string]string{"html": "Where", "markdown": "File", "table": "File"}[format]
		for _, want := range []string{header, "scripts/release.sh", "deploy/staging/values.yaml"} {
			if !strings.Contains(sec, want) {
				t.Errorf("%s: %q missing from the new leaks table", format, want)
			}
		}
	}
}

// TestBreakable: paths break after separators only, and stay escaped.
func TestBreakable(t *testing.T) {
	got := string(breakable(`https://github.com/acme/a<b>/x.env#k`))
	want := `https:<wbr>/<wbr>/<wbr>github.com/<wbr>acme/<wbr>a&lt;b&gt;/<wbr>x.env#<wbr>k`
	if got != want {
		t.Errorf("breakable = %s, want %s", got, want)
	}
}

func TestInventoryReportGolden(t *testing.T) {
	s := fixtureInventory(t)
	r := buildFixtureReport(t, s, q3Since, q3Until)
	for _, f := range []struct{ format, file string }{
		{"markdown", "inventory_report.golden.md"},
		{"csv", "inventory_report.golden.csv"},
		{"json", "inventory_report.golden.json"},
		{"table", "inventory_report.golden.txt"},
	} {
		t.Run(f.format, func(t *testing.T) { checkGolden(t, f.file, render(t, r, f.format)) })
	}
}

// TestInventoryReportContent asserts the figures the goldens show, so a
// wrong golden cannot be blessed unnoticed.
func TestInventoryReportContent(t *testing.T) {
	s := fixtureInventory(t)
	r := buildFixtureReport(t, s, q3Since, q3Until)
	if r.Title != "Secret inventory review 2026-Q3" {
		t.Errorf("title %q", r.Title)
	}
	sum := r.Summary
	if sum.Secrets != 5 || sum.Open != 3 || sum.NewInPeriod != 3 || sum.RotatedInPeriod != 1 || sum.ScansInPeriod != 4 {
		t.Errorf("summary %+v: want 5 secrets, 3 open, 3 new, 1 rotated, 4 scans", sum)
	}
	if sum.MultiRepository != 1 || sum.SharedEnvironments != 1 {
		t.Errorf("multi-repository %d, shared %d: want the AWS key in two repositories and the Epic secret in sandbox and production", sum.MultiRepository, sum.SharedEnvironments)
	}
	// The rotation: staging password first committed 8 July, rotated 20 August.
	if len(r.Rotations) != 1 || r.Rotations[0].RuleID != "postgres-password" || r.Rotations[0].DaysExposed != 43 || r.Rotations[0].Actor != "bob" {
		t.Errorf("rotations %+v", r.Rotations)
	}
	// Overdue: the AWS key (Dec 2025, 90 d), Epic secret (Jan 2026, 90 d),
	// and the token (1 h) — not the rotated password nor the false positive.
	var overdue []string
	for _, o := range r.Overdue {
		overdue = append(overdue, o.RuleID)
	}
	if strings.Join(overdue, ",") != "aws-access-key,epic-client-secret,github-pat" {
		t.Errorf("overdue %v", overdue)
	}
	if len(r.TopRepositories) != 2 || r.TopRepositories[0].Repository != "https://github.com/acme/fhir-app" || r.TopRepositories[0].Critical != 2 {
		t.Errorf("top repositories %+v", r.TopRepositories)
	}
	// Trend: 10 July (4 open: aws, epic, pg, webhook), 2 Sept (pg rotated,
	// webhook a false positive, token new: 3), 30 Sept (3).
	var trend []int
	for _, p := range r.Trend {
		trend = append(trend, p.Open)
	}
	if len(trend) != 3 || trend[0] != 4 || trend[1] != 3 || trend[2] != 3 {
		t.Errorf("trend %+v", r.Trend)
	}
	if !r.Audit.Verified || r.Audit.Entries != 14 || len(r.Audit.HeadHash) != 64 {
		t.Errorf("audit %+v: want verified, 14 entries (5 ingests, 1 verification, 3 status changes, 1 CI secret listing, 4 vault indexes)", r.Audit)
	}
	// Live leaked secrets: the AWS key, verified live by the last scan,
	// with its checked-at time and identity; the section comes first in
	// every document format.
	if len(r.LiveLeaks) != 1 || r.Verified != 1 || r.LiveLeaks[0].RuleID != "aws-access-key" || r.LiveLeaks[0].Verification == nil ||
		r.LiveLeaks[0].Verification.Identity["account"] != "111122223333" {
		t.Errorf("live leaks %+v (verified %d): want the AWS key, verified live as account 111122223333", r.LiveLeaks, r.Verified)
	}
	for _, format := range []string{"markdown", "html", "table"} {
		out := string(render(t, r, format))
		live := strings.Index(out, "Live leaked secrets")
		summary := strings.Index(out, "Summary")
		if format == "table" {
			summary = strings.Index(out, "Secrets in inventory")
		}
		if live < 0 || summary < 0 || live > summary || !strings.Contains(out, "account=111122223333") || !strings.Contains(out, "2026-09-02T07:59:00Z") {
			t.Errorf("%s: want the live section first, with identity and checked-at time", format)
		}
	}
	// CI secrets: the org DEPLOY_KEY is overdue (updated Nov 2025, 90 d)
	// and shares its name with the repository's; NPM_TOKEN is fine.
	if sum.CISecrets != 3 || sum.CISecretsOverdue != 1 || sum.CISecretsSameName != 2 || len(r.CISecrets) != 2 ||
		r.CISecrets[0].Name != "DEPLOY_KEY" || !r.CISecrets[0].Overdue || r.CISecrets[0].Place != "org" ||
		strings.Join(r.CISecrets[0].SameName, ",") != "repo acme/ehr-gateway" || r.CISecrets[1].Overdue {
		t.Errorf("CI secrets: summary %+v, rows %+v", sum, r.CISecrets)
	}
	// The AWS key is held in Vault: a leaked managed secret; the Epic
	// secret and the token are in no vault.
	if sum.VaultEntries != 5 || sum.LeakedManaged != 1 || sum.LeakedUnmanaged != 2 || len(r.LeakedManaged) != 1 ||
		r.LeakedManaged[0].RuleID != "aws-access-key" || r.LeakedManaged[0].Entries[0].Where != "vault https://vault.acme.internal:8200 secret/ehr-gateway/aws#secret_access_key" {
		t.Errorf("vault correlation: summary %+v, managed %+v", sum, r.LeakedManaged)
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes on a healthy quarter: %q", r.Notes)
	}
	// The false positive stands with its reason, in the decisions and on
	// the secret's row.
	if len(r.Decisions) != 1 || r.Decisions[0].RuleID != "slack-webhook" || r.Decisions[0].Reason != "documentation placeholder" ||
		r.Decisions[0].Actor != "alice" || !r.Decisions[0].InPeriod || strings.Join(r.Decisions[0].Files, ",") != "https://github.com/acme/ehr-gateway docs/example.md" {
		t.Errorf("decisions %+v", r.Decisions)
	}
	for _, format := range []string{"html", "markdown", "csv", "json", "table"} {
		if out := render(t, r, format); !bytes.Contains(out, []byte("documentation placeholder")) {
			t.Errorf("%s: the false positive's reason is missing", format)
		}
	}
	// The CSV has one row per secret and location (2+2+1+1+1), then one
	// per managed secret (5 vault fields, 3 CI secrets).
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+7+8 {
		t.Errorf("csv rows %d, want header + 7 + 8", len(rows))
	}
	managedCSV := 0
	for _, row := range rows {
		if strings.HasPrefix(row[14], "managed:") {
			managedCSV++
		}
	}
	if managedCSV != 8 {
		t.Errorf("csv: %d managed rows, want 8", managedCSV)
	}
	// No format carries a secret value.
	for _, f := range InventoryFormats() {
		out := render(t, r, f)
		if bytes.Contains(out, []byte("SYNTHETIC-FIXTURE")) || bytes.Contains(out, []byte("0000000000000000")) {
			t.Errorf("%s output contains a secret value", f)
		}
	}
}

// TestInventoryReportManaged asserts the "Managed secrets against
// policy" figures the goldens show: at 2026-10-05 the Vault AWS key
// (changed Nov 2025) and the Secrets Manager SFTP password (written Aug
// 2025, last read in May) are overdue, as is the org's DEPLOY_KEY; the
// Azure client secret has no expiry; only the RDS password rotates by
// itself. At the quarter's start (the June index) Vault held two overdue
// fields.
func TestInventoryReportManaged(t *testing.T) {
	s := fixtureInventory(t)
	r := buildFixtureReport(t, s, q3Since, q3Until)
	m := r.Managed
	want := inventory.ManagedCounts{Total: 8, Overdue: 3, NeverRotated: 3, RotationDisabled: 7, NoExpiry: 1, Unused: 1, Leaked: 1, AutoRotation: 1}
	if d := cmp.Diff(want, m.ManagedCounts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if m.AutoRotationShare != 0.125 {
		t.Errorf("auto-rotation share %v, want 0.125", m.AutoRotationShare)
	}
	var stores []string
	for _, st := range m.ByStore {
		stores = append(stores, fmt.Sprintf("%s %s %d/%d", st.Kind, st.Store, st.Overdue, st.Total))
	}
	if d := cmp.Diff([]string{"aws us-east-1 1/2", "azure https://acme-ehr.vault.azure.net 0/1", "ci github acme actions 1/2",
		"ci github acme dependabot 0/1", "vault https://vault.acme.internal:8200 1/2"}, stores); d != "" {
		t.Errorf("by store (-want +got):\n%s", d)
	}
	var overdue []string
	for _, o := range m.OverdueSecrets {
		overdue = append(overdue, fmt.Sprintf("%s %s %dd/%s", o.Store, o.Where, o.AgeDays, o.MaxAge))
	}
	if d := cmp.Diff([]string{"aws us-east-1 prod/epic-sftp#password 430d/90d", "ci github acme actions org DEPLOY_KEY 319d/90d",
		"vault https://vault.acme.internal:8200 secret/ehr-gateway/aws#secret_access_key 309d/90d"}, overdue); d != "" {
		t.Errorf("overdue list, oldest first (-want +got):\n%s", d)
	}
	if len(m.NeverRotatedSecrets) != 3 || m.NeverRotatedSecrets[0].Where != "prod/epic-sftp#password" {
		t.Errorf("never rotated: %+v", m.NeverRotatedSecrets)
	}
	prev := inventory.ManagedCounts{Total: 2, Overdue: 2, RotationDisabled: 2, Leaked: 1}
	if m.Previous == nil || *m.Previous != prev || m.Change == nil || m.Change.Total != 6 || m.Change.Overdue != 1 || m.Change.NeverRotated != 3 {
		t.Errorf("previous %+v, change %+v; want previous %+v", m.Previous, m.Change, prev)
	}
	if len(m.Secrets) != 8 {
		t.Fatalf("%d assessed secrets in the report, want 8", len(m.Secrets))
	}
	// The JSON report carries every assessed field of every secret.
	var doc struct {
		Managed struct {
			Secrets []map[string]any `json:"secrets"`
		} `json:"managed"`
	}
	if err := json.Unmarshal(render(t, r, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	var sftp map[string]any
	for _, x := range doc.Managed.Secrets {
		if x["path"] == "prod/epic-sftp" {
			sftp = x
		}
	}
	for _, k := range []string{"kind", "store", "engine", "path", "field", "fingerprint", "version", "class", "class_from", "created", "changed", "age",
		"max_age", "max_age_from", "auto_rotation", "unused_for", "overdue", "never_rotated", "rotation_disabled", "no_expiry", "expired_enabled",
		"unused", "leaked", "states", "last_accessed", "access_recorded", "last_changed", "versions", "last_indexed"} {
		if _, ok := sftp[k]; !ok {
			t.Errorf("JSON report: the SFTP password lacks %q: %v", k, sftp)
		}
	}
	if sftp["overdue"] != true || sftp["unused"] != true || sftp["never_rotated"] != true {
		t.Errorf("JSON verdicts of the SFTP password: %v", sftp)
	}
}

func TestInventoryReportEmpty(t *testing.T) {
	s, err := inventory.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := buildFixtureReport(t, s, q3Since, q3Until)
	if len(r.Notes) != 2 || !strings.Contains(r.Notes[0], "holds no secrets") || !strings.Contains(r.Notes[1], "No scans were recorded") {
		t.Errorf("notes %q", r.Notes)
	}
	if !r.Audit.Verified || r.Audit.Entries != 0 {
		t.Errorf("audit %+v", r.Audit)
	}
	for _, f := range InventoryFormats() {
		out := render(t, r, f)
		if f == "csv" {
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil || len(rows) != 1 {
				t.Errorf("csv of an empty inventory: %d rows, %v", len(rows), err)
			}
			continue
		}
		if f == "json" {
			var back InventoryReport
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("json: %v", err)
			}
			if back.Secrets == nil || back.Trend == nil || back.NewLeaks == nil {
				t.Errorf("json of an empty inventory has null lists: %s", out)
			}
			continue
		}
		if !bytes.Contains(out, []byte("holds no secrets")) {
			t.Errorf("%s report of an empty inventory does not say so:\n%s", f, out)
		}
	}
	checkGolden(t, "inventory_report_empty.golden.md", render(t, r, "markdown"))
}

func TestInventoryReportPeriodWithoutScans(t *testing.T) {
	s := fixtureInventory(t)
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := buildFixtureReport(t, s, since, since.AddDate(0, 3, 0))
	if r.Title != "Secret inventory review 2026-Q1" {
		t.Errorf("title %q", r.Title)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "No scans were recorded between 2026-01-01 and 2026-03-31") {
		t.Errorf("notes %q", r.Notes)
	}
	if len(r.Trend) != 0 || len(r.NewLeaks) != 0 || len(r.Rotations) != 0 || r.Summary.Secrets != 5 {
		t.Errorf("a quarter without scans: trend %d, new %d, rotations %d, secrets %d", len(r.Trend), len(r.NewLeaks), len(r.Rotations), r.Summary.Secrets)
	}
	md := string(render(t, r, "markdown"))
	for _, want := range []string{"No scans were recorded", "there is no trend", "No secret was first seen in this period."} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	h := string(render(t, r, "html"))
	if !strings.Contains(h, "No scans were recorded in this period, so there is no trend to draw.") {
		t.Error("html does not say the period has no scans")
	}
}

func TestInventoryReportTamperedAudit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inv.db")
	s, err := inventory.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("fixture-key-0123456789abcdef")
	if _, err := inventory.Ingest(context.Background(), s, key, inventory.Scan{Source: "dir", Repository: "/srv/app", Finished: q3Since.AddDate(0, 0, 3), Complete: true},
		[]scanner.Finding{{RuleID: "r", Severity: detectors.SeverityHigh, Secret: fixtureSecret("x"), File: "a.env", Line: 1}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	tamperAudit(t, path)
	s, err = inventory.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := buildFixtureReport(t, s, q3Since, q3Until)
	if r.Audit.Verified || r.Audit.Problem == "" {
		t.Fatalf("audit %+v: want broken", r.Audit)
	}
	if !strings.Contains(string(render(t, r, "html")), "Audit log BROKEN") || !strings.Contains(string(render(t, r, "markdown")), "BROKEN") {
		t.Error("a broken chain is not shown")
	}
}

func TestParseQuarterAndLastFullQuarter(t *testing.T) {
	since, until := LastFullQuarter(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	if !since.Equal(q3Since) || !until.Equal(q3Until) {
		t.Errorf("last full quarter of 27 Nov 2026: %s–%s", since, until)
	}
	since, until = LastFullQuarter(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	if since != time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC) || until != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("last full quarter of 1 Feb 2026: %s–%s", since, until)
	}
	for _, in := range []string{"2026-Q3", "2026q3", "2026Q3"} {
		s, u, err := ParseQuarter(in, time.UTC)
		if err != nil || !s.Equal(q3Since) || !u.Equal(q3Until) {
			t.Errorf("ParseQuarter(%q) = %s, %s, %v", in, s, u, err)
		}
	}
	for _, bad := range []string{"2026-Q5", "Q3", "2026-07", ""} {
		if _, _, err := ParseQuarter(bad, time.UTC); err == nil {
			t.Errorf("ParseQuarter(%q) accepted", bad)
		}
	}
}

func TestInventoryReportUnknownFormat(t *testing.T) {
	err := WriteInventoryReport(&bytes.Buffer{}, &InventoryReport{}, "pdf")
	if err == nil || !strings.Contains(err.Error(), "html") {
		t.Errorf("unknown format: %v", err)
	}
}

// tamperAudit edits the first audit entry behind the store's back.
func tamperAudit(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
}

// The same inventory in PostgreSQL gives the very same report, byte for
// byte (audit head hash included): the report does not depend on the
// backend.
func TestInventoryReportSameOnPostgres(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./reports/)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("sprawl_report_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	pg, err := inventory.OpenPostgres(context.Background(), dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	populateFixture(t, pg)
	want := render(t, buildFixtureReport(t, fixtureInventory(t), q3Since, q3Until), "json")
	got := render(t, buildFixtureReport(t, pg, q3Since, q3Until), "json")
	if !bytes.Equal(got, want) {
		t.Errorf("PostgreSQL report differs from SQLite's:\n%s", got)
	}
}

// Scans on more than 62 days make a weekly trend: one point per ISO week
// (ending Monday 00:00), none past the period's end, counts replayed from
// the status history.
func TestTrendWeekly(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // a Thursday
	until := since.AddDate(0, 3, 0)
	var scans []ScanRow
	for d := since; d.Before(until); d = d.AddDate(0, 0, 1) {
		scans = append(scans, ScanRow{Finished: d.Add(10 * time.Hour)})
	}
	fixed := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	entries := []inventory.Entry{
		{Secret: inventory.Secret{Fingerprint: "a", Status: inventory.StatusOpen, FirstSeen: since.Add(time.Hour)}},
		{Secret: inventory.Secret{Fingerprint: "b", Status: inventory.StatusRotated, FirstSeen: since.AddDate(0, 0, 20)}},
	}
	history := map[string][]inventory.StatusEvent{"b": {{From: inventory.StatusOpen, To: inventory.StatusRotated, At: fixed}}}
	pts := trend(entries, history, scans, since, until)
	if len(pts) < 13 || len(pts) > 14 {
		t.Fatalf("%d points for 90 days of daily scans, want one per week", len(pts))
	}
	total := 0
	for i, p := range pts {
		total += p.Scans
		if i > 0 && !p.At.After(pts[i-1].At) {
			t.Errorf("points out of order at %d", i)
		}
		if !p.At.Before(until) {
			t.Errorf("point %s at or past the period's end", p.At)
		}
		want := 1
		if p.At.After(since.AddDate(0, 0, 20)) && p.At.Before(fixed) {
			want = 2
		}
		if p.Open != want {
			t.Errorf("%s: %d open, want %d", p.At.Format(time.DateOnly), p.Open, want)
		}
	}
	if total != len(scans) {
		t.Errorf("weekly points hold %d scans, want all %d", total, len(scans))
	}
}

// Documents cap their tables (HTML and Markdown at 200 rows, the terminal
// at 25) and say how many rows they left out; CSV and JSON keep all.
func TestInventoryReportCapsLongTables(t *testing.T) {
	s, err := inventory.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := buildFixtureReport(t, s, q3Since, q3Until)
	for i := 0; i < 250; i++ {
		row := SecretRow{Fingerprint: fmt.Sprintf("%032x", i), Preview: "SYN****", RuleID: "rule-x", Severity: "high", Status: "open",
			FirstSeen: q3Since.AddDate(0, 0, 1), Locations: []LocationRow{{Source: "git", Repository: "r", Path: "p"}}}
		r.NewLeaks = append(r.NewLeaks, row)
		r.Secrets = append(r.Secrets, row)
	}
	html := string(render(t, r, "html"))
	if n := strings.Count(html, `<td class="date" data-sort="`+fmt.Sprint(q3Since.AddDate(0, 0, 1).Unix())+`">`); n != 200 {
		t.Errorf("html new-leaks rows: %d, want 200", n)
	}
	if !strings.Contains(html, "Showing the first 200 of 250") {
		t.Error("html does not say rows were left out")
	}
	md := string(render(t, r, "markdown"))
	if n := strings.Count(md, "| rule-x |"); n != 200 || !strings.Contains(md, "Showing the first 200 of 250") {
		t.Errorf("markdown rows: %d, want 200 and a note", n)
	}
	tbl := string(render(t, r, "table"))
	if n := strings.Count(tbl, "rule-x"); n != 25 || !strings.Contains(tbl, "… and 225 more") {
		t.Errorf("terminal rows: %d, want 25 and a note", n)
	}
	if n := strings.Count(string(render(t, r, "csv")), ",rule-x,"); n != 250 {
		t.Errorf("csv rows: %d, want all 250", n)
	}
}

// A report narrowed to one repository keeps that repository's secrets,
// scans and CI secrets (and the organisation's, which it inherits).
func TestInventoryReportRepositoryScope(t *testing.T) {
	s := fixtureInventory(t)
	r, err := BuildInventoryReport(context.Background(), s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt, Repository: "acme/fhir-app"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Secret inventory review 2026-Q3 — repositories matching acme/fhir-app" || r.Scope != "acme/fhir-app" {
		t.Errorf("title %q scope %q", r.Title, r.Scope)
	}
	// fhir-app holds the AWS key (shared with ehr-gateway) and the token.
	var rules []string
	for _, sec := range r.Secrets {
		rules = append(rules, sec.RuleID)
	}
	if strings.Join(rules, ",") != "aws-access-key,github-pat" || r.Summary.ScansInPeriod != 2 {
		t.Errorf("secrets %v, scans %d: want the AWS key and the token, 2 scans", rules, r.Summary.ScansInPeriod)
	}
	// The org-level DEPLOY_KEY applies; ehr-gateway's repository secret does not.
	if len(r.CISecrets) != 1 || r.CISecrets[0].Place != "org" {
		t.Errorf("CI secrets %+v", r.CISecrets)
	}
	r, err = BuildInventoryReport(context.Background(), s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt, Repository: "nothing-matches", Title: "Team X"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], `no secrets in repositories matching "nothing-matches"`) {
		t.Errorf("notes %q", r.Notes)
	}
	if r.Title != "Team X" || r.Summary.Secrets != 0 || len(r.Scans) != 0 || len(r.CISecrets) != 0 {
		t.Errorf("a scope matching nothing: %q, %d secrets, %d scans, %d CI secrets", r.Title, r.Summary.Secrets, len(r.Scans), len(r.CISecrets))
	}
}

// The stderr line of a written report names its last day, not the
// exclusive end, and quotes its title (a --title is the user's text).
func TestInventoryReportLine(t *testing.T) {
	since, until, err := ParseQuarter("2026-Q3", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	r := &InventoryReport{Title: "Q3 \x1b[31mreview", Since: since, Until: until}
	r.Summary.Secrets, r.Summary.NewInPeriod, r.Summary.RotatedInPeriod, r.Summary.Overdue = 12, 3, 2, 1
	want := `sprawl: wrote html report "Q3 \x1b[31mreview" for 2026-07-01 to 2026-09-30 to q3.html: 12 secrets, 3 new, 2 rotated, 1 overdue`
	if got := InventoryReportLine("html", "q3.html", r); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
