package main

import (
	"strings"
	"testing"
)

// An organisation scan with --inventory ends with one org-scan audit
// entry, which 'audit log' summarises and 'audit verify' accepts.
func TestOrgScanAuditEntry(t *testing.T) {
	fx := newGHFixture(t)
	if code, _, stderr := fx.run(t, "--ci-stores=false"); code != exitFindings {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	code, out, errOut := runInventoryCLI(t, "audit", "log", "--inventory", fx.db)
	if code != 0 || strings.Count(out, "org-scan") != 1 || !strings.Contains(out, "github acme: 4 repositories: 2 full, 0 incremental, 2 skipped; 2 findings") {
		t.Fatalf("audit log: exit %d, want one org-scan entry summarised\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runInventoryCLI(t, "audit", "verify", "--inventory", fx.db); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}
