package inventory

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestFilterLive: entries are kept by their latest verification's
// status; no wanted status keeps them all. AnyVerified and LastChecked
// read the same history.
func TestFilterLive(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	live := Entry{Secret: Secret{Fingerprint: "a", Verifications: []Verification{{Status: "revoked"}, {Status: "live", CheckedAt: at}}}}
	revoked := Entry{Secret: Secret{Fingerprint: "b", Verifications: []Verification{{Status: "revoked"}}}}
	never := Entry{Secret: Secret{Fingerprint: "c"}}
	if got := FilterLive([]Entry{live, revoked, never}, map[string]bool{"live": true}); len(got) != 1 || got[0].Fingerprint != "a" {
		t.Errorf("live only: %v", got)
	}
	if got := FilterLive([]Entry{live, revoked, never}, nil); len(got) != 3 {
		t.Errorf("no filter kept %d of 3", len(got))
	}
	if !AnyVerified([]Entry{never, revoked}) || AnyVerified([]Entry{never}) {
		t.Error("AnyVerified")
	}
	if !live.LastChecked().Equal(at) || !never.LastChecked().IsZero() {
		t.Errorf("LastChecked: %v, %v", live.LastChecked(), never.LastChecked())
	}
}

// TestEvaluateStoredNotFound: a prefix no secret has is ErrNotFound.
func TestEvaluateStoredNotFound(t *testing.T) {
	s := openTestSQLite(t, filepath.Join(t.TempDir(), "inv.db"))
	if _, _, err := EvaluateStored(context.Background(), s, "abcd", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("error %v, want ErrNotFound", err)
	}
}

// The --live statuses: live, unknown and revoked, each kept; none keeps
// all (an empty set); anything else, "verified" included, is named.
func TestParseLiveFilter(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    map[string]bool
		wantErr string
	}{
		{nil, map[string]bool{}, ""},
		{[]string{"live"}, map[string]bool{"live": true}, ""},
		{[]string{"revoked", "unknown", "revoked"}, map[string]bool{"revoked": true, "unknown": true}, ""},
		{[]string{"live", "verified", "bogus"}, nil, `"verified": want a list of live, unknown, revoked`},
		{[]string{"Live"}, nil, `"Live": want a list of live, unknown, revoked`},
		{[]string{"\x1b[2J"}, nil, `"\x1b[2J": want a list of live, unknown, revoked`},
	} {
		got, err := ParseLiveFilter(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if d := cmp.Diff(tc.want, got); d != "" || got == nil {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
	}
}
