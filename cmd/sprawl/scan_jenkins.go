package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/storescan"
	"github.com/sprawlsec/sprawl/scanner/jenkins"
)

// Environment variables `scan jenkins` reads.
const (
	envJenkinsUser  = "JENKINS_USER"
	envJenkinsToken = "JENKINS_API_TOKEN"
)

func newScanJenkinsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "jenkins --url URL",
		Short: "Scan a Jenkins controller's job configurations and record its credentials' metadata",
		Long: `Scan every job's config.xml on a Jenkins controller (folders, organisation
folders and multibranch projects recursively) for secrets: passwords typed
into build steps and parameters, SCM URLs with credentials, and
hudson.util.Secret values ({AQAAAB…}), which the controller's key decrypts
and which do not belong in a job's configuration. Findings are located at
jenkins:HOST/job/FOLDER/job/NAME/config.xml; with --inventory the same
secret here and in a repository is one inventory entry with both places.

The credentials plugin's stores (the system store and each folder's) are
read for metadata only (id, type, description, store), never values, and
recorded with --inventory: see 'sprawl inventory ci-secrets'.

The user and API token are $JENKINS_USER and $JENKINS_API_TOKEN (Basic
authentication); they need Overall/Read, Job/ExtendedRead (config.xml) and
Credentials/View. A job or folder that answers 403 or 404 is skipped with
its reason and the scan goes on; 429s are waited out (each wait at most
--max-wait). See docs/org-scans.md.`,
		Args: cobra.NoArgs,
		RunE: runScanJenkins,
	}
	addScanFlags(c)
	c.Flags().String("url", "", "the controller's root URL, e.g. https://ci.example.com or https://example.com/jenkins")
	c.Flags().Bool("credentials", true, "also record the credentials stores' metadata (needs Credentials/View)")
	c.Flags().Int("page-size", jenkins.DefaultPageSize, "jobs per listing request")
	c.Flags().Duration("max-wait", 15*time.Minute, "longest single wait for a rate limit")
	return c
}

func runScanJenkins(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	base, _ := cmd.Flags().GetString("url")
	if base == "" {
		return usageErr("--url is required")
	}
	st, err := newStoreScan(cmd, "jenkins")
	if err != nil {
		return err
	}
	rl, err := st.rateLimiter()
	if err != nil {
		return err
	}
	user, token := os.Getenv(envJenkinsUser), os.Getenv(envJenkinsToken)
	if token == "" && !st.p.s.Quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: %s is not set: reading anonymously\n", envJenkinsToken)
	}
	jc, err := jenkins.New(base, user, token, rl)
	if err != nil {
		return usageErr("%v", err)
	}
	jc.PageSize, _ = cmd.Flags().GetInt("page-size")
	if jc.PageSize < 1 {
		return usageErr("--page-size must be at least 1")
	}
	withCreds, _ := cmd.Flags().GetBool("credentials")
	r, err := jc.Read(ctx, withCreds)
	if err != nil {
		return jenkinsErr(err)
	}
	var secrets *storescan.Secrets
	if withCreds {
		x := storescan.Jenkins(jc.Host(), r.Credentials, r.CredentialsComplete)
		secrets = &x
	}
	for _, pr := range r.Problems {
		st.skipped(pr.What, pr.Reason)
	}
	err = st.run(r.Source, secrets)
	if err == nil && r.Buildable > 0 && len(r.Source.Configs) == 0 {
		return failure(fmt.Errorf("jenkins %s: no job configuration could be read (needs Job/ExtendedRead)", jc.Base()))
	}
	return err
}

// jenkinsErr gives a failure of the whole run its exit code: a refused
// login is a configuration problem (2), the rest a runtime failure (3).
func jenkinsErr(err error) error {
	if errors.Is(err, jenkins.ErrAuth) {
		return &exitError{exitUsage, fmt.Errorf("%w: check %s and %s", err, envJenkinsUser, envJenkinsToken)}
	}
	return failure(err)
}
