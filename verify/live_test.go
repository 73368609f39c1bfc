package verify

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// TestLiveValidators is opt-in: it calls the real providers. For a rule
// id such as github-pat set
//
//	SPRAWL_LIVE_VERIFY_GITHUB_PAT=<a working token>           # expects live
//	SPRAWL_LIVE_VERIFY_GITHUB_PAT_REVOKED=<a revoked token>   # expects revoked
//
// The value is run through the rule's matcher first, so a pair such as
// Twilio's "ACSID:token" yields its captures; otherwise it is the secret.
// Nothing is printed of the value.
func TestLiveValidators(t *testing.T) {
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range rules {
		if r.Verify == nil {
			continue
		}
		base := "SPRAWL_LIVE_VERIFY_" + strings.ToUpper(strings.ReplaceAll(r.ID, "-", "_"))
		for suffix, want := range map[string]string{"": scanner.VerifyLive, "_REVOKED": scanner.VerifyRevoked} {
			val := os.Getenv(base + suffix)
			if val == "" {
				continue
			}
			ran++
			t.Run(r.ID+suffix, func(t *testing.T) {
				c := Candidate{Rule: r, Secret: val}
				if m, err := detectors.NewMatcher([]*detectors.Rule{r}, detectors.Allowlist{}); err == nil {
					for _, mt := range m.Match([]byte(val)) {
						if mt.Rule.ID == r.ID {
							c = Candidate{Rule: r, Secret: mt.Secret, Captures: r.Captures([]byte(val)[mt.MatchStart:mt.MatchEnd])}
							break
						}
					}
				}
				got := New(Options{}).Verify(context.Background(), c)
				if got.Status != want {
					t.Fatalf("%s: %s (%s), want %s", base+suffix, got.Status, got.Reason, want)
				}
				t.Logf("%s: %s, identity %v", r.ID, got.Status, got.Identity)
			})
		}
	}
	if ran == 0 {
		t.Skip("set SPRAWL_LIVE_VERIFY_<RULE_ID> to run against a real provider (see docs/verification.md)")
	}
}
