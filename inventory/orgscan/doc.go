// Package orgscan runs organisation scans: every repository of a GitHub
// organisation or user, a GitLab group, an Azure DevOps organisation or a
// Bitbucket Cloud workspace, mirrored into a cache,
// scanned (incrementally when the inventory knows an earlier scan) and
// recorded in the inventory, then the provider's CI stores. `sprawl scan
// github` and `sprawl scan gitlab` run it in one process; the same calls
// serve a worker that runs one repository or one CI store per job.
//
// # Providers
//
// A Provider (GitHub, GitLab, Azure DevOps, Bitbucket Cloud; NewGitHub,
// NewGitLab, NewAzureDevOps, NewBitbucket) lists the repositories
// (Repositories), says whose CI stores to list (CIStores) and lists one
// (ListCI), and gives git's authentication (GitAuth). Its token stays in
// the process: a Provider is built from the environment where it runs,
// and what it returns carries no secret except GitAuth, which goes only
// to git's environment for the provider's own web origin over HTTPS
// (scanner.SyncMirror) and is never serialised.
//
// # Runner
//
// A Runner is built from Options: one inventory.Store handle for the
// whole run (nil for none; the Runner never opens or closes it), the
// fingerprint key, the rules and engine, the mirror cache, the
// concurrency, whether to verify findings before recording them, and an
// Events callback. The package never writes to a terminal: progress is
// Events (listed, repository started, recorded, done, skipped with its
// reason, failed, CI problems and listings), serialised, which the
// command turns into its output.
//
// Run does a whole scan. The parts it is made of are exported for
// workers, and each needs only its JSON-serialisable description and the
// inventory, never state from the listing step:
//
//   - ScanRepo(ctx, Repo, GitAuth) mirrors one repository into the
//     cache (cloned the first time, fetched after), chooses a full or
//     incremental scan from the inventory's record of it (Repositories:
//     the last commit recorded; plus the refs the last recorded scan saw,
//     kept beside the mirror, so a deleted or force-pushed ref forces a
//     full scan; without that file, as on another machine's cache, the
//     recorded commit must still be reachable), scans and records the
//     result in one transaction (Record; an incremental scan is partial,
//     so nothing it did not see is marked gone). A repository that cannot
//     be cloned or read is a skipped Outcome, not an error.
//   - ScanCIStore(ctx, Provider, CIStore) lists one owner's CI stores and
//     ScanCI scans a listing: variables as content (their findings
//     recorded as source github-actions or gitlab-ci), managed secrets'
//     metadata through Store.RecordCISecrets.
//   - Finish(ctx, RunInfo, outcomes, ci) counts what a run or a batch of
//     jobs did (Summarize), from the Outcomes alone (their JSON form
//     carries counts, no finding), and appends the run's "org-scan" audit
//     entry (inventory.Store.RecordOrgScan).
//
// The words of a run's end are here too, for the command to print: the
// closing line of a run in one process (Totals.Line), the error of one
// cancelled part-way (Interrupted, wrapping ErrInterrupted), the
// verifications made before recording (VerifiedCounts) and a provider's
// name in messages (ProviderTitle).
//
// With Options.Verifier and a store, findings whose rule has a validator
// are verified before they are recorded, so the verification is recorded
// with them in the ingest's transaction, as `scan … --verify --inventory`
// does.
package orgscan
