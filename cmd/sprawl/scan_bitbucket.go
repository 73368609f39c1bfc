package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/orgscan"
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
	ws, _ := cmd.Flags().GetString("workspace")
	if ws == "" {
		return usageErr("--workspace is required")
	}
	o, err := newOrgScan(cmd, "bitbucket")
	if err != nil {
		return err
	}
	// An access token goes to git as x-token-auth; an app password with
	// its user name.
	user, gitUser, secret := "", "x-token-auth", os.Getenv(envBitbucketToken)
	if secret == "" {
		if user = os.Getenv(envBitbucketUser); user != "" {
			gitUser, secret = user, o.token(envBitbucketPassword, "public repositories only, no Pipelines variables")
		} else if !o.p.s.Quiet {
			o.stderr.Printf("sprawl: neither %s nor %s and %s is set: public repositories only, no Pipelines variables\n", envBitbucketToken, envBitbucketUser, envBitbucketPassword)
		}
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
	return o.run(cmd.Context(), orgscan.NewBitbucket(b, ws, gitUser, secret), "bitbucket "+ws, start)
}
