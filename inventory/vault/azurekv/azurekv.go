package azurekv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// Key Vault tag limits (about-secrets.md): 15 tags, 512-character values.
const (
	maxTags     = 15
	maxTagValue = 512
)

// TryTimeout bounds one try of a Key Vault request, body included.
const TryTimeout = 2 * time.Minute

// DefaultExpiry is how long after the flag a marked version expires.
const DefaultExpiry = 24 * time.Hour

// Config selects the vault and credentials.
type Config struct {
	// VaultURL is https://NAME.vault.azure.net (or AZURE_KEYVAULT_URL).
	VaultURL string
	// Credential defaults to NewDefaultCredential (environment, workload
	// identity, managed identity, Azure CLI, Azure Developer CLI).
	Credential TokenCredential
	// HTTPClient, when set, sends the requests (tests: the fake's TLS).
	HTTPClient *http.Client
	// MaxRetries of a throttled or failed request: 0 is the default
	// (3), -1 none. RetryDelay is the first retry's delay (default
	// 800 ms, doubling).
	MaxRetries int
	RetryDelay time.Duration
	// DisableChallengeResourceVerification lets the challenge name a
	// resource outside the vault's domain (tests only).
	DisableChallengeResourceVerification bool
	// Expiry is the marked version's expiry after the flag (DefaultExpiry
	// if zero). Key Vault's expiry is informational: reads keep working.
	Expiry time.Duration
}

// Adapter is one Key Vault.
type Adapter struct {
	c      *client
	url    string
	expiry time.Duration
}

// New builds an adapter. It contacts nothing (the credential fetches its
// token on first use).
func New(cfg Config) (*Adapter, error) {
	u := strings.TrimRight(cfg.VaultURL, "/")
	if u == "" {
		return nil, errors.New("azure: no vault URL (set AZURE_KEYVAULT_URL or --vault-url)")
	}
	if !strings.HasPrefix(u, "https://") {
		return nil, fmt.Errorf("azure: the vault URL %q is not https", u)
	}
	if cfg.Credential == nil {
		cfg.Credential = NewDefaultCredential()
	}
	cfg.VaultURL = u
	c := newClient(cfg)
	exp := cfg.Expiry
	if exp <= 0 {
		exp = DefaultExpiry
	}
	return &Adapter{c: c, url: u, expiry: exp}, nil
}

// Kind is "azure".
func (a *Adapter) Kind() string { return "azure" }

// Store is the vault URL.
func (a *Adapter) Store() string { return a.url }

// Scope is nil: List covers the vault.
func (a *Adapter) Scope() []string { return nil }

func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var re *ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: %w (HTTP %d %s)", what, vault.ErrDenied, re.StatusCode, re.ErrorCode)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w (HTTP 404 %s)", what, vault.ErrNotFound, re.ErrorCode)
		case http.StatusTooManyRequests:
			return fmt.Errorf("%s: %w (HTTP 429 %s)", what, vault.ErrThrottled, re.ErrorCode)
		}
		// Not re.Error(): it quotes the whole response.
		return fmt.Errorf("%s: HTTP %d %s", what, re.StatusCode, re.ErrorCode)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// List pages through the vault's secret properties (no values).
func (a *Adapter) List(ctx context.Context, fn func(vault.Secret, error) error) error {
	for items, err := range a.c.listSecrets(ctx) {
		if err != nil {
			return fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineKeyVault}}, classify(err, "list secrets"))
		}
		for _, sp := range items {
			name, _ := idParts(sp.ID)
			if name == "" {
				continue
			}
			s := vault.Secret{Ref: vault.Ref{Engine: vault.EngineKeyVault, Path: name}}
			if at := sp.Attributes; at != nil {
				s.Created, s.Updated = unix(at.Created), unix(at.Updated)
				s.Facts = attrFacts(at)
			}
			// A secret backing a certificate is renewed by Key Vault with
			// the certificate's lifetime policy: it rotates itself.
			s.AutoRotation = sp.Managed
			if err := fn(s, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// unix is a Key Vault time (Unix seconds), zero when absent.
func unix(t *int64) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Unix(*t, 0).UTC()
}

// attrFacts are a version's validity attributes. Key Vault has an expiry
// for every secret (informational: reads go on after it), so none set is
// a fact too. Secrets have no rotation policy in Key Vault (keys do).
func attrFacts(at *attributes) vault.Facts {
	f := vault.Facts{ExpirySupported: true, LastChanged: unix(at.Updated), Expires: unix(at.Expires), NotBefore: unix(at.NotBefore)}
	if at.Enabled != nil {
		en := *at.Enabled
		f.Enabled = &en
	}
	return f
}

// Read returns the latest version: a JSON value's fields, else the value.
// It also lists the secret's versions (properties only) for their count
// and the first one's creation, which is the secret's.
func (a *Adapter) Read(ctx context.Context, ref vault.Ref) (vault.Value, error) {
	r, err := a.c.getSecret(ctx, ref.Path, ref.Version)
	if err != nil {
		return vault.Value{}, classify(err, "get secret "+ref.Path)
	}
	v := vault.Value{Fields: map[string]string{}}
	_, v.Version = idParts(r.ID)
	if r.Attributes != nil {
		v.VersionAt = unix(r.Attributes.Created)
		v.Facts = attrFacts(r.Attributes)
	}
	// The facts stay partial if the versions cannot be listed; the value
	// is indexed anyway.
	for items, err := range a.c.listVersions(ctx, ref.Path) {
		if err != nil {
			break
		}
		for _, sp := range items {
			if sp.Attributes == nil {
				continue
			}
			v.Versions++
			if c := unix(sp.Attributes.Created); !c.IsZero() && (v.Created.IsZero() || c.Before(v.Created)) {
				v.Created = c
			}
		}
	}
	if r.Value != nil {
		v.Fields = vault.Fields(*r.Value)
	}
	return v, nil
}

// tags reads a version's tags (GetSecret: there is no properties-only
// read of one version; the value is dropped unread).
func (a *Adapter) tags(ctx context.Context, ref vault.Ref) (map[string]string, *attributes, error) {
	r, err := a.c.getSecret(ctx, ref.Path, ref.Version)
	if err != nil {
		return nil, nil, classify(err, "get secret "+ref.Path)
	}
	r.Value = nil
	t := map[string]string{}
	for k, v := range r.Tags {
		t[k] = v
	}
	return t, r.Attributes, nil
}

// Flag sets the sprawl-rotation-* tags and an expiry on the version
// (ref.Version, else the latest) with UpdateSecretProperties, keeping
// other tags and an earlier expiry.
func (a *Adapter) Flag(ctx context.Context, ref vault.Ref, m vault.Mark) (vault.Outcome, error) {
	tags, attrs, err := a.tags(ctx, ref)
	if err != nil {
		return vault.Outcome{}, err
	}
	marks := vault.MarkValues(m, maxTagValue)
	others := 0
	for k := range tags {
		if _, ours := marks[k]; !ours {
			others++
		}
	}
	if others+len(marks) > maxTags {
		return vault.Outcome{}, fmt.Errorf("flag %s: %w: %d other tags, Key Vault allows %d", ref.Path, vault.ErrLimit, others, maxTags)
	}
	for k, v := range marks {
		tags[k] = v
	}
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	exp := at.Add(a.expiry).UTC().Truncate(time.Second)
	if attrs != nil && attrs.Expires != nil && unix(attrs.Expires).Before(exp) {
		exp = unix(attrs.Expires)
	}
	e := exp.Unix()
	if err := a.c.updateSecret(ctx, ref.Path, ref.Version, tags, &attributes{Expires: &e}); err != nil {
		return vault.Outcome{}, classify(err, "update secret "+ref.Path)
	}
	return vault.Outcome{Actions: []string{"tagged " + vault.MarkRequired + "=true", "expires " + exp.Format(time.RFC3339)},
		Note: "rotate the value: set a new version"}, nil
}

// Clear removes the sprawl-rotation-* tags from the flagged version.
func (a *Adapter) Clear(ctx context.Context, ref vault.Ref) (vault.Outcome, error) {
	tags, _, err := a.tags(ctx, ref)
	if err != nil {
		return vault.Outcome{}, err
	}
	for _, k := range vault.MarkKeys {
		delete(tags, k)
	}
	if err := a.c.updateSecret(ctx, ref.Path, ref.Version, tags, nil); err != nil {
		return vault.Outcome{}, classify(err, "update secret "+ref.Path)
	}
	return vault.Outcome{Actions: []string{"sprawl-rotation-* tags removed"}}, nil
}

var _ vault.Adapter = (*Adapter)(nil)
