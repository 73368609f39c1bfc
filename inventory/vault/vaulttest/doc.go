// Package vaulttest provides httptest servers that follow the documented
// HTTP APIs of the secret stores sprawl's adapters drive — Vault/OpenBao
// KV v2 and database static roles, AWS Secrets Manager (JSON 1.1), Azure
// Key Vault (REST with api-version and the bearer challenge) — so tests
// exercise the adapters' clients end to end (the official ones for Vault and
// Azure, the adapter's own for AWS) without a real provider.
//
// Each server holds its secrets in memory, can refuse (403), forget
// (404) or throttle (429, ThrottlingException) chosen requests, and keeps a
// log of requests without bodies. Servers are safe for concurrent use.
package vaulttest
