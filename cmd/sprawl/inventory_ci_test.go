package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/sprawlsec/sprawl/inventory"
)

// ciSecretsDB is an inventory holding store secret objects of four
// providers, with their kinds and users.
func ciSecretsDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "inventory.db")
	s, err := inventory.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	created := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, b := range []inventory.CISecretBatch{
		{Provider: "kubernetes", Owner: "prod", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "secret", Scope: inventory.ScopeEnvironment, Repository: "prod", Environment: "payments", Name: "db-credentials",
				Kind: "kubernetes.io/basic-auth", UsedBy: []string{"deployment/api", "cronjob/backup"}, CreatedAt: created},
		}},
		{Provider: "azure-devops", Owner: "contoso", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "service-connection", Scope: inventory.ScopeRepo, Repository: "ehr", Name: "prod-arm",
				Kind: "azurerm (ServicePrincipal)", UsedBy: []string{"pipeline deploy"}},
		}},
		{Provider: "bitbucket", Owner: "acme", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "pipelines", Scope: inventory.ScopeOrg, Name: "NPM_TOKEN", Kind: "secured variable"},
		}},
		{Provider: "jenkins", Owner: "ci.acme.test", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "credentials", Scope: inventory.ScopeOrg, Name: "deploy-key", Kind: "SSH Username with private key"},
		}},
	} {
		b.Actor = "ci"
		if _, err := s.RecordCISecrets(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestInventoryCISecretsKindAndUsedBy: the table shows each object's kind
// and what uses it; --provider takes the new providers; on a narrow
// terminal USED BY is left out first, and said to be.
func TestInventoryCISecretsKindAndUsedBy(t *testing.T) {
	db := ciSecretsDB(t)
	t.Setenv("COLUMNS", "")
	code, out, errOut := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(out, "\n")
	header := strings.Fields(strings.NewReplacer("│", " ", "USED BY", "USED_BY", "SAME NAME", "SAME_NAME", "MAX AGE", "MAX_AGE").Replace(lines[1]))
	if got, want := strings.Join(header, " "), "OWNER STORE SCOPE NAME KIND UPDATED AGE MAX_AGE STATE USED_BY SAME_NAME"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	for _, want := range []string{
		"kubernetes.io/basic-auth", "cronjob/backup, deployment/api", "azurerm (ServicePrincipal)", "pipeline deploy",
		"SSH Username with private key", "secured variable",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from the table:\n%s", want, out)
		}
	}

	for _, p := range []struct{ provider, name string }{
		{"azure-devops", "prod-arm"}, {"bitbucket", "NPM_TOKEN"}, {"jenkins", "deploy-key"}, {"kubernetes", "db-credentials"},
	} {
		code, out, errOut := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db, "--provider", p.provider)
		if code != 0 || !strings.Contains(out, p.name) || !strings.Contains(errOut, "1 CI secret,") {
			t.Errorf("--provider %s: exit %d, %s\n%s", p.provider, code, errOut, out)
		}
	}

	// Narrower: USED BY and SAME NAME go first, KIND stays (cut at its
	// end).
	t.Setenv("COLUMNS", "120")
	_, out, _ = runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db)
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := twwidth.Width(l); w > 120 {
			t.Errorf("line %d wide at COLUMNS=120: %s", w, l)
		}
	}
	if !strings.Contains(out, "(not shown at this width: USED BY, SAME NAME)") || !strings.Contains(out, " KIND ") || !strings.Contains(out, "SSH Username") {
		t.Errorf("at 120 columns want KIND shown and USED BY, SAME NAME left out:\n%s", out)
	}
	// Narrower still: then SAME NAME, then KIND.
	t.Setenv("COLUMNS", "100")
	_, out, _ = runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db)
	if !strings.Contains(out, "(not shown at this width: USED BY, SAME NAME, KIND") {
		t.Errorf("at 100 columns want USED BY, SAME NAME and KIND left out:\n%s", out)
	}
}

// TestInventoryCISecretsHelp: the help and the --provider hint name every
// provider that records store secret objects.
func TestInventoryCISecretsHelp(t *testing.T) {
	_, out, _ := runSprawl(context.Background(), "inventory", "ci-secrets", "--help")
	for _, want := range []string{"azure-devops", "bitbucket", "jenkins", "kubernetes", "KIND", "USED BY",
		"github, gitlab, azure-devops, bitbucket, jenkins, kubernetes"} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not mention %q:\n%s", want, out)
		}
	}
}
