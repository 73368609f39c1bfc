package inventory

import (
	"fmt"
	"strings"
)

// Status is where a secret is in its lifecycle.
type Status string

// The lifecycle: a secret starts open; rotation-required asks its owner to
// rotate it; it ends rotated or revoked (the credential is dead), or is
// judged a false positive or an accepted risk. Terminal states can be
// reopened as CheckTransition allows.
const (
	StatusOpen             Status = "open"
	StatusRotationRequired Status = "rotation-required"
	StatusRotated          Status = "rotated"
	StatusRevoked          Status = "revoked"
	StatusFalsePositive    Status = "false-positive"
	StatusAcceptedRisk     Status = "accepted-risk"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusOpen, StatusRotationRequired, StatusRotated, StatusRevoked, StatusFalsePositive, StatusAcceptedRisk}

// transitions is the lifecycle graph:
//
//	open ──▶ rotation-required ──▶ rotated | revoked | false-positive | accepted-risk
//	  └──────────────────────────▶ (any of those directly)
//	rotated, revoked ──▶ rotation-required  (it leaked again: rotate again)
//	rotated ──▶ revoked                      (the old value is now revoked too)
//	false-positive, accepted-risk ──▶ open | rotation-required  (reopened)
var transitions = map[Status][]Status{
	StatusOpen:             {StatusRotationRequired, StatusRotated, StatusRevoked, StatusFalsePositive, StatusAcceptedRisk},
	StatusRotationRequired: {StatusRotated, StatusRevoked, StatusFalsePositive, StatusAcceptedRisk},
	StatusRotated:          {StatusRotationRequired, StatusRevoked},
	StatusRevoked:          {StatusRotationRequired},
	StatusFalsePositive:    {StatusOpen, StatusRotationRequired},
	StatusAcceptedRisk:     {StatusOpen, StatusRotationRequired},
}

// ParseStatus reads a status name.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := transitions[v]; ok {
		return v, nil
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("%w: unknown status %q (want %s)", ErrInvalid, s, strings.Join(names, ", "))
}

// CheckTransition reports whether a secret may move from one status to
// another with this reason. False-positive and accepted-risk need a reason:
// they silence the CI gate, and an auditor will ask why.
func CheckTransition(from, to Status, reason string) error {
	if _, err := ParseStatus(string(to)); err != nil {
		return err
	}
	for _, ok := range transitions[from] {
		if ok == to {
			if (to == StatusFalsePositive || to == StatusAcceptedRisk) && strings.TrimSpace(reason) == "" {
				return fmt.Errorf("%w: %s needs a reason", ErrInvalidTransition, to)
			}
			return nil
		}
	}
	allowed := make([]string, 0, len(transitions[from]))
	for _, s := range transitions[from] {
		allowed = append(allowed, string(s))
	}
	return fmt.Errorf("%w: %s → %s (from %s: %s)", ErrInvalidTransition, from, to, from, strings.Join(allowed, ", "))
}

// Suppresses reports whether findings of a secret in this status should
// stop failing the CI gate.
func (s Status) Suppresses() bool { return s == StatusFalsePositive || s == StatusAcceptedRisk }

// Dead reports whether the credential is no longer valid, so a new sighting
// of it is a regression rather than a fresh leak.
func (s Status) Dead() bool { return s == StatusRotated || s == StatusRevoked }

// Active reports whether the secret still needs action: its age counts
// against the rotation policy.
func (s Status) Active() bool { return s == StatusOpen || s == StatusRotationRequired }
