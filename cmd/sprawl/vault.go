package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/rotation"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/adapters"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
	"github.com/sprawlsec/sprawl/reports"
)

// adapterConfig is what the adapter flags say: the store kind --adapter
// names ("" for every store the inventory knows) and how to reach each
// kind.
type adapterConfig struct {
	kind string
	adapters.Config
}

func addAdapterFlags(fl *pflag.FlagSet, required bool) {
	help := "secret store: vault (HashiCorp Vault or OpenBao), aws (Secrets Manager) or azure (Key Vault)"
	if !required {
		help += "; default: every store in the inventory"
	}
	fl.String("adapter", "", help)
	fl.String("address", "", "vault: server address (default $VAULT_ADDR); the token is $VAULT_TOKEN")
	fl.String("namespace", "", "vault: namespace (default $VAULT_NAMESPACE)")
	fl.StringSlice("mount", nil, "vault: KV v2 mounts to index (repeatable or comma-separated; default secret)")
	fl.StringSlice("db-mount", nil, "vault: database secrets engine mounts whose static roles to index and rotate")
	fl.String("region", "", "aws: region (default from the AWS configuration, $AWS_REGION)")
	fl.String("vault-url", "", "azure: Key Vault URL, https://NAME.vault.azure.net (default $AZURE_KEYVAULT_URL)")
}

func readAdapterFlags(cmd *cobra.Command) (adapterConfig, error) {
	fl := cmd.Flags()
	var c adapterConfig
	c.kind, _ = fl.GetString("adapter")
	c.Address, _ = fl.GetString("address")
	c.Namespace, _ = fl.GetString("namespace")
	m, _ := fl.GetStringSlice("mount")
	c.Mounts = splitList(m)
	d, _ := fl.GetStringSlice("db-mount")
	c.DatabaseMounts = splitList(d)
	c.Region, _ = fl.GetString("region")
	c.VaultURL, _ = fl.GetString("vault-url")
	if c.VaultURL == "" {
		c.VaultURL = os.Getenv("AZURE_KEYVAULT_URL")
	}
	if err := adapters.CheckKind(c.kind); err != nil {
		return c, usageErr("--adapter %v", err)
	}
	return c, nil
}

// azureTestOptions, when set (tests), supplies the Key Vault client's
// credential and options (a fake's TLS transport).
var azureTestOptions func() azurekv.Config

// newAdapter builds the adapter of kind from c (inventory/vault/adapters).
// A store that cannot be configured (no token, no region, no URL) is a
// usage error.
func newAdapter(ctx context.Context, kind string, c adapterConfig) (vault.Adapter, error) {
	if azureTestOptions != nil {
		c.Azure = azureTestOptions()
	}
	a, err := adapters.New(ctx, kind, c.Config)
	if errors.Is(err, adapters.ErrUnknownKind) {
		return nil, usageErr("--adapter is required: %s", strings.Join(adapters.Kinds, ", "))
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return a, nil
}

func newVaultCmd() *cobra.Command {
	v := &cobra.Command{
		Use:   "vault",
		Short: "Index secret stores (Vault/OpenBao, AWS Secrets Manager, Azure Key Vault) by fingerprint",
		Long: `'vault index' reads every value in a secret store, fingerprints it with the
inventory's key and records only the fingerprint, the store, path, field,
version and dates — never the value. A leaked secret (found by a scan) whose
fingerprint matches an indexed entry is a leaked managed secret: critical,
rotate it now ('sprawl rotate'). A leaked secret in no store is unmanaged:
move it into a vault, then rotate it.

Stores and their credentials:
  vault   HashiCorp Vault or OpenBao: $VAULT_ADDR, $VAULT_TOKEN, $VAULT_NAMESPACE
  aws     Secrets Manager: the standard AWS credential chain and region
  azure   Key Vault: --vault-url; service principal ($AZURE_TENANT_ID,
          $AZURE_CLIENT_ID, $AZURE_CLIENT_SECRET or _CERTIFICATE_PATH),
          workload or managed identity, or az / azd login

See docs/vault-rotation.md for least-privilege policies.

Exit codes: 0 ok, 2 bad flag or configuration, 3 a store or inventory
failure (items that could not be read are listed; the rest is recorded).`,
	}
	v.PersistentFlags().String("inventory", "", inventoryFlagHelp)
	v.AddCommand(newVaultIndexCmd(), newVaultListCmd())
	return v
}

func newVaultIndexCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "index --adapter vault|aws|azure",
		Short: "Fingerprint every value in a secret store into the inventory",
		Long: `Fingerprint every value in a secret store into the inventory. Multi-value
secrets (KV maps, JSON secret strings) are indexed field by field.

A path flagged for rotation ('sprawl rotate --apply') that now holds a new
value at a newer version is verified rotated: the inventory entry and its
leaked secret become rotated, and with --apply the mark is cleared in the
store.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotInventory: "create"},
		RunE: func(cmd *cobra.Command, args []string) error {
			ac, err := readAdapterFlags(cmd)
			if err != nil {
				return err
			}
			if ac.kind == "" {
				return usageErr("--adapter is required: %s", strings.Join(adapters.Kinds, ", "))
			}
			apply, _ := cmd.Flags().GetBool("apply")
			actorFlag, _ := cmd.Flags().GetString("actor")
			key, err := inventoryKey()
			if err != nil {
				return err
			}
			a, err := newAdapter(cmd.Context(), ac.kind, ac)
			if err != nil {
				return err
			}
			return withInventory(cmd, func(s inventory.Store) error {
				return vaultIndex(cmd, s, a, key, apply, actorName(actorFlag))
			})
		},
	}
	addAdapterFlags(c.Flags(), true)
	c.Flags().Bool("apply", false, "clear the rotation mark in the store at paths verified rotated")
	c.Flags().String("actor", "", "who is acting, for the audit log (default $SPRAWL_ACTOR, else the login name)")
	return c
}

func vaultIndex(cmd *cobra.Command, s inventory.Store, a vault.Adapter, key []byte, apply bool, actor string) error {
	ctx := cmd.Context()
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	classify, err := rotation.ValueClassifier()
	if err != nil {
		return failure(err)
	}
	ix, err := rotation.Index(ctx, s, a, key, classify, actor)
	if ie := (*rotation.IndexError)(nil); errors.As(err, &ie) {
		if ix.RecordErr != nil {
			fmt.Fprintf(errw, "sprawl: vault index: recording the failure: %s\n", reports.Printable(ix.RecordErr.Error()))
		}
		return failure(err)
	}
	if err != nil {
		return inventoryErr(err)
	}
	res := ix.Result
	// The index is recorded whatever happens to its summary; a summary
	// that could not be written fails the command once the rest is done.
	werr := reports.WriteVaultIndex(out, a.Kind(), a.Store(), res, ix.Summary)
	failed := len(res.Errors)
	// The store's paths and its API's errors are escaped: whoever can
	// write to the store (or answers as it) chooses them.
	for _, e := range res.Errors {
		fmt.Fprintf(errw, "sprawl: vault index: %s: %s\n", reports.Printable(e.Ref.String()), reports.Printable(e.Err.Error()))
	}
	if !res.Complete() {
		fmt.Fprintf(errw, "sprawl: vault index: %s could not be listed or read; nothing was marked gone\n", plural.Count(len(res.Errors), "item"))
	}
	clears, err := rotation.ClearRotated(ctx, s, a, apply, actor)
	for _, c := range clears {
		switch {
		case !c.Applied:
			fmt.Fprintf(out, "would clear the rotation mark at %s (run with --apply)\n", reports.Printable(c.Key.String()))
		case c.Err != nil:
			failed++
			fmt.Fprintf(errw, "sprawl: clear %s: %s\n", reports.Printable(c.Key.String()), reports.Printable(c.Err.Error()))
		default:
			fmt.Fprintf(out, "cleared the rotation mark at %s\n", reports.Printable(c.Key.String()))
		}
	}
	if err != nil {
		return inventoryErr(err)
	}
	if werr != nil {
		return failure(fmt.Errorf("vault index: the index is recorded, but its summary could not be written: %w", werr))
	}
	if failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("vault index: %s (see above)", plural.Count(failed, "failure"))}
	}
	return nil
}

func newVaultListCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List indexed vault entries (fingerprints, never values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			kind, _ := cmd.Flags().GetString("adapter")
			flagged, _ := cmd.Flags().GetBool("flagged")
			all, _ := cmd.Flags().GetBool("all")
			q := inventory.VaultQuery{Adapter: kind, IncludeGone: all}
			if flagged {
				q.Flags = []inventory.VaultFlag{inventory.VaultFlagRotationRequired, inventory.VaultFlagRotated}
			}
			return withInventory(cmd, func(s inventory.Store) error {
				es, err := s.VaultEntries(cmd.Context(), q)
				if err != nil {
					return inventoryErr(err)
				}
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), es)
				}
				out := cmd.OutOrStdout()
				return failure(reports.WriteVaultEntriesTable(out, tableWidth(out), es))
			})
		},
	}
	c.Flags().String("adapter", "", "only this store kind: vault, aws, azure")
	c.Flags().Bool("flagged", false, "only entries flagged for rotation or awaiting the mark's clearing")
	c.Flags().Bool("all", false, "include entries gone from their store")
	c.Flags().StringP("format", "f", "table", "table or json")
	return c
}
