package hashicorp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault"
)

// Vault's custom_metadata limits (vault-plugin-secrets-kv path_metadata.go).
const (
	maxCustomMetadataKeys        = 64
	maxCustomMetadataKeyLength   = 128
	maxCustomMetadataValueLength = 512
)

// Config selects the server, credentials and what to index. Empty
// Address, Token and Namespace fall back to VAULT_ADDR (or
// VAULT_AGENT_ADDR), VAULT_TOKEN and VAULT_NAMESPACE, as Vault's own
// client reads them (see client.go for the TLS and retry variables).
type Config struct {
	Address   string
	Token     string
	Namespace string
	// Mounts are the KV v2 mounts to index; default "secret".
	Mounts []string
	// DatabaseMounts are database secrets engine mounts whose static roles
	// are indexed (their password) and rotated with rotate-role.
	DatabaseMounts []string
	// MaxRetries overrides the client's retries of 5xx and 429 answers
	// (VAULT_MAX_RETRIES, default 2) when not nil.
	MaxRetries *int
	// MinRetryWait overrides the first retry's wait when not zero.
	MinRetryWait time.Duration
	// HTTPClient, when set, is the client's transport (tests).
	HTTPClient *http.Client
}

// Adapter is a Vault or OpenBao server.
type Adapter struct {
	c       *client
	store   string
	mounts  []string
	dbs     []string
	address string
}

// New builds an adapter. It contacts nothing.
func New(cfg Config) (*Adapter, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	if c.token == "" {
		return nil, errors.New("vault: no token (set VAULT_TOKEN)")
	}
	a := &Adapter{c: c, address: c.display}
	a.store = a.address
	if ns := strings.Trim(c.namespace, "/"); ns != "" {
		a.store += " namespace=" + ns
	}
	for _, m := range cfg.Mounts {
		if m = strings.Trim(m, "/"); m != "" {
			a.mounts = append(a.mounts, m)
		}
	}
	if len(a.mounts) == 0 && len(cfg.DatabaseMounts) == 0 {
		a.mounts = []string{"secret"}
	}
	for _, m := range cfg.DatabaseMounts {
		if m = strings.Trim(m, "/"); m != "" {
			a.dbs = append(a.dbs, m)
		}
	}
	return a, nil
}

// Kind is "vault".
func (a *Adapter) Kind() string { return "vault" }

// Store is the server address, with " namespace=NS" when one is set.
func (a *Adapter) Store() string { return a.store }

// Scope lists the KV and database mounts indexed.
func (a *Adapter) Scope() []string { return append(append([]string(nil), a.mounts...), a.dbs...) }

// classify wraps err with the vault sentinel its HTTP status means.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var re *responseError
	if errors.As(err, &re) {
		msgs := make([]string, 0, len(re.Errors))
		for _, m := range re.Errors {
			msgs = append(msgs, strings.Join(strings.Fields(m), " "))
		}
		msg := strings.Join(msgs, "; ")
		switch re.StatusCode {
		case http.StatusForbidden:
			return fmt.Errorf("%s: %w (HTTP 403: %s)", what, vault.ErrDenied, msg)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w (HTTP 404)", what, vault.ErrNotFound)
		case http.StatusTooManyRequests:
			return fmt.Errorf("%s: %w (HTTP 429)", what, vault.ErrThrottled)
		}
		return fmt.Errorf("%s: HTTP %d: %s", what, re.StatusCode, msg)
	}
	if errors.Is(err, errSecretNotFound) {
		return fmt.Errorf("%s: %w", what, vault.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// List walks each KV mount's metadata tree (LIST …/metadata/…) and each
// database mount's static roles.
func (a *Adapter) List(ctx context.Context, fn func(vault.Secret, error) error) error {
	for _, m := range a.mounts {
		if err := a.walk(ctx, m, "", fn); err != nil {
			return err
		}
	}
	for _, m := range a.dbs {
		keys, err := a.list(ctx, m+"/static-roles")
		if err != nil {
			if err := fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineDatabase, Mount: m}}, classify(err, "list "+m+"/static-roles")); err != nil {
				return err
			}
			continue
		}
		for _, k := range keys {
			if err := fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineDatabase, Mount: m, Path: k}, AutoRotation: true}, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Adapter) list(ctx context.Context, path string) ([]string, error) {
	keys, err := a.c.list(ctx, path)
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	return keys, nil
}

func (a *Adapter) walk(ctx context.Context, mount, prefix string, fn func(vault.Secret, error) error) error {
	keys, err := a.list(ctx, mount+"/metadata/"+prefix)
	if err != nil {
		return fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineKV, Mount: mount, Path: prefix}}, classify(err, "list "+mount+"/metadata/"+prefix))
	}
	for _, k := range keys {
		if k == "" || k == "/" || strings.HasPrefix(k, "/") {
			continue // a malformed listing must not send the walk in circles
		}
		if strings.HasSuffix(k, "/") {
			if err := a.walk(ctx, mount, prefix+k, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(vault.Secret{Ref: vault.Ref{Engine: vault.EngineKV, Mount: mount, Path: prefix + k}}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Read returns a KV secret's current version (every field of its data)
// or a static role's current password.
func (a *Adapter) Read(ctx context.Context, ref vault.Ref) (vault.Value, error) {
	if ref.Engine == vault.EngineDatabase {
		data, err := a.c.read(ctx, ref.Mount+"/static-creds/"+ref.Path)
		if err == nil && data == nil {
			err = errSecretNotFound
		}
		if err != nil {
			return vault.Value{}, classify(err, "read "+ref.Mount+"/static-creds/"+ref.Path)
		}
		v := vault.Value{Fields: map[string]string{}}
		if pw, ok := data["password"].(string); ok {
			v.Fields["password"] = pw
		}
		if lr, ok := data["last_vault_rotation"].(string); ok {
			v.Version = lr
			v.VersionAt, _ = time.Parse(time.RFC3339Nano, lr)
			v.LastRotated = v.VersionAt
		}
		if p, err := jsonSeconds(data["rotation_period"]); err == nil && p > 0 {
			v.RotationPeriod = p
		}
		if sch, ok := data["rotation_schedule"].(string); ok {
			v.RotationSchedule = sch
		}
		return v, nil
	}
	s, err := a.c.kvGet(ctx, ref.Mount, ref.Path)
	if err != nil {
		return vault.Value{}, classify(err, "read "+ref.Mount+"/data/"+ref.Path)
	}
	v := vault.Value{Fields: map[string]string{}}
	vault.FlattenInto(v.Fields, "", s.Data)
	v.Version = s.Metadata.Version.String()
	v.VersionAt = s.Metadata.CreatedTime
	// The secret's own dates and retention live in its metadata. A token
	// that may read data but not metadata still indexes the values; the
	// facts are then missing, which the assessment says as "unknown".
	if md, err := a.c.kvMetadata(ctx, ref.Mount, ref.Path); err == nil {
		v.Created = md.CreatedTime
		v.LastChanged = md.UpdatedTime
		v.MaxVersions = md.MaxVersions
		if d, err := time.ParseDuration(md.DeleteVersionAfter); err == nil {
			v.DeleteVersionAfter = d
		}
		for _, vm := range md.Versions {
			if vm.DeletionTime == "" && !vm.Destroyed {
				v.Versions++
			}
		}
	}
	return v, nil
}

// jsonSeconds reads a duration in seconds as Vault returns it (a JSON
// number, or a string of digits).
func jsonSeconds(x any) (time.Duration, error) {
	switch n := x.(type) {
	case json.Number:
		i, err := n.Int64()
		return time.Duration(i) * time.Second, err
	case float64:
		return time.Duration(n) * time.Second, nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return time.Duration(i) * time.Second, err
	}
	return 0, fmt.Errorf("not a number of seconds: %T", x)
}

// Flag merges sprawl's rotation keys into a KV secret's custom_metadata
// (JSON merge patch on …/metadata/…, which keeps every other key; needs
// the "patch" capability there) within Vault's limits, or requests an
// immediate rotation of a database static role (…/rotate-role/…).
func (a *Adapter) Flag(ctx context.Context, ref vault.Ref, m vault.Mark) (vault.Outcome, error) {
	if ref.Engine == vault.EngineDatabase {
		p := ref.Mount + "/rotate-role/" + ref.Path
		if err := a.c.write(ctx, p, nil); err != nil {
			return vault.Outcome{}, classify(err, "rotate "+p)
		}
		return vault.Outcome{Actions: []string{"rotate-role requested"}, RotationRequested: true}, nil
	}
	// custom_metadata comes back with the data read, which the indexing
	// policy already allows; the values are not looked at.
	cur, err := a.c.kvGet(ctx, ref.Mount, ref.Path)
	if err != nil {
		return vault.Outcome{}, classify(err, "read "+ref.Mount+"/data/"+ref.Path)
	}
	clear(cur.Data)
	marks := vault.MarkValues(m, maxCustomMetadataValueLength)
	others := 0
	for k := range cur.Metadata.CustomMetadata {
		if _, ours := marks[k]; !ours {
			others++
		}
	}
	if others+len(marks) > maxCustomMetadataKeys {
		return vault.Outcome{}, fmt.Errorf("flag %s/%s: %w: custom_metadata holds %d other keys, Vault allows %d", ref.Mount, ref.Path, vault.ErrLimit, others, maxCustomMetadataKeys)
	}
	patch := map[string]any{}
	for k, v := range marks {
		if len(k) > maxCustomMetadataKeyLength {
			continue // cannot happen with our keys; kept for the limit's sake
		}
		patch[k] = v
	}
	if err := a.c.kvPatchCustom(ctx, ref.Mount, ref.Path, patch); err != nil {
		return vault.Outcome{}, classify(err, "patch "+ref.Mount+"/metadata/"+ref.Path)
	}
	return vault.Outcome{Actions: []string{"custom_metadata " + vault.MarkRequired + "=true merged"},
		Note: "rotate the value: write a new version"}, nil
}

// Clear removes sprawl's keys from a KV secret's custom_metadata (merge
// patch with nulls); a database role has no mark to clear.
func (a *Adapter) Clear(ctx context.Context, ref vault.Ref) (vault.Outcome, error) {
	if ref.Engine == vault.EngineDatabase {
		return vault.Outcome{Note: "nothing to clear for a database static role"}, nil
	}
	patch := map[string]any{}
	for _, k := range vault.MarkKeys {
		patch[k] = nil
	}
	if err := a.c.kvPatchCustom(ctx, ref.Mount, ref.Path, patch); err != nil {
		return vault.Outcome{}, classify(err, "patch "+ref.Mount+"/metadata/"+ref.Path)
	}
	return vault.Outcome{Actions: []string{"custom_metadata sprawl-rotation-* removed"}}, nil
}

var _ vault.Adapter = (*Adapter)(nil)
