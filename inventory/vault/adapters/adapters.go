// Package adapters builds the vault.Adapter of a secret store kind
// ("vault", "aws", "azure") from one Config, which holds every kind's
// settings, so that each caller that opens stores (indexing one, rotating
// the leaked secrets of several) opens them alike.
//
// Like the adapters, it knows nothing of the inventory, and it starts no
// goroutines.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/awssm"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
	"github.com/sprawlsec/sprawl/inventory/vault/hashicorp"
)

// Kinds are the store kinds New builds, in the order messages list them.
var Kinds = []string{"vault", "aws", "azure"}

// ErrUnknownKind is New's error for a kind not in Kinds.
var ErrUnknownKind = errors.New("unknown secret store kind")

// CheckKind checks a store kind a user named: "" (every kind) or one of
// Kinds. An error names it and lists Kinds ("…: want vault, aws, azure";
// a caller adds the flag's name).
func CheckKind(kind string) error {
	if kind != "" && !slices.Contains(Kinds, kind) {
		return fmt.Errorf("%q: want %s", kind, strings.Join(Kinds, ", "))
	}
	return nil
}

// Config is how to reach a store of each kind; New reads the fields of
// the kind it builds. Empty fields take the adapter's defaults, most of
// them from the environment.
type Config struct {
	// Address and Namespace locate HashiCorp Vault or OpenBao (defaults
	// $VAULT_ADDR, $VAULT_NAMESPACE); Mounts are the KV v2 mounts to list
	// and DatabaseMounts the database secrets engines whose static roles
	// to list.
	Address, Namespace     string
	Mounts, DatabaseMounts []string
	// Region is AWS Secrets Manager's (default from the AWS
	// configuration).
	Region string
	// VaultURL is Azure Key Vault's, https://NAME.vault.azure.net.
	VaultURL string
	// Azure is the rest of the Key Vault client's configuration (its
	// credential, a test's transport); New sets its VaultURL.
	Azure azurekv.Config
}

// New builds the adapter of kind from c. A store that cannot be
// configured (no token, no region, no URL) is the adapter's own error,
// returned as it is; a kind not in Kinds wraps ErrUnknownKind.
func New(ctx context.Context, kind string, c Config) (vault.Adapter, error) {
	switch kind {
	case "vault":
		a, err := hashicorp.New(hashicorp.Config{Address: c.Address, Namespace: c.Namespace, Mounts: c.Mounts, DatabaseMounts: c.DatabaseMounts})
		if err != nil {
			return nil, err
		}
		return a, nil
	case "aws":
		a, err := awssm.New(ctx, c.Region)
		if err != nil {
			return nil, err
		}
		return a, nil
	case "azure":
		cfg := c.Azure
		cfg.VaultURL = c.VaultURL
		a, err := azurekv.New(cfg)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
}
