package inventory

import "database/sql"

// SilencedInline is Location.Suppressed for a location whose findings an
// inline allow comment (sprawl:allow, gitleaks:allow, trufflehog:ignore)
// silenced: the scan did not report the secret there, the inventory
// still records it.
const SilencedInline = "inline allow"

// Silenced reports whether a location where the secret is still present
// was silenced by a comment rather than reported.
func (l Location) Silenced() bool { return l.Present() && l.Suppressed != "" }

// SilencedLocations counts the secret's present locations that were
// silenced (see Location.Silenced).
func (s Secret) SilencedLocations() int {
	n := 0
	for _, l := range s.Locations {
		if l.Silenced() {
			n++
		}
	}
	return n
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
