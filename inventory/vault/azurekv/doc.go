// Package azurekv is the vault.Adapter for Azure Key Vault secrets
// (its own client of the secrets REST API with Key Vault's bearer
// challenge, and DefaultCredential: environment, workload identity,
// managed identity, Azure CLI, Azure Developer CLI): list secret
// properties, read values, and mark a forced rotation with tags and an
// expiry on the version that leaked.
//
// Safe for concurrent use.
package azurekv
