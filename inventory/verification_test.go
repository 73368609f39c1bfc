package inventory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

func verifiedFinding(secret, file, status string, at time.Time, identity map[string]string) scanner.Finding {
	f := finding(secret, file, 1)
	f.Verification = &scanner.Verification{Status: status, CheckedAt: at, Identity: identity}
	return f
}

// A scan's verifications are stored with the secret, oldest first, under
// its fingerprint only; the audit chain covers them, so a row edited,
// inserted or deleted behind the store's back is named by Verify.
func testVerificationHistory(t *testing.T, s Store, _ func() (Store, error)) {
	ctx := context.Background()
	fx := newFixture(t)
	sec, other := randomSecret(t), randomSecret(t)
	t1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	fx.ingest(t, s, "dir", "/r", true, verifiedFinding(sec, "a", scanner.VerifyLive, t1, map[string]string{"login": "octo"}), finding(other, "b", 1))
	fx.ingest(t, s, "dir", "/r", true, verifiedFinding(sec, "a", scanner.VerifyRevoked, t2, nil), finding(other, "b", 1))

	got, err := s.Secret(ctx, fx.fp(sec))
	if err != nil {
		t.Fatal(err)
	}
	want := []Verification{
		{Status: scanner.VerifyLive, CheckedAt: t1, Identity: map[string]string{"login": "octo"}, RuleID: "test-token"},
		{Status: scanner.VerifyRevoked, CheckedAt: t2, RuleID: "test-token"},
	}
	if diff := cmp.Diff(want, got.Verifications, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ScanID" }, cmp.Ignore())); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got.LiveStatus() != scanner.VerifyRevoked {
		t.Errorf("LiveStatus = %q, want revoked", got.LiveStatus())
	}
	list := mustSecrets(t, s, Query{})
	for _, l := range list {
		wantN := 0
		if l.Fingerprint == fx.fp(sec) {
			wantN = 2
		}
		if len(l.Verifications) != wantN {
			t.Errorf("Secrets: %s has %d verifications, want %d", l.Fingerprint, len(l.Verifications), wantN)
		}
	}
	if _, err := Verify(ctx, s); err != nil {
		t.Fatalf("verify: %v", err)
	}
	var verifyEntries int
	entries, err := s.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == ActionVerify {
			verifyEntries++
			if strings.Contains(e.Data, sec) {
				t.Error("verify entry holds the secret's value")
			}
		}
	}
	if verifyEntries != 2 {
		t.Errorf("%d verify audit entries, want 2", verifyEntries)
	}

	exec := sqlExec(t, s)
	exec(`UPDATE verifications SET status = 'live' WHERE status = 'revoked'`)
	var se *StateError
	if _, err := Verify(ctx, s); !errors.As(err, &se) || !strings.Contains(err.Error(), "verifications") {
		t.Fatalf("edited verification: Verify = %v, want a StateError naming verifications", err)
	}
	exec(`UPDATE verifications SET status = 'revoked' WHERE checked_at = ?`, t2.UnixNano())
	mustVerify(t, s)
	exec(`DELETE FROM verifications WHERE checked_at = ?`, t2.UnixNano())
	if _, err := Verify(ctx, s); !errors.As(err, &se) {
		t.Fatalf("deleted verification: Verify = %v, want a StateError", err)
	}
}
