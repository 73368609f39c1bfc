package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// envAzureDevOpsToken is the personal access token `scan azure-devops`
// reads.
const envAzureDevOpsToken = "AZURE_DEVOPS_TOKEN"

func newScanAzureDevOpsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "azure-devops --org ORG [--project P ...]",
		Short: "Scan an Azure DevOps organisation's Git repositories and pipeline stores",
		Long: `Scan every Git repository of an Azure DevOps organisation's projects (or
of the projects named with --project): each is mirrored into --cache-dir
and its full history scanned, incrementally with --inventory, exactly as
'sprawl scan github' does.

Variable groups and pipeline definitions' variables that are not secret
are scanned as content (azure-devops:ORG/PROJECT/vargroup/GROUP/VAR,
azure-devops:ORG/PROJECT/pipeline/PIPELINE/vars/VAR): anyone who can view
them reads them. Secret variables, Key Vault-linked groups and service
connections (type, scheme, and the pipelines allowed to use them) are
recorded as metadata, never values: see 'sprawl inventory ci-secrets'.

The token is $AZURE_DEVOPS_TOKEN, a personal access token with read
scopes (Code, Project and Team, Variable Groups, Build, Service
Connections). A project that is missing or that the token may not read is
reported and skipped, counted with the skipped repositories; the exit
code is 3 only if nothing could be scanned. See docs/org-scans.md.`,
		Args: cobra.NoArgs,
		RunE: runScanAzureDevOps,
	}
	addScanFlags(c)
	addOrgScanFlags(c)
	c.Flags().String("org", "", "organisation whose projects to scan")
	c.Flags().StringArray("project", nil, "project to scan, by name (repeatable; default every project)")
	c.Flags().String("url", "https://dev.azure.com", "Azure DevOps Services, or an Azure DevOps Server collection's address")
	return c
}

func runScanAzureDevOps(cmd *cobra.Command, _ []string) error {
	start := time.Now()
	org, _ := cmd.Flags().GetString("org")
	if org == "" {
		return usageErr("--org is required")
	}
	projects, _ := cmd.Flags().GetStringArray("project")
	o, err := newOrgScan(cmd, "azure-devops")
	if err != nil {
		return err
	}
	token := o.token(envAzureDevOpsToken, "public projects only, no pipeline stores")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	base, _ := cmd.Flags().GetString("url")
	a, err := forge.NewAzureDevOps(base, org, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	return o.run(cmd.Context(), orgscan.NewAzureDevOps(a, base, token, projects), "azure-devops "+org, start)
}
