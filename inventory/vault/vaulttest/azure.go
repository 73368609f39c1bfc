package vaulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
)

// Azure is a fake Key Vault (TLS): secrets REST with a required
// api-version, and the bearer challenge the real service sends to a
// request without a token.
type Azure struct {
	*httptest.Server

	mu       sync.Mutex
	secrets  map[string][]*AzVersion
	deny     map[string]bool // "METHOD name" or "METHOD" ("GET" covers list and get)
	missing  map[string]bool
	throttle int
	log      []string
	seq      int
}

// AzVersion is one version of a secret.
type AzVersion struct {
	ID      string
	Value   string
	Created time.Time
	// Updated is reported as attributes.updated (Created when zero).
	Updated   time.Time
	Expires   *time.Time
	NotBefore *time.Time
	// Disabled is reported as attributes.enabled false.
	Disabled bool
	// Managed is reported as managed: true (a certificate's secret, whose
	// lifetime Key Vault manages).
	Managed bool
	Tags    map[string]string
}

// NewAzure starts a fake Key Vault, closed when t ends.
func NewAzure(t testing.TB) *Azure {
	a := &Azure{secrets: map[string][]*AzVersion{}, deny: map[string]bool{}, missing: map[string]bool{}}
	a.Server = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Credential is a token credential that needs no Entra ID.
type Credential struct{}

// GetToken returns a fixed, obviously fake token.
func (Credential) GetToken(context.Context, string, string) (string, time.Time, error) {
	return "fake-access-token", time.Now().Add(time.Hour), nil
}

// Config is an adapter configuration for the fake: the fake credential,
// its TLS client, at most retries retries with tiny delays (0: the
// default of 3, -1: none), and no check that the challenge's resource is
// a real Key Vault domain. The caller sets VaultURL (a.URL).
func (a *Azure) Config(retries int) azurekv.Config {
	return azurekv.Config{Credential: Credential{}, HTTPClient: a.Client(), MaxRetries: retries,
		RetryDelay: time.Millisecond, DisableChallengeResourceVerification: true}
}

// Set stores a new version of name.
func (a *Azure) Set(name, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.set(name, value)
}

// SetAt stores a new version of name created at at; fn, if not nil,
// changes its attributes (expiry, enabled).
func (a *Azure) SetAt(name, value string, at time.Time, fn func(*AzVersion)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := a.set(name, value)
	v.Created = at.UTC().Truncate(time.Second)
	if fn != nil {
		fn(v)
	}
}

func (a *Azure) set(name, value string) *AzVersion {
	a.seq++
	v := &AzVersion{ID: fmt.Sprintf("%032x", a.seq), Value: value, Created: time.Now().UTC().Truncate(time.Second).Add(time.Duration(a.seq) * time.Second), Tags: map[string]string{}}
	a.secrets[name] = append(a.secrets[name], v)
	return v
}

// Version returns a copy of name's version id ("" latest).
func (a *Azure) Version(name, id string) AzVersion {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v := a.version(name, id); v != nil {
		c := *v
		c.Tags = map[string]string{}
		for k, x := range v.Tags {
			c.Tags[k] = x
		}
		return c
	}
	return AzVersion{}
}

func (a *Azure) version(name, id string) *AzVersion {
	vs := a.secrets[name]
	if len(vs) == 0 {
		return nil
	}
	if id == "" {
		return vs[len(vs)-1]
	}
	for _, v := range vs {
		if v.ID == id {
			return v
		}
	}
	return nil
}

// Deny answers 403 Forbidden to "METHOD name" (or every METHOD request).
func (a *Azure) Deny(what string) { a.mu.Lock(); a.deny[what] = true; a.mu.Unlock() }

// Missing answers 404 SecretNotFound, as Deny.
func (a *Azure) Missing(what string) { a.mu.Lock(); a.missing[what] = true; a.mu.Unlock() }

// Throttle answers 429 to the next n authenticated requests.
func (a *Azure) Throttle(n int) { a.mu.Lock(); a.throttle = n; a.mu.Unlock() }

// Log returns "METHOD path" per request.
func (a *Azure) Log() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

func azErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (a *Azure) bundle(name string, v *AzVersion, withValue bool) map[string]any {
	updated := v.Updated
	if updated.IsZero() {
		updated = v.Created
	}
	attrs := map[string]any{"enabled": !v.Disabled, "created": v.Created.Unix(), "updated": updated.Unix(), "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
	if v.Expires != nil {
		attrs["exp"] = v.Expires.Unix()
	}
	if v.NotBefore != nil {
		attrs["nbf"] = v.NotBefore.Unix()
	}
	b := map[string]any{"id": a.URL + "/secrets/" + name + "/" + v.ID, "attributes": attrs, "tags": v.Tags}
	if v.Managed {
		b["managed"] = true
	}
	if withValue {
		b["value"] = v.Value
	} else {
		b["id"] = a.URL + "/secrets/" + name
	}
	return b
}

func (a *Azure) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net"`)
		azErr(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	if r.Header.Get("Authorization") != "Bearer fake-access-token" {
		azErr(w, http.StatusUnauthorized, "Unauthorized", "AKV10032: Invalid issuer.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		azErr(w, http.StatusBadRequest, "BadParameter", "The request URI contains an invalid api-version.")
		return
	}
	if a.throttle > 0 {
		a.throttle--
		w.Header().Set("Retry-After", "0")
		azErr(w, http.StatusTooManyRequests, "Throttled", "Request was not processed because too many requests were received.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if parts[0] != "secrets" {
		azErr(w, http.StatusNotFound, "NotFound", "no such resource")
		return
	}
	name := ""
	if len(parts) > 1 {
		name = parts[1]
	}
	if a.deny[r.Method] || a.deny[r.Method+" "+name] {
		azErr(w, http.StatusForbidden, "Forbidden", "The user, group or application does not have secrets "+strings.ToLower(r.Method)+" permission.")
		return
	}
	if a.missing[r.Method] || a.missing[r.Method+" "+name] {
		azErr(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this key vault.")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.Method == http.MethodGet && name == "":
		names := make([]string, 0, len(a.secrets))
		for n := range a.secrets {
			names = append(names, n)
		}
		sort.Strings(names)
		list := []any{}
		for _, n := range names {
			list = append(list, a.bundle(n, a.secrets[n][len(a.secrets[n])-1], false))
		}
		json.NewEncoder(w).Encode(map[string]any{"value": list, "nextLink": nil})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "versions":
		// Properties of every version, without values; ids carry the version.
		list := []any{}
		for _, v := range a.secrets[name] {
			b := a.bundle(name, v, false)
			b["id"] = a.URL + "/secrets/" + name + "/" + v.ID
			list = append(list, b)
		}
		if len(list) == 0 {
			azErr(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this key vault.")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"value": list, "nextLink": nil})
	case r.Method == http.MethodGet:
		ver := ""
		if len(parts) > 2 {
			ver = parts[2]
		}
		v := a.version(name, ver)
		if v == nil {
			azErr(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this key vault.")
			return
		}
		json.NewEncoder(w).Encode(a.bundle(name, v, true))
	case r.Method == http.MethodPatch:
		ver := ""
		if len(parts) > 2 {
			ver = parts[2]
		}
		v := a.version(name, ver)
		if v == nil {
			azErr(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this key vault.")
			return
		}
		var body struct {
			Attributes *struct {
				Exp *int64 `json:"exp"`
			} `json:"attributes"`
			Tags  map[string]string `json:"tags"`
			Value *string           `json:"value"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			azErr(w, http.StatusBadRequest, "BadParameter", err.Error())
			return
		}
		if body.Value != nil {
			azErr(w, http.StatusBadRequest, "BadParameter", "The value of a secret cannot be changed by an update.")
			return
		}
		if body.Tags != nil {
			if len(body.Tags) > 15 {
				azErr(w, http.StatusBadRequest, "BadParameter", "Too many tags (at most 15).")
				return
			}
			for k, x := range body.Tags {
				if len(k) > 512 || len(x) > 512 {
					azErr(w, http.StatusBadRequest, "BadParameter", "Tag too long.")
					return
				}
			}
			v.Tags = body.Tags
		}
		if body.Attributes != nil && body.Attributes.Exp != nil {
			t := time.Unix(*body.Attributes.Exp, 0).UTC()
			v.Expires = &t
		}
		json.NewEncoder(w).Encode(a.bundle(name, v, false))
	case r.Method == http.MethodPut:
		var body struct {
			Value string `json:"value"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			azErr(w, http.StatusBadRequest, "BadParameter", err.Error())
			return
		}
		json.NewEncoder(w).Encode(a.bundle(name, a.set(name, body.Value), false))
	default:
		azErr(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "unsupported")
	}
}
