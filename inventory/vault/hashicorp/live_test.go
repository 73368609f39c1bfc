package hashicorp_test

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/hashicorp"
)

// TestLive runs the adapter against a real Vault or OpenBao. Opt in:
//
//	vault server -dev &   # or: bao server -dev
//	SPRAWL_LIVE_VAULT=1 VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=… \
//	  go test -run TestLive ./inventory/vault/hashicorp/
//
// It writes one random secret under secret/sprawl-live-test/ (KV v2 at
// "secret", as the dev server mounts it), indexes, flags and clears it,
// then deletes it with its metadata.
func TestLive(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_VAULT") == "" || os.Getenv("VAULT_ADDR") == "" {
		t.Skip("set SPRAWL_LIVE_VAULT=1 with VAULT_ADDR and VAULT_TOKEN to run against a real Vault/OpenBao")
	}
	ctx := context.Background()
	c, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	path := "sprawl-live-test/" + random(t)[:12]
	value := random(t)
	if _, err := c.KVv2("secret").Put(ctx, path, map[string]any{"token": value}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.KVv2("secret").DeleteMetadata(ctx, path) })

	a, err := hashicorp.New(hashicorp.Config{Mounts: []string{"secret"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := vault.Index(ctx, a, fp)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range res.Entries {
		found = found || (e.Path == path && e.Field == "token" && e.Fingerprint == fp(value))
	}
	if !found {
		t.Fatalf("index did not see %s (errors: %v)", path, res.Errors)
	}
	ref := vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: path}
	if _, err := a.Flag(ctx, ref, vault.Mark{Reason: "sprawl live test", Findings: []string{"0000"}}); err != nil {
		t.Fatal(err)
	}
	md, err := c.KVv2("secret").GetMetadata(ctx, path)
	if err != nil || md.CustomMetadata[vault.MarkRequired] != "true" {
		t.Fatalf("custom_metadata after flag: %v, %v", md, err)
	}
	if _, err := a.Clear(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if md, err := c.KVv2("secret").GetMetadata(ctx, path); err != nil || md.CustomMetadata[vault.MarkRequired] != nil {
		t.Fatalf("custom_metadata after clear: %v, %v", md, err)
	}
}
