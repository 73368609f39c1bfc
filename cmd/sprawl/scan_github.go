package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
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
	ctx := cmd.Context()
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
	token := o.token(envGitHubToken, "x-access-token", "public repositories only, 60 API requests an hour, no Actions stores")
	rl, err := o.rateLimiter()
	if err != nil {
		return err
	}
	gh, err := forge.NewGitHub(apiURL, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	o.gitOrigin(gh.WebBase)

	var repos []forge.Repo
	var missing []repoOutcome
	what := "github " + org + user
	switch {
	case org != "":
		repos, err = gh.OrgRepos(ctx, org)
	case user != "":
		repos, err = gh.UserRepos(ctx, user)
	default:
		what = "github " + plural(len(names), "repository")
		for _, name := range names {
			r, err := gh.Repo(ctx, name)
			if err != nil {
				if ctx.Err() != nil {
					return failure(ctx.Err())
				}
				if !errors.Is(err, forge.ErrNotFound) && !errors.Is(err, forge.ErrForbidden) {
					return failure(err)
				}
				o.stderr.Printf("sprawl: skipped %s: %v\n", name, err)
				missing = append(missing, repoOutcome{repo: forge.Repo{FullName: name}, mode: "skipped", reason: err.Error()})
				continue
			}
			repos = append(repos, r)
		}
	}
	if err != nil {
		return failure(err)
	}
	repos, outcomes, dropped, err := o.scanListed(ctx, repos)
	if err != nil {
		return err
	}
	outcomes = append(outcomes, missing...)

	var ciRes *scanner.Result
	if ci, _ := cmd.Flags().GetBool("ci-stores"); ci && token != "" {
		var owners []ciResult
		switch {
		case org != "":
			owners = []ciResult{{owner: org, root: ownerWeb(repos, org, gh.WebBase), complete: true}}
		case user != "":
			owners = []ciResult{{owner: user, root: ownerWeb(repos, user, gh.WebBase), complete: true}}
		default:
			seen := map[string]bool{}
			for _, r := range repos {
				ow, _, _ := strings.Cut(r.FullName, "/")
				if !seen[ow] {
					seen[ow] = true
					owners = append(owners, ciResult{owner: ow, root: ownerWeb(repos, ow, gh.WebBase)})
				}
			}
		}
		var total scanner.Result
		for _, ci := range owners {
			var own []forge.Repo
			for _, r := range repos {
				if ow, _, _ := strings.Cut(r.FullName, "/"); ow == ci.owner {
					own = append(own, r)
				}
			}
			if err := githubCI(ctx, gh, &ci, org != "", own, o.conc); err != nil {
				return interrupted(ctx, err, outcomes)
			}
			res, err := o.scanCI(ctx, "github-actions", ci)
			if err != nil {
				return interrupted(ctx, err, outcomes)
			}
			total.Findings = append(total.Findings, res.Findings...)
			total.Stats.Items += res.Stats.Items
		}
		ciRes = &total
	}
	return o.finish(ctx, what, outcomes, dropped, ciRes, start)
}

// ownerWeb is the web address of owner: its repositories' pages' parent
// as the API gives them, else webBase/owner.
func ownerWeb(repos []forge.Repo, owner, webBase string) string {
	for _, r := range repos {
		if ow, name, _ := strings.Cut(r.FullName, "/"); ow == owner && strings.HasSuffix(r.WebURL, "/"+owner+"/"+name) {
			return strings.TrimSuffix(r.WebURL, "/"+name)
		}
	}
	return webBase + "/" + owner
}

// githubVariableNote is the message on a finding in an Actions variable.
const githubVariableNote = "Actions variable holds a secret: variables are readable by anyone who can read the repository and appear in logs; store it as an Actions secret"

// githubCI lists ci.owner's Actions variables (with values) and its
// Actions, Dependabot and Codespaces secrets (names and dates) at the
// organisation (when org), repository and environment levels. A store
// that cannot be read is a problem noted in ci, which then is not
// complete; only cancellation is an error.
func githubCI(ctx context.Context, gh *forge.GitHub, ci *ciResult, org bool, repos []forge.Repo, conc int) error {
	var mu sync.Mutex
	problem := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		ci.problems = append(ci.problems, err.Error())
		ci.complete = false
	}
	addVars := func(vs []forge.Variable) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range vs {
			path := "github:" + v.Owner + "/vars/" + v.Name
			switch v.Scope {
			case "repo":
				path = "github:" + v.Repo + "/vars/" + v.Name
			case "env":
				path = "github:" + v.Repo + "/env/" + v.Environment + "/vars/" + v.Name
			}
			ci.vars = append(ci.vars, scanner.CIVariable{Path: path, Name: v.Name, Value: v.Value, Note: githubVariableNote, Tags: []string{"ci-variable"}})
		}
	}
	addSecrets := func(ss []forge.SecretMeta) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range ss {
			ci.secrets = append(ci.secrets, inventory.CISecretRecord{Store: s.Store, Scope: s.Scope, Repository: s.Repo, Environment: s.Environment,
				Name: s.Name, Visibility: s.Visibility, CreatedAt: s.Created, UpdatedAt: s.Updated})
		}
	}
	if org {
		vs, err := gh.OrgVariables(ctx, ci.owner)
		if ctx.Err() != nil {
			return ctx.Err()
		} else if err != nil {
			problem(err)
		}
		addVars(vs)
		for _, store := range []string{forge.StoreActions, forge.StoreDependabot, forge.StoreCodespaces} {
			ss, err := gh.OrgSecrets(ctx, store, ci.owner)
			if ctx.Err() != nil {
				return ctx.Err()
			} else if err != nil {
				problem(err)
			}
			addSecrets(ss)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, r := range repos {
		g.Go(func() error {
			vs, err := gh.RepoVariables(gctx, r)
			if err != nil {
				problem(err)
			}
			addVars(vs)
			for _, store := range []string{forge.StoreActions, forge.StoreDependabot, forge.StoreCodespaces} {
				ss, err := gh.RepoSecrets(gctx, store, r)
				if err != nil {
					problem(err)
				}
				addSecrets(ss)
			}
			envs, err := gh.Environments(gctx, r)
			if err != nil {
				problem(err)
			}
			for _, env := range envs {
				vs, err := gh.EnvVariables(gctx, r, env)
				if err != nil {
					problem(err)
				}
				addVars(vs)
				ss, err := gh.EnvSecrets(gctx, r, env)
				if err != nil {
					problem(err)
				}
				addSecrets(ss)
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	ci.sorted()
	return ctx.Err()
}
