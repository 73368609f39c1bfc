package adapters

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
)

// isolate keeps the adapters from reading this machine's Vault, AWS and
// Azure settings.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"VAULT_ADDR": "", "VAULT_AGENT_ADDR": "", "VAULT_TOKEN": "", "VAULT_NAMESPACE": "", "AZURE_KEYVAULT_URL": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "HOME": dir,
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	} {
		t.Setenv(k, v)
	}
}

func TestNew(t *testing.T) {
	isolate(t)
	t.Setenv("VAULT_TOKEN", "sprawl-test-token")
	az := vaulttest.NewAzure(t)
	for _, c := range []struct {
		name, kind string
		cfg        Config
		// wantStore and wantScope describe the adapter built.
		wantStore string
		wantScope []string
	}{
		{"vault", "vault", Config{Address: "http://127.0.0.1:8200", Namespace: "team-a", Mounts: []string{"kv/"}, DatabaseMounts: []string{"db"}},
			"http://127.0.0.1:8200 namespace=team-a", []string{"kv", "db"}},
		{"vault default mount", "vault", Config{Address: "http://127.0.0.1:8200"}, "http://127.0.0.1:8200", []string{"secret"}},
		{"aws", "aws", Config{Region: "eu-west-1"}, "eu-west-1", nil},
		// The Azure settings beside VaultURL (here the fake's credential
		// and TLS client) are kept; VaultURL is Config's.
		{"azure", "azure", Config{VaultURL: az.URL, Azure: az.Config(-1)}, az.URL, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(context.Background(), c.kind, c.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if a.Kind() != c.kind || a.Store() != c.wantStore {
				t.Errorf("built %s %q, want %s %q", a.Kind(), a.Store(), c.kind, c.wantStore)
			}
			if diff := cmp.Diff(c.wantScope, a.Scope()); diff != "" {
				t.Errorf("Scope() (-want +got):\n%s", diff)
			}
		})
	}
	// Only the fake's credential and TLS client reach it: the adapter
	// lists through the Azure settings New kept.
	az.Set("ci-token", "sprawl-test-value")
	a, err := New(context.Background(), "azure", Config{VaultURL: az.URL, Azure: az.Config(-1)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = a.List(context.Background(), func(s vault.Secret, err error) error {
		if err != nil {
			return err
		}
		names = append(names, s.Ref.Path)
		return nil
	})
	if err != nil || len(names) != 1 {
		t.Errorf("listing the fake Key Vault: %v, %q", err, names)
	}
}

func TestNewErrors(t *testing.T) {
	isolate(t)
	for _, c := range []struct {
		kind    string
		cfg     Config
		want    string
		unknown bool
	}{
		{"", Config{}, `unknown secret store kind ""`, true},
		{"gcp", Config{Region: "eu-west-1"}, `unknown secret store kind "gcp"`, true},
		{"vault", Config{Address: "http://127.0.0.1:8200"}, "vault: no token (set VAULT_TOKEN)", false},
		{"aws", Config{}, "aws: no region (set AWS_REGION or --region)", false},
		{"azure", Config{}, "azure: no vault URL (set AZURE_KEYVAULT_URL or --vault-url)", false},
		{"azure", Config{VaultURL: "http://kv.example"}, `azure: the vault URL "http://kv.example" is not https`, false},
	} {
		a, err := New(context.Background(), c.kind, c.cfg)
		if err == nil {
			t.Errorf("New(%q) = %s %s, want an error", c.kind, a.Kind(), a.Store())
			continue
		}
		if a != nil {
			t.Errorf("New(%q) returned an adapter (%T) with its error", c.kind, a)
		}
		// The adapters' own messages reach the user as they are.
		if err.Error() != c.want {
			t.Errorf("New(%q): %q, want %q", c.kind, err, c.want)
		}
		if errors.Is(err, ErrUnknownKind) != c.unknown {
			t.Errorf("New(%q): errors.Is(ErrUnknownKind) = %v, want %v", c.kind, !c.unknown, c.unknown)
		}
	}
}

// CheckKind takes no kind or exactly one New builds, and names anything
// else with the list.
func TestCheckKind(t *testing.T) {
	for kind, want := range map[string]string{
		"": "", "vault": "", "aws": "", "azure": "",
		"gcp":   `"gcp": want vault, aws, azure`,
		"Vault": `"Vault": want vault, aws, azure`,
		"ci":    `"ci": want vault, aws, azure`,
	} {
		got := ""
		if err := CheckKind(kind); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("CheckKind(%q) = %q, want %q", kind, got, want)
		}
	}
}
