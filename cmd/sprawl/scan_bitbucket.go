package main

import (
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// Environment variables `scan bitbucket` reads: an access token, or a
// user name with an app password (or API token).
const (
	envBitbucketToken    = "BITBUCKET_TOKEN"
	envBitbucketUser     = "BITBUCKET_USERNAME"
	envBitbucketPassword = "BITBUCKET_APP_PASSWORD"
)

func newScanBitbucketCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bitbucket --workspace WORKSPACE",
		Short: "Scan a Bitbucket Cloud workspace's repositories and Pipelines variables",
		Long: `Scan every repository of a Bitbucket Cloud workspace: each is mirrored
into --cache-dir and its full history scanned, incrementally with
--inventory, exactly as 'sprawl scan github' does.

Unsecured Pipelines variables of the workspace, of each repository and of
each deployment environment are scanned as content
(bitbucket:WORKSPACE/REPO/env/TYPE/ENVIRONMENT/vars/NAME; the environment's
type, test, staging or production, is how the inventory assigns the
location's environment). Secured variables are recorded as metadata,
never values: see 'sprawl inventory ci-secrets'.

Credentials: $BITBUCKET_TOKEN (a workspace, project or repository access
token), or $BITBUCKET_USERNAME with $BITBUCKET_APP_PASSWORD. Scopes:
repository read and pipeline read. See docs/org-scans.md.`,
		Args: cobra.NoArgs,
		RunE: runScanBitbucket,
	}
	addScanFlags(c)
	addOrgScanFlags(c)
	c.Flags().String("workspace", "", "workspace whose repositories to scan")
	c.Flags().String("api-url", "https://api.bitbucket.org/2.0", "Bitbucket Cloud REST API address")
	return c
}

func runScanBitbucket(cmd *cobra.Command, _ []string) error {
	start := time.Now()
	ctx := cmd.Context()
	ws, _ := cmd.Flags().GetString("workspace")
	if ws == "" {
		return usageErr("--workspace is required")
	}
	o, err := newOrgScan(cmd, "bitbucket")
	if err != nil {
		return err
	}
	user, secret := "", ""
	if os.Getenv(envBitbucketToken) != "" {
		secret = o.token(envBitbucketToken, "x-token-auth", "")
	} else if u := os.Getenv(envBitbucketUser); u != "" {
		user = u
		secret = o.token(envBitbucketPassword, u, "public repositories only, no Pipelines variables")
	} else if !o.p.s.Quiet {
		o.stderr.Printf("sprawl: neither %s nor %s and %s is set: public repositories only, no Pipelines variables\n", envBitbucketToken, envBitbucketUser, envBitbucketPassword)
	}
	if secret == "" {
		user = ""
	}
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	apiURL, _ := cmd.Flags().GetString("api-url")
	b, err := forge.NewBitbucket(apiURL, user, secret, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	o.gitOrigin(b.WebBase())
	listed, err := b.WorkspaceRepos(ctx, ws)
	if err != nil {
		return failure(err)
	}
	repos, outcomes, dropped, err := o.scanListed(ctx, listed)
	if err != nil {
		return err
	}
	var ciRes *scanner.Result
	if ci, _ := cmd.Flags().GetBool("ci-stores"); ci && secret != "" {
		res := ciResult{owner: ws, root: b.WorkspaceURL(ws), complete: true}
		l, err := b.WorkspaceCI(ctx, ws)
		if err != nil {
			return interrupted(ctx, err, outcomes)
		}
		addListing(&res, l)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(o.conc)
		var mu sync.Mutex
		for _, r := range repos {
			g.Go(func() error {
				l, err := b.RepoCI(gctx, r)
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
		r, err := o.scanCI(ctx, "bitbucket-pipelines", res)
		if err != nil {
			return interrupted(ctx, err, outcomes)
		}
		ciRes = &r
	}
	return o.finish(ctx, "bitbucket "+ws, outcomes, dropped, ciRes, start)
}
