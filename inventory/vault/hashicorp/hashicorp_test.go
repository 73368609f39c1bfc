package hashicorp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/hashicorp"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
)

func random(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// fp stands in for the inventory's keyed fingerprint.
func fp(v string) string { return "fp(" + strconv.Itoa(len(v)) + ")" + v[:2] }

func newAdapter(t *testing.T, v *vaulttest.Vault, retries int, cfg hashicorp.Config) *hashicorp.Adapter {
	t.Helper()
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_NAMESPACE", "")
	cfg.Address, cfg.Token, cfg.MaxRetries, cfg.MinRetryWait = v.URL, v.Token, &retries, time.Millisecond
	a, err := hashicorp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestIndexFlagClear(t *testing.T) {
	ctx := context.Background()
	token := random(t)
	v := vaulttest.NewVault(t, token)
	v.Namespace = "team-a"
	pw, api, nested, other, dbpw, dbnext := random(t), random(t), random(t), random(t), random(t), random(t)
	v.Put("secret", "app/db", map[string]any{"user": "app", "password": pw})
	v.Put("secret", "app/db", map[string]any{"user": "app", "password": pw, "port": 5432.0})
	v.Put("secret", "app/api", map[string]any{"token": api, "cfg": map[string]any{"inner": nested}})
	v.Put("kv2", "x", map[string]any{"v": other})
	v.AddRole("database", "app", &vaulttest.Role{Username: "app", Password: dbpw, Next: func() string { return dbnext }})

	a := newAdapter(t, v, 0, hashicorp.Config{Namespace: "team-a", Mounts: []string{"secret", "kv2/"}, DatabaseMounts: []string{"database"}})
	if a.Kind() != "vault" || a.Store() != v.URL+" namespace=team-a" || !cmp.Equal(a.Scope(), []string{"secret", "kv2", "database"}) {
		t.Errorf("adapter = %s %q %v", a.Kind(), a.Store(), a.Scope())
	}
	res, err := vault.Index(ctx, a, fp)
	if err != nil || !res.Complete() {
		t.Fatalf("Index: %v, errors %v", err, res.Errors)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Engine+" "+e.Mount+"/"+e.Path+"#"+e.Field+" v"+e.Version+" "+e.Fingerprint)
	}
	want := []string{
		"kv2 secret/app/api#cfg.inner v1 " + fp(nested),
		"kv2 secret/app/api#token v1 " + fp(api),
		"kv2 secret/app/db#password v2 " + fp(pw),
		"kv2 secret/app/db#port v2 " + fp("5432"),
		"kv2 secret/app/db#user v2 " + fp("app"),
		"kv2 kv2/x#v v1 " + fp(other),
	}
	got6 := got[:len(got)-1]
	if d := cmp.Diff(want, got6); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	db := res.Entries[len(res.Entries)-1]
	if db.Engine != vault.EngineDatabase || db.Field != "password" || db.Fingerprint != fp(dbpw) || !db.AutoRotation || db.VersionAt.IsZero() {
		t.Errorf("database entry = %+v", db)
	}

	// Flag merges into custom_metadata, keeping the owner's keys.
	v.SetCustomMetadata("secret", "app/db", map[string]string{"owner": "payments"})
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	o, err := a.Flag(ctx, vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "app/db"}, vault.Mark{Reason: strings.Repeat("r", 600), Findings: []string{"abc", "def"}, At: at})
	if err != nil {
		t.Fatal(err)
	}
	md := v.CustomMetadata("secret", "app/db")
	if md["owner"] != "payments" || md[vault.MarkRequired] != "true" || md[vault.MarkFindings] != "abc def" || md[vault.MarkAt] != "2026-11-27T03:00:00Z" || len(md[vault.MarkReason]) != 512 {
		t.Errorf("custom_metadata after flag = %v", md)
	}
	if o.RotationRequested || len(o.Actions) != 1 {
		t.Errorf("outcome = %+v", o)
	}
	if _, err := a.Clear(ctx, vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "app/db"}); err != nil {
		t.Fatal(err)
	}
	if md := v.CustomMetadata("secret", "app/db"); !cmp.Equal(md, map[string]string{"owner": "payments"}) {
		t.Errorf("custom_metadata after clear = %v", md)
	}

	// A database static role is rotated by rotate-role.
	o, err = a.Flag(ctx, vault.Ref{Engine: vault.EngineDatabase, Mount: "database", Path: "app"}, vault.Mark{Reason: "leaked"})
	if err != nil || !o.RotationRequested {
		t.Fatalf("flag role: %+v, %v", o, err)
	}
	if r := v.Role("database", "app"); r.Password != dbnext {
		t.Error("rotate-role did not rotate the password")
	}
	val, err := a.Read(ctx, vault.Ref{Engine: vault.EngineDatabase, Mount: "database", Path: "app"})
	if err != nil || val.Fields["password"] != dbnext || val.Version == db.Version {
		t.Errorf("role after rotation: version %q (was %q), %v", val.Version, db.Version, err)
	}
}

func TestLimits(t *testing.T) {
	v := vaulttest.NewVault(t, random(t))
	v.Put("secret", "full", map[string]any{"k": random(t)})
	full := map[string]string{}
	for i := range 61 {
		full["k"+strconv.Itoa(i)] = "v"
	}
	v.SetCustomMetadata("secret", "full", full)
	a := newAdapter(t, v, 0, hashicorp.Config{})
	_, err := a.Flag(context.Background(), vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "full"}, vault.Mark{Reason: "x"})
	if !errors.Is(err, vault.ErrLimit) {
		t.Errorf("flag with 61 other keys: %v, want ErrLimit", err)
	}
	if len(v.CustomMetadata("secret", "full")) != 61 {
		t.Error("custom_metadata changed despite the limit")
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.NewVault(t, random(t))
	for _, p := range []string{"a", "b", "c"} {
		v.Put("secret", p, map[string]any{"v": random(t)})
	}
	v.Put("other", "x", map[string]any{"v": random(t)})
	v.Deny("secret/data/b")
	v.Deny("other/metadata")
	v.Missing("secret/data/c")
	a := newAdapter(t, v, 0, hashicorp.Config{Mounts: []string{"secret", "other", "empty"}})
	v.Mount("empty")
	res, err := vault.Index(ctx, a, fp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Path != "a" || res.Complete() {
		t.Errorf("entries = %+v", res.Entries)
	}
	want := map[string]error{"secret/b": vault.ErrDenied, "other/": vault.ErrDenied, "secret/c": vault.ErrNotFound}
	if len(res.Errors) != len(want) {
		t.Errorf("errors = %v", res.Errors)
	}
	for _, e := range res.Errors {
		if w := want[e.Ref.String()]; !errors.Is(e.Err, w) {
			t.Errorf("%s: %v, want %v", e.Ref, e.Err, w)
		}
	}
	// A wrong token is refused.
	bad, _ := hashicorp.New(hashicorp.Config{Address: v.URL, Token: "wrong"})
	if _, err := bad.Read(ctx, vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "a"}); !errors.Is(err, vault.ErrDenied) {
		t.Errorf("wrong token: %v", err)
	}
	// Throttling: reported when retries run out, absorbed when they do not.
	v.Throttle(5)
	if _, err := a.Read(ctx, vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "a"}); !errors.Is(err, vault.ErrThrottled) {
		t.Errorf("throttled read: %v, want ErrThrottled", err)
	}
	v.Throttle(1)
	retrying := newAdapter(t, v, 2, hashicorp.Config{})
	if _, err := retrying.Read(ctx, vault.Ref{Engine: vault.EngineKV, Mount: "secret", Path: "a"}); err != nil {
		t.Errorf("read after one 429 with retries: %v", err)
	}
	t.Setenv("VAULT_TOKEN", "")
	if _, err := hashicorp.New(hashicorp.Config{Address: v.URL}); err == nil {
		t.Error("New without a token succeeded")
	}
}

// BenchmarkIndex: list and read 1,000 KV secrets of 3 fields from the
// fake over HTTP (one LIST per folder, one GET per secret).
func BenchmarkIndex(b *testing.B) {
	v := vaulttest.NewVault(b, "bench-token")
	for i := range 1000 {
		v.Put("secret", "team"+strconv.Itoa(i%10)+"/app"+strconv.Itoa(i), map[string]any{"a": random(b), "b": random(b), "c": random(b)})
	}
	zero := 0
	a, err := hashicorp.New(hashicorp.Config{Address: v.URL, Token: v.Token, MaxRetries: &zero})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := vault.Index(context.Background(), a, fp)
		if err != nil || len(res.Entries) != 3000 {
			b.Fatalf("%d entries, %v", len(res.Entries), err)
		}
	}
}

// TestFacts: KV metadata (created and updated time, live versions,
// max_versions, delete_version_after) and a static role's last rotation
// and period reach the index.
func TestFacts(t *testing.T) {
	token := random(t)
	v := vaulttest.NewVault(t, token)
	day := 24 * time.Hour
	now := time.Now().UTC().Truncate(time.Second)
	v.PutAt("secret", "app", map[string]any{"api_key": random(t)}, now.Add(-400*day))
	v.PutAt("secret", "app", map[string]any{"api_key": random(t)}, now.Add(-3*day))
	v.SetRetention("secret", "app", 10, 720*time.Hour)
	v.AddRole("database", "app", &vaulttest.Role{Username: "app", Password: random(t), LastRotation: now.Add(-day), RotationPeriod: 7 * day})
	a := newAdapter(t, v, 0, hashicorp.Config{Mounts: []string{"secret"}, DatabaseMounts: []string{"database"}})
	res, err := vault.Index(context.Background(), a, fp)
	if err != nil || len(res.Entries) != 2 {
		t.Fatalf("Index: %+v, %v", res, err)
	}
	kv, db := res.Entries[0], res.Entries[1]
	if d := cmp.Diff(vault.Facts{LastChanged: now.Add(-3 * day), Versions: 2, MaxVersions: 10, DeleteVersionAfter: 720 * time.Hour}, kv.Facts); d != "" {
		t.Errorf("KV facts (-want +got):\n%s", d)
	}
	if !kv.Created.Equal(now.Add(-400*day)) || !kv.VersionAt.Equal(now.Add(-3*day)) || kv.Version != "2" {
		t.Errorf("KV dates: created %v, version %s at %v", kv.Created, kv.Version, kv.VersionAt)
	}
	if d := cmp.Diff(vault.Facts{LastRotated: now.Add(-day), RotationPeriod: 7 * day}, db.Facts); d != "" || !db.AutoRotation {
		t.Errorf("static role facts (-want +got):\n%s", d)
	}
	// A token that may read the data but not the metadata still indexes
	// the value, without the facts.
	v.Deny("secret/metadata/app")
	res, err = vault.Index(context.Background(), a, fp)
	if err != nil || !res.Complete() || len(res.Entries) != 2 || res.Entries[0].Versions != 0 || res.Entries[0].VersionAt.IsZero() {
		t.Errorf("index without metadata access: %v %+v", err, res)
	}
}
