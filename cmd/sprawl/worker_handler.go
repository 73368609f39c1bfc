package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/inventory/queue"
)

// newWorkerHandler builds what runs a worker's jobs: the org-scan runner
// on the queue's inventory handle (one for the whole process), with this
// machine's cache, rules and fingerprint key, and the tokens and API
// addresses of its own environment and flags.
func newWorkerHandler(cmd *cobra.Command, s *settings, q *queue.Queue) (queue.Handler, error) {
	p, err := newScanRun(s)
	if err != nil {
		return nil, err
	}
	key, err := inventoryKey()
	if err != nil {
		return nil, err
	}
	cacheDir, _ := cmd.Flags().GetString("cache-dir")
	if cacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return nil, usageErr("no user cache directory (%v): give --cache-dir", err)
		}
		cacheDir = filepath.Join(d, "sprawl", "repos")
	}
	conc, _ := cmd.Flags().GetInt("concurrency")
	r, err := orgscan.New(orgscan.Options{
		Store: q.Store(), Key: key, Actor: actorName(""), Rules: p.Rules, Engine: p.Engine, MaxFileSize: s.maxFileSize,
		CacheDir: cacheDir, Concurrency: conc, Workers: s.Workers,
	})
	if err != nil {
		return nil, failure(err)
	}
	maxWait, _ := cmd.Flags().GetDuration("max-wait")
	if maxWait <= 0 {
		return nil, usageErr("--max-wait must be positive")
	}
	api, _ := cmd.Flags().GetString("api-url")
	if api == "" {
		api = os.Getenv(envGitHubAPI)
	}
	gitlab, _ := cmd.Flags().GetString("gitlab-url")
	return queue.NewOrgScan(r, queue.Endpoints{
		GitHubAPI: api, GitHubToken: os.Getenv(envGitHubToken),
		GitLabURL: gitlab, GitLabToken: os.Getenv(envGitLabToken),
		MaxWait: maxWait,
	}), nil
}
