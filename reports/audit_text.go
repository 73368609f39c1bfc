package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// The inventory's history as the commands print it: the audit log and
// the recorded scans.

// WriteAuditTable writes es as the 'audit log' table, one row per entry
// with its sequence number, time, actor, action, a one-line summary
// (AuditSummary) and its hash cut to 12 digits, drawn within width
// display columns (0: no limit).
func WriteAuditTable(w io.Writer, width int, es []inventory.AuditEntry) error {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, []string{strconv.FormatInt(e.Seq, 10), When(e.At), e.Actor, e.Action, AuditSummary(e), ShortFingerprint(e.Hash)})
	}
	return RenderTable(w, width, []string{"SEQ", "TIME", "ACTOR", "ACTION", "DETAILS", "HASH"}, rows)
}

// WriteScansTable writes scans as the 'inventory scans' table, one row
// per scan with its id, when it finished, what it scanned, whether it was
// complete, and what it found, recorded and saw gone, drawn within width
// display columns (0: no limit).
func WriteScansTable(w io.Writer, width int, scans []inventory.ScanRecord) error {
	rows := make([][]string, 0, len(scans))
	for _, sc := range scans {
		kind := "partial"
		if sc.Complete {
			kind = "complete"
		}
		rows = append(rows, []string{strconv.FormatInt(sc.ID, 10), When(sc.Finished), sc.Source, sc.Repository, kind,
			strconv.Itoa(sc.Findings), fmt.Sprintf("%d (%d new)", sc.Secrets, sc.NewSecrets),
			fmt.Sprintf("%d (%d new)", sc.Locations, sc.NewLocations), strconv.Itoa(sc.Gone), ShortFingerprint(sc.HeadCommit)})
	}
	return RenderTable(w, width, []string{"ID", "FINISHED", "SOURCE", "REPOSITORY", "SCAN", "FINDINGS", "SECRETS", "LOCATIONS", "GONE", "HEAD"}, rows)
}

// AuditIntactLine is what 'audit verify' prints for a chain that
// verified: how many entries, its head as SEQ:HASH and the table rows
// that agree with it, and, when the chain was checked against a head
// published earlier (expect, else nil), that the head is in it. An empty
// log is said to be intact with no entries.
func AuditIntactLine(res inventory.VerifyResult, expect *inventory.Head) string {
	if res.Entries == 0 {
		return "audit log intact: no entries"
	}
	noun := "entries"
	if res.Entries == 1 {
		noun = "entry"
	}
	msg := fmt.Sprintf("audit log intact: %d %s, head %s; %s and %s agree with it", res.Entries, noun, res.Head(),
		plural.Count(res.Secrets, "secret"), plural.Count(res.Scans, "scan"))
	if expect != nil {
		msg += fmt.Sprintf("; published head %d is in the chain", expect.Seq)
	}
	return msg
}

// AuditSummary describes an audit entry in one line for the audit log
// table, from its action and its data: "git https://github.com/acme/api:
// 2 secrets (1 new), …", "0123456789ab: open → rotated (done)". The data
// of an action it does not know, or that is not a JSON object, is
// returned as it is.
func AuditSummary(e inventory.AuditEntry) string {
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
		return e.Data
	}
	str := func(k string) string { s, _ := d[k].(string); return s }
	num := func(k string) int { f, _ := d[k].(float64); return int(f) }
	switch e.Action {
	case inventory.ActionIngest:
		s := fmt.Sprintf("%s %s: %s (%d new), %s (%d new, %d gone)", str("source"), str("repository"),
			plural.Count(num("secrets"), "secret"), num("new_secrets"), plural.Count(num("locations"), "location"), num("new_locations"), num("gone"))
		if r, ok := d["regressions"].([]any); ok && len(r) > 0 {
			s += ", " + plural.Count(len(r), "regression")
		}
		return s
	case inventory.ActionStatus:
		s := fmt.Sprintf("%s: %s → %s", ShortFingerprint(str("fingerprint")), str("from"), str("to"))
		if r := str("reason"); r != "" {
			s += " (" + r + ")"
		}
		return s
	case inventory.ActionPolicy:
		if r := str("reason"); r != "" {
			return "policy changed (" + r + ")"
		}
		return "policy changed"
	case inventory.ActionVaultIndex:
		errs, _ := d["errors"].([]any)
		firstErr := ""
		if len(errs) > 0 {
			firstErr, _ = errs[0].(string)
		}
		if failed, _ := d["failed"].(bool); failed {
			return fmt.Sprintf("FAILED index of %s %s: %s (nothing recorded)", str("adapter"), str("store"), firstErr)
		}
		s := fmt.Sprintf("indexed %s %s: %s (%d new, %d changed, %d gone)", str("adapter"), str("store"),
			plural.Count(num("entries"), "value"), num("new"), num("changed"), num("gone"))
		if len(errs) > 0 {
			s = "PARTIAL " + s + fmt.Sprintf(", %s: %s", plural.Count(len(errs), "error"), firstErr)
		}
		if r, ok := d["rotated"].([]any); ok && len(r) > 0 {
			s += fmt.Sprintf(", %d rotated", len(r))
		}
		if r, ok := d["rewritten"].([]any); ok && len(r) > 0 {
			s += fmt.Sprintf(", %d rewritten with the leaked value", len(r))
		}
		return s + managedAuditSummary(d)
	case inventory.ActionVault:
		where := str("adapter") + " " + str("store") + " " + strings.TrimPrefix(str("mount")+"/"+str("path"), "/")
		s := fmt.Sprintf("%s %s", str("action"), where)
		if f := str("finding"); f != "" {
			s += " (leaked " + ShortFingerprint(f) + ")"
		}
		if e := str("error"); e != "" {
			s += ": FAILED: " + e
		}
		return s
	case inventory.ActionOrgScan:
		s := fmt.Sprintf("%s: %s: %d full, %d incremental, %d skipped; %s", str("target"), plural.Count(num("repositories"), "repository"),
			num("full"), num("incremental"), num("skipped"), plural.Count(num("findings"), "finding"))
		if b := str("batch"); b != "" {
			s += " (batch " + b + ")"
		}
		return s
	case inventory.ActionVerify:
		vs, _ := d["verifications"].([]any)
		n := map[string]int{}
		for _, v := range vs {
			m, _ := v.(map[string]any)
			s, _ := m["status"].(string)
			n[s]++
		}
		return fmt.Sprintf("scan %d verified %s: %d live, %d revoked, %d unknown", num("scan_id"), plural.Count(len(vs), "secret"),
			n[scanner.VerifyLive], n[scanner.VerifyRevoked], n[scanner.VerifyUnknown])
	case inventory.ActionCISecrets:
		return fmt.Sprintf("CI secrets of %s:%s: %d (%d new, %d updated, %d gone)", str("provider"), str("owner"),
			num("secrets"), num("new"), num("updated"), num("gone"))
	}
	return e.Data
}

// managedAuditSummary describes a vault index entry's assessment (its
// data d's "assessment") for AuditSummary: "" when the entry predates
// assessments.
func managedAuditSummary(d map[string]any) string {
	a, ok := d["assessment"].(map[string]any)
	if !ok {
		return ""
	}
	num := func(k string) int { f, _ := a[k].(float64); return int(f) }
	return fmt.Sprintf("; assessed %d: %d overdue, %d never rotated, %d without expiry, %d unused, %d leaked",
		num("total"), num("overdue"), num("never_rotated"), num("no_expiry"), num("unused"), num("leaked"))
}
