package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ActionOrgScan is the audit action of RecordOrgScan: the end of an
// organisation scan.
const ActionOrgScan = "org-scan"

// OrgScanRecord is the end of an organisation scan (or of a batch of
// jobs that ran one): what it covered and how each part went. Each
// repository's and CI store's scan is recorded by its own ingest; this
// entry ties them into one run. Only the audit log holds it.
type OrgScanRecord struct {
	// Provider ("github", "gitlab", …) and Owner (organisation, user or
	// group; "" for named repositories); Target names the run for people
	// ("github acme").
	Provider string `json:"provider"`
	Owner    string `json:"owner,omitempty"`
	Target   string `json:"target"`
	// Batch is a job queue's batch id, "" for a run in one process.
	Batch    string    `json:"batch,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Repositories counts the repositories; Full, Incremental and
	// Skipped split them by how they were scanned.
	Repositories int `json:"repositories"`
	Full         int `json:"full"`
	Incremental  int `json:"incremental"`
	Skipped      int `json:"skipped"`
	// LeftOut counts forks and archived repositories left out.
	LeftOut int `json:"left_out,omitempty"`
	// Blobs and Bytes are what the scans read; Unreadable the items they
	// could not.
	Blobs      int64 `json:"blobs"`
	Bytes      int64 `json:"bytes"`
	Unreadable int   `json:"unreadable,omitempty"`
	// CIStores and CIVariables count the CI listings scanned and their
	// variables.
	CIStores    int `json:"ci_stores,omitempty"`
	CIVariables int `json:"ci_variables,omitempty"`
	// Findings counts the findings, before any baseline or status.
	Findings int `json:"findings"`
	// SkippedRepos names each skipped repository with the reason.
	SkippedRepos []SkippedRepo `json:"skipped_repos,omitempty"`
	// Actor is who the audit log records.
	Actor string `json:"-"`
}

// SkippedRepo is a repository an organisation scan could not scan.
type SkippedRepo struct {
	Repository string `json:"repository"`
	Reason     string `json:"reason"`
}

// RecordOrgScan appends an "org-scan" audit entry holding r; no table
// changes.
func (s *sqlStore) RecordOrgScan(ctx context.Context, r OrgScanRecord) error {
	if r.Provider == "" || r.Target == "" {
		return fmt.Errorf("%w: an organisation scan record needs a provider and a target", ErrInvalid)
	}
	r.Started, r.Finished = r.Started.UTC(), r.Finished.UTC()
	err := s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		return s.appendAudit(ctx, tx, c, r.Actor, ActionOrgScan, r)
	})
	if err != nil {
		return fmt.Errorf("record organisation scan: %w", err)
	}
	return nil
}
