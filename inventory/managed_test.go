package inventory

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

var managedNow = time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)

func daysBefore(n int) time.Time { return managedNow.Add(-time.Duration(n) * day) }

func TestAssessVaultEntry(t *testing.T) {
	yes, no := true, false
	policy := Policy{PathMaxAge: []PathRule{{Pattern: "secret/epic/*", Class: ClassClientSecret, MaxAge: Duration(30 * day)}}}
	for _, tt := range []struct {
		name  string
		e     VaultEntry
		p     Policy
		o     ManagedOptions
		want  []ManagedState
		class Class
		from  string
	}{
		{"written 400 days ago, never rotated: overdue under 90 days",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "payments/stripe", Field: "api_key"}, Engine: vault.EngineKV,
				VersionAt: daysBefore(400), Created: daysBefore(400), Facts: vault.Facts{Versions: 1}},
			Policy{}, ManagedOptions{}, []ManagedState{StateOverdue, StateNeverRotated, StateRotationDisabled}, ClassAPIKey, "class api-key"},
		{"rotation enabled, rotated two days ago: not overdue",
			VaultEntry{VaultKey: VaultKey{Adapter: "aws", Path: "prod/db"}, Engine: vault.EngineSecretsManager, AutoRotation: true,
				VersionAt: daysBefore(2), Created: daysBefore(400), Facts: vault.Facts{LastRotated: daysBefore(2), Versions: 2, AccessRecorded: true, LastAccessed: daysBefore(1)}},
			Policy{}, ManagedOptions{}, []ManagedState{}, ClassAPIKey, "class api-key"},
		{"a rotation newer than the version counts (database static role)",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "database", Path: "app", Field: "password"}, Engine: vault.EngineDatabase, AutoRotation: true,
				Facts: vault.Facts{LastRotated: daysBefore(1), RotationPeriod: day}},
			Policy{}, ManagedOptions{}, []ManagedState{}, ClassPassword, "class password"},
		{"Azure without expiry",
			VaultEntry{VaultKey: VaultKey{Adapter: "azure", Path: "api"}, VersionAt: daysBefore(10), Created: daysBefore(10),
				Facts: vault.Facts{ExpirySupported: true, Enabled: &yes, Versions: 1}},
			Policy{}, ManagedOptions{}, []ManagedState{StateNeverRotated, StateRotationDisabled, StateNoExpiry}, ClassAPIKey, "class api-key"},
		{"Azure expired but enabled",
			VaultEntry{VaultKey: VaultKey{Adapter: "azure", Path: "api"}, VersionAt: daysBefore(10), Created: daysBefore(20),
				Facts: vault.Facts{ExpirySupported: true, Enabled: &yes, Expires: daysBefore(1), Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled, StateExpiredEnabled}, ClassAPIKey, "class api-key"},
		{"Azure expired and disabled is not flagged",
			VaultEntry{VaultKey: VaultKey{Adapter: "azure", Path: "api"}, VersionAt: daysBefore(10), Created: daysBefore(20),
				Facts: vault.Facts{ExpirySupported: true, Enabled: &no, Expires: daysBefore(1), Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassAPIKey, "class api-key"},
		{"AWS unaccessed for 120 days: unused at 90 days",
			VaultEntry{VaultKey: VaultKey{Adapter: "aws", Path: "prod/report"}, VersionAt: daysBefore(30), Created: daysBefore(200),
				Facts: vault.Facts{AccessRecorded: true, LastAccessed: daysBefore(120), Versions: 2}},
			Policy{}, ManagedOptions{Unused: 90 * day}, []ManagedState{StateRotationDisabled, StateUnused}, ClassAPIKey, "class api-key"},
		{"AWS unaccessed for 120 days: not unused at 180 days",
			VaultEntry{VaultKey: VaultKey{Adapter: "aws", Path: "prod/report"}, VersionAt: daysBefore(30), Created: daysBefore(200),
				Facts: vault.Facts{AccessRecorded: true, LastAccessed: daysBefore(120), Versions: 2}},
			Policy{UnusedAfter: Duration(180 * day)}, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassAPIKey, "class api-key"},
		{"never read since creation counts from creation",
			VaultEntry{VaultKey: VaultKey{Adapter: "aws", Path: "prod/report"}, VersionAt: daysBefore(30), Created: daysBefore(100),
				Facts: vault.Facts{AccessRecorded: true, Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled, StateUnused}, ClassAPIKey, "class api-key"},
		{"a client secret of 60 days is within its class's 90 days",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "epic/fhir", Field: "client_secret"}, VersionAt: daysBefore(60), Facts: vault.Facts{Versions: 3}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassClientSecret, "class client-secret"},
		{"the per-path override makes it overdue",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "epic/fhir", Field: "client_secret"}, VersionAt: daysBefore(60), Facts: vault.Facts{Versions: 3}},
			policy, ManagedOptions{}, []ManagedState{StateOverdue, StateRotationDisabled}, ClassClientSecret, "path secret/epic/*#client-secret"},
		{"the override is for client secrets only",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "epic/fhir", Field: "username"}, VersionAt: daysBefore(60), Facts: vault.Facts{Versions: 3}},
			policy, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassAPIKey, "class api-key"},
		{"the matching rule's class and override win over the name",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "ci", Field: "password"}, VersionAt: daysBefore(40), Fingerprint: "ab",
				RuleID: "github-pat", RuleClass: ClassAPIKey, Facts: vault.Facts{Versions: 2}},
			Policy{RuleMaxAge: map[string]Duration{"github-pat": Duration(30 * day)}}, ManagedOptions{Leaked: map[string]bool{"ab": true}},
			[]ManagedState{StateOverdue, StateRotationDisabled, StateLeaked}, ClassAPIKey, "rule github-pat"},
		{"a long-lived token rule is judged as an api-key",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "slack", Field: "bot"}, VersionAt: daysBefore(40),
				RuleID: "slack-bot-token", RuleClass: ClassAPIKey, Facts: vault.Facts{Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassAPIKey, "class api-key"},
		{"a short-lived token held unchanged for days is overdue",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "aws", Field: "session"}, VersionAt: daysBefore(2),
				RuleID: "aws-session-token", RuleClass: ClassToken, Facts: vault.Facts{Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateOverdue, StateRotationDisabled}, ClassToken, "class token"},
		{"gone entries are not overdue",
			VaultEntry{VaultKey: VaultKey{Adapter: "vault", Mount: "secret", Path: "old"}, VersionAt: daysBefore(400), GoneAt: daysBefore(1), Facts: vault.Facts{Versions: 2}},
			Policy{}, ManagedOptions{}, []ManagedState{StateRotationDisabled}, ClassAPIKey, "class api-key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Now = managedNow
			m := AssessVaultEntry(tt.e, tt.p, o)
			if d := cmp.Diff(tt.want, m.States); d != "" {
				t.Errorf("states (-want +got):\n%s", d)
			}
			if m.Class != tt.class || m.MaxAgeFrom != tt.from {
				t.Errorf("class %s, max age from %q; want %s, %q", m.Class, m.MaxAgeFrom, tt.class, tt.from)
			}
		})
	}
}

func TestNameClass(t *testing.T) {
	for name, want := range map[string]Class{
		"db_password": ClassPassword, "DATABASE_URL": ClassConnectionString, "client_secret": ClassClientSecret,
		"tls.private_key": ClassPrivateKey, "jwt_secret": ClassSigningKey, "slack_webhook": ClassWebhook,
		"api_token": ClassAPIKey, "stripe": ClassAPIKey,
	} {
		if got, _ := NameClass(name); got != want {
			t.Errorf("NameClass(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestPathRules(t *testing.T) {
	for _, tt := range []struct {
		pattern, path string
		want          bool
	}{
		{"secret/epic/*", "secret/epic/fhir", true},
		{"secret/epic/*", "secret/epic/a/b", true},
		{"secret/epic/*", "secret/epicure", false},
		{"secret/*/db", "secret/app/db", true},
		{"prod/?b", "prod/db", true},
		{"prod/db", "prod/db2", false},
		{"*", "", true},
	} {
		if got := globMatch(tt.pattern, tt.path); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pattern, tt.path, got)
		}
	}
	for _, p := range []Policy{
		{PathMaxAge: []PathRule{{Pattern: "", MaxAge: Duration(day)}}},
		{PathMaxAge: []PathRule{{Pattern: "a/*", Class: "nonsense", MaxAge: Duration(day)}}},
		{PathMaxAge: []PathRule{{Pattern: "a/*"}}},
		{UnusedAfter: -1},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted it", p)
		}
	}
	p := Policy{PathMaxAge: []PathRule{{Pattern: "a/*", Class: ClassPassword, MaxAge: Duration(7 * day)}, {Pattern: "a/*", MaxAge: Duration(14 * day)}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if d, from := p.ManagedMaxAge("a/b", "", ClassPassword); d != 7*day || from != "path a/*#password" {
		t.Errorf("first match: %s %q", d, from)
	}
	if d, from := p.ManagedMaxAge("a/b", "", ClassAPIKey); d != 14*day || from != "path a/*" {
		t.Errorf("second match: %s %q", d, from)
	}
	// The stored form round-trips.
	b, err := p.canonical()
	if err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(p, back) {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// runManagedConformance is the managed-secret part of the Store contract:
// facts survive the store, assessments are audited with each index and
// CI listing, and the figures at a period's start are those recorded.
func runManagedConformance(t *testing.T, newStore storeFactory) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"FactsRoundTrip", testManagedFacts},
		{"AssessmentAudited", testManagedAudited},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			tt.fn(t, s)
		})
	}
}

func TestSQLiteManagedConformance(t *testing.T) {
	runManagedConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		return openTestSQLite(t, filepath.Join(t.TempDir(), "inventory.db")), nil
	})
}

func TestPostgresManagedConformance(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./inventory/)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	runManagedConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		schema := "sprawl_mtest_" + hex.EncodeToString(randomBytes(t, 6))
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
		s, err := OpenPostgres(context.Background(), withSearchPath(dsn, schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, nil
	})
}

func testManagedFacts(t *testing.T, s Store) {
	ctx := context.Background()
	fx := newFixture(t)
	en := true
	full := vault.Facts{LastRotated: daysBefore(3), LastChanged: daysBefore(2), LastAccessed: daysBefore(1), AccessRecorded: true,
		NextRotation: managedNow.Add(27 * day), RotationPeriod: 30 * day, RotationSchedule: "rate(30 days)", Expires: managedNow.Add(day),
		NotBefore: daysBefore(5), ExpirySupported: true, Enabled: &en, Versions: 4, MaxVersions: 10, DeleteVersionAfter: 720 * time.Hour}
	rec := VaultEntryRecord{Path: "prod/db", Field: "password", Engine: vault.EngineSecretsManager, Version: "v1", VersionAt: daysBefore(3),
		Created: daysBefore(300), Fingerprint: fx.fp(randomSecret(t)), AutoRotation: true, RuleID: "postgres-uri", RuleClass: ClassConnectionString, Facts: full}
	bare := VaultEntryRecord{Mount: "secret", Path: "app", Field: "token", Engine: vault.EngineKV, Version: "1", Fingerprint: fx.fp(randomSecret(t))}
	b := &VaultIndexBatch{Adapter: "aws", Store: "eu-west-1", KeyCheck: KeyCheck(fx.key), Complete: true, At: managedNow, Entries: []VaultEntryRecord{rec, bare}}
	if _, err := s.RecordVaultIndex(ctx, b); err != nil {
		t.Fatal(err)
	}
	es, err := s.VaultEntries(ctx, VaultQuery{})
	if err != nil || len(es) != 2 {
		t.Fatalf("entries: %v %d", err, len(es))
	}
	got := es[0] // prod/db sorts after "" mount? order: mount "" < "secret"
	if got.Path != "prod/db" {
		got = es[1]
	}
	if d := cmp.Diff(full, got.Facts); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}
	if got.RuleID != "postgres-uri" || got.RuleClass != ClassConnectionString {
		t.Errorf("rule %q class %q", got.RuleID, got.RuleClass)
	}
	other := es[1]
	if other.Path == "prod/db" {
		other = es[0]
	}
	if other.Enabled != nil || other.ExpirySupported || other.Versions != 0 {
		t.Errorf("facts the store did not report came back set: %+v", other.Facts)
	}
	// A re-index replaces the facts: disabled, no longer read-recorded.
	rec.Facts = vault.Facts{Enabled: new(bool), Versions: 5}
	b.Entries, b.At = []VaultEntryRecord{rec, bare}, managedNow.Add(time.Hour)
	if _, err := s.RecordVaultIndex(ctx, b); err != nil {
		t.Fatal(err)
	}
	es, _ = s.VaultEntries(ctx, VaultQuery{})
	for _, e := range es {
		if e.Path == "prod/db" && (e.Enabled == nil || *e.Enabled || e.Versions != 5 || e.AccessRecorded || !e.LastRotated.IsZero()) {
			t.Errorf("facts after re-index: %+v", e.Facts)
		}
	}
}

func testManagedAudited(t *testing.T, s Store) {
	ctx := context.Background()
	fx := newFixture(t)
	leaked := randomSecret(t)
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	// Audit entries carry the store's clock: the figures at a period's
	// start are those of the entries recorded before it.
	clock := start.Add(-30 * day)
	SetClock(s, func() time.Time { return clock })
	fx.ingest(t, s, "git", "repo", true, finding(leaked, "app.env", 1))
	index := func(at time.Time, versionAt time.Time) {
		t.Helper()
		clock = at
		if _, err := s.RecordVaultIndex(ctx, &VaultIndexBatch{Adapter: "vault", Store: "https://v", KeyCheck: KeyCheck(fx.key), Complete: true, At: at,
			Entries: []VaultEntryRecord{
				{Mount: "secret", Path: "app", Field: "token", Engine: vault.EngineKV, Version: "1", VersionAt: versionAt, Created: versionAt,
					Fingerprint: fx.fp(leaked), Facts: vault.Facts{Versions: 1}},
				{Mount: "secret", Path: "db", Field: "password", Engine: vault.EngineKV, Version: "2", VersionAt: at.Add(-day), Fingerprint: fx.fp(randomSecret(t)),
					Facts: vault.Facts{Versions: 2}},
			}}); err != nil {
			t.Fatal(err)
		}
	}
	index(start.Add(-10*day), start.Add(-200*day)) // before the period: 1 overdue
	index(start.Add(10*day), start.Add(-200*day))  // in it: 1 overdue, again
	clock = start.Add(-5 * day)
	if _, err := s.RecordCISecrets(ctx, CISecretBatch{Provider: "github", Owner: "acme", Complete: true, Seen: start.Add(-5 * day),
		Secrets: []CISecretRecord{{Store: "actions", Scope: ScopeOrg, Name: "DEPLOY", CreatedAt: start.Add(-400 * day), UpdatedAt: start.Add(-400 * day)}}}); err != nil {
		t.Fatal(err)
	}
	es, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var assessed []string
	for _, e := range es {
		if e.Action == ActionVaultIndex || e.Action == ActionCISecrets {
			var d struct {
				Assessment ManagedCounts `json:"assessment"`
			}
			if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
				t.Fatal(err)
			}
			a := d.Assessment
			assessed = append(assessed, strings.Join([]string{e.Action, itoa(a.Total), itoa(a.Overdue), itoa(a.NeverRotated), itoa(a.Leaked)}, " "))
		}
	}
	want := []string{"vault-index 2 1 1 1", "vault-index 2 1 1 1", "ci-secrets 1 1 1 0"}
	if d := cmp.Diff(want, assessed); d != "" {
		t.Errorf("assessments in the audit log (action total overdue never leaked) (-want +got):\n%s", d)
	}
	if _, err := Verify(ctx, s); err != nil {
		t.Errorf("audit chain: %v", err)
	}
	prev, err := ManagedCountsBefore(ctx, s, start)
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || prev.Total != 3 || prev.Overdue != 2 || prev.Leaked != 1 {
		t.Errorf("counts before the period: %+v, want 3 secrets (2 vault, 1 CI), 2 overdue, 1 leaked", prev)
	}
	if none, err := ManagedCountsBefore(ctx, s, start.Add(-100*day)); err != nil || none != nil {
		t.Errorf("counts before any index: %+v %v", none, err)
	}
	ms, _, err := AssessManaged(ctx, s, ManagedQuery{ManagedOptions: ManagedOptions{Now: start.Add(11 * day)}})
	if err != nil || len(ms) != 3 || !ms[0].Leaked || ms[2].Kind != KindCI || !ms[2].Overdue {
		t.Errorf("AssessManaged: %v %+v", err, ms)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkAssessManaged judges 50,000 indexed fields of three stores
// (the pure assessment; BenchmarkManagedReport in reports adds the store
// reads and every report format).
func BenchmarkAssessManaged(b *testing.B) {
	es := make([]VaultEntry, 50000)
	en := true
	for i := range es {
		es[i] = VaultEntry{VaultKey: VaultKey{Adapter: []string{"vault", "aws", "azure"}[i%3], Store: "s", Mount: "secret", Path: "team/app" + strconv.Itoa(i),
			Field: []string{"password", "api_key", "client_secret", "value"}[i%4]}, VersionAt: daysBefore(i % 500), Created: daysBefore(i%500 + 30),
			Fingerprint: strconv.Itoa(i), Facts: vault.Facts{Versions: 1 + i%3, AccessRecorded: i%3 == 1, LastAccessed: daysBefore(i % 200),
				ExpirySupported: i%3 == 2, Enabled: &en}}
	}
	p := Policy{PathMaxAge: []PathRule{{Pattern: "secret/epic/*", Class: ClassClientSecret, MaxAge: Duration(30 * day)}}}
	q := ManagedQuery{ManagedOptions: ManagedOptions{Now: managedNow, Leaked: map[string]bool{"7": true}}}
	b.ReportAllocs()
	for b.Loop() {
		ms := AssessManagedEntries(es, nil, p, q)
		if s := SummarizeManaged(ms); s.Total != len(es) || s.Overdue == 0 {
			b.Fatalf("summary %+v", s.ManagedCounts)
		}
	}
}
