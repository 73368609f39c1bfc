// Package vault reads and marks secrets held in secret stores — HashiCorp
// Vault and OpenBao (KV v2 and database static roles), AWS Secrets Manager,
// Azure Key Vault — behind one small interface, Adapter, with one
// sub-package per store (hashicorp, awssm, azurekv), httptest fakes of
// their documented APIs in vaulttest, and adapters, which builds the
// adapter of a kind from one configuration.
//
// The package is a leaf: it knows nothing of the inventory. Index walks a
// store, reads each value, hands it to a fingerprint function and keeps
// only what that returns, so plaintext never leaves this package; the
// caller (cmd/sprawl) records the result in the inventory and acts on the
// inventory's correlation with Flag and Clear.
//
// Adapters are safe for concurrent use (each wraps its provider's client,
// which is); this package starts no goroutines.
package vault
