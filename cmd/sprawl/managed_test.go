package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// managedFixture fills fakes of the three stores with secrets of known
// age, rotation, expiry and use, and indexes them into db.
type managedFixture struct {
	db     string
	s      *session
	hv     *vaulttest.Vault
	sm     *vaulttest.AWS
	az     *vaulttest.Azure
	values []string
	key    []byte
}

func newManagedFixture(t *testing.T) *managedFixture {
	dir := isolate(t)
	keyHex := hex.EncodeToString(randomKey(t))
	t.Setenv(envKey, keyHex)
	f := &managedFixture{db: filepath.Join(dir, "inv.db"), s: &session{t: t}, key: []byte(keyHex)}
	now := time.Now().UTC()
	daysAgo := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	val := func() string { v := hex.EncodeToString(randomKey(t)); f.values = append(f.values, v); return v }

	vaultToken := hex.EncodeToString(randomKey(t))
	f.hv = vaulttest.NewVault(t, vaultToken)
	// Written 400 days ago, never again: overdue under 90 days.
	f.hv.PutAt("secret", "payments/stripe", map[string]any{"api_key": val()}, daysAgo(400))
	f.hv.SetRetention("secret", "payments/stripe", 5, 0)
	// A client secret of 60 days: within the class's 90 days, past a
	// 30-day override for secret/epic/*.
	f.hv.PutAt("secret", "epic/fhir", map[string]any{"client_secret": val()}, daysAgo(200))
	f.hv.PutAt("secret", "epic/fhir", map[string]any{"client_secret": val()}, daysAgo(60))
	// A token whose value a rule recognises (class from the rule).
	gh := ghToken(t)
	f.values = append(f.values, gh)
	f.hv.PutAt("secret", "ci/github", map[string]any{"value": gh}, daysAgo(10))
	// A database static role Vault rotated yesterday.
	f.hv.AddRole("database", "app", &vaulttest.Role{Username: "app", Password: val(), LastRotation: daysAgo(1), RotationPeriod: 7 * 24 * time.Hour})
	t.Setenv("VAULT_ADDR", f.hv.URL)
	t.Setenv("VAULT_TOKEN", vaultToken)
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")

	f.sm = vaulttest.NewAWS(t)
	f.sm.PutAt("prod/legacy", val(), daysAgo(400))
	f.sm.Update("prod/legacy", func(s *vaulttest.SMSecret) { s.LastAccessed = daysAgo(2) })
	// Rotation enabled, rotated two days ago: not overdue.
	f.sm.PutAt("prod/rotating", val(), daysAgo(300))
	f.sm.PutAt("prod/rotating", val(), daysAgo(2))
	f.sm.EnableRotation("prod/rotating", nil)
	f.sm.Update("prod/rotating", func(s *vaulttest.SMSecret) {
		s.LastRotated, s.LastAccessed, s.NextRotation, s.RotationDays = daysAgo(2), daysAgo(1), now.Add(28*24*time.Hour), 30
	})
	// Last read 120 days ago: unused at 90 days.
	doc, _ := json.Marshal(map[string]string{"username": "report", "password": val()})
	f.sm.PutAt("prod/idle", string(doc), daysAgo(30))
	f.sm.Update("prod/idle", func(s *vaulttest.SMSecret) { s.LastAccessed = daysAgo(120) })
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": f.sm.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDFAKE",
		"AWS_SECRET_ACCESS_KEY": "fake", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}

	f.az = vaulttest.NewAzure(t)
	f.az.SetAt("no-expiry", val(), daysAgo(20), nil)
	future, past := now.Add(30*24*time.Hour), daysAgo(5)
	// Written 400 days ago, with an expiry: overdue under 90 days.
	f.az.SetAt("ancient", val(), daysAgo(400), func(v *vaulttest.AzVersion) { v.Expires = &future })
	// A certificate's secret Key Vault renewed five days ago.
	f.az.SetAt("tls-cert", val(), daysAgo(400), func(v *vaulttest.AzVersion) { v.Managed, v.Expires = true, &future })
	f.az.SetAt("tls-cert", val(), daysAgo(5), func(v *vaulttest.AzVersion) { v.Managed, v.Expires = true, &future })
	f.az.SetAt("expiring", val(), daysAgo(20), func(v *vaulttest.AzVersion) { v.Expires = &future })
	f.az.SetAt("expired", val(), daysAgo(20), func(v *vaulttest.AzVersion) { v.Expires = &past })
	azureTestOptions = func() azurekv.Config {
		return f.az.Config(-1)
	}
	t.Cleanup(func() { azureTestOptions = nil })
	t.Setenv("AZURE_KEYVAULT_URL", f.az.URL)

	f.s.run(0, "vault", "index", "--adapter", "vault", "--db-mount", "database", "--mount", "secret", "--inventory", f.db)
	f.s.run(0, "vault", "index", "--adapter", "aws", "--inventory", f.db)
	f.s.run(0, "vault", "index", "--adapter", "azure", "--inventory", f.db)
	return f
}

func (f *managedFixture) assess(args ...string) map[string]inventory.ManagedSecret {
	f.s.t.Helper()
	out, _ := f.s.run(0, append([]string{"inventory", "managed", "--format", "json", "--inventory", f.db}, args...)...)
	var ms []inventory.ManagedSecret
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		f.s.t.Fatalf("managed json: %v\n%s", err, out)
	}
	got := map[string]inventory.ManagedSecret{}
	for _, m := range ms {
		got[m.Kind+" "+m.Where()] = m
	}
	return got
}

func keys(m map[string]inventory.ManagedSecret) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestManagedAcceptance: the acceptance points against the fakes
// of all three stores, through the commands.
func TestManagedAcceptance(t *testing.T) {
	f := newManagedFixture(t)
	all := f.assess()
	want := []string{
		"aws prod/idle#password", "aws prod/idle#username", "aws prod/legacy", "aws prod/rotating",
		"azure ancient", "azure expired", "azure expiring", "azure no-expiry", "azure tls-cert",
		"vault database/app#password", "vault secret/ci/github#value", "vault secret/epic/fhir#client_secret", "vault secret/payments/stripe#api_key",
	}
	if d := cmp.Diff(want, keys(all)); d != "" {
		t.Fatalf("assessed secrets (-want +got):\n%s", d)
	}
	type verdict struct {
		Overdue, NeverRotated, RotationDisabled, NoExpiry, ExpiredEnabled, Unused bool
		Class                                                                     inventory.Class
		ClassFrom                                                                 string
	}
	got := map[string]verdict{}
	for k, m := range all {
		got[k] = verdict{m.Overdue, m.NeverRotated, m.RotationDisabled, m.NoExpiry, m.ExpiredEnabled, m.Unused, m.Class, m.ClassFrom}
	}
	wantV := map[string]verdict{
		// Written 400 days ago without rotation: overdue under 90 days.
		"vault secret/payments/stripe#api_key": {Overdue: true, NeverRotated: true, RotationDisabled: true, Class: inventory.ClassAPIKey, ClassFrom: "name"},
		"aws prod/legacy":                      {Overdue: true, NeverRotated: true, RotationDisabled: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		// Rotation enabled and a recent rotation: not overdue.
		"aws prod/rotating":           {Class: inventory.ClassAPIKey, ClassFrom: "default"},
		"vault database/app#password": {Class: inventory.ClassPassword, ClassFrom: "name"},
		// Default unused threshold (90 days): last read 120 days ago.
		"aws prod/idle#password":               {RotationDisabled: true, NeverRotated: true, Unused: true, Class: inventory.ClassPassword, ClassFrom: "name"},
		"aws prod/idle#username":               {RotationDisabled: true, NeverRotated: true, Unused: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		"vault secret/epic/fhir#client_secret": {RotationDisabled: true, Class: inventory.ClassClientSecret, ClassFrom: "name"},
		"vault secret/ci/github#value":         {RotationDisabled: true, NeverRotated: true, Class: inventory.ClassAPIKey, ClassFrom: "rule"},
		// An Azure secret without expiry is flagged; an expired enabled one too.
		"azure no-expiry": {RotationDisabled: true, NeverRotated: true, NoExpiry: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		"azure expiring":  {RotationDisabled: true, NeverRotated: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		"azure expired":   {RotationDisabled: true, NeverRotated: true, ExpiredEnabled: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		"azure ancient":   {Overdue: true, RotationDisabled: true, NeverRotated: true, Class: inventory.ClassAPIKey, ClassFrom: "default"},
		// Renewed by Key Vault five days ago: not overdue.
		"azure tls-cert": {Class: inventory.ClassAPIKey, ClassFrom: "default"},
	}
	if d := cmp.Diff(wantV, got); d != "" {
		t.Errorf("verdicts (-want +got):\n%s", d)
	}
	if m := all["vault secret/ci/github#value"]; m.RuleID != "github-pat" {
		t.Errorf("rule of the indexed GitHub token = %q, want github-pat", m.RuleID)
	}
	if m := all["vault secret/payments/stripe#api_key"]; m.MaxVersions != 5 || m.Versions != 1 || m.MaxAge != inventory.Duration(90*24*time.Hour) {
		t.Errorf("KV facts: max_versions %d, versions %d, max age %s", m.MaxVersions, m.Versions, m.MaxAge)
	}
	if m := all["vault database/app#password"]; !m.AutoRotation || m.RotationPeriod != 7*24*time.Hour || m.LastRotated.IsZero() {
		t.Errorf("static role facts: %+v", m)
	}
	if m := all["aws prod/rotating"]; !m.AutoRotation || m.RotationPeriod != 30*24*time.Hour || m.NextRotation.IsZero() || m.Versions != 2 {
		t.Errorf("AWS rotation facts: %+v", m.Facts)
	}

	// An AWS secret unaccessed for 120 days is unused at --unused 90d,
	// and not at 180d; no store that does not record reads is.
	unused := f.assess("--unused", "90d")
	if d := cmp.Diff([]string{"aws prod/idle#password", "aws prod/idle#username"}, keys(unused)); d != "" {
		t.Errorf("--unused 90d (-want +got):\n%s", d)
	}
	if n := len(f.assess("--unused", "180d")); n != 0 {
		t.Errorf("--unused 180d: %d secrets, want none", n)
	}
	if d := cmp.Diff([]string{"azure no-expiry"}, keys(f.assess("--no-expiry"))); d != "" {
		t.Errorf("--no-expiry (-want +got):\n%s", d)
	}
	overdue := []string{"aws prod/legacy", "azure ancient", "vault secret/payments/stripe#api_key"}
	if d := cmp.Diff(overdue, keys(f.assess("--overdue"))); d != "" {
		t.Errorf("--overdue (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"aws prod/legacy"}, keys(f.assess("--overdue", "--store", "aws"))); d != "" {
		t.Errorf("--overdue --store aws (-want +got):\n%s", d)
	}

	// A per-path override changes the verdict: client secrets under
	// secret/epic/ at 30 days make the 60-day one overdue.
	f.s.run(0, "inventory", "policy", "set", "--max-age", "path:secret/epic/*#client-secret=30d", "--reason", "Epic client secrets", "--inventory", f.db)
	after := f.assess("--overdue")
	if d := cmp.Diff(append(overdue[:2:2], "vault secret/epic/fhir#client_secret", overdue[2]), keys(after)); d != "" {
		t.Errorf("--overdue after the path override (-want +got):\n%s", d)
	}
	if m := after["vault secret/epic/fhir#client_secret"]; m.MaxAgeFrom != "path secret/epic/*#client-secret" || m.MaxAge != inventory.Duration(30*24*time.Hour) {
		t.Errorf("override: max age %s from %q", m.MaxAge, m.MaxAgeFrom)
	}

	// Table and CSV carry the same verdicts.
	out, errOut := f.s.run(0, "inventory", "managed", "--inventory", f.db)
	mustContain(t, "managed table", out, "secret/payments/stripe#api_key", "overdue,never-rotated,rotation-disabled", "no-expiry", "expired-enabled", "never")
	mustContain(t, "managed summary", errOut, "13 managed secrets: 4 overdue")
	out, _ = f.s.run(0, "inventory", "managed", "--format", "csv", "--overdue", "--inventory", f.db)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	var header bytes.Buffer
	if err := reports.WriteManagedCSV(&header, nil); err != nil {
		t.Fatal(err)
	}
	if err != nil || len(recs) != 5 || !strings.HasPrefix(out, header.String()) {
		t.Errorf("csv: %v, %d records, want the header %q\n%s", err, len(recs), header.String(), out)
	}
	f.s.run(2, "inventory", "managed", "--unused", "soon", "--inventory", f.db)
	f.s.run(2, "inventory", "managed", "--format", "xml", "--inventory", f.db)

	// Stats and the audit log include the assessment.
	out, _ = f.s.run(0, "inventory", "stats", "--inventory", f.db)
	mustContain(t, "stats", out, "managed secrets      13", "overdue                4", "vault "+f.hv.URL)
	out, _ = f.s.run(0, "inventory", "stats", "--format", "json", "--inventory", f.db)
	var st struct {
		Secrets int                      `json:"secrets"`
		Managed inventory.ManagedSummary `json:"managed"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Managed.Total != 13 || st.Managed.Overdue != 4 || len(st.Managed.ByStore) != 3 {
		t.Errorf("stats json: %v %+v", err, st.Managed)
	}
	out, _ = f.s.run(0, "audit", "log", "--inventory", f.db)
	mustContain(t, "audit log", out, "assessed 4: 1 overdue, 3 never rotated", "assessed 5: 1 overdue, 4 never rotated, 1 without expiry")

	// rotate --overdue-managed: a dry run plans the overdue paths; --apply
	// marks them; a leaked one stays with the leak plan.
	out, _ = f.s.run(0, "rotate", "--overdue-managed", "--inventory", f.db)
	mustContain(t, "overdue plan", out, "secret/payments/stripe", "prod/legacy", "secret/epic/fhir", "overdue: api_key 1.1y, max 90d (class api-key)", "ancient", "dry run: 4 paths")
	if md := f.hv.CustomMetadata("secret", "payments/stripe"); len(md) != 0 {
		t.Errorf("dry run marked: %v", md)
	}
	out, _ = f.s.run(0, "rotate", "--inventory", f.db)
	if strings.Contains(out, "stripe") {
		t.Errorf("rotate without --overdue-managed plans overdue secrets:\n%s", out)
	}
	out, _ = f.s.run(0, "rotate", "--overdue-managed", "--apply", "--adapter", "vault", "--inventory", f.db)
	mustContain(t, "overdue apply", out, "done: custom_metadata")
	if md := f.hv.CustomMetadata("secret", "payments/stripe"); md[vault.MarkRequired] != "true" || !strings.Contains(md[vault.MarkReason], "overdue") {
		t.Errorf("Vault mark after --overdue-managed --apply: %v", md)
	}
	out, _ = f.s.run(0, "rotate", "--overdue-managed", "--adapter", "vault", "--inventory", f.db)
	mustContain(t, "overdue plan after apply", out, "already marked")

	// The report, in every format, has the section.
	byFormat := map[string]string{}
	for _, format := range []string{"json", "markdown", "html", "csv", "table"} {
		out, _ := f.s.run(0, "report", "inventory", "--format", format, "--inventory", f.db)
		byFormat[format] = out
		mustContain(t, format+" report", out, "stripe")
	}
	mustContain(t, "markdown report", byFormat["markdown"], "Managed secrets against policy")
	f.noValues(t)
}

// noValues searches the database files and everything printed for every
// managed value (raw and base64).
func (f *managedFixture) noValues(t *testing.T) {
	t.Helper()
	var dbBytes []byte
	for _, p := range []string{f.db, f.db + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		dbBytes = append(dbBytes, b...)
	}
	if !bytes.Contains(dbBytes, []byte("payments/stripe")) {
		t.Fatal("control: the database files do not hold the indexed paths; the search would prove nothing")
	}
	for _, v := range f.values {
		needles := []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
		for name, h := range map[string][]byte{"database": dbBytes, "output": f.s.transcript.Bytes()} {
			for _, n := range needles {
				if bytes.Contains(h, []byte(n)) {
					t.Errorf("a managed value (fingerprint %s…) appears in the %s", scanner.Fingerprint(f.key, v)[:8], name)
				}
			}
		}
	}
}

// TestManagedPolicyConfig: path rules and the unused threshold come from
// the config file's inventory section and show in 'policy show'; bad ones
// are usage errors.
func TestManagedPolicyConfig(t *testing.T) {
	dir := isolate(t)
	db := filepath.Join(dir, "inv.db")
	s := &session{t: t}
	cfg := filepath.Join(dir, "sprawl.yaml")
	writeFile(t, cfg, "inventory:\n  path-max-age:\n    - {pattern: 'secret/epic/*', class: client-secret, max-age: 90d}\n    - {pattern: 'prod/*', max-age: 30d}\n  unused-after: 60d\n")
	s.run(0, "inventory", "policy", "apply", "--config", cfg, "--inventory", db)
	out, _ := s.run(0, "inventory", "policy", "show", "--format", "json", "--inventory", db)
	var p inventory.Policy
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	want := inventory.Policy{PathMaxAge: []inventory.PathRule{
		{Pattern: "secret/epic/*", Class: inventory.ClassClientSecret, MaxAge: inventory.Duration(90 * 24 * time.Hour)},
		{Pattern: "prod/*", MaxAge: inventory.Duration(30 * 24 * time.Hour)},
	}, UnusedAfter: inventory.Duration(60 * 24 * time.Hour)}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("stored policy (-want +got):\n%s", d)
	}
	out, _ = s.run(0, "inventory", "policy", "show", "--inventory", db)
	mustContain(t, "policy show", out, "path secret/epic/*#client-secret", "unused (managed)", "60d")
	// Setting the same pattern again replaces its age in place.
	s.run(0, "inventory", "policy", "set", "--max-age", "path:prod/*=14d", "--inventory", db)
	out, _ = s.run(0, "inventory", "policy", "show", "--format", "json", "--inventory", db)
	if err := json.Unmarshal([]byte(out), &p); err != nil || len(p.PathMaxAge) != 2 || p.PathMaxAge[1].MaxAge.String() != "14d" {
		t.Errorf("after set: %v %+v", err, p.PathMaxAge)
	}
	writeFile(t, cfg, "inventory:\n  path-max-age:\n    - {pattern: 'a/*', class: nonsense, max-age: 1d}\n")
	s.run(2, "inventory", "policy", "apply", "--config", cfg, "--inventory", db)
	s.run(2, "inventory", "policy", "set", "--max-age", "path:#password=1d", "--inventory", db)
}
