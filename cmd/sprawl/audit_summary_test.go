package main

import (
	"testing"

	"github.com/sprawlsec/sprawl/inventory"
)

// Each audit action reads as a sentence in `sprawl audit log`, not as
// raw JSON.
func TestAuditSummary(t *testing.T) {
	for _, tc := range []struct {
		action, data, want string
	}{
		{inventory.ActionIngest, `{"source":"git","repository":"https://github.com/acme/api","secrets":2,"new_secrets":1,"locations":3,"new_locations":1,"gone":0,"regressions":["ab"]}`,
			"git https://github.com/acme/api: 2 secrets (1 new), 3 locations (1 new, 0 gone), 1 regressions"},
		{inventory.ActionStatus, `{"fingerprint":"0123456789abcdef0123","from":"open","to":"rotated","reason":"done"}`,
			"0123456789ab: open → rotated (done)"},
		{inventory.ActionVaultIndex, `{"adapter":"vault","store":"https://vault:8200","complete":true,"entries":12,"new":2,"changed":1,"unchanged":9,"gone":0,"rotated":[{}]}`,
			"indexed vault https://vault:8200: 12 values (2 new, 1 changed, 0 gone), 1 rotated"},
		{inventory.ActionVault, `{"adapter":"aws","store":"eu-west-1","path":"prod/db","action":"flag","finding":"fedcba9876543210ffff","error":"AccessDeniedException"}`,
			"flag aws eu-west-1 prod/db (leaked fedcba987654): FAILED: AccessDeniedException"},
		{inventory.ActionVault, `{"adapter":"vault","store":"https://vault:8200","mount":"secret","path":"app","action":"clear"}`,
			"clear vault https://vault:8200 secret/app"},
		{inventory.ActionCISecrets, `{"provider":"github","owner":"acme","complete":true,"secrets":5,"new":5,"updated":0,"gone":1}`,
			"CI secrets of github:acme: 5 (5 new, 0 updated, 1 gone)"},
		{"unknown-action", `{"x":1}`, `{"x":1}`},
	} {
		if got := auditSummary(inventory.AuditEntry{Action: tc.action, Data: tc.data}); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.action, got, tc.want)
		}
	}
}
