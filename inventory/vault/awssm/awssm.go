package awssm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// Tag limits (TagResource): 50 tags per secret, value ≤ 255 characters.
const (
	maxTags     = 50
	maxTagValue = 255
	tagPrefix   = "sprawl:"
)

// API is the part of the Secrets Manager client the adapter uses.
type API interface {
	secretsmanager.ListSecretsAPIClient
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	TagResource(context.Context, *secretsmanager.TagResourceInput, ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error)
	UntagResource(context.Context, *secretsmanager.UntagResourceInput, ...func(*secretsmanager.Options)) (*secretsmanager.UntagResourceOutput, error)
	RotateSecret(context.Context, *secretsmanager.RotateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error)
}

// Adapter is one region's Secrets Manager.
type Adapter struct {
	api    API
	region string
}

// New loads the standard credential chain and region (environment,
// shared config and credentials files, SSO, web identity, container and
// instance roles); region, if not empty, overrides the configured one.
func New(ctx context.Context, region string) (*Adapter, error) {
	// The SDK's default client bounds connecting (30s) and the TLS
	// handshake (10s) but not a server that accepts and never answers:
	// bound the response headers and each attempt as a whole too.
	hc := awshttp.NewBuildableClient().WithTimeout(2 * time.Minute).WithTransportOptions(func(t *http.Transport) {
		t.ResponseHeaderTimeout = time.Minute
	})
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(hc)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("aws: no region (set AWS_REGION or --region)")
	}
	return NewFromClient(secretsmanager.NewFromConfig(cfg), cfg.Region), nil
}

// NewFromClient wraps a client (tests point one at an httptest server).
func NewFromClient(c API, region string) *Adapter { return &Adapter{api: c, region: region} }

// Kind is "aws".
func (a *Adapter) Kind() string { return "aws" }

// Store is the region.
func (a *Adapter) Store() string { return a.region }

// Scope is nil: List covers the region's secrets.
func (a *Adapter) Scope() []string { return nil }

func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case code == "AccessDeniedException" || code == "AccessDenied" || strings.HasPrefix(code, "UnrecognizedClient"):
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrDenied, code)
		case code == "ResourceNotFoundException":
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrNotFound, code)
		case code == "ThrottlingException" || code == "TooManyRequestsException" || code == "RequestLimitExceeded":
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrThrottled, code)
		}
		return fmt.Errorf("%s: %s: %s", what, code, ae.ErrorMessage())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// List pages through ListSecrets.
func (a *Adapter) List(ctx context.Context, fn func(vault.Secret, error) error) error {
	p := secretsmanager.NewListSecretsPaginator(a.api, &secretsmanager.ListSecretsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineSecretsManager}}, classify(err, "ListSecrets"))
		}
		for _, e := range page.SecretList {
			s := vault.Secret{Ref: vault.Ref{Engine: vault.EngineSecretsManager, Path: aws.ToString(e.Name)},
				Created: aws.ToTime(e.CreatedDate), Updated: aws.ToTime(e.LastChangedDate), AutoRotation: aws.ToBool(e.RotationEnabled),
				Facts: facts(e)}
			if err := fn(s, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// facts are a listed secret's rotation and access metadata. Secrets
// Manager records reads (LastAccessedDate, "rounded to the nearest day"),
// so a secret without one was never read.
func facts(e types.SecretListEntry) vault.Facts {
	f := vault.Facts{LastRotated: aws.ToTime(e.LastRotatedDate), LastChanged: aws.ToTime(e.LastChangedDate),
		LastAccessed: aws.ToTime(e.LastAccessedDate), AccessRecorded: true, NextRotation: aws.ToTime(e.NextRotationDate),
		Versions: len(e.SecretVersionsToStages)}
	if r := e.RotationRules; r != nil {
		if d := aws.ToInt64(r.AutomaticallyAfterDays); d > 0 {
			f.RotationPeriod = time.Duration(d) * 24 * time.Hour
		}
		f.RotationSchedule = aws.ToString(r.ScheduleExpression)
	}
	return f
}

// Read returns the AWSCURRENT version: a JSON secret string's fields, else
// the whole string (or binary).
func (a *Adapter) Read(ctx context.Context, ref vault.Ref) (vault.Value, error) {
	out, err := a.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.Path)})
	if err != nil {
		return vault.Value{}, classify(err, "GetSecretValue "+ref.Path)
	}
	v := vault.Value{Version: aws.ToString(out.VersionId), VersionAt: aws.ToTime(out.CreatedDate)}
	switch {
	case out.SecretString != nil:
		v.Fields = vault.Fields(*out.SecretString)
	case out.SecretBinary != nil:
		v.Fields = map[string]string{"": string(out.SecretBinary)}
	default:
		v.Fields = map[string]string{}
	}
	return v, nil
}

// tagValue keeps the characters tag values allow (letters, digits,
// spaces and _ . : / = + - @) and cuts to the limit.
func tagValue(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" _.:/=+-@", r):
			return r
		}
		return '-'
	}, s)
	return vault.Truncate(s, maxTagValue)
}

// Flag tags the secret sprawl:rotation-* and, when rotation is
// configured, calls RotateSecret (its configured Lambda, or the owning
// service's managed rotation); otherwise it says rotation is not
// configured.
func (a *Adapter) Flag(ctx context.Context, ref vault.Ref, m vault.Mark) (vault.Outcome, error) {
	d, err := a.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.Path)})
	if err != nil {
		return vault.Outcome{}, classify(err, "DescribeSecret "+ref.Path)
	}
	marks := vault.MarkValues(m, maxTagValue)
	others := 0
	for _, t := range d.Tags {
		if !strings.HasPrefix(aws.ToString(t.Key), tagPrefix) {
			others++
		}
	}
	if others+len(marks) > maxTags {
		return vault.Outcome{}, fmt.Errorf("flag %s: %w: %d other tags, AWS allows %d", ref.Path, vault.ErrLimit, others, maxTags)
	}
	var tags []types.Tag
	for _, k := range vault.MarkKeys {
		tags = append(tags, types.Tag{Key: aws.String(awsKey(k)), Value: aws.String(tagValue(marks[k]))})
	}
	if _, err := a.api.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(ref.Path), Tags: tags}); err != nil {
		return vault.Outcome{}, classify(err, "TagResource "+ref.Path)
	}
	o := vault.Outcome{Actions: []string{"tagged " + awsKey(vault.MarkRequired) + "=true"}}
	if !aws.ToBool(d.RotationEnabled) {
		o.Note = "rotation is not configured: put a new value by hand (or configure rotation)"
		return o, nil
	}
	if _, err := a.api.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(ref.Path), RotateImmediately: aws.Bool(true)}); err != nil {
		return o, classify(err, "RotateSecret "+ref.Path)
	}
	o.Actions = append(o.Actions, "RotateSecret requested")
	o.RotationRequested = true
	return o, nil
}

// awsKey turns "sprawl-rotation-required" into "sprawl:rotation-required".
func awsKey(k string) string { return tagPrefix + strings.TrimPrefix(k, "sprawl-") }

// Clear removes the sprawl:rotation-* tags.
func (a *Adapter) Clear(ctx context.Context, ref vault.Ref) (vault.Outcome, error) {
	keys := make([]string, 0, len(vault.MarkKeys))
	for _, k := range vault.MarkKeys {
		keys = append(keys, awsKey(k))
	}
	if _, err := a.api.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(ref.Path), TagKeys: keys}); err != nil {
		return vault.Outcome{}, classify(err, "UntagResource "+ref.Path)
	}
	return vault.Outcome{Actions: []string{"sprawl:rotation-* tags removed"}}, nil
}

var _ vault.Adapter = (*Adapter)(nil)
