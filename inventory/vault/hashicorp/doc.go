// Package hashicorp is the vault.Adapter for HashiCorp Vault and OpenBao:
// KV version 2 mounts (list, read, custom_metadata marks) and database
// secrets engine static roles (read static-creds, rotate-role). OpenBao
// serves the same HTTP API, so the official Vault client drives both.
//
// Safe for concurrent use.
package hashicorp
