// Package awssm is the vault.Adapter for AWS Secrets Manager
// (ListSecrets, GetSecretValue, and for a forced rotation DescribeSecret,
// TagResource plus RotateSecret when rotation is configured).
//
// It speaks the service's AWS JSON 1.1 protocol itself (Client, signed by
// internal/sigv4) and resolves region, endpoint and credentials as the
// AWS SDKs do (Resolve): the SDK for Go cost every sprawl command, a
// pre-commit hook's too, about 7 ms of package initialisation.
//
// Safe for concurrent use.
package awssm
