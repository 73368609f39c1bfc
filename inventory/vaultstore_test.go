package inventory

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
)

// runVaultConformance is the vault-index part of the Store contract, run
// against SQLite always and PostgreSQL when SPRAWL_TEST_POSTGRES_DSN is set.
func runVaultConformance(t *testing.T, newStore storeFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"IndexAndReindex", testVaultIndex},
		{"Correlate", testVaultCorrelate},
		{"FlagThenRotate", testVaultFlagRotate},
		{"RewrittenOrRolledBack", testVaultRewritten},
		{"FailedActionOnlyAudited", testVaultFailedAction},
		{"KeyMismatch", testVaultKeyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			tt.fn(t, s)
		})
	}
}

func TestSQLiteVaultConformance(t *testing.T) {
	runVaultConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		return openTestSQLite(t, filepath.Join(t.TempDir(), "inventory.db")), nil
	})
}

func TestPostgresVaultConformance(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./inventory/)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	runVaultConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		schema := "sprawl_vtest_" + hex.EncodeToString(randomBytes(t, 6))
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

func (fx *fixture) vaultBatch(adapter, store string, complete bool, rs ...VaultEntryRecord) *VaultIndexBatch {
	return &VaultIndexBatch{Adapter: adapter, Store: store, KeyCheck: KeyCheck(fx.key), Complete: complete, Entries: rs, Actor: "indexer"}
}

func (fx *fixture) kv(mount, path, field, version, secret string) VaultEntryRecord {
	return VaultEntryRecord{Mount: mount, Path: path, Field: field, Engine: "kv2", Version: version, Fingerprint: fx.fp(secret),
		VersionAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func mustIndex(t *testing.T, s Store, b *VaultIndexBatch) VaultIndexSummary {
	t.Helper()
	sum, err := s.RecordVaultIndex(context.Background(), b)
	if err != nil {
		t.Fatalf("RecordVaultIndex: %v", err)
	}
	return sum
}

func mustVault(t *testing.T, s Store, q VaultQuery) []VaultEntry {
	t.Helper()
	es, err := s.VaultEntries(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func testVaultIndex(t *testing.T, s Store) {
	fx := newFixture(t)
	a, b, c := randomSecret(t), randomSecret(t), randomSecret(t)
	sum := mustIndex(t, s, fx.vaultBatch("vault", "https://v", true,
		fx.kv("secret", "app/db", "password", "1", a), fx.kv("secret", "app/db", "api", "1", b), fx.kv("kv", "x", "", "4", c)))
	if sum.New != 3 || sum.Entries != 3 {
		t.Errorf("first index = %+v, want 3 new", sum)
	}
	es := mustVault(t, s, VaultQuery{})
	got := []string{}
	for _, e := range es {
		got = append(got, e.Mount+"/"+e.Path+"#"+e.Field)
	}
	if d := cmp.Diff([]string{"kv/x#", "secret/app/db#api", "secret/app/db#password"}, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if es[0].Fingerprint != fx.fp(c) || es[0].Version != "4" || es[0].LastIndexed.IsZero() {
		t.Errorf("entry = %+v", es[0])
	}

	// Re-index the secret mount only: api changed, password unchanged,
	// x (other mount) not in scope so not gone; a complete index of
	// "secret" without app/db#api marks nothing else.
	b2 := randomSecret(t)
	bt := fx.vaultBatch("vault", "https://v", true, fx.kv("secret", "app/db", "password", "1", a), fx.kv("secret", "app/db", "api", "2", b2))
	bt.Mounts = []string{"secret"}
	sum = mustIndex(t, s, bt)
	if sum.Changed != 1 || sum.Unchanged != 1 || sum.Gone != 0 || sum.New != 0 {
		t.Errorf("second index = %+v", sum)
	}
	// A complete index of the whole store without kv/x marks it gone; a
	// partial one would not.
	mustIndex(t, s, fx.vaultBatch("vault", "https://v", false, fx.kv("secret", "app/db", "password", "1", a)))
	if n := len(mustVault(t, s, VaultQuery{})); n != 3 {
		t.Errorf("after partial index: %d live entries, want 3", n)
	}
	sum = mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, fx.kv("secret", "app/db", "password", "1", a), fx.kv("secret", "app/db", "api", "2", b2)))
	if sum.Gone != 1 {
		t.Errorf("complete index gone = %d, want 1", sum.Gone)
	}
	if n := len(mustVault(t, s, VaultQuery{})); n != 2 {
		t.Errorf("live entries = %d, want 2", n)
	}
	if n := len(mustVault(t, s, VaultQuery{IncludeGone: true})); n != 3 {
		t.Errorf("all entries = %d, want 3", n)
	}
	// Another store's index touches nothing of this one.
	mustIndex(t, s, fx.vaultBatch("aws", "us-east-1", true))
	if n := len(mustVault(t, s, VaultQuery{Adapter: "vault", Store: "https://v"})); n != 2 {
		t.Errorf("after another store's index: %d, want 2", n)
	}
	if _, err := s.RecordVaultIndex(context.Background(), fx.vaultBatch("vault", "https://v", true, fx.kv("s", "p", "", "1", a), fx.kv("s", "p", "", "2", b))); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate entry: err = %v, want ErrInvalid", err)
	}
	mustVerify(t, s)
}

func testVaultCorrelate(t *testing.T, s Store) {
	fx := newFixture(t)
	ctx := context.Background()
	managed, unmanaged, vaultOnly := randomSecret(t), randomSecret(t), randomSecret(t)
	fx.ingest(t, s, "dir", "/repo", true, finding(managed, "config.yaml", 3), finding(unmanaged, ".env", 1))
	mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, fx.kv("secret", "app", "token", "2", managed), fx.kv("secret", "other", "", "1", vaultOnly)))
	mustIndex(t, s, fx.vaultBatch("aws", "eu-west-1", true, VaultEntryRecord{Path: "prod/app", Field: "token", Engine: "secretsmanager", Version: "v1", Fingerprint: fx.fp(managed)}))

	cs, err := Correlate(ctx, s, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("Correlate = %d, want 2 (vault-only values are not leaks)", len(cs))
	}
	by := map[string]Correlation{}
	for _, c := range cs {
		by[c.Secret.Fingerprint] = c
	}
	m := by[fx.fp(managed)]
	if !m.Managed || m.Severity != detectors.SeverityCritical || m.Action != ActionRotateNow || len(m.Vault) != 2 {
		t.Errorf("managed = %+v", m)
	}
	if m.Vault[0].Adapter != "aws" || m.Vault[1].Path != "app" || m.Vault[1].Mount != "secret" {
		t.Errorf("managed vault entries = %+v", m.Vault)
	}
	u := by[fx.fp(unmanaged)]
	if u.Managed || u.Severity != detectors.SeverityHigh || u.Action != ActionMoveToVault || len(u.Vault) != 0 {
		t.Errorf("unmanaged = %+v", u)
	}
	// Gone entries no longer manage a secret.
	mustIndex(t, s, fx.vaultBatch("aws", "eu-west-1", true))
	mustIndex(t, s, fx.vaultBatch("vault", "https://v", true))
	cs, _ = Correlate(ctx, s, Query{Fingerprint: fx.fp(managed)})
	if len(cs) != 1 || cs[0].Managed {
		t.Errorf("after the entries are gone: %+v", cs)
	}
}

func testVaultFlagRotate(t *testing.T, s Store) {
	fx := newFixture(t)
	ctx := context.Background()
	leaked, fresh := randomSecret(t), randomSecret(t)
	fp := fx.fp(leaked)
	fx.ingest(t, s, "git", "/repo", true, finding(leaked, "deploy.sh", 9))
	mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, fx.kv("secret", "app", "token", "3", leaked), fx.kv("secret", "app", "user", "3", randomSecret(t))))

	key := VaultKey{Adapter: "vault", Store: "https://v", Mount: "secret", Path: "app"}
	if err := s.MarkVaultFlag(ctx, VaultAction{Key: key, Fields: []string{"token"}, Action: "flag", Detail: "custom_metadata patched",
		Flag: VaultFlagRotationRequired, Reason: "leaked in git", Finding: fp, Version: "3", Actor: "rotator"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, fp, StatusChange{To: StatusRotationRequired, Reason: "leaked managed secret", Actor: "rotator"}); err != nil {
		t.Fatal(err)
	}
	flagged := mustVault(t, s, VaultQuery{Flags: []VaultFlag{VaultFlagRotationRequired}})
	if len(flagged) != 1 || flagged[0].Field != "token" || flagged[0].FlagFinding != fp || flagged[0].FlagVersion != "3" || flagged[0].FlaggedAt.IsZero() {
		t.Fatalf("flagged = %+v", flagged)
	}
	if err := s.MarkVaultFlag(ctx, VaultAction{Key: VaultKey{Adapter: "vault", Store: "https://v", Mount: "secret", Path: "nope"}, Action: "flag"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("flag of an unknown path: %v, want ErrNotFound", err)
	}

	// A re-index that sees a new value at a newer version verifies the
	// rotation: the entry is rotated and so is the leaked secret.
	user := mustVault(t, s, VaultQuery{})[1]
	rec := fx.kv("secret", "app", "token", "4", fresh)
	urec := fx.kv("secret", "app", "user", "4", "")
	urec.Fingerprint = user.Fingerprint
	sum := mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, rec, urec))
	if len(sum.Rotated) != 1 || sum.Rotated[0].OldFingerprint != fp || sum.Rotated[0].Field != "token" || !cmp.Equal(sum.SecretsRotated, []string{fp}) {
		t.Errorf("summary = %+v", sum)
	}
	sec, err := s.Secret(ctx, fp)
	if err != nil {
		t.Fatal(err)
	}
	if sec.Status != StatusRotated || sec.StatusActor != "indexer" || len(sec.History) != 2 {
		t.Errorf("secret after rotation = %s by %s, history %+v", sec.Status, sec.StatusActor, sec.History)
	}
	es := mustVault(t, s, VaultQuery{Flags: []VaultFlag{VaultFlagRotated}})
	if len(es) != 1 || es[0].RotatedAt.IsZero() || es[0].Fingerprint != fx.fp(fresh) {
		t.Fatalf("rotated entries = %+v", es)
	}
	// Clearing the store's mark returns the entry to no flag.
	if err := s.MarkVaultFlag(ctx, VaultAction{Key: key, Fields: []string{"token"}, Action: "clear", Flag: VaultFlagNone, Actor: "rotator"}); err != nil {
		t.Fatal(err)
	}
	if n := len(mustVault(t, s, VaultQuery{Flags: []VaultFlag{VaultFlagRotated, VaultFlagRotationRequired}})); n != 0 {
		t.Errorf("%d entries still flagged after clear", n)
	}
	if cs, _ := Correlate(ctx, s, Query{Fingerprint: fp}); len(cs) != 1 || cs[0].Managed {
		t.Errorf("rotated secret still managed: %+v", cs)
	}
	log, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	want := []string{ActionIngest, ActionVaultIndex, ActionVault, ActionStatus, ActionStatus, ActionVaultIndex, ActionVault}
	if d := cmp.Diff(want, actions); d != "" {
		t.Errorf("audit actions (-want +got):\n%s", d)
	}
	mustVerify(t, s)
}

func testVaultRewritten(t *testing.T, s Store) {
	fx := newFixture(t)
	ctx := context.Background()
	leaked, other, rolled := randomSecret(t), randomSecret(t), randomSecret(t)
	fp := fx.fp(leaked)
	fx.ingest(t, s, "dir", "/repo", true, finding(leaked, "a.env", 1), finding(rolled, "b.env", 1))
	index := func(app, cp, roll VaultEntryRecord) VaultIndexSummary {
		return mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, app, cp, roll))
	}
	index(fx.kv("secret", "app", "", "5", leaked), fx.kv("secret", "copy", "", "1", leaked), fx.kv("secret", "roll", "", "5", rolled))
	for _, p := range []string{"app", "copy", "roll"} {
		if err := s.MarkVaultFlag(ctx, VaultAction{Key: VaultKey{Adapter: "vault", Store: "https://v", Mount: "secret", Path: p}, Action: "flag",
			Flag: VaultFlagRotationRequired, Finding: fp, Actor: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	// The same value written again at app: still leaked. An older version
	// with another value at roll (a rollback) is no rotation either.
	sum := index(fx.kv("secret", "app", "", "6", leaked), fx.kv("secret", "copy", "", "1", leaked), fx.kv("secret", "roll", "", "3", other))
	if len(sum.Rotated) != 0 || len(sum.Rewritten) != 1 || sum.Rewritten[0].Path != "app" {
		t.Errorf("rewrite/rollback summary = %+v", sum)
	}
	// Rotated at app but still held at copy: the entry is rotated, the
	// leaked secret is not.
	sum = index(fx.kv("secret", "app", "", "7", other), fx.kv("secret", "copy", "", "1", leaked), fx.kv("secret", "roll", "", "3", other))
	if len(sum.Rotated) != 1 || sum.Rotated[0].Path != "app" || len(sum.SecretsRotated) != 0 {
		t.Errorf("app rotated: summary = %+v", sum)
	}
	if sec, _ := s.Secret(ctx, fp); sec.Status != StatusOpen {
		t.Errorf("status = %s while copy still holds the value, want open", sec.Status)
	}
	sum = index(fx.kv("secret", "app", "", "7", other), fx.kv("secret", "copy", "", "2", other), fx.kv("secret", "roll", "", "3", other))
	if len(sum.Rotated) != 1 || sum.Rotated[0].Path != "copy" || !cmp.Equal(sum.SecretsRotated, []string{fp}) {
		t.Errorf("copy rotated: summary = %+v", sum)
	}
	if sec, _ := s.Secret(ctx, fp); sec.Status != StatusRotated {
		t.Errorf("status = %s, want rotated", sec.Status)
	}
	if sec, _ := s.Secret(ctx, fx.fp(rolled)); sec.Status != StatusOpen {
		t.Errorf("rolled-back secret status = %s, want open", sec.Status)
	}
	mustVerify(t, s)
}

func testVaultFailedAction(t *testing.T, s Store) {
	fx := newFixture(t)
	ctx := context.Background()
	mustIndex(t, s, fx.vaultBatch("aws", "us-east-1", true, VaultEntryRecord{Path: "prod/db", Engine: "secretsmanager", Version: "v1", Fingerprint: fx.fp(randomSecret(t))}))
	before := mustVault(t, s, VaultQuery{})
	if err := s.MarkVaultFlag(ctx, VaultAction{Key: VaultKey{Adapter: "aws", Store: "us-east-1", Path: "prod/db"}, Action: "flag",
		Err: "AccessDeniedException: not authorized", Flag: VaultFlagRotationRequired, Actor: "r"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, mustVault(t, s, VaultQuery{})); d != "" {
		t.Errorf("a failed action changed the entry:\n%s", d)
	}
	log, _ := s.AuditLog(ctx, 0, 0)
	if last := log[len(log)-1]; last.Action != ActionVault || !strings.Contains(last.Data, "AccessDeniedException") {
		t.Errorf("last audit entry = %+v", last)
	}
	if err := s.MarkVaultFlag(ctx, VaultAction{Key: VaultKey{Adapter: "aws", Store: "us-east-1", Path: "prod/db"}, Action: "x", Flag: "bogus"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bogus flag: %v", err)
	}
	mustVerify(t, s)
}

func testVaultKeyMismatch(t *testing.T, s Store) {
	fx := newFixture(t)
	fx.ingest(t, s, "dir", "/r", true, finding(randomSecret(t), "f", 1))
	other := newFixture(t)
	if _, err := s.RecordVaultIndex(context.Background(), other.vaultBatch("vault", "https://v", true, other.kv("s", "p", "", "1", randomSecret(t)))); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("other key: err = %v, want ErrKeyMismatch", err)
	}
	if n := len(mustVault(t, s, VaultQuery{})); n != 0 {
		t.Errorf("%d entries recorded under the wrong key", n)
	}
}

// TestMigrationGap: a database migrated by a sprawl that knew only
// version 1 is brought to 3; one at 3 that lacks an intermediate version
// gets it when a later sprawl knows it, whatever the order.
func TestMigrationGap(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inventory.db")
	saved := migrations
	defer func() { migrations = saved }()
	byVersion := map[int]migration{}
	for _, m := range saved {
		byVersion[m.version] = m
	}
	if len(byVersion) < 3 {
		t.Fatalf("want migrations 1, 2 and 3, have %d", len(byVersion))
	}

	// A sprawl that knew versions 1 and 3 only (the vault index landed
	// before the CI secret metadata).
	migrations = []migration{byVersion[1], byVersion[3]}
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.(*sqlStore).db.Exec(`SELECT COUNT(*) FROM vault_entries`); err != nil {
		t.Errorf("vault table after migrating 1 → 3: %v", err)
	}
	if _, err := s.(*sqlStore).db.Exec(`SELECT COUNT(*) FROM ci_secrets`); err == nil {
		t.Error("ci_secrets exists before version 2 was known: the test proves nothing")
	}
	s.Close()

	// A later sprawl knows version 2 too, listed after 3 as a merge may
	// leave it: it is still applied, and the schema version is still 3.
	migrations = []migration{byVersion[1], byVersion[3], byVersion[2]}
	if SchemaVersion() != 3 {
		t.Errorf("SchemaVersion = %d with versions 1, 3, 2; want 3", SchemaVersion())
	}
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.(*sqlStore).db.Exec(`SELECT COUNT(*) FROM ci_secrets`); err != nil {
		t.Errorf("version 2 was not applied after 3: %v", err)
	}
	var n int
	if err := s.(*sqlStore).db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 3 {
		t.Errorf("schema_migrations rows = %d, %v; want 3", n, err)
	}
}

// BenchmarkRecordVaultIndex: one store of 10,000 indexed fields, first
// index then a re-index where a tenth of the values changed.
func BenchmarkRecordVaultIndex(b *testing.B) {
	fx := newFixture(b)
	const n = 10000
	first := make([]VaultEntryRecord, n)
	second := make([]VaultEntryRecord, n)
	for i := range first {
		first[i] = fx.kv("secret", "app/"+strconv.Itoa(i/4), "f"+strconv.Itoa(i%4), "1", randomSecret(b))
		second[i] = first[i]
		if i%10 == 0 {
			second[i] = fx.kv("secret", first[i].Path, first[i].Field, "2", randomSecret(b))
		}
	}
	for b.Loop() {
		b.StopTimer()
		s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "inventory.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, rs := range [][]VaultEntryRecord{first, second} {
			if _, err := s.RecordVaultIndex(context.Background(), fx.vaultBatch("vault", "https://v", true, rs...)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
