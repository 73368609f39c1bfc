package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

// testSilencedLocation: a finding an inline allow comment silenced is
// recorded as a location marked suppressed; a location with a silenced and
// a reported occurrence is not silenced; a rescan that reports the secret
// there clears the mark. Silenced findings are not counted as findings.
func testSilencedLocation(t *testing.T, s Store, _ func() (Store, error)) {
	fx := newFixture(t)
	live, other := randomSecret(t), randomSecret(t)
	silenced := func(secret, file string, line int) (f scanner.Finding) {
		f = finding(secret, file, line)
		f.Suppressed = SilencedInline
		return f
	}
	sum := fx.ingest(t, s, "dir", "/repo", true,
		silenced(live, "app.env", 1),
		silenced(other, "a.env", 3), finding(other, "a.env", 7))
	if sum.Secrets != 2 || sum.Locations != 2 {
		t.Fatalf("summary = %+v, want 2 secrets, 2 locations", sum)
	}
	scans, err := s.Scans(t.Context(), 1)
	if err != nil || len(scans) != 1 || scans[0].Findings != 1 {
		t.Fatalf("scans = %+v, %v; want one scan with 1 finding (silenced ones are not)", scans, err)
	}
	got := map[string]string{}
	for _, sec := range mustSecrets(t, s, Query{}) {
		for _, l := range sec.Locations {
			got[sec.Fingerprint+" "+l.Path] = l.Suppressed
		}
	}
	want := map[string]string{fx.fp(live) + " app.env": SilencedInline, fx.fp(other) + " a.env": ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("location marks (-want +got):\n%s", d)
	}
	if sec := mustSecrets(t, s, Query{Fingerprint: fx.fp(live)}); sec[0].SilencedLocations() != 1 {
		t.Errorf("SilencedLocations = %d, want 1", sec[0].SilencedLocations())
	}

	// The comment is removed: the next scan reports it, the mark goes.
	fx.ingest(t, s, "dir", "/repo", true, finding(live, "app.env", 1), finding(other, "a.env", 7))
	sec := mustSecrets(t, s, Query{Fingerprint: fx.fp(live)})
	if l := sec[0].Locations[0]; l.Suppressed != "" || sec[0].SilencedLocations() != 0 {
		t.Errorf("after a reported rescan the location is still marked %q", l.Suppressed)
	}
}
