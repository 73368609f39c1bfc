package awssm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// TestLive runs the adapter against real AWS Secrets Manager. Opt in with
// SPRAWL_LIVE_AWS=1 and credentials and a region in the standard chain:
//
//	SPRAWL_LIVE_AWS=1 AWS_PROFILE=sandbox AWS_REGION=eu-west-1 \
//	  go test -run TestLive ./inventory/vault/awssm/
//
// It creates one secret named sprawl-live-test-…, indexes, flags (tags
// only: no rotation is configured) and clears it, then deletes it without
// recovery. Use a sandbox account.
func TestLive(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_AWS") == "" {
		t.Skip("set SPRAWL_LIVE_AWS=1 (with AWS credentials and region) to run against real Secrets Manager")
	}
	ctx := context.Background()
	cfg, err := Resolve(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(cfg)
	b := make([]byte, 16)
	rand.Read(b)
	name := "sprawl-live-test-" + hex.EncodeToString(b[:6])
	rand.Read(b)
	value := hex.EncodeToString(b)
	if err := c.call(ctx, "CreateSecret", map[string]any{"Name": name, "SecretString": value, "ClientRequestToken": uuid4()}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.call(ctx, "DeleteSecret", map[string]any{"SecretId": name, "ForceDeleteWithoutRecovery": true}, nil)
	})
	a := NewFromClient(c, cfg.Region)
	v, err := a.Read(ctx, vault.Ref{Path: name})
	if err != nil || v.Fields[""] != value {
		t.Fatalf("read: %v", err)
	}
	res, err := vault.Index(ctx, a, func(v string) string { return v[:4] })
	if err != nil {
		t.Fatalf("index: %+v, %v", res, err)
	}
	o, err := a.Flag(ctx, vault.Ref{Path: name}, vault.Mark{Reason: "sprawl live test"})
	if err != nil || o.RotationRequested || o.Note == "" {
		t.Fatalf("flag: %+v, %v", o, err)
	}
	if _, err := a.Clear(ctx, vault.Ref{Path: name}); err != nil {
		t.Fatal(err)
	}
}
