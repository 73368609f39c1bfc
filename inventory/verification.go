package inventory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// Verification is one answer a provider gave about a secret: live,
// revoked or unknown (scanner.VerifyLive …), when, the safe identity
// fields the validator showed, and why it is unknown. The inventory
// records it by the secret's keyed fingerprint; the value is never stored.
type Verification struct {
	Status    string            `json:"status"`
	CheckedAt time.Time         `json:"checked_at"`
	Identity  map[string]string `json:"identity,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	// RuleID is the rule whose validator asked.
	RuleID string `json:"rule_id"`
	// ScanID is the scan that verified it.
	ScanID int64 `json:"scan_id,omitempty"`
}

// VerificationRecord is one verification of a batch.
type VerificationRecord struct {
	Fingerprint string
	Verification
}

// Latest is the secret's most recent verification, nil if never verified.
func (s Secret) Latest() *Verification {
	if len(s.Verifications) == 0 {
		return nil
	}
	v := s.Verifications[len(s.Verifications)-1]
	return &v
}

// LiveStatus is the latest verification's status, "" if never verified.
func (s Secret) LiveStatus() string {
	if v := s.Latest(); v != nil {
		return v.Status
	}
	return ""
}

// LastChecked is when the secret was last verified (zero if never).
func (s Secret) LastChecked() time.Time {
	if v := s.Latest(); v != nil {
		return v.CheckedAt
	}
	return time.Time{}
}

// liveStatuses are the statuses a latest verification has, in the
// order messages list them.
var liveStatuses = []string{scanner.VerifyLive, scanner.VerifyUnknown, scanner.VerifyRevoked}

// ParseLiveFilter reads the statuses FilterLive is to keep (the --live
// of 'inventory list'): each must be live, unknown or revoked. An error
// names the first that is not ("…: want a list of live, unknown,
// revoked"; a caller adds the flag's name).
func ParseLiveFilter(statuses []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, l := range statuses {
		if !slices.Contains(liveStatuses, l) {
			return nil, fmt.Errorf("%q: want a list of %s", l, strings.Join(liveStatuses, ", "))
		}
		want[l] = true
	}
	return want, nil
}

// FilterLive keeps, in place, the entries whose latest verification
// status is in want (all of them when want is empty).
func FilterLive(es []Entry, want map[string]bool) []Entry {
	if len(want) == 0 {
		return es
	}
	out := es[:0]
	for _, e := range es {
		if want[e.LiveStatus()] {
			out = append(out, e)
		}
	}
	return out
}

// AnyVerified reports whether a scan ever verified one of es.
func AnyVerified(es []Entry) bool {
	for _, e := range es {
		if len(e.Verifications) > 0 {
			return true
		}
	}
	return false
}

// verifyAudit is a "verify" entry: the verifications one ingest recorded,
// as the verifications table holds them.
type verifyAudit struct {
	ScanID        int64               `json:"scan_id"`
	Verifications []verificationAudit `json:"verifications"`
}

type verificationAudit struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Status      string `json:"status"`
	CheckedAtNS int64  `json:"checked_at_ns"`
	Identity    string `json:"identity,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// identityJSON is the stored form of an identity map ("" when empty);
// encoding/json sorts map keys, so it is canonical.
func identityJSON(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

func parseIdentity(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}
