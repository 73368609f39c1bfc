package vaulttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Vault is a fake Vault/OpenBao server.
type Vault struct {
	*httptest.Server
	// Token is the only token accepted (X-Vault-Token).
	Token string
	// Namespace, if set, must be sent as X-Vault-Namespace.
	Namespace string

	mu       sync.Mutex
	kv       map[string]map[string]*KVSecret
	roles    map[string]map[string]*Role
	deny     []string
	missing  []string
	throttle int
	log      []string
}

// KVSecret is a KV v2 secret: its versions (1-based) and custom_metadata.
type KVSecret struct {
	Versions []map[string]any
	Times    []time.Time
	Custom   map[string]string
	// MaxVersions and DeleteVersionAfter are the secret's retention
	// settings as its metadata reports them.
	MaxVersions        int
	DeleteVersionAfter time.Duration
}

// Role is a database static role.
type Role struct {
	Username     string
	Password     string
	LastRotation time.Time
	// RotationPeriod is the role's rotation_period (default 24h).
	RotationPeriod time.Duration
	// Next makes the password rotate-role sets.
	Next func() string
}

// NewVault starts a fake Vault accepting token; it is closed when t ends.
func NewVault(t testing.TB, token string) *Vault {
	v := &Vault{Token: token, kv: map[string]map[string]*KVSecret{}, roles: map[string]map[string]*Role{}}
	v.Server = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.Close)
	return v
}

// Put writes a new version of mount/path.
func (v *Vault) Put(mount, path string, data map[string]any) {
	v.PutAt(mount, path, data, time.Now().UTC())
}

// PutAt writes a new version of mount/path created at at (the first
// version's time is the secret's created_time).
func (v *Vault) PutAt(mount, path string, data map[string]any, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kv[mount] == nil {
		v.kv[mount] = map[string]*KVSecret{}
	}
	s := v.kv[mount][path]
	if s == nil {
		s = &KVSecret{Custom: map[string]string{}}
		v.kv[mount][path] = s
	}
	s.Versions = append(s.Versions, data)
	s.Times = append(s.Times, at.UTC())
}

// SetRetention sets mount/path's max_versions and delete_version_after.
func (v *Vault) SetRetention(mount, path string, maxVersions int, deleteAfter time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.kv[mount][path]
	s.MaxVersions, s.DeleteVersionAfter = maxVersions, deleteAfter
}

// Mount creates an empty KV mount.
func (v *Vault) Mount(mount string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kv[mount] == nil {
		v.kv[mount] = map[string]*KVSecret{}
	}
}

// CustomMetadata returns a copy of mount/path's custom_metadata.
func (v *Vault) CustomMetadata(mount, path string) map[string]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]string{}
	if s := v.kv[mount][path]; s != nil {
		for k, x := range s.Custom {
			out[k] = x
		}
	}
	return out
}

// SetCustomMetadata replaces mount/path's custom_metadata.
func (v *Vault) SetCustomMetadata(mount, path string, m map[string]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.kv[mount][path].Custom = m
}

// AddRole adds a database static role.
func (v *Vault) AddRole(mount, name string, r *Role) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.roles[mount] == nil {
		v.roles[mount] = map[string]*Role{}
	}
	if r.LastRotation.IsZero() {
		r.LastRotation = time.Now().UTC()
	}
	v.roles[mount][name] = r
}

// Role returns the role (for assertions).
func (v *Vault) Role(mount, name string) Role {
	v.mu.Lock()
	defer v.mu.Unlock()
	return *v.roles[mount][name]
}

// Deny answers 403 for API paths (after /v1/) starting with prefix.
func (v *Vault) Deny(prefix string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.deny = append(v.deny, prefix)
}

// Missing answers 404 for API paths starting with prefix.
func (v *Vault) Missing(prefix string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.missing = append(v.missing, prefix)
}

// Throttle answers 429 to the next n requests.
func (v *Vault) Throttle(n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.throttle = n
}

// Log returns "METHOD /v1/path" for every request so far.
func (v *Vault) Log() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.log...)
}

func vaultErr(w http.ResponseWriter, code int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if msgs == nil {
		msgs = []string{}
	}
	json.NewEncoder(w).Encode(map[string]any{"errors": msgs})
}

func vaultData(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"request_id": "fake", "lease_id": "", "renewable": false, "lease_duration": 0, "data": data})
}

// split finds the mount a path is under (longest match).
func split(mounts []string, p string) (mount, rest string, ok bool) {
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	for _, m := range mounts {
		if strings.HasPrefix(p, m+"/") {
			return m, p[len(m)+1:], true
		}
	}
	return "", "", false
}

func (v *Vault) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	method := r.Method
	if method == http.MethodGet && r.URL.Query().Get("list") == "true" {
		method = "LIST"
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	v.log = append(v.log, method+" "+r.URL.Path)
	if r.Header.Get("X-Vault-Token") != v.Token {
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	if v.Namespace != "" && strings.Trim(r.Header.Get("X-Vault-Namespace"), "/") != v.Namespace {
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	if v.throttle > 0 {
		v.throttle--
		vaultErr(w, http.StatusTooManyRequests, "request path \""+p+"\": rate limit quota exceeded")
		return
	}
	for _, d := range v.deny {
		if strings.HasPrefix(p, d) {
			vaultErr(w, http.StatusForbidden, "1 error occurred:\n\t* permission denied\n\n")
			return
		}
	}
	for _, d := range v.missing {
		if strings.HasPrefix(p, d) {
			vaultErr(w, http.StatusNotFound)
			return
		}
	}
	var kvMounts, dbMounts []string
	for m := range v.kv {
		kvMounts = append(kvMounts, m)
	}
	for m := range v.roles {
		dbMounts = append(dbMounts, m)
	}
	if m, rest, ok := split(dbMounts, p); ok {
		v.serveDB(w, r, method, m, rest)
		return
	}
	m, rest, ok := split(kvMounts, p)
	if !ok {
		if _, exists := v.kv[strings.TrimSuffix(p, "/metadata")]; exists && method == "LIST" {
			vaultErr(w, http.StatusNotFound)
			return
		}
		vaultErr(w, http.StatusNotFound, "no handler for route \""+p+"\". route entry not found.")
		return
	}
	kind, path, _ := strings.Cut(rest, "/")
	switch {
	case kind == "metadata" && method == "LIST":
		v.list(w, m, path)
	case kind == "data" && method == http.MethodGet:
		s := v.kv[m][path]
		if s == nil {
			vaultErr(w, http.StatusNotFound)
			return
		}
		n := len(s.Versions)
		if q := r.URL.Query().Get("version"); q != "" {
			n, _ = strconv.Atoi(q)
			if n < 1 || n > len(s.Versions) {
				vaultErr(w, http.StatusNotFound)
				return
			}
		}
		vaultData(w, map[string]any{"data": s.Versions[n-1], "metadata": map[string]any{
			"created_time": s.Times[n-1].Format(time.RFC3339Nano), "custom_metadata": s.Custom, "deletion_time": "", "destroyed": false, "version": n,
		}})
	case kind == "data" && (method == http.MethodPost || method == http.MethodPut):
		var body struct {
			Data map[string]any `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			vaultErr(w, http.StatusBadRequest, err.Error())
			return
		}
		if v.kv[m][path] == nil {
			v.kv[m][path] = &KVSecret{Custom: map[string]string{}}
		}
		s := v.kv[m][path]
		s.Versions = append(s.Versions, body.Data)
		s.Times = append(s.Times, time.Now().UTC())
		vaultData(w, map[string]any{"created_time": s.Times[len(s.Times)-1].Format(time.RFC3339Nano), "version": len(s.Versions)})
	case kind == "metadata" && method == http.MethodGet:
		s := v.kv[m][path]
		if s == nil {
			vaultErr(w, http.StatusNotFound)
			return
		}
		versions := map[string]any{}
		for i, t := range s.Times {
			versions[strconv.Itoa(i+1)] = map[string]any{"created_time": t.Format(time.RFC3339Nano), "deletion_time": "", "destroyed": false}
		}
		vaultData(w, map[string]any{"created_time": s.Times[0].Format(time.RFC3339Nano), "updated_time": s.Times[len(s.Times)-1].Format(time.RFC3339Nano),
			"current_version": len(s.Versions), "oldest_version": 1, "max_versions": s.MaxVersions, "cas_required": false,
			"delete_version_after": s.DeleteVersionAfter.String(),
			"custom_metadata":      s.Custom, "versions": versions})
	case kind == "metadata" && (method == http.MethodPatch || method == http.MethodPost || method == http.MethodPut):
		s := v.kv[m][path]
		if s == nil && method == http.MethodPatch {
			vaultErr(w, http.StatusNotFound)
			return
		}
		if method == http.MethodPatch && r.Header.Get("Content-Type") != "application/merge-patch+json" {
			vaultErr(w, http.StatusUnsupportedMediaType, "PATCH requires Content-Type application/merge-patch+json")
			return
		}
		var body struct {
			Custom map[string]*string `json:"custom_metadata"`
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			vaultErr(w, http.StatusBadRequest, err.Error())
			return
		}
		next := map[string]string{}
		if method == http.MethodPatch {
			for k, x := range s.Custom {
				next[k] = x
			}
		}
		for k, x := range body.Custom {
			if x == nil {
				delete(next, k)
			} else {
				next[k] = *x
			}
		}
		if msg := validateCustom(next); msg != "" {
			vaultErr(w, http.StatusBadRequest, "custom_metadata validation failed: "+msg)
			return
		}
		if s == nil {
			s = &KVSecret{}
			v.kv[m][path] = s
		}
		s.Custom = next
		w.WriteHeader(http.StatusNoContent)
	default:
		vaultErr(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}

// validateCustom applies vault-plugin-secrets-kv's limits.
func validateCustom(m map[string]string) string {
	if len(m) > 64 {
		return "payload must contain at most 64 keys, provided " + strconv.Itoa(len(m))
	}
	for k, x := range m {
		if len(k) > 128 {
			return "length of key exceeds 128 bytes"
		}
		if len(x) > 512 {
			return "length of value exceeds 512 bytes"
		}
	}
	return ""
}

func (v *Vault) list(w http.ResponseWriter, mount, prefix string) {
	// Vault treats "metadata/app" and "metadata/app/" alike.
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	seen := map[string]bool{}
	for p := range v.kv[mount] {
		if !strings.HasPrefix(p, prefix) || len(v.kv[mount][p].Versions) == 0 {
			continue
		}
		rest := p[len(prefix):]
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	if len(seen) == 0 {
		vaultErr(w, http.StatusNotFound)
		return
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vaultData(w, map[string]any{"keys": keys})
}

func (v *Vault) serveDB(w http.ResponseWriter, r *http.Request, method, mount, rest string) {
	kind, name, _ := strings.Cut(rest, "/")
	roles := v.roles[mount]
	switch {
	case kind == "static-roles" && method == "LIST":
		keys := make([]string, 0, len(roles))
		for k := range roles {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			vaultErr(w, http.StatusNotFound)
			return
		}
		vaultData(w, map[string]any{"keys": keys})
	case kind == "static-creds" && method == http.MethodGet:
		ro := roles[name]
		if ro == nil {
			vaultErr(w, http.StatusBadRequest, "unknown role: "+name)
			return
		}
		period := ro.RotationPeriod
		if period == 0 {
			period = 24 * time.Hour
		}
		// ttl: seconds until the next rotation, as Vault computes it.
		ttl := max(int64(time.Until(ro.LastRotation.Add(period))/time.Second), 0)
		vaultData(w, map[string]any{"username": ro.Username, "password": ro.Password,
			"last_vault_rotation": ro.LastRotation.Format(time.RFC3339Nano), "rotation_period": int64(period / time.Second), "ttl": ttl})
	case kind == "rotate-role" && (method == http.MethodPost || method == http.MethodPut):
		ro := roles[name]
		if ro == nil {
			vaultErr(w, http.StatusBadRequest, "unable to find role: "+name)
			return
		}
		if ro.Next != nil {
			ro.Password = ro.Next()
		}
		ro.LastRotation = time.Now().UTC()
		w.WriteHeader(http.StatusNoContent)
	default:
		vaultErr(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}
