package scanner

import (
	"time"

	"github.com/sprawlsec/sprawl/detectors"
)

// Verification statuses: what the provider said of a secret when asked.
const (
	// VerifyLive: the provider accepted the secret.
	VerifyLive = "live"
	// VerifyRevoked: the provider rejected it as invalid, revoked or expired.
	VerifyRevoked = "revoked"
	// VerifyUnknown: no answer that says either (no validator, a network or
	// server error, an unexpected response). Never read as revoked.
	VerifyUnknown = "unknown"
)

// Verification is the outcome of asking a provider whether a finding's
// secret still works (sprawl verifies only when asked: --verify).
type Verification struct {
	Status    string    `json:"status"`
	CheckedAt time.Time `json:"checked_at"`
	// Identity holds the validator's safe identity fields (login, account,
	// scopes, expiry …), never the data the secret guards.
	Identity map[string]string `json:"identity,omitempty"`
	// Reason says why the status is unknown ("no validator", "timeout",
	// "status 503" …).
	Reason string `json:"reason,omitempty"`
}

// verifyCaptures returns the named groups a rule's validator needs beyond
// the secret: those of the pattern, read from the text the match spanned,
// and those of the rule's Nearby block, read from the lines around it
// (for a programmatic validator's values found apart from the secret: a
// tenant, a client id, a token endpoint). A pattern group wins over a
// nearby one of the same name. A decoded match spans encoded text, where
// the groups cannot be read, so it gets none.
func verifyCaptures(r *detectors.Rule, data []byte, m detectors.Match) map[string]string {
	if (r.Verify == nil && r.Nearby == nil) || m.Encoding != "" || m.MatchStart < 0 || m.MatchEnd > len(data) || m.MatchStart >= m.MatchEnd {
		return nil
	}
	var out map[string]string
	if r.Nearby != nil || r.Verify.UsesCaptures() || r.Verify.InstanceHost != "" || r.Verify.Instance != nil {
		out = r.Captures(data[m.MatchStart:m.MatchEnd])
	}
	for k, v := range r.NearbyCaptures(data, m.MatchStart, m.MatchEnd) {
		if _, ok := out[k]; ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
