package inventory

import (
	"context"

	"github.com/sprawlsec/sprawl/detectors"
)

// Correlation is a leaked secret (found by a scan: code, history, a CI
// variable) judged against the vault index.
type Correlation struct {
	Secret Secret `json:"secret"`
	// Managed: a live vault entry holds the same value (same keyed
	// fingerprint). A leaked managed secret is critical: rotate it now.
	// An unmanaged one should be moved into a vault, then rotated.
	Managed bool `json:"managed"`
	// Vault lists the live entries holding the value: which store, path
	// and field.
	Vault []VaultEntry `json:"vault,omitempty"`
	// Severity is SeverityCritical for a managed secret, else the
	// secret's own.
	Severity detectors.Severity `json:"severity"`
	// Action says what to do, for people.
	Action string `json:"action"`
}

// Correlation actions.
const (
	ActionRotateNow   = "rotate now: leaked managed secret"
	ActionMoveToVault = "move into a vault, then rotate"
)

// Correlate returns, for every secret q selects (all of them for the zero
// Query), whether it is managed in an indexed secret store and where,
// in fingerprint order. Entries gone from their store do not count.
func Correlate(ctx context.Context, s Store, q Query) ([]Correlation, error) {
	secrets, err := s.Secrets(ctx, q)
	if err != nil {
		return nil, err
	}
	fps := make([]string, len(secrets))
	for i, sec := range secrets {
		fps[i] = sec.Fingerprint
	}
	byFP := map[string][]VaultEntry{}
	if len(fps) > 0 {
		entries, err := s.VaultEntries(ctx, VaultQuery{Fingerprints: fps})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			byFP[e.Fingerprint] = append(byFP[e.Fingerprint], e)
		}
	}
	out := make([]Correlation, 0, len(secrets))
	for _, sec := range secrets {
		c := Correlation{Secret: sec, Vault: byFP[sec.Fingerprint], Severity: sec.Severity, Action: ActionMoveToVault}
		if len(c.Vault) > 0 {
			c.Managed, c.Severity, c.Action = true, detectors.SeverityCritical, ActionRotateNow
		}
		out = append(out, c)
	}
	return out, nil
}
