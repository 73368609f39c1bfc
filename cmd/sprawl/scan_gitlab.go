package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/scanner"
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
	ctx := cmd.Context()
	group, _ := cmd.Flags().GetString("group")
	if group == "" {
		return usageErr("--group is required")
	}
	o, err := newOrgScan(cmd, "gitlab")
	if err != nil {
		return err
	}
	token := o.token(envGitLabToken, "oauth2", "public projects only, no CI/CD variables")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	base, _ := cmd.Flags().GetString("gitlab-url")
	gl, err := forge.NewGitLab(base, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	o.gitOrigin(base)
	repos, err := gl.GroupProjects(ctx, group)
	if err != nil {
		return failure(err)
	}
	repos, outcomes, dropped, err := o.scanListed(ctx, repos)
	if err != nil {
		return err
	}
	var ciRes *scanner.Result
	if ci, _ := cmd.Flags().GetBool("ci-stores"); ci && token != "" {
		web := strings.TrimSuffix(base, "/") + "/" + group
		res := ciResult{owner: group, root: web, complete: true}
		if err := gitlabCI(ctx, gl, &res, repos, o.conc); err != nil {
			return interrupted(ctx, err, outcomes)
		}
		if res.hidden > 0 && !o.p.s.Quiet {
			o.stderr.Printf("sprawl: %s hidden (values not returned by GitLab, not scanned)\n", plural(res.hidden, "CI/CD variable"))
		}
		r, err := o.scanCI(ctx, "gitlab-ci", res)
		if err != nil {
			return interrupted(ctx, err, outcomes)
		}
		ciRes = &r
	}
	return o.finish(ctx, "gitlab "+group, outcomes, dropped, ciRes, start)
}

// gitlabVariable turns a GitLab variable into scanned content: its
// location carries its environment scope and protection, and a finding in
// it says how exposed it is.
func gitlabVariable(v forge.Variable) scanner.CIVariable {
	owner := v.Owner
	if v.Scope == "project" {
		owner = v.Repo
	}
	scope := v.Environment
	if scope == "" {
		scope = "*"
	}
	var state, tags []string
	tags = append(tags, "ci-variable")
	for _, f := range []struct {
		on       bool
		yes, not string
	}{{v.Masked, "masked", "unmasked"}, {v.Protected, "protected", "unprotected"}, {v.Hidden, "hidden", ""}} {
		switch {
		case f.on:
			state = append(state, f.yes)
		case f.not != "":
			state = append(state, f.not)
		}
	}
	note := "CI/CD variable (" + strings.Join(state, ", ") + ", environment scope " + scope + ")"
	if !v.Masked && !v.Protected {
		tags = append(tags, "unmasked-unprotected")
		note += ": neither masked nor protected, so any pipeline on any branch can read it and job logs show it in clear; mask and protect it, and rotate it"
	}
	return scanner.CIVariable{
		Path:  "gitlab:" + owner + "/vars/" + v.Name + "[" + scope + "]{" + strings.Join(state, ",") + "}",
		Name:  v.Name,
		Value: v.Value,
		Note:  note,
		Tags:  tags,
	}
}

// gitlabCI lists the group's and its projects' CI/CD variables.
func gitlabCI(ctx context.Context, gl *forge.GitLab, ci *ciResult, repos []forge.Repo, conc int) error {
	var mu sync.Mutex
	add := func(vs []forge.Variable, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			ci.problems = append(ci.problems, err.Error())
			ci.complete = false
		}
		for _, v := range vs {
			if v.Hidden && v.Value == "" {
				ci.hidden++
				continue
			}
			ci.vars = append(ci.vars, gitlabVariable(v))
		}
	}
	add(gl.GroupVariables(ctx, ci.owner))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, r := range repos {
		g.Go(func() error {
			add(gl.ProjectVariables(gctx, ci.owner, r))
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	ci.sorted()
	return ctx.Err()
}
