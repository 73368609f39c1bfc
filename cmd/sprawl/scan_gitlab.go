package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// envGitLabToken is the token `scan gitlab` reads.
const envGitLabToken = "GITLAB_TOKEN"

func newScanGitLabCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "gitlab --group GROUP",
		Short: "Scan a GitLab group's projects and CI/CD variables",
		Long: `Scan every project of a GitLab group (subgroups included): each is
mirrored into --cache-dir and its full history scanned, incrementally with
--inventory, exactly as 'sprawl scan github' does.

Group and project CI/CD variables are scanned as content. A finding in a
variable notes whether it is masked, protected and hidden; one in a
variable that is neither masked nor protected is tagged
unmasked-unprotected (any pipeline on any branch can print it). The
variable's environment scope is part of its location
(gitlab:GROUP/PROJECT/vars/NAME[production]), which is how the inventory
assigns its environment.

The token is $GITLAB_TOKEN (read_api and read_repository; listing CI/CD
variables needs the Maintainer role). --gitlab-url names a self-managed
instance. See docs/org-scans.md.`,
		Args: cobra.NoArgs,
		RunE: runScanGitLab,
	}
	addScanFlags(c)
	addOrgScanFlags(c)
	c.Flags().String("group", "", "group whose projects to scan (full path, e.g. acme or acme/platform)")
	c.Flags().String("gitlab-url", "https://gitlab.com", "GitLab instance")
	return c
}

func runScanGitLab(cmd *cobra.Command, _ []string) error {
	start := time.Now()
	group, _ := cmd.Flags().GetString("group")
	if group == "" {
		return usageErr("--group is required")
	}
	o, err := newOrgScan(cmd, "gitlab")
	if err != nil {
		return err
	}
	token := o.token(envGitLabToken, "public projects only, no CI/CD variables")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	base, _ := cmd.Flags().GetString("gitlab-url")
	gl, err := forge.NewGitLab(base, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	o.api = base
	return o.run(cmd.Context(), orgscan.NewGitLab(gl, base, token, group), "gitlab "+group, start)
}
