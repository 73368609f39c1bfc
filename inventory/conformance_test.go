package inventory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// storeFactory returns a fresh, empty, migrated store that the test owns;
// it is closed by the factory's t.Cleanup. reopen, if not nil, opens the
// same database again (a second process, or a restart).
type storeFactory func(t *testing.T) (s Store, reopen func() (Store, error))

// runConformance is the contract every Store implementation must meet, run
// against SQLite always and PostgreSQL when one is available (litestream's
// RunWithReplicaClient pattern): each subtest gets its own fresh store.
func runConformance(t *testing.T, newStore storeFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store, reopen func() (Store, error))
	}{
		{"Empty", testEmpty},
		{"OneSecretTwoRepositories", testOneSecretTwoRepositories},
		{"RescanUpdatesAndMarksGone", testRescanGone},
		{"PartialScanMarksNothingGone", testPartialScan},
		{"EarliestCommitKept", testEarliestCommit},
		{"SeverityUpgrade", testSeverityUpgrade},
		{"StatusLifecycle", testStatusLifecycle},
		{"Regression", testRegression},
		{"Suppressed", testSuppressed},
		{"SilencedLocation", testSilencedLocation},
		{"PrefixLookup", testPrefixLookup},
		{"KeyMismatch", testKeyMismatch},
		{"ScansAndRepositories", testScansAndRepositories},
		{"Policy", testPolicy},
		{"AuditChain", testAuditChain},
		{"AuditTamper", testAuditTamper},
		{"AuditCoversState", testAuditCoversState},
		{"AuditExpectHead", testAuditExpectHead},
		{"AuditLegacyEntries", testAuditLegacyEntries},
		{"TrustedSuppressed", testTrustedSuppressed},
		{"FailedVaultIndexRecorded", testFailedVaultIndex},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Reopen", testReopen},
		{"NoPlaintext", testNoPlaintext},
		{"Filters", testFilters},
		{"VerificationHistory", testVerificationHistory},
		{"OrgScanRecorded", testOrgScanRecorded},
		{"RecordAndSuppress", testRecordAndSuppress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reopen := newStore(t)
			tt.fn(t, s, reopen)
		})
	}
}

// fixture builds synthetic findings: secrets are random hex generated at
// test time, never literals.
type fixture struct {
	key       []byte
	auditCopy []AuditEntry
}

func newFixture(t testing.TB) *fixture {
	return &fixture{key: randomBytes(t, 32)}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func randomSecret(t testing.TB) string { return "tok_" + hex.EncodeToString(randomBytes(t, 20)) }

func finding(secret, file string, line int) scanner.Finding {
	return scanner.Finding{RuleID: "test-token", RuleName: "Test token", Severity: detectors.SeverityHigh, File: file, Line: line, Secret: secret}
}

func commitFinding(secret, file string, line int, commit string, date time.Time) scanner.Finding {
	f := finding(secret, file, line)
	f.Commit, f.Author, f.Date, f.Blob = commit, "Ada", date, "b"+commit
	return f
}

func (fx *fixture) fp(secret string) string { return scanner.Fingerprint(fx.key, secret) }

func (fx *fixture) ingest(t testing.TB, s Store, source, repo string, complete bool, fs ...scanner.Finding) IngestSummary {
	t.Helper()
	sum, err := Ingest(context.Background(), s, fx.key, Scan{
		Source: source, Repository: repo, Complete: complete, Actor: "tester",
		Classes: map[string]Class{"test-token": ClassToken, "test-password": ClassPassword},
	}, fs)
	if err != nil {
		t.Fatalf("ingest %s %s: %v", source, repo, err)
	}
	return sum
}

func mustSecrets(t testing.TB, s Store, q Query) []Secret {
	t.Helper()
	out, err := s.Secrets(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustVerify(t testing.TB, s Store) VerifyResult {
	t.Helper()
	res, err := Verify(context.Background(), s)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

func testEmpty(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	if got := mustSecrets(t, s, Query{}); len(got) != 0 {
		t.Errorf("Secrets = %d entries, want 0", len(got))
	}
	if res := mustVerify(t, s); res.Entries != 0 || res.HeadSeq != 0 {
		t.Errorf("Verify on empty = %+v", res)
	}
	if _, err := s.Secret(ctx, "abcd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Secret(abcd) error = %v, want ErrNotFound", err)
	}
	p, err := s.Policy(ctx)
	if err != nil || !cmp.Equal(p, Policy{}) {
		t.Errorf("Policy = %+v, %v; want zero", p, err)
	}
	m, err := s.Suppressed(ctx, []string{"00"})
	if err != nil || len(m) != 0 {
		t.Errorf("Suppressed = %v, %v", m, err)
	}
}

// The acceptance case: one secret, a production config in one repository
// and a staging config in another → one entry, two locations, shared.
func testOneSecretTwoRepositories(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	sec := randomSecret(t)
	sum1 := fx.ingest(t, s, "git", "/src/billing", true, commitFinding(sec, "config/prod/app.env", 3, "c1", time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)))
	sum2 := fx.ingest(t, s, "git", "/src/payments", true, commitFinding(sec, "deploy/values-staging.yaml", 7, "c2", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)))
	if sum1.NewSecrets != 1 || sum2.NewSecrets != 0 || sum2.NewLocations != 1 {
		t.Errorf("summaries: %+v %+v", sum1, sum2)
	}
	got := mustSecrets(t, s, Query{})
	if len(got) != 1 {
		t.Fatalf("got %d secrets, want 1", len(got))
	}
	if got[0].Fingerprint != fx.fp(sec) || len(got[0].Locations) != 2 {
		t.Fatalf("secret = %+v", got[0])
	}
	c, _ := NewClassifier(nil)
	e := Evaluate(got[0], Policy{}, c, time.Now())
	if !e.SharedEnvironments || !e.MultiRepository {
		t.Errorf("shared=%v multi=%v, want both", e.SharedEnvironments, e.MultiRepository)
	}
	if diff := cmp.Diff([]Environment{EnvProduction, EnvStaging}, e.Environments); diff != "" {
		t.Errorf("environments (-want +got):\n%s", diff)
	}
	if want := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC); !e.EarliestEvidence.Equal(want) {
		t.Errorf("earliest evidence = %v, want %v", e.EarliestEvidence, want)
	}
	if !e.Overdue {
		t.Errorf("a token from 2025 is not overdue: age %v max %v", e.Age, e.MaxAge)
	}
}

func testRescanGone(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	a, b := randomSecret(t), randomSecret(t)
	fx.ingest(t, s, "dir", "/w", true, finding(a, "a.env", 1), finding(b, "b.env", 1))
	first := mustSecrets(t, s, Query{})
	time.Sleep(2 * time.Millisecond)
	sum := fx.ingest(t, s, "dir", "/w", true, finding(a, "a.env", 5))
	if sum.Gone != 1 || sum.NewLocations != 0 || sum.NewSecrets != 0 {
		t.Errorf("rescan summary = %+v, want 1 gone", sum)
	}
	// Another source kind on the same root is a different set of locations.
	fx.ingest(t, s, "git", "/w", true)
	got := mustSecrets(t, s, Query{})
	byFP := map[string]Secret{}
	for _, x := range got {
		byFP[x.Fingerprint] = x
	}
	la := byFP[fx.fp(a)].Locations[0]
	if !la.Present() || la.Line != 5 {
		t.Errorf("a's location = %+v, want present at line 5", la)
	}
	if !byFP[fx.fp(a)].LastSeen.After(first[0].LastSeen) && !byFP[fx.fp(a)].LastSeen.After(first[1].LastSeen) {
		t.Errorf("last seen not updated")
	}
	if !byFP[fx.fp(a)].FirstSeen.Equal(la.FirstSeen) {
		t.Errorf("first seen changed: %v vs %v", byFP[fx.fp(a)].FirstSeen, la.FirstSeen)
	}
	lb := byFP[fx.fp(b)].Locations[0]
	if lb.Present() {
		t.Errorf("b's location still present after a complete rescan without it")
	}
	// Found again: present again, not a new location.
	sum = fx.ingest(t, s, "dir", "/w", true, finding(a, "a.env", 5), finding(b, "b.env", 1))
	if sum.NewLocations != 0 || sum.Gone != 0 {
		t.Errorf("third scan summary = %+v", sum)
	}
	for _, x := range mustSecrets(t, s, Query{}) {
		if !x.Locations[0].Present() {
			t.Errorf("%s: location gone after being found again", x.Fingerprint)
		}
	}
}

func testPartialScan(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	a, b := randomSecret(t), randomSecret(t)
	fx.ingest(t, s, "git", "/r", true, finding(a, "a", 1), finding(b, "b", 1))
	sum := fx.ingest(t, s, "git", "/r", false, finding(a, "a", 1))
	if sum.Gone != 0 {
		t.Errorf("partial scan marked %d gone", sum.Gone)
	}
	for _, x := range mustSecrets(t, s, Query{}) {
		if !x.Locations[0].Present() {
			t.Errorf("location gone after a partial scan")
		}
	}
}

func testEarliestCommit(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	sec := randomSecret(t)
	late, early := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	fx.ingest(t, s, "git", "/r", true, commitFinding(sec, "x.env", 1, "late", late))
	fx.ingest(t, s, "git", "/r", true, commitFinding(sec, "x.env", 1, "early", early))
	fx.ingest(t, s, "git", "/r", true, commitFinding(sec, "x.env", 1, "later", late.Add(time.Hour)))
	l := mustSecrets(t, s, Query{})[0].Locations
	if len(l) != 1 || l[0].Commit != "early" || !l[0].Date.Equal(early) || l[0].Author != "Ada" {
		t.Errorf("locations = %+v, want one at the early commit", l)
	}
}

func testSeverityUpgrade(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	sec := randomSecret(t)
	low := finding(sec, "f", 1)
	low.RuleID, low.Severity = "generic", detectors.SeverityLow
	fx.ingest(t, s, "dir", "/r", true, low)
	hi := finding(sec, "f", 1)
	hi.RuleID, hi.Severity = "test-password", detectors.SeverityCritical
	fx.ingest(t, s, "dir", "/r", true, hi)
	fx.ingest(t, s, "dir", "/r", true, low)
	got := mustSecrets(t, s, Query{})[0]
	if got.RuleID != "test-password" || got.Severity != detectors.SeverityCritical || got.Class != ClassPassword {
		t.Errorf("secret = %s %v %s, want the critical password rule", got.RuleID, got.Severity, got.Class)
	}
	if got.Class == "" || got.Preview == "" {
		t.Errorf("missing class or preview: %+v", got)
	}
}

func testStatusLifecycle(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	sec := randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	fp := fx.fp(sec)
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	from, err := s.SetStatus(ctx, fp, StatusChange{To: StatusRotationRequired, Reason: "leaked in git", Actor: "alice", At: at})
	if err != nil || from != StatusOpen {
		t.Fatalf("open → rotation-required: %v, %v", from, err)
	}
	if _, err := s.SetStatus(ctx, fp, StatusChange{To: StatusOpen, Actor: "alice"}); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("rotation-required → open: error %v, want ErrInvalidTransition", err)
	}
	if _, err := s.SetStatus(ctx, fp, StatusChange{To: StatusFalsePositive, Actor: "alice"}); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("false-positive without reason: error %v, want ErrInvalidTransition", err)
	}
	if _, err := s.SetStatus(ctx, fp, StatusChange{To: "bogus", Actor: "alice"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bogus status: error %v, want ErrInvalid", err)
	}
	if _, err := s.SetStatus(ctx, "ffff", StatusChange{To: StatusRotated, Actor: "alice"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown fingerprint: error %v, want ErrNotFound", err)
	}
	if _, err := s.SetStatus(ctx, fp, StatusChange{To: StatusRotated, Reason: "new key in vault", Actor: "bob", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Secret(ctx, fp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusRotated || got.StatusActor != "bob" || got.StatusReason != "new key in vault" || !got.StatusAt.Equal(at.Add(time.Hour)) {
		t.Errorf("status fields = %s %s %q %v", got.Status, got.StatusActor, got.StatusReason, got.StatusAt)
	}
	want := []StatusEvent{
		{From: StatusOpen, To: StatusRotationRequired, Reason: "leaked in git", Actor: "alice", At: at},
		{From: StatusRotationRequired, To: StatusRotated, Reason: "new key in vault", Actor: "bob", At: at.Add(time.Hour)},
	}
	if diff := cmp.Diff(want, got.History); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// One ingest and two status changes; refused changes leave no entry.
	if res := mustVerify(t, s); res.Entries != 3 {
		t.Errorf("audit entries = %d, want 3", res.Entries)
	}
}

func testRegression(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	sec, other := randomSecret(t), randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1), finding(other, "g", 1))
	if _, err := s.SetStatus(ctx, fx.fp(sec), StatusChange{To: StatusRotated, Reason: "rotated", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	// Still in the same place: history cannot be rewritten, not a regression.
	if sum := fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1), finding(other, "g", 1)); len(sum.Regressions) != 0 {
		t.Errorf("same location flagged as regression: %v", sum.Regressions)
	}
	// A new place after rotation: regression.
	sum := fx.ingest(t, s, "dir", "/r2", true, finding(sec, "h", 1), finding(other, "h", 2))
	if diff := cmp.Diff([]string{fx.fp(sec)}, sum.Regressions); diff != "" {
		t.Errorf("regressions (-want +got):\n%s", diff)
	}
	got, err := s.Secret(ctx, fx.fp(sec))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClassifier(nil)
	if e := Evaluate(got, Policy{}, c, time.Now()); !e.Regression || e.Overdue {
		t.Errorf("regression=%v overdue=%v; want a regression, not overdue (rotated)", e.Regression, e.Overdue)
	}
	// Handling it (rotate again) clears the flag.
	time.Sleep(time.Millisecond)
	if _, err := s.SetStatus(ctx, fx.fp(sec), StatusChange{To: StatusRotationRequired, Reason: "leaked again", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Secret(ctx, fx.fp(sec))
	if e := Evaluate(got, Policy{}, c, time.Now()); e.Regression {
		t.Errorf("regression still flagged after the status changed")
	}
	// A gone location coming back after revocation is a regression too.
	if _, err := s.SetStatus(ctx, fx.fp(other), StatusChange{To: StatusRevoked, Reason: "revoked", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	fx.ingest(t, s, "dir", "/r2", true, finding(sec, "h", 1))
	sum = fx.ingest(t, s, "dir", "/r2", true, finding(sec, "h", 1), finding(other, "h", 2))
	if diff := cmp.Diff([]string{fx.fp(other)}, sum.Regressions); diff != "" {
		t.Errorf("returning location (-want +got):\n%s", diff)
	}
}

func testSuppressed(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	var secs []string
	for range 4 {
		secs = append(secs, randomSecret(t))
	}
	var fs []scanner.Finding
	for i, x := range secs {
		fs = append(fs, finding(x, fmt.Sprintf("f%d", i), 1))
	}
	fx.ingest(t, s, "dir", "/r", true, fs...)
	for i, st := range []Status{StatusFalsePositive, StatusAcceptedRisk, StatusRotated} {
		if _, err := s.SetStatus(ctx, fx.fp(secs[i]), StatusChange{To: st, Reason: "because", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	var fps []string
	for _, x := range secs {
		fps = append(fps, fx.fp(x))
	}
	fps = append(fps, "0000000000000000000000000000000")
	got, err := s.Suppressed(ctx, fps)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{fx.fp(secs[0]): true, fx.fp(secs[1]): true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Suppressed (-want +got):\n%s", diff)
	}
	// Many fingerprints: batched lookups.
	many := make([]string, 0, 1200)
	for i := range 1200 {
		many = append(many, fmt.Sprintf("%032x", i))
	}
	many = append(many, fx.fp(secs[0]))
	got, err = s.Suppressed(ctx, many)
	if err != nil || len(got) != 1 {
		t.Errorf("Suppressed(1201) = %v, %v", got, err)
	}
}

func testPrefixLookup(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	// Enough secrets that some share a 1-digit prefix.
	var fs []scanner.Finding
	for i := range 40 {
		fs = append(fs, finding(randomSecret(t), fmt.Sprintf("f%d", i), 1))
	}
	fx.ingest(t, s, "dir", "/r", true, fs...)
	all := mustSecrets(t, s, Query{})
	one := all[7]
	got, err := s.Secret(ctx, one.Fingerprint[:12])
	if err != nil || got.Fingerprint != one.Fingerprint {
		t.Errorf("Secret(prefix) = %s, %v", got.Fingerprint, err)
	}
	if got, err := s.Secret(ctx, strings.ToUpper(one.Fingerprint)); err != nil || got.Fingerprint != one.Fingerprint {
		t.Errorf("Secret(upper case) = %s, %v", got.Fingerprint, err)
	}
	if _, err := s.Secret(ctx, "abc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("3-digit prefix: %v, want ErrInvalid", err)
	}
	if _, err := s.Secret(ctx, "zzzz"); !errors.Is(err, ErrInvalid) {
		t.Errorf("non-hex prefix: %v, want ErrInvalid", err)
	}
	if _, err := s.Secret(ctx, "abcd%"); !errors.Is(err, ErrInvalid) {
		t.Errorf("wildcard prefix: %v, want ErrInvalid", err)
	}
	// An ambiguous prefix: find two sharing 1 digit, then ask with a
	// 4-digit-long prefix the store cannot resolve — build it from a real
	// pair if one exists at 4 digits, else check the query path via Query.
	q := mustSecrets(t, s, Query{Fingerprint: one.Fingerprint[:1]})
	for _, x := range q {
		if x.Fingerprint[0] != one.Fingerprint[0] {
			t.Errorf("Query prefix %q returned %s", one.Fingerprint[:1], x.Fingerprint)
		}
	}
	for i := 1; i < len(all); i++ {
		if all[i].Fingerprint[:4] == all[i-1].Fingerprint[:4] {
			if _, err := s.Secret(ctx, all[i].Fingerprint[:4]); !errors.Is(err, ErrAmbiguous) {
				t.Errorf("ambiguous prefix: %v, want ErrAmbiguous", err)
			}
		}
	}
}

func testKeyMismatch(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	fx.ingest(t, s, "dir", "/r", true, finding(randomSecret(t), "f", 1))
	other := newFixture(t)
	_, err := Ingest(context.Background(), s, other.key, Scan{Source: "dir", Repository: "/r", Complete: true}, []scanner.Finding{finding(randomSecret(t), "g", 1)})
	if !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("ingest with another key: %v, want ErrKeyMismatch", err)
	}
	if _, err := Ingest(context.Background(), s, []byte("short"), Scan{Source: "dir"}, nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("ingest with a short key: %v, want ErrNoKey", err)
	}
	if n := len(mustSecrets(t, s, Query{})); n != 1 {
		t.Errorf("%d secrets after a refused ingest, want 1", n)
	}
	mustVerify(t, s)
}

func testScansAndRepositories(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	start := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	for i, head := range []string{"aaa", "bbb"} {
		_, err := Ingest(ctx, s, fx.key, Scan{Source: "git", Repository: "https://user:hunter2@git.example/acme/api.git", HeadCommit: head, Branch: "main",
			Started: start.Add(time.Duration(i) * time.Hour), Finished: start.Add(time.Duration(i)*time.Hour + time.Minute), Complete: true},
			[]scanner.Finding{finding(randomSecret(t), "f", 1)})
		if err != nil {
			t.Fatal(err)
		}
	}
	scans, err := s.Scans(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 2 || scans[0].HeadCommit != "bbb" || scans[0].ID <= scans[1].ID {
		t.Fatalf("scans = %+v", scans)
	}
	sc := scans[0]
	if sc.Repository != "https://git.example/acme/api.git" || !sc.Complete || sc.Findings != 1 || sc.Secrets != 1 || sc.NewSecrets != 1 || sc.Gone != 1 ||
		!sc.Started.Equal(start.Add(time.Hour)) || !sc.Finished.Equal(start.Add(time.Hour+time.Minute)) || sc.Branch != "main" {
		t.Errorf("scan record = %+v", sc)
	}
	if one, _ := s.Scans(ctx, 1); len(one) != 1 {
		t.Errorf("Scans(1) = %d records", len(one))
	}
	repos, err := s.Repositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []RepositoryRecord{{Source: "git", Repository: "https://git.example/acme/api.git", LastCommit: "bbb", LastScanID: sc.ID, LastScanAt: sc.Finished}}
	if diff := cmp.Diff(want, repos); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

func testPolicy(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	p := Policy{
		MaxAge:       map[Class]Duration{ClassToken: Duration(2 * time.Hour)},
		RuleMaxAge:   map[string]Duration{"test-password": Duration(7 * day)},
		Environments: []EnvironmentRule{{Pattern: `^acme-pay`, Env: EnvProduction, Field: FieldRepository}},
	}
	changed, err := s.SetPolicy(ctx, p, "carol", "quarterly review")
	if err != nil || !changed {
		t.Fatalf("SetPolicy = %v, %v", changed, err)
	}
	got, err := s.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("policy round trip (-want +got):\n%s", diff)
	}
	if changed, err := s.SetPolicy(ctx, p, "carol", "again"); err != nil || changed {
		t.Errorf("unchanged SetPolicy = %v, %v; want false", changed, err)
	}
	if _, err := s.SetPolicy(ctx, Policy{MaxAge: map[Class]Duration{"nope": 1}}, "carol", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid class: %v", err)
	}
	if _, err := s.SetPolicy(ctx, Policy{Environments: []EnvironmentRule{{Pattern: "(", Env: EnvTest}}}, "carol", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid pattern: %v", err)
	}
	entries, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != ActionPolicy || entries[0].Actor != "carol" {
		t.Errorf("audit = %+v, want one policy entry", entries)
	}
	if changed, err := s.SetPolicy(ctx, Policy{}, "carol", "back to defaults"); err != nil || !changed {
		t.Errorf("reset = %v, %v", changed, err)
	}
	mustVerify(t, s)
}

func testAuditChain(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	sec := randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	if _, err := s.SetStatus(ctx, fx.fp(sec), StatusChange{To: StatusRevoked, Reason: "revoked at provider", Actor: "dave"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPolicy(ctx, Policy{MaxAge: map[Class]Duration{ClassPassword: Duration(30 * day)}}, "erin", ""); err != nil {
		t.Fatal(err)
	}
	entries, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i, e := range entries {
		actions = append(actions, e.Action)
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i, e.Seq)
		}
		if i > 0 && e.PrevHash != entries[i-1].Hash {
			t.Errorf("entry %d prev hash does not chain", e.Seq)
		}
		if e.At.IsZero() {
			t.Errorf("entry %d has no time", e.Seq)
		}
	}
	if diff := cmp.Diff([]string{ActionIngest, ActionStatus, ActionPolicy}, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	res := mustVerify(t, s)
	if res.Entries != 3 || res.HeadSeq != 3 || res.HeadHash != entries[2].Hash {
		t.Errorf("Verify = %+v", res)
	}
	page, _ := s.AuditLog(ctx, 1, 1)
	if len(page) != 1 || page[0].Seq != 2 {
		t.Errorf("AuditLog(after 1, limit 1) = %+v", page)
	}
	seq, hash, err := s.AuditHead(ctx)
	if err != nil || seq != 3 || hash != entries[2].Hash {
		t.Errorf("AuditHead = %d %s %v", seq, hash, err)
	}
}

// testAuditTamper edits, deletes and reorders rows behind the store's back.
func testAuditTamper(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	ss, ok := s.(*sqlStore)
	if !ok {
		t.Skip("not a SQL store")
	}
	fx := newFixture(t)
	sec := randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	for _, st := range []Status{StatusRotationRequired, StatusRotated, StatusRotationRequired, StatusRevoked} {
		if _, err := s.SetStatus(ctx, fx.fp(sec), StatusChange{To: st, Reason: "r", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	mustVerify(t, s) // 5 entries
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := ss.db.ExecContext(ctx, ss.d.rebind(q), args...); err != nil {
			t.Fatal(err)
		}
	}
	var data string
	if err := ss.db.QueryRowContext(ctx, `SELECT data FROM audit_log WHERE seq = 3`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		exec(`DELETE FROM audit_log`)
		entries := fx.auditCopy
		for _, e := range entries {
			exec(`INSERT INTO audit_log (seq, at, actor, action, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data, e.PrevHash, e.Hash)
		}
		exec(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, entries[len(entries)-1].Seq, entries[len(entries)-1].Hash)
		mustVerify(t, s)
	}
	var err error
	if fx.auditCopy, err = s.AuditLog(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper func()
		seq    int64
	}{
		{"edit data", func() { exec(`UPDATE audit_log SET data = ? WHERE seq = 3`, data[:len(data)-2]+`x"}`) }, 3},
		{"edit actor", func() { exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`) }, 2},
		{"edit and rehash", func() {
			e := fx.auditCopy[3]
			e.Actor = "mallory"
			h, _ := chainHash(e.PrevHash, e)
			exec(`UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 4`, e.Actor, h)
		}, 5},
		{"delete middle", func() { exec(`DELETE FROM audit_log WHERE seq = 2`) }, 2},
		{"delete last", func() { exec(`DELETE FROM audit_log WHERE seq = 5`) }, 5},
		{"delete last and head", func() {
			exec(`DELETE FROM audit_log WHERE seq = 5`)
			exec(`UPDATE audit_head SET seq = 4, hash = ? WHERE id = 1`, fx.auditCopy[3].Hash)
		}, -1}, // a valid prefix, but the secret's status is no longer accounted for
		{"swap two", func() {
			a, b := fx.auditCopy[1], fx.auditCopy[2]
			exec(`UPDATE audit_log SET at = ?, actor = ?, action = ?, data = ?, prev_hash = ?, hash = ? WHERE seq = 2`, b.At.UnixNano(), b.Actor, b.Action, b.Data, b.PrevHash, b.Hash)
			exec(`UPDATE audit_log SET at = ?, actor = ?, action = ?, data = ?, prev_hash = ?, hash = ? WHERE seq = 3`, a.At.UnixNano(), a.Actor, a.Action, a.Data, a.PrevHash, a.Hash)
		}, 2},
		{"renumber", func() {
			exec(`UPDATE audit_log SET seq = 99 WHERE seq = 4`)
		}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.tamper()
			defer restore()
			_, err := Verify(ctx, s)
			if c.seq < 0 {
				var se *StateError
				if !errors.As(err, &se) || !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), fx.fp(sec)) {
					t.Errorf("Verify = %v, want a StateError naming the secret", err)
				}
				return
			}
			var te *TamperError
			if !errors.As(err, &te) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want a TamperError", err)
			}
			if te.Seq != c.seq {
				t.Errorf("first bad entry = %d (%s), want %d", te.Seq, te.Reason, c.seq)
			}
		})
	}
}

func testConcurrentWriters(t *testing.T, s Store, reopen func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	stores := []Store{s}
	if reopen != nil {
		s2, err := reopen()
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		stores = append(stores, s2)
	}
	shared := randomSecret(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[w%len(stores)]
			for i := range 5 {
				_, err := Ingest(ctx, st, fx.key, Scan{Source: "dir", Repository: fmt.Sprintf("/r%d", w), Complete: true},
					[]scanner.Finding{finding(shared, "shared.env", 1), finding(fmt.Sprintf("own-%d-%d-%x", w, i, randomBytes(t, 8)), "own.env", i+1)})
				if err != nil {
					errs <- err
					return
				}
			}
			if _, err := st.SetPolicy(ctx, Policy{RuleMaxAge: map[string]Duration{fmt.Sprintf("r%d", w): Duration(day)}}, "w", ""); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res := mustVerify(t, s)
	if res.Entries != 24 {
		t.Errorf("audit entries = %d, want 20 ingests + 4 policy changes", res.Entries)
	}
	got, err := s.Secret(ctx, fx.fp(shared))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Locations) != 4 {
		t.Errorf("shared secret has %d locations, want 4", len(got.Locations))
	}
}

func testReopen(t *testing.T, s Store, reopen func() (Store, error)) {
	if reopen == nil {
		t.Skip("store cannot be reopened")
	}
	fx := newFixture(t)
	sec := randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	s2, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := mustSecrets(t, s2, Query{}); len(got) != 1 || got[0].Fingerprint != fx.fp(sec) {
		t.Errorf("reopened store: %+v", got)
	}
	fx.ingest(t, s2, "dir", "/r", true, finding(sec, "f", 1))
	mustVerify(t, s)
	if ss, ok := s2.(*sqlStore); ok {
		var n int
		// One row per migration; versions may have gaps.
		if err := ss.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
			t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, len(migrations))
		}
	}
}

// testNoPlaintext reads every text column back: no secret value appears.
func testNoPlaintext(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	var secs []string
	var fs []scanner.Finding
	for i := range 50 {
		sec := randomSecret(t)
		secs = append(secs, sec)
		fs = append(fs, commitFinding(sec, fmt.Sprintf("dir/f%d.env", i), i+1, fmt.Sprintf("c%d", i), time.Now()))
	}
	fx.ingest(t, s, "git", "https://ci:"+secs[0]+"@git.example/acme/x.git", true, fs...)
	export, err := s.Secrets(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	scans, _ := s.Scans(ctx, 0)
	audit, _ := s.AuditLog(ctx, 0, 0)
	blob := fmt.Sprintf("%+v %+v %+v", export, scans, audit)
	for _, sec := range secs {
		if strings.Contains(blob, sec) || strings.Contains(blob, sec[4:]) {
			t.Fatalf("secret value found in the store's contents")
		}
	}
}

func testFilters(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	a, b, c := randomSecret(t), randomSecret(t), randomSecret(t)
	fa := finding(a, "config/prod/a.env", 1)
	fb := finding(b, "test/fixtures/b.env", 1)
	fb.Severity, fb.RuleID = detectors.SeverityLow, "test-password"
	fc := finding(c, ".github/workflows/deploy.yml", 1)
	fx.ingest(t, s, "dir", "/src/api", true, fa, fb, fc)
	fx.ingest(t, s, "dir", "/src/web", true, finding(a, "config/staging/a.env", 1))
	if _, err := s.SetStatus(ctx, fx.fp(c), StatusChange{To: StatusAcceptedRisk, Reason: "ci only", Actor: "x"}); err != nil {
		t.Fatal(err)
	}
	ids := func(f Filter) []string {
		t.Helper()
		es, _, err := List(ctx, s, f, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range es {
			out = append(out, e.Fingerprint)
		}
		return out
	}
	sorted := func(xs ...string) []string {
		for i := range xs {
			for j := i + 1; j < len(xs); j++ {
				if xs[j] < xs[i] {
					xs[i], xs[j] = xs[j], xs[i]
				}
			}
		}
		return xs
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, sorted(fx.fp(a), fx.fp(b), fx.fp(c))},
		{"status", Filter{Query: Query{Statuses: []Status{StatusAcceptedRisk}}}, []string{fx.fp(c)}},
		{"two statuses", Filter{Query: Query{Statuses: []Status{StatusOpen, StatusAcceptedRisk}}}, sorted(fx.fp(a), fx.fp(b), fx.fp(c))},
		{"severity", Filter{Query: Query{MinSeverity: detectors.SeverityMedium}}, sorted(fx.fp(a), fx.fp(c))},
		{"rule", Filter{Query: Query{RuleIDs: []string{"test-password"}}}, []string{fx.fp(b)}},
		{"environment", Filter{Environment: EnvCI}, []string{fx.fp(c)}},
		{"test env", Filter{Environment: EnvTest}, []string{fx.fp(b)}},
		{"repository", Filter{Repository: "web"}, []string{fx.fp(a)}},
		{"shared", Filter{Shared: true}, []string{fx.fp(a)}},
		{"fingerprint", Filter{Query: Query{Fingerprint: fx.fp(b)[:6]}}, []string{fx.fp(b)}},
		{"overdue", Filter{Overdue: true}, []string{}}, // just seen: nothing is an hour old
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	// Two hours on, the open token a is overdue (1h); b is a password
	// (90 days) and c, a token, is an accepted risk: not active.
	es, _, err := List(ctx, s, Filter{Overdue: true}, time.Now().Add(2*time.Hour))
	if err != nil || len(es) != 1 || es[0].Fingerprint != fx.fp(a) {
		t.Errorf("overdue in 2h = %d entries, %v; want a", len(es), err)
	}
	st := Summarize(mustEntries(t, s))
	if st.Secrets != 3 || st.Locations != 4 || st.Repositories != 2 || st.SharedEnvironments != 1 || st.MultiRepository != 1 ||
		st.ByStatus[StatusOpen] != 2 || st.ByStatus[StatusAcceptedRisk] != 1 || st.ByEnvironment[EnvProduction] != 1 || st.ByClass[ClassToken] != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func mustEntries(t *testing.T, s Store) []Entry {
	t.Helper()
	es, _, err := List(context.Background(), s, Filter{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// sqlExec runs SQL behind a SQL store's back, as an attacker with the
// database file or credentials would.
func sqlExec(t *testing.T, s Store) func(q string, args ...any) {
	ss, ok := s.(*sqlStore)
	if !ok {
		t.Skip("not a SQL store")
	}
	return func(q string, args ...any) {
		t.Helper()
		if _, err := ss.db.ExecContext(context.Background(), ss.d.rebind(q), args...); err != nil {
			t.Fatal(err)
		}
	}
}

// stateFixture: two scans of one repository, three secrets, one of them
// moved to rotation-required.
func stateFixture(t *testing.T, s Store) (fx *fixture, secs []string) {
	t.Helper()
	fx = newFixture(t)
	for range 3 {
		secs = append(secs, randomSecret(t))
	}
	fx.ingest(t, s, "dir", "/r", true, finding(secs[0], "a", 1), finding(secs[1], "b", 1))
	fx.ingest(t, s, "dir", "/r", true, finding(secs[0], "a", 1), finding(secs[2], "c", 1))
	if _, err := s.SetStatus(context.Background(), fx.fp(secs[1]), StatusChange{To: StatusRotationRequired, Reason: "leaked", Actor: "dave"}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)
	return fx, secs
}

// Direct SQL edits of a secret's status or a scan row, without the chain,
// are each named by Verify.
func testAuditCoversState(t *testing.T, s Store, _ func() (Store, error)) {
	exec := sqlExec(t, s)
	fx, secs := stateFixture(t, s)
	scans, err := s.Scans(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprint(scans[0].ID)
	cases := []struct {
		name   string
		tamper func()
		table  string
		row    string
	}{
		{"accept a never-changed secret", func() {
			exec(`UPDATE secrets SET status = 'accepted-risk' WHERE fingerprint = ?`, fx.fp(secs[0]))
		}, "secrets", fx.fp(secs[0])},
		{"accept with a plausible reason and history", func() {
			exec(`UPDATE secrets SET status = 'accepted-risk', status_reason = 'ok', status_actor = 'dave' WHERE fingerprint = ?`, fx.fp(secs[1]))
		}, "secrets", fx.fp(secs[1])},
		{"reopen quietly", func() {
			exec(`UPDATE secrets SET status = 'open', status_reason = '', status_actor = '', status_at = NULL WHERE fingerprint = ?`, fx.fp(secs[1]))
		}, "secrets", fx.fp(secs[1])},
		{"edit the status time", func() {
			exec(`UPDATE secrets SET status_at = status_at + 1 WHERE fingerprint = ?`, fx.fp(secs[1]))
		}, "secrets", fx.fp(secs[1])},
		{"delete the status history", func() {
			exec(`DELETE FROM status_history`)
		}, "secrets", fx.fp(secs[1])},
		{"edit a scan's counts", func() {
			exec(`UPDATE scans SET findings = 0, new_secrets = 0 WHERE id = ?`, scans[0].ID)
		}, "scans", last},
		{"edit a scan's repository", func() {
			exec(`UPDATE scans SET repository = '/elsewhere' WHERE id = ?`, scans[0].ID)
		}, "scans", last},
		{"edit a scan's time", func() {
			exec(`UPDATE scans SET finished_at = finished_at - 1000000000 WHERE id = ?`, scans[0].ID)
		}, "scans", last},
		{"delete a scan", func() {
			exec(`DELETE FROM scans WHERE id = ?`, scans[0].ID)
		}, "scans", last},
		{"insert a scan", func() {
			exec(`INSERT INTO scans (source, repository, started_at, finished_at, complete) VALUES ('dir', '/r', 1, 2, 1)`)
		}, "scans", ""},
		{"hide a present location", func() {
			exec(`UPDATE locations SET gone_at = last_seen WHERE path = 'c'`)
		}, "locations", fx.fp(secs[2]) + " dir /r:c"},
		{"bring back a gone location", func() {
			exec(`UPDATE locations SET gone_at = NULL WHERE path = 'b'`)
		}, "locations", fx.fp(secs[1]) + " dir /r:b"},
		{"delete a location", func() {
			exec(`DELETE FROM locations WHERE path = 'b'`)
		}, "locations", "first found by scan " + fmt.Sprint(scans[1].ID)},
		{"move a location", func() {
			exec(`UPDATE locations SET path = 'elsewhere' WHERE path = 'c'`)
		}, "locations", "first found by scan " + last},
		{"insert a location", func() {
			exec(`INSERT INTO locations (secret_id, source, repository, path, line, first_seen, last_seen, first_scan_id, last_scan_id)
				SELECT id, 'dir', '/r', 'planted', 1, first_seen, last_seen, first_scan_id, ? FROM secrets WHERE fingerprint = ?`, scans[0].ID, fx.fp(secs[0]))
		}, "locations", "first found by scan " + fmt.Sprint(scans[1].ID)},
		{"insert a secret", func() {
			exec(`INSERT INTO secrets (fingerprint, preview, rule_id, rule_name, severity, class, first_seen, last_seen, first_scan_id)
				VALUES ('00000000000000000000000000000000', 'x', 'r', 'r', 1, 'token', 1, 1, ?)`, scans[0].ID)
		}, "secrets", "first found by scan " + last},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case tampers inside a transaction-free copy: undo by
			// rebuilding the store's state is not possible, so each case
			// runs on a fresh fixture in the same store when the last
			// one was undone. Simplest: tamper, check, then restore the
			// rows from a snapshot.
			snap, err := s.AuditedState(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c.tamper()
			defer restoreState(t, s, snap)
			_, err = Verify(context.Background(), s)
			var se *StateError
			if !errors.As(err, &se) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want a StateError", err)
			}
			found := false
			for _, m := range se.Rows {
				found = found || (m.Table == c.table && (c.row == "" || m.Row == c.row))
			}
			if !found {
				t.Errorf("Verify named %v, want %s %s", se.Rows, c.table, c.row)
			}
		})
	}
}

// restoreState puts back the rows AuditedState read (status fields,
// history, scans).
func restoreState(t *testing.T, s Store, st AuditedState) {
	t.Helper()
	exec := sqlExec(t, s)
	exec(`DELETE FROM scans`)
	for _, r := range st.Scans {
		exec(`INSERT INTO scans (id, source, repository, branch, head_commit, started_at, finished_at, complete, findings, secrets, new_secrets, locations, new_locations, gone, regressions)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Source, r.Repository, r.Branch, r.HeadCommit, r.Started.UnixNano(), r.Finished.UnixNano(),
			boolInt(r.Complete), r.Findings, r.Secrets, r.NewSecrets, r.Locations, r.NewLocations, r.Gone, r.Regressions)
	}
	exec(`DELETE FROM locations`)
	exec(`DELETE FROM status_history`)
	exec(`DELETE FROM secrets WHERE fingerprint NOT IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(st.Secrets)), ", ")+`)`, func() []any {
		var a []any
		for _, r := range st.Secrets {
			a = append(a, r.Fingerprint)
		}
		return a
	}()...)
	for _, l := range st.Locations {
		exec(`INSERT INTO locations (secret_id, source, repository, path, line, first_seen, last_seen, first_scan_id, last_scan_id, gone_at)
			SELECT id, ?, ?, ?, 1, 1, 1, ?, ?, ? FROM secrets WHERE fingerprint = ?`, l.Source, l.Repository, l.Path, l.FirstScanID, l.LastScanID, nanos(l.GoneAt), l.Fingerprint)
	}
	for _, r := range st.Secrets {
		exec(`UPDATE secrets SET status = ?, status_reason = ?, status_actor = ?, status_at = ? WHERE fingerprint = ?`, string(r.Status), r.Reason, r.Actor, nanos(r.At), r.Fingerprint)
		for _, ev := range st.History[r.Fingerprint] {
			exec(`INSERT INTO status_history (secret_id, from_status, to_status, reason, actor, at) SELECT id, ?, ?, ?, ?, ? FROM secrets WHERE fingerprint = ?`,
				string(ev.From), string(ev.To), ev.Reason, ev.Actor, ev.At.UnixNano(), r.Fingerprint)
		}
	}
	mustVerify(t, s)
}

// Truncating the log (tail rows deleted, head moved back) or emptying it
// (head reset) leaves a self-consistent chain: a head published earlier
// catches both, and the scans the tables still hold do too.
func testAuditExpectHead(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	exec := sqlExec(t, s)
	stateFixture(t, s)
	res := mustVerify(t, s)
	published := res.Head()
	if res.HeadSeq != 3 || published.String() != fmt.Sprintf("3:%s", res.HeadHash) {
		t.Fatalf("head = %v", published)
	}
	back, err := ParseHead(published.String())
	if err != nil || back != published {
		t.Fatalf("ParseHead(%q) = %v, %v", published, back, err)
	}
	if _, err := VerifyWith(ctx, s, VerifyOptions{ExpectHead: &published}); err != nil {
		t.Fatalf("VerifyWith(the current head) = %v", err)
	}
	entries, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	restore := func() {
		exec(`DELETE FROM audit_log`)
		for _, e := range entries {
			exec(`INSERT INTO audit_log (seq, at, actor, action, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data, e.PrevHash, e.Hash)
		}
		exec(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, published.Seq, published.Hash)
		mustVerify(t, s)
	}
	cases := []struct {
		name   string
		tamper func()
	}{
		{"delete the tail and move the head", func() {
			exec(`DELETE FROM audit_log WHERE seq >= 2`)
			exec(`UPDATE audit_head SET seq = 1, hash = ? WHERE id = 1`, entries[0].Hash)
		}},
		{"empty the log and reset the head", func() {
			exec(`DELETE FROM audit_log`)
			exec(`UPDATE audit_head SET seq = 0, hash = '' WHERE id = 1`)
		}},
		{"rewrite the whole chain consistently", func() {
			// Rebuild every entry with another actor: every link verifies.
			exec(`DELETE FROM audit_log`)
			prev := ""
			for _, e := range entries {
				e.Actor = "mallory"
				if prev != "" {
					e.PrevHash = prev
				}
				e.Hash, _ = chainHash(e.PrevHash, e)
				prev = e.Hash
				exec(`INSERT INTO audit_log (seq, at, actor, action, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data, e.PrevHash, e.Hash)
			}
			exec(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, published.Seq, prev)
			exec(`UPDATE secrets SET status_actor = 'mallory' WHERE status_actor <> ''`)
			exec(`UPDATE status_history SET actor = 'mallory'`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.tamper()
			defer func() {
				exec(`UPDATE secrets SET status_actor = 'dave' WHERE status_actor <> ''`)
				exec(`UPDATE status_history SET actor = 'dave'`)
				restore()
			}()
			_, err := VerifyWith(ctx, s, VerifyOptions{ExpectHead: &published})
			var te *TamperError
			if !errors.As(err, &te) || !errors.Is(err, ErrTampered) {
				t.Fatalf("VerifyWith(published head) = %v, want a TamperError", err)
			}
			if te.Seq > published.Seq || te.Seq < 1 {
				t.Errorf("first bad entry = %d (%s)", te.Seq, te.Reason)
			}
		})
	}
	// Without the published head, a reset log still disagrees with the
	// scans and secrets the tables hold.
	t.Run("reset without a published head", func(t *testing.T) {
		exec(`DELETE FROM audit_log`)
		exec(`UPDATE audit_head SET seq = 0, hash = '' WHERE id = 1`)
		defer restore()
		_, err := Verify(ctx, s)
		var se *StateError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "no audit entry records this scan") {
			t.Errorf("Verify = %v, want the unrecorded scans named", err)
		}
	})
	if _, err := ParseHead("3"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseHead(3) = %v, want ErrInvalid", err)
	}
	if _, err := ParseHead("3:abc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseHead(3:abc) = %v, want ErrInvalid", err)
	}
	if h := (Head{}).String(); h != "0:"+strings.Repeat("0", 64) {
		t.Errorf("empty head = %q", h)
	}
}

// Inventories written before entries carried the whole state (status
// entries without the time, ingest entries without branch and times) still
// verify, judged on the fields their entries hold.
func testAuditLegacyEntries(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	exec := sqlExec(t, s)
	stateFixture(t, s)
	entries, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM audit_log`)
	prev := ""
	for _, e := range entries {
		var d map[string]any
		if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"at_ns", "branch", "started_ns", "finished_ns", "new_secrets_digest", "new_locations_digest"} {
			delete(d, k)
		}
		b, _ := json.Marshal(d)
		e.Data = string(b)
		if prev != "" {
			e.PrevHash = prev
		}
		e.Hash, _ = chainHash(e.PrevHash, e)
		prev = e.Hash
		exec(`INSERT INTO audit_log (seq, at, actor, action, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data, e.PrevHash, e.Hash)
	}
	exec(`UPDATE audit_head SET hash = ? WHERE id = 1`, prev)
	mustVerify(t, s)
	// The fields legacy entries do hold are still checked.
	exec(`UPDATE secrets SET status = 'accepted-risk' WHERE status = 'rotation-required'`)
	if _, err := Verify(ctx, s); !errors.Is(err, ErrTampered) {
		t.Errorf("Verify after a status edit under legacy entries = %v, want tampered", err)
	}
}

// The CI gate's suppression is vouched for by the chain: a status set by
// SQL suppresses nothing and says why.
func testTrustedSuppressed(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	exec := sqlExec(t, s)
	fx, secs := stateFixture(t, s)
	if _, err := s.SetStatus(ctx, fx.fp(secs[2]), StatusChange{To: StatusFalsePositive, Reason: "test fixture", Actor: "erin"}); err != nil {
		t.Fatal(err)
	}
	fps := []string{fx.fp(secs[0]), fx.fp(secs[1]), fx.fp(secs[2])}
	got, err := TrustedSuppressed(ctx, s, fps)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{fx.fp(secs[2]): true}, got); diff != "" {
		t.Errorf("TrustedSuppressed (-want +got):\n%s", diff)
	}
	exec(`UPDATE secrets SET status = 'accepted-risk', status_reason = 'x', status_actor = 'erin' WHERE fingerprint = ?`, fx.fp(secs[0]))
	got, err = TrustedSuppressed(ctx, s, fps)
	if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), fx.fp(secs[0])) || got[fx.fp(secs[0])] {
		t.Errorf("TrustedSuppressed after a direct status edit = %v, %v; want no suppression and the row named", got, err)
	}
}

// A vault index that could read nothing is an audit entry marked failed
// with its errors, and changes nothing: the previous index stands, even
// if the caller claimed the index complete.
func testFailedVaultIndex(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	a := randomSecret(t)
	mustIndex(t, s, fx.vaultBatch("vault", "https://v", true, fx.kv("secret", "app", "token", "1", a)))
	before := mustVault(t, s, VaultQuery{IncludeGone: true})
	failed := fx.vaultBatch("vault", "https://v", true)
	failed.Errors = []string{"secret/: list secret/metadata/: connection refused"}
	if _, err := s.RecordVaultIndex(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, mustVault(t, s, VaultQuery{IncludeGone: true})); diff != "" {
		t.Errorf("a failed index changed the index (-before +after):\n%s", diff)
	}
	es, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := es[len(es)-1]
	var d struct {
		Complete bool     `json:"complete"`
		Failed   bool     `json:"failed"`
		Errors   []string `json:"errors"`
		Entries  int      `json:"entries"`
	}
	if err := json.Unmarshal([]byte(last.Data), &d); err != nil {
		t.Fatal(err)
	}
	if last.Action != ActionVaultIndex || !d.Failed || d.Complete || len(d.Errors) != 1 || d.Entries != 0 {
		t.Errorf("last entry = %s %s, want a failed vault index with its error", last.Action, last.Data)
	}
	mustVerify(t, s)
}
