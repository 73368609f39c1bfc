package azurekv_test

import (
	"context"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
)

// TestLive runs the adapter against a real Key Vault. Opt in with
// SPRAWL_LIVE_AZURE=1 and AZURE_KEYVAULT_URL, signed in for
// DefaultAzureCredential (az login, or AZURE_CLIENT_ID/…):
//
//	SPRAWL_LIVE_AZURE=1 AZURE_KEYVAULT_URL=https://NAME.vault.azure.net \
//	  go test -run TestLive ./inventory/vault/azurekv/
//
// It sets one secret named sprawl-live-test-…, indexes, flags and clears
// it, then deletes it (soft delete; purge it if the vault requires).
func TestLive(t *testing.T) {
	url := os.Getenv("AZURE_KEYVAULT_URL")
	if os.Getenv("SPRAWL_LIVE_AZURE") == "" || url == "" {
		t.Skip("set SPRAWL_LIVE_AZURE=1 and AZURE_KEYVAULT_URL to run against a real Key Vault")
	}
	ctx := context.Background()
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(url, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := "sprawl-live-test-" + random(t)[:12]
	value := random(t)
	set, err := c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: &value}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteSecret(ctx, name, nil) })
	// sprawl's own credential chain and client, against the SDK's set-up.
	a, err := azurekv.New(azurekv.Config{VaultURL: url})
	if err != nil {
		t.Fatal(err)
	}
	ref := vault.Ref{Engine: vault.EngineKeyVault, Path: name, Version: set.ID.Version()}
	v, err := a.Read(ctx, ref)
	if err != nil || fp(v.Fields[""]) != fp(value) {
		t.Fatalf("read: %v", err)
	}
	if _, err := a.Flag(ctx, ref, vault.Mark{Reason: "sprawl live test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Clear(ctx, ref); err != nil {
		t.Fatal(err)
	}
}
