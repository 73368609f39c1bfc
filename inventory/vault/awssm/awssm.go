package awssm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// Tag limits (TagResource): 50 tags per secret, value ≤ 255 characters.
const (
	maxTags     = 50
	maxTagValue = 255
	tagPrefix   = "sprawl:"
)

// API is the part of the Secrets Manager client the adapter uses
// (*Client).
type API interface {
	ListSecrets(context.Context, *ListSecretsInput) (*ListSecretsOutput, error)
	GetSecretValue(ctx context.Context, secretID string) (*GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, secretID string) (*SecretListEntry, error)
	TagResource(context.Context, *TagResourceInput) error
	UntagResource(context.Context, *UntagResourceInput) error
	RotateSecret(context.Context, *RotateSecretInput) error
}

// Adapter is one region's Secrets Manager.
type Adapter struct {
	api    API
	region string
}

// New resolves the region and credentials as the AWS SDKs do (see
// Resolve) and returns the adapter of that region; region, if not empty,
// overrides the configured one.
func New(ctx context.Context, region string) (*Adapter, error) {
	cfg, err := Resolve(ctx, region)
	if err != nil {
		return nil, err
	}
	return NewFromClient(NewClient(cfg), cfg.Region), nil
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
	var ae *APIError
	if errors.As(err, &ae) {
		code := ae.Code
		switch {
		case code == "AccessDeniedException" || code == "AccessDenied" || strings.HasPrefix(code, "UnrecognizedClient"):
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrDenied, code)
		case code == "ResourceNotFoundException":
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrNotFound, code)
		case code == "ThrottlingException" || code == "TooManyRequestsException" || code == "RequestLimitExceeded":
			return fmt.Errorf("%s: %w (%s)", what, vault.ErrThrottled, code)
		}
		return fmt.Errorf("%s: %s: %s", what, code, ae.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// List pages through ListSecrets (until no NextToken, or the same one
// twice).
func (a *Adapter) List(ctx context.Context, fn func(vault.Secret, error) error) error {
	token := ""
	for {
		page, err := a.api.ListSecrets(ctx, &ListSecretsInput{NextToken: token})
		if err != nil {
			return fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineSecretsManager}}, classify(err, "ListSecrets"))
		}
		for _, e := range page.SecretList {
			s := vault.Secret{Ref: vault.Ref{Engine: vault.EngineSecretsManager, Path: e.Name},
				Created: e.CreatedDate.Time, Updated: e.LastChangedDate.Time, AutoRotation: e.RotationEnabled,
				Facts: facts(e)}
			if err := fn(s, nil); err != nil {
				return err
			}
		}
		if page.NextToken == "" || page.NextToken == token {
			return nil
		}
		token = page.NextToken
	}
}

// facts are a listed secret's rotation and access metadata. Secrets
// Manager records reads (LastAccessedDate, "rounded to the nearest day"),
// so a secret without one was never read.
func facts(e SecretListEntry) vault.Facts {
	f := vault.Facts{LastRotated: e.LastRotatedDate.Time, LastChanged: e.LastChangedDate.Time,
		LastAccessed: e.LastAccessedDate.Time, AccessRecorded: true, NextRotation: e.NextRotationDate.Time,
		Versions: len(e.SecretVersionsToStages)}
	if r := e.RotationRules; r != nil {
		if d := r.AutomaticallyAfterDays; d > 0 {
			f.RotationPeriod = time.Duration(d) * 24 * time.Hour
		}
		f.RotationSchedule = r.ScheduleExpression
	}
	return f
}

// Read returns the AWSCURRENT version: a JSON secret string's fields, else
// the whole string (or binary).
func (a *Adapter) Read(ctx context.Context, ref vault.Ref) (vault.Value, error) {
	out, err := a.api.GetSecretValue(ctx, ref.Path)
	if err != nil {
		return vault.Value{}, classify(err, "GetSecretValue "+ref.Path)
	}
	v := vault.Value{Version: out.VersionID, VersionAt: out.CreatedDate.Time}
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
	d, err := a.api.DescribeSecret(ctx, ref.Path)
	if err != nil {
		return vault.Outcome{}, classify(err, "DescribeSecret "+ref.Path)
	}
	marks := vault.MarkValues(m, maxTagValue)
	others := 0
	for _, t := range d.Tags {
		if !strings.HasPrefix(t.Key, tagPrefix) {
			others++
		}
	}
	if others+len(marks) > maxTags {
		return vault.Outcome{}, fmt.Errorf("flag %s: %w: %d other tags, AWS allows %d", ref.Path, vault.ErrLimit, others, maxTags)
	}
	var tags []Tag
	for _, k := range vault.MarkKeys {
		tags = append(tags, Tag{Key: awsKey(k), Value: tagValue(marks[k])})
	}
	if err := a.api.TagResource(ctx, &TagResourceInput{SecretID: ref.Path, Tags: tags}); err != nil {
		return vault.Outcome{}, classify(err, "TagResource "+ref.Path)
	}
	o := vault.Outcome{Actions: []string{"tagged " + awsKey(vault.MarkRequired) + "=true"}}
	if !d.RotationEnabled {
		o.Note = "rotation is not configured: put a new value by hand (or configure rotation)"
		return o, nil
	}
	immediately := true
	if err := a.api.RotateSecret(ctx, &RotateSecretInput{SecretID: ref.Path, RotateImmediately: &immediately}); err != nil {
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
	if err := a.api.UntagResource(ctx, &UntagResourceInput{SecretID: ref.Path, TagKeys: keys}); err != nil {
		return vault.Outcome{}, classify(err, "UntagResource "+ref.Path)
	}
	return vault.Outcome{Actions: []string{"sprawl:rotation-* tags removed"}}, nil
}

var _ vault.Adapter = (*Adapter)(nil)
