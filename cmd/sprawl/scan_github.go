package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// Environment variables `scan github` reads.
const (
	envGitHubToken = "GITHUB_TOKEN"
	envGitHubAPI   = "GITHUB_API_URL"
)

func newScanGitHubCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "github (--org ORG | --user USER | --repo OWNER/NAME ...)",
		Short: "Scan a GitHub organisation's or user's repositories and Actions stores",
		Long: `Scan every repository of a GitHub organisation (--org), a user (--user) or
the repositories named with --repo: each is mirrored into --cache-dir
(cloned the first time, fetched after that) and its full history scanned,
--concurrency repositories at once. Forks and archived repositories are
left out unless --forks / --archived.

With --inventory, each repository is recorded as soon as it is scanned,
under its web address; a later run scans only the commits that are new
since the inventory's last scan of it, or its full history again after a
force-push or a deleted branch. An interrupted run resumes where it
stopped.

Actions variables (organisation, repository, environment) are scanned as
content: a secret in a variable is a leak. Actions, Dependabot and
Codespaces secrets (names and dates only; GitHub never returns values) are
recorded in the inventory: see 'sprawl inventory ci-secrets'.

The token is $GITHUB_TOKEN; the API is $GITHUB_API_URL or --api-url
(https://HOST/api/v3 for GitHub Enterprise Server). Rate limits are waited
out (each wait at most --max-wait). A repository that is missing, empty or
fails to clone is reported and skipped; the exit code is 3 only if every
repository failed. See docs/org-scans.md.`,
		Args: cobra.NoArgs,
		RunE: runScanGitHub,
	}
	addScanFlags(c)
	addOrgScanFlags(c)
	c.Flags().String("org", "", "organisation whose repositories to scan")
	c.Flags().String("user", "", "user whose repositories to scan")
	c.Flags().StringArray("repo", nil, "repository to scan, as owner/name (repeatable)")
	c.Flags().String("api-url", "", "GitHub REST API address (default $GITHUB_API_URL, else https://api.github.com)")
	return c
}

func runScanGitHub(cmd *cobra.Command, _ []string) error {
	start := time.Now()
	org, _ := cmd.Flags().GetString("org")
	user, _ := cmd.Flags().GetString("user")
	names, _ := cmd.Flags().GetStringArray("repo")
	n := 0
	for _, set := range []bool{org != "", user != "", len(names) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageErr("give exactly one of --org, --user or --repo")
	}
	o, err := newOrgScan(cmd, "github")
	if err != nil {
		return err
	}
	apiURL, _ := cmd.Flags().GetString("api-url")
	if apiURL == "" {
		apiURL = os.Getenv(envGitHubAPI)
	}
	token := o.token(envGitHubToken, "public repositories only, 60 API requests an hour, no Actions stores")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	gh, err := forge.NewGitHub(apiURL, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	what := "github " + org + user
	if len(names) > 0 {
		what = "github " + plural.Count(len(names), "repository")
	}
	o.api = apiURL
	return o.run(cmd.Context(), orgscan.NewGitHub(gh, token, org, user, names), what, start)
}
