package awssm_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/awssm"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
)

func random(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func fp(v string) string { return "fp:" + v[:2] + ":" + string(rune('a'+len(v)%26)) }

func TestIndexFlagClear(t *testing.T) {
	ctx := context.Background()
	srv := vaulttest.NewAWS(t)
	plain, user, pass, rotated := random(t), random(t), random(t), random(t)
	doc, _ := json.Marshal(map[string]any{"username": user, "password": pass, "port": 5432})
	srv.Put("prod/api", plain)
	srv.Put("prod/db", string(doc))
	srv.Put("stage/x", random(t))
	srv.EnableRotation("prod/db", func() string { return rotated })
	a := awssm.NewFromClient(srv.Client(2), "us-east-1")
	if a.Kind() != "aws" || a.Store() != "us-east-1" || a.Scope() != nil {
		t.Errorf("adapter = %s %s %v", a.Kind(), a.Store(), a.Scope())
	}
	res, err := vault.Index(ctx, a, fp)
	if err != nil || !res.Complete() || res.Secrets != 3 {
		t.Fatalf("Index: %+v, %v", res, err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Path+"#"+e.Field+" "+e.Fingerprint)
	}
	want := []string{"prod/api# " + fp(plain), "prod/db#password " + fp(pass), "prod/db#port " + fp("5432"), "prod/db#username " + fp(user)}
	if d := cmp.Diff(want, got[:4]); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if !res.Entries[1].AutoRotation || res.Entries[0].AutoRotation || res.Entries[1].Version == "" || res.Entries[1].VersionAt.IsZero() || res.Entries[1].Created.IsZero() {
		t.Errorf("metadata: %+v / %+v", res.Entries[0], res.Entries[1])
	}

	// Rotation configured: tag, then RotateSecret.
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	o, err := a.Flag(ctx, vault.Ref{Engine: vault.EngineSecretsManager, Path: "prod/db"}, vault.Mark{Reason: "leaked in git (deploy.sh)", Findings: []string{"abc"}, At: at})
	if err != nil || !o.RotationRequested {
		t.Fatalf("flag prod/db: %+v, %v", o, err)
	}
	tags := srv.Tags("prod/db")
	if tags["sprawl:rotation-required"] != "true" || tags["sprawl:rotation-reason"] != "leaked in git -deploy.sh-" || tags["sprawl:rotation-flagged-at"] != "2026-11-27T03:00:00Z" {
		t.Errorf("tags = %v", tags)
	}
	v, err := a.Read(ctx, vault.Ref{Path: "prod/db"})
	if err != nil || v.Fields[""] != rotated || v.Version == res.Entries[1].Version {
		t.Errorf("after RotateSecret: version %s, %v", v.Version, err)
	}
	// No rotation configured: tag only, and say so.
	o, err = a.Flag(ctx, vault.Ref{Path: "prod/api"}, vault.Mark{Reason: "leaked"})
	if err != nil || o.RotationRequested || o.Note == "" {
		t.Errorf("flag prod/api: %+v, %v", o, err)
	}
	if _, err := a.Clear(ctx, vault.Ref{Path: "prod/db"}); err != nil {
		t.Fatal(err)
	}
	if tags := srv.Tags("prod/db"); len(tags) != 0 {
		t.Errorf("tags after clear = %v", tags)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := vaulttest.NewAWS(t)
	for _, n := range []string{"a", "b", "c"} {
		srv.Put(n, random(t))
	}
	srv.Deny("GetSecretValue b")
	srv.Missing("GetSecretValue c")
	a := awssm.NewFromClient(srv.Client(2), "us-east-1")
	res, err := vault.Index(ctx, a, fp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || len(res.Errors) != 2 || !errors.Is(res.Errors[0].Err, vault.ErrDenied) || !errors.Is(res.Errors[1].Err, vault.ErrNotFound) {
		t.Errorf("index = %+v", res)
	}
	srv.Deny("TagResource")
	if _, err := a.Flag(ctx, vault.Ref{Path: "a"}, vault.Mark{}); !errors.Is(err, vault.ErrDenied) {
		t.Errorf("flag denied: %v", err)
	}
	// Throttling: the client retries; past its attempts the error is ErrThrottled.
	srv.Throttle("ListSecrets", 1)
	if res, _ := vault.Index(ctx, a, fp); len(res.Entries) != 1 {
		t.Errorf("one ThrottlingException with 2 attempts: %+v", res)
	}
	srv.Throttle("ListSecrets", 5)
	res, err = vault.Index(ctx, a, fp)
	if err != nil || len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, vault.ErrThrottled) {
		t.Errorf("throttled listing: %+v, %v", res, err)
	}
}

// TestFacts: the listing's dates, rotation rules and last read reach the
// index; versions count the staged ones.
func TestFacts(t *testing.T) {
	srv := vaulttest.NewAWS(t)
	day := 24 * time.Hour
	now := time.Now().UTC().Truncate(time.Second)
	srv.PutAt("prod/db", random(t), now.Add(-400*day))
	srv.PutAt("prod/db", random(t), now.Add(-2*day))
	srv.EnableRotation("prod/db", nil)
	srv.Update("prod/db", func(s *vaulttest.SMSecret) {
		s.LastRotated, s.LastAccessed, s.NextRotation, s.RotationDays = now.Add(-2*day), now.Add(-120*day), now.Add(28*day), 30
	})
	res, err := vault.Index(context.Background(), awssm.NewFromClient(srv.Client(1), "us-east-1"), fp)
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("Index: %+v, %v", res, err)
	}
	e := res.Entries[0]
	want := vault.Facts{LastRotated: now.Add(-2 * day), LastChanged: now.Add(-2 * day), LastAccessed: now.Add(-120 * day), AccessRecorded: true,
		NextRotation: now.Add(28 * day), RotationPeriod: 30 * day, Versions: 2}
	if d := cmp.Diff(want, e.Facts, cmp.Comparer(func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Millisecond })); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}
	if !e.AutoRotation || !e.Created.Equal(now.Add(-400*day)) {
		t.Errorf("auto rotation %v, created %v", e.AutoRotation, e.Created)
	}
}
