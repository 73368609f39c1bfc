package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
)

// Each audit action reads as a sentence in `sprawl audit log`, not as
// raw JSON; data that is not an object, and actions it does not know,
// are shown as they are.
func TestAuditSummary(t *testing.T) {
	for _, tc := range []struct {
		name, action, data, want string
	}{
		{"ingest", inventory.ActionIngest, `{"source":"git","repository":"https://github.com/acme/api","secrets":2,"new_secrets":1,"locations":3,"new_locations":1,"gone":0,"regressions":["ab"]}`,
			"git https://github.com/acme/api: 2 secrets (1 new), 3 locations (1 new, 0 gone), 1 regression"},
		{"ingest without regressions", inventory.ActionIngest, `{"source":"dir","repository":"/x","secrets":1,"new_secrets":1,"locations":1,"new_locations":1,"gone":2,"regressions":[]}`,
			"dir /x: 1 secret (1 new), 1 location (1 new, 2 gone)"},
		{"status", inventory.ActionStatus, `{"fingerprint":"0123456789abcdef0123","from":"open","to":"rotated","reason":"done"}`,
			"0123456789ab: open → rotated (done)"},
		{"status without reason", inventory.ActionStatus, `{"fingerprint":"01","from":"open","to":"revoked"}`, "01: open → revoked"},
		{"policy", inventory.ActionPolicy, `{"reason":"tight"}`, "policy changed (tight)"},
		{"policy without reason", inventory.ActionPolicy, `{}`, "policy changed"},
		{"vault index", inventory.ActionVaultIndex, `{"adapter":"vault","store":"https://vault:8200","complete":true,"entries":12,"new":2,"changed":1,"unchanged":9,"gone":0,"rotated":[{}]}`,
			"indexed vault https://vault:8200: 12 values (2 new, 1 changed, 0 gone), 1 rotated"},
		{"failed vault index", inventory.ActionVaultIndex, `{"adapter":"aws","store":"eu","failed":true,"errors":["AccessDenied: no"]}`,
			"FAILED index of aws eu: AccessDenied: no (nothing recorded)"},
		{"partial vault index with assessment", inventory.ActionVaultIndex,
			`{"adapter":"azure","store":"kv","entries":3,"new":3,"errors":["e1","e2"],"rewritten":[1,2],"rotated":[],"assessment":{"total":5,"overdue":1,"never_rotated":4,"no_expiry":1,"unused":0,"leaked":2}}`,
			"PARTIAL indexed azure kv: 3 values (3 new, 0 changed, 0 gone), 2 errors: e1, 2 rewritten with the leaked value; assessed 5: 1 overdue, 4 never rotated, 1 without expiry, 0 unused, 2 leaked"},
		{"vault index with a malformed assessment", inventory.ActionVaultIndex, `{"adapter":"vault","store":"v","assessment":"nope"}`,
			"indexed vault v: 0 values (0 new, 0 changed, 0 gone)"},
		{"failed vault action", inventory.ActionVault, `{"adapter":"aws","store":"eu-west-1","path":"prod/db","action":"flag","finding":"fedcba9876543210ffff","error":"AccessDeniedException"}`,
			"flag aws eu-west-1 prod/db (leaked fedcba987654): FAILED: AccessDeniedException"},
		{"vault action", inventory.ActionVault, `{"adapter":"vault","store":"https://vault:8200","mount":"secret","path":"app","action":"clear"}`,
			"clear vault https://vault:8200 secret/app"},
		{"org scan of one repository", inventory.ActionOrgScan, `{"target":"github:acme","repositories":1,"full":1,"incremental":0,"skipped":0,"findings":1}`,
			"github:acme: 1 repository: 1 full, 0 incremental, 0 skipped; 1 finding"},
		{"org scan batch", inventory.ActionOrgScan, `{"target":"github:acme","repositories":7,"full":2,"incremental":3,"skipped":2,"findings":0,"batch":"b-1"}`,
			"github:acme: 7 repositories: 2 full, 3 incremental, 2 skipped; 0 findings (batch b-1)"},
		{"verify", inventory.ActionVerify, `{"scan_id":4,"verifications":[{"status":"live"},{"status":"revoked"},{"status":"unknown"},{"status":"live"},{}]}`,
			"scan 4 verified 5 secrets: 2 live, 1 revoked, 1 unknown"},
		{"CI secrets", inventory.ActionCISecrets, `{"provider":"github","owner":"acme","complete":true,"secrets":5,"new":5,"updated":0,"gone":1}`,
			"CI secrets of github:acme: 5 (5 new, 0 updated, 1 gone)"},
		{"unknown action", "unknown-action", `{"x":1}`, `{"x":1}`},
		{"not JSON", inventory.ActionIngest, `not json`, `not json`},
		{"not an object", inventory.ActionIngest, `[1,2]`, `[1,2]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AuditSummary(inventory.AuditEntry{Action: tc.action, Data: tc.data}); got != tc.want {
				t.Errorf("AuditSummary(%s %s)\n got %q\nwant %q", tc.action, tc.data, got, tc.want)
			}
		})
	}
}

func testAuditEntries() []inventory.AuditEntry {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	return []inventory.AuditEntry{
		{Seq: 1, At: at, Actor: "ci", Action: inventory.ActionIngest,
			Data: `{"source":"git","repository":"https://github.com/acme/api","secrets":2,"new_secrets":2,"locations":3,"new_locations":3,"gone":0}`,
			Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Seq: 2, At: at.Add(time.Hour), Actor: "alice\x1b[2J", Action: inventory.ActionStatus,
			Data: `{"fingerprint":"0123456789abcdef0123","from":"open","to":"false-positive","reason":"test fixture"}`,
			Hash: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"},
	}
}

func testScans() []inventory.ScanRecord {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return []inventory.ScanRecord{
		{ID: 2, Source: "git", Repository: "https://github.com/acme/api", HeadCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
			Finished: at, Complete: true, Findings: 4, Secrets: 2, NewSecrets: 1, Locations: 3, NewLocations: 1, Gone: 1},
		{ID: 1, Source: "dir", Repository: "/srv/app", Finished: at.Add(-time.Hour), Findings: 1, Secrets: 1, NewSecrets: 1, Locations: 1, NewLocations: 1},
	}
}

// The audit log and scans tables, at full width and on a narrow
// terminal, against golden files; control characters are escaped.
func TestHistoryTables(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w *bytes.Buffer, width int) error
	}{
		{"audit_log", func(w *bytes.Buffer, width int) error { return WriteAuditTable(w, width, testAuditEntries()) }},
		{"scans", func(w *bytes.Buffer, width int) error { return WriteScansTable(w, width, testScans()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			for _, width := range []int{0, 72} {
				if err := tc.write(&b, width); err != nil {
					t.Fatal(err)
				}
			}
			if bytes.Contains(b.Bytes(), []byte("\x1b")) {
				t.Errorf("a control character reached the table:\n%s", b.String())
			}
			checkGolden(t, tc.name+".golden.txt", b.Bytes())
		})
	}
}

func TestHistoryTablesWriteErrors(t *testing.T) {
	for name, write := range map[string]func() error{
		"audit log": func() error { return WriteAuditTable(&failingWriter{n: 10}, 0, testAuditEntries()) },
		"scans":     func() error { return WriteScansTable(&failingWriter{n: 10}, 0, testScans()) },
	} {
		if err := write(); !errors.Is(err, errWrite) {
			t.Errorf("%s on a failing writer: got %v, want %v", name, err, errWrite)
		}
	}
}

func TestAuditIntactLine(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		res    inventory.VerifyResult
		expect *inventory.Head
		want   string
	}{
		{inventory.VerifyResult{}, &inventory.Head{Seq: 3}, "audit log intact: no entries"},
		{inventory.VerifyResult{Entries: 1, HeadSeq: 1, HeadHash: hash, Secrets: 1}, nil,
			"audit log intact: 1 entry, head 1:" + hash + "; 1 secret and 0 scans agree with it"},
		{inventory.VerifyResult{Entries: 12, HeadSeq: 12, HeadHash: hash, Secrets: 4, Scans: 1}, &inventory.Head{Seq: 9, Hash: hash},
			"audit log intact: 12 entries, head 12:" + hash + "; 4 secrets and 1 scan agree with it; published head 9 is in the chain"},
	} {
		if got := AuditIntactLine(tc.res, tc.expect); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
