package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
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
reported and skipped; the exit code is 3 only if every project or every
repository failed. See docs/org-scans.md.`,
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
	ctx := cmd.Context()
	org, _ := cmd.Flags().GetString("org")
	if org == "" {
		return usageErr("--org is required")
	}
	names, _ := cmd.Flags().GetStringArray("project")
	o, err := newOrgScan(cmd, "azure-devops")
	if err != nil {
		return err
	}
	token := o.token(envAzureDevOpsToken, "pat", "public projects only, no pipeline stores")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	base, _ := cmd.Flags().GetString("url")
	a, err := forge.NewAzureDevOps(base, org, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	o.gitOrigin(base)
	if len(names) == 0 {
		ps, err := a.Projects(ctx)
		if err != nil {
			return failure(err)
		}
		for _, p := range ps {
			names = append(names, p.Name)
		}
	}
	var listed []forge.Repo
	var projects []string
	for _, p := range names {
		rs, err := a.ProjectRepos(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return failure(ctx.Err())
			}
			o.stderr.Printf("sprawl: skipped project %s: %v\n", p, err)
			continue
		}
		projects = append(projects, p)
		listed = append(listed, rs...)
	}
	if len(names) > 0 && len(projects) == 0 {
		return failure(fmt.Errorf("azure-devops %s: every project failed", org))
	}
	_, outcomes, dropped, err := o.scanListed(ctx, listed)
	if err != nil {
		return err
	}
	var ciRes *scanner.Result
	if ci, _ := cmd.Flags().GetBool("ci-stores"); ci && token != "" {
		res := ciResult{owner: org, root: a.WebURL(), complete: len(projects) == len(names)}
		if len(projects) < len(names) {
			res.problems = append(res.problems, fmt.Sprintf("%d of %d projects could not be listed", len(names)-len(projects), len(names)))
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(o.conc)
		var mu sync.Mutex
		for _, p := range projects {
			g.Go(func() error {
				l, err := a.ProjectCI(gctx, p)
				mu.Lock()
				addListing(&res, l)
				mu.Unlock()
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return interrupted(ctx, err, outcomes)
		}
		res.sorted()
		r, err := o.scanCI(ctx, "azure-pipelines", res)
		if err != nil {
			return interrupted(ctx, err, outcomes)
		}
		ciRes = &r
	}
	return o.finish(ctx, "azure-devops "+org, outcomes, dropped, ciRes, start)
}

// addListing adds a provider's CI listing to the run's.
func addListing(ci *ciResult, l forge.CIListing) {
	ci.vars = append(ci.vars, l.Vars...)
	for _, s := range l.Secrets {
		ci.secrets = append(ci.secrets, inventory.CISecretRecord{Store: s.Store, Scope: s.Scope, Repository: s.Repo, Environment: s.Environment,
			Name: s.Name, Visibility: s.Visibility, Kind: s.Kind, Description: s.Description, UsedBy: s.UsedBy, CreatedAt: s.Created, UpdatedAt: s.Updated})
	}
	if len(l.Problems) > 0 {
		ci.problems = append(ci.problems, l.Problems...)
		ci.complete = false
	}
}
