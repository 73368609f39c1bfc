package reports

import (
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// csvVerifyHeader names the columns the csv format adds when findings
// were verified (--verify); without it the columns are left out, so the
// csv of an unverified scan is what it always was.
var csvVerifyHeader = []string{"verification", "verified_at", "identity"}

func anyVerified(fs []scanner.Finding) bool {
	for i := range fs {
		if fs[i].Verification != nil {
			return true
		}
	}
	return false
}

// verificationCells renders v as the csv columns: status, checked-at
// (RFC 3339, UTC) and the identity as name=value pairs joined by ";".
func verificationCells(v *scanner.Verification) []string {
	if v == nil {
		return []string{"", "", ""}
	}
	names := make([]string, 0, len(v.Identity))
	for n := range v.Identity {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + v.Identity[n]
	}
	at := ""
	if !v.CheckedAt.IsZero() {
		at = v.CheckedAt.UTC().Format(time.RFC3339)
	}
	return []string{v.Status, at, csvText(strings.Join(parts, ";"))}
}

// verificationText is the status with the identity in brackets, for the
// human formats: "live (login=octocat; scopes=repo)".
func verificationText(v *scanner.Verification) string {
	if v == nil {
		return ""
	}
	c := verificationCells(v)
	if c[2] == "" {
		return v.Status
	}
	return v.Status + " (" + strings.ReplaceAll(strings.TrimPrefix(c[2], "'"), ";", "; ") + ")"
}
