// Package azurekv is the vault.Adapter for Azure Key Vault secrets
// (azsecrets, with azidentity's default credential): list secret
// properties, read values, and mark a forced rotation with tags and an
// expiry on the version that leaked.
//
// Safe for concurrent use.
package azurekv
