package azurekv_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
)

func random(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func fp(v string) string { return "fp:" + v[:2] }

func newAdapter(t *testing.T, srv *vaulttest.Azure, retries int32) *azurekv.Adapter {
	t.Helper()
	cfg := srv.Config(int(retries))
	cfg.VaultURL, cfg.Expiry = srv.URL+"/", 2*time.Hour
	a, err := azurekv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestIndexFlagClear(t *testing.T) {
	ctx := context.Background()
	srv := vaulttest.NewAzure(t)
	one, user, pass := random(t), random(t), random(t)
	srv.Set("api-key", one)
	srv.Set("db", `{"user":"`+user+`","password":"`+pass+`"}`)
	a := newAdapter(t, srv, 1)
	if a.Kind() != "azure" || a.Store() != srv.URL {
		t.Errorf("adapter = %s %s", a.Kind(), a.Store())
	}
	res, err := vault.Index(ctx, a, fp)
	if err != nil || !res.Complete() {
		t.Fatalf("Index: %+v, %v", res, err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Path+"#"+e.Field+" "+e.Fingerprint)
	}
	if d := cmp.Diff([]string{"api-key# " + fp(one), "db#password " + fp(pass), "db#user " + fp(user)}, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	ver := res.Entries[0].Version
	if ver != srv.Version("api-key", "").ID || res.Entries[0].VersionAt.IsZero() || res.Entries[0].Created.IsZero() {
		t.Errorf("version metadata = %+v", res.Entries[0])
	}

	// Flag the leaked version: tags merged, expiry set; then a new
	// version appears and the old one's mark is cleared.
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	srv.Version("api-key", "")
	if _, err := a.Flag(ctx, vault.Ref{Engine: vault.EngineKeyVault, Path: "api-key", Version: ver}, vault.Mark{Reason: "leaked", Findings: []string{"abc"}, At: at}); err != nil {
		t.Fatal(err)
	}
	v := srv.Version("api-key", ver)
	if v.Tags[vault.MarkRequired] != "true" || v.Tags[vault.MarkFindings] != "abc" || v.Expires == nil || !v.Expires.Equal(at.Add(2*time.Hour)) {
		t.Errorf("flagged version: tags %v, expires %v", v.Tags, v.Expires)
	}
	srv.Set("api-key", random(t))
	if _, err := a.Clear(ctx, vault.Ref{Engine: vault.EngineKeyVault, Path: "api-key", Version: ver}); err != nil {
		t.Fatal(err)
	}
	if v := srv.Version("api-key", ver); len(v.Tags) != 0 || v.Expires == nil {
		t.Errorf("after clear: tags %v, expires %v (the expiry stays)", v.Tags, v.Expires)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := vaulttest.NewAzure(t)
	for _, n := range []string{"a", "b", "c"} {
		srv.Set(n, random(t))
	}
	srv.Deny("GET b")
	srv.Missing("GET c")
	a := newAdapter(t, srv, -1) // azcore: 0 means the default (3), -1 none
	res, err := vault.Index(ctx, a, fp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || len(res.Errors) != 2 || !errors.Is(res.Errors[0].Err, vault.ErrDenied) || !errors.Is(res.Errors[1].Err, vault.ErrNotFound) {
		t.Errorf("index = %+v", res)
	}
	srv.Deny("PATCH a")
	if _, err := a.Flag(ctx, vault.Ref{Path: "a"}, vault.Mark{}); !errors.Is(err, vault.ErrDenied) {
		t.Errorf("flag denied: %v", err)
	}
	srv.Throttle(3)
	if _, err := a.Read(ctx, vault.Ref{Path: "a"}); !errors.Is(err, vault.ErrThrottled) {
		t.Errorf("throttled without retries: %v", err)
	}
	srv.Throttle(1)
	if _, err := newAdapter(t, srv, 2).Read(ctx, vault.Ref{Path: "a"}); err != nil {
		t.Errorf("one 429 with retries: %v", err)
	}
	if _, err := azurekv.New(azurekv.Config{Credential: vaulttest.Credential{}}); err == nil {
		t.Error("New without a vault URL succeeded")
	}
}

// TestFacts: expiry, not-before, enabled and the versions' count and
// first creation reach the index; an unset expiry is told apart from a
// store without one.
func TestFacts(t *testing.T) {
	srv := vaulttest.NewAzure(t)
	day := 24 * time.Hour
	now := time.Now().UTC().Truncate(time.Second)
	exp, nbf := now.Add(-day), now.Add(-30*day)
	srv.SetAt("expired", random(t), now.Add(-60*day), nil)
	srv.SetAt("expired", random(t), now.Add(-20*day), func(v *vaulttest.AzVersion) { v.Expires, v.NotBefore = &exp, &nbf })
	srv.SetAt("open-ended", random(t), now.Add(-10*day), func(v *vaulttest.AzVersion) { v.Disabled = true })
	res, err := vault.Index(context.Background(), newAdapter(t, srv, 1), fp)
	if err != nil || len(res.Entries) != 2 {
		t.Fatalf("Index: %+v, %v", res, err)
	}
	yes, no := true, false
	want := map[string]vault.Facts{
		"expired":    {LastChanged: now.Add(-20 * day), Expires: exp, NotBefore: nbf, ExpirySupported: true, Enabled: &yes, Versions: 2},
		"open-ended": {LastChanged: now.Add(-10 * day), ExpirySupported: true, Enabled: &no, Versions: 1},
	}
	for _, e := range res.Entries {
		if d := cmp.Diff(want[e.Path], e.Facts); d != "" {
			t.Errorf("%s facts (-want +got):\n%s", e.Path, d)
		}
	}
	if e := res.Entries[0]; e.Path != "expired" || !e.Created.Equal(now.Add(-60*day)) || !e.VersionAt.Equal(now.Add(-20*day)) {
		t.Errorf("expired: created %v (want the first version's), version at %v", e.Created, e.VersionAt)
	}
}
