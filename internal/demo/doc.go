// Package demo builds the inventory behind `make demo`: a small, believable
// organisation whose quarterly report has something to say in every
// section.
//
// Build creates real git repositories (one application's production,
// staging and development repositories sharing a database password, and a
// second team's data platform), commits to them on dates spread over four
// months, and scans each with the same packages `sprawl scan git
// --inventory` uses (scanner.GitSource, scanner.Engine, inventory.Ingest),
// with the inventory's clock set to each scan's date (inventory.SetClock),
// so the trend has several points. Between scans it records what a team
// would: status decisions with their reasons (false positive, accepted
// risk, rotation), a HashiCorp Vault and an AWS Secrets Manager index read
// through the real adapters from the in-process fakes of
// inventory/vault/vaulttest, and GitHub Actions secret metadata.
//
// Every secret is synthetic: generated at run time from crypto/rand in the
// shape its rule expects, never written into this repository. The
// fingerprint key is generated too and kept beside the database (0600).
//
// Nothing here touches the network: the git repositories are local and the
// vault fakes listen on loopback for the duration of Build.
//
// Concurrency: Build writes only under its directory; two Builds with
// different directories may run at once.
package demo
