package awssm_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/awssm"
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
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := secretsmanager.NewFromConfig(cfg)
	name := "sprawl-live-test-" + random(t)[:12]
	value := random(t)
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	a := awssm.NewFromClient(c, cfg.Region)
	v, err := a.Read(ctx, vault.Ref{Path: name})
	if err != nil || fp(v.Fields[""]) != fp(value) {
		t.Fatalf("read: %v", err)
	}
	o, err := a.Flag(ctx, vault.Ref{Path: name}, vault.Mark{Reason: "sprawl live test"})
	if err != nil || o.RotationRequested || o.Note == "" {
		t.Fatalf("flag: %+v, %v", o, err)
	}
	if _, err := a.Clear(ctx, vault.Ref{Path: name}); err != nil {
		t.Fatal(err)
	}
}
