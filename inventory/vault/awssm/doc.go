// Package awssm is the vault.Adapter for AWS Secrets Manager
// (aws-sdk-go-v2): ListSecrets, GetSecretValue, and for a forced rotation
// TagResource plus RotateSecret when rotation is configured.
//
// Safe for concurrent use.
package awssm
