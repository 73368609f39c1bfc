package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/rotation"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/azurekv"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
	"github.com/sprawlsec/sprawl/scanner"
)

// session runs sprawl commands in-process and keeps everything they print.
type session struct {
	t          *testing.T
	transcript bytes.Buffer
}

func (s *session) run(want int, args ...string) (stdout, stderr string) {
	s.t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	s.transcript.Write(out.Bytes())
	s.transcript.Write(errb.Bytes())
	if code != want {
		s.t.Fatalf("sprawl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// TestVaultRotationEndToEnd drives index, correlation, the dry-run plan,
// --apply (one store refusing), errors that must not lose state, and the
// re-index that verifies rotation, against fakes of Vault, AWS Secrets
// Manager and Azure Key Vault through their official clients; then checks
// that no secret value reached the database, the audit log or any output.
func TestVaultRotationEndToEnd(t *testing.T) {
	dir := isolate(t)
	// Anything a client library writes to the process's own stdout or
	// stderr (a logger, a retry notice) is searched too.
	procOut, err := os.CreateTemp(dir, "process-output")
	if err != nil {
		t.Fatal(err)
	}
	savedOut, savedErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = procOut, procOut
	t.Cleanup(func() { os.Stdout, os.Stderr = savedOut, savedErr })
	keyHex := hex.EncodeToString(randomKey(t))
	t.Setenv(envKey, keyHex)
	key := []byte(keyHex)
	db := filepath.Join(dir, "inv.db")
	s := &session{t: t}

	// Synthetic values, generated now. Five leak into a repository; four
	// of those are also held in a store; other store values never leak.
	tokVault, tokAWS, tokDenied, tokAzure, tokUnmanaged := ghToken(t), ghToken(t), ghToken(t), ghToken(t), ghToken(t)
	newVault, newAWS, newAzure := ghToken(t), ghToken(t), ghToken(t)
	dbPassword, otherAzure := hex.EncodeToString(randomKey(t)), hex.EncodeToString(randomKey(t))
	values := []string{tokVault, tokAWS, tokDenied, tokAzure, tokUnmanaged, newVault, newAWS, newAzure, dbPassword, otherAzure}

	repo := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(repo, "app.env"), "GITHUB_TOKEN="+tokVault+"\n")
	writeFile(t, filepath.Join(repo, "deploy.sh"), "export GH_TOKEN="+tokAWS+"\n")
	writeFile(t, filepath.Join(repo, "ci", "denied.env"), "GH_TOKEN="+tokDenied+"\n")
	writeFile(t, filepath.Join(repo, "az.env"), "GITHUB_TOKEN="+tokAzure+"\n")
	writeFile(t, filepath.Join(repo, "notes.txt"), "token: "+tokUnmanaged+"\n")

	vaultToken := hex.EncodeToString(randomKey(t))
	hv := vaulttest.NewVault(t, vaultToken)
	hv.Put("secret", "app", map[string]any{"token": tokVault, "user": "svc"})
	hv.Put("secret", "db/main", map[string]any{"password": dbPassword}) // sprawl:allow (random test value)
	hv.SetCustomMetadata("secret", "app", map[string]string{"owner": "payments"})
	t.Setenv("VAULT_ADDR", hv.URL)
	t.Setenv("VAULT_TOKEN", vaultToken)
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")

	sm := vaulttest.NewAWS(t)
	doc, _ := json.Marshal(map[string]string{"gh": tokAWS, "user": "ci"})
	sm.Put("prod/ci", string(doc))
	sm.EnableRotation("prod/ci", func() string { d, _ := json.Marshal(map[string]string{"gh": newAWS, "user": "ci"}); return string(d) })
	sm.Put("prod/denied", tokDenied)
	sm.Deny("TagResource prod/denied")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDFAKE",
		"AWS_SECRET_ACCESS_KEY": "fake", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}

	az := vaulttest.NewAzure(t)
	az.Set("ci-token", tokAzure)
	az.Set("other", otherAzure)
	azureTestOptions = func() azurekv.Config {
		return az.Config(-1)
	}
	t.Cleanup(func() { azureTestOptions = nil })
	azVersion := az.Version("ci-token", "").ID
	t.Setenv("AZURE_KEYVAULT_URL", az.URL) // rotate --apply builds its adapters from the environment

	fp := func(v string) string { return scanner.Fingerprint(key, v) }
	status := func(v string) inventory.Status {
		t.Helper()
		st, err := inventory.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sec, err := st.Secret(context.Background(), fp(v))
		if err != nil {
			t.Fatal(err)
		}
		return sec.Status
	}

	// Scan, then index the three stores.
	s.run(1, "scan", "dir", repo, "--inventory", db, "--quiet")
	out, _ := s.run(0, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustContain(t, "vault index", out, "2 secrets, 3 values (3 new")
	out, _ = s.run(0, "vault", "index", "--adapter", "aws", "--inventory", db)
	mustContain(t, "aws index", out, "indexed aws us-east-1: 2 secrets, 3 values")
	out, _ = s.run(0, "vault", "index", "--adapter", "azure", "--vault-url", az.URL, "--inventory", db)
	mustContain(t, "azure index", out, "2 secrets, 2 values")
	out, _ = s.run(0, "vault", "list", "--inventory", db)
	mustContain(t, "vault list", out, "secret/app", "prod/ci", "ci-token", fp(tokVault)[:12])

	// inventory show names the vault field holding a leaked value.
	out, _ = s.run(0, "inventory", "show", fp(tokVault)[:12], "--inventory", db)
	mustContain(t, "inventory show", out, "vault", "secret/app", "LEAKED MANAGED SECRET")

	// Dry run: the plan, and nothing touched.
	out, _ = s.run(0, "rotate", "--inventory", db)
	mustContain(t, "plan", out, "secret/app", "prod/ci", "prod/denied", "ci-token", "unmanaged", "notes.txt",
		"RotateSecret", "rotation is not configured", "custom_metadata", "expiry", "dry run: 4 paths")
	if md := hv.CustomMetadata("secret", "app"); len(md) != 1 {
		t.Errorf("dry run changed Vault metadata: %v", md)
	}
	if tags := sm.Tags("prod/ci"); len(tags) != 0 {
		t.Errorf("dry run tagged: %v", tags)
	}
	jout, _ := s.run(0, "rotate", "--inventory", db, "--format", "json")
	var plan struct {
		DryRun bool            `json:"dry_run"`
		Items  []rotation.Item `json:"items"`
	}
	if err := json.Unmarshal([]byte(jout), &plan); err != nil || !plan.DryRun || len(plan.Items) != 5 {
		t.Errorf("json plan: %v, %+v", err, plan)
	}
	if status(tokVault) != inventory.StatusOpen {
		t.Error("dry run changed a status")
	}

	// Apply: one store refuses one secret; the rest proceeds; exit 3.
	out, _ = s.run(3, "rotate", "--apply", "--inventory", db)
	mustContain(t, "apply", out, "failed: TagResource prod/denied: permission denied", "RotateSecret requested", "custom_metadata")
	if md := hv.CustomMetadata("secret", "app"); md[vault.MarkRequired] != "true" || md["owner"] != "payments" || md[vault.MarkFindings] != fp(tokVault) {
		t.Errorf("Vault custom_metadata after apply: %v", md)
	}
	if tags := sm.Tags("prod/ci"); tags["sprawl:rotation-required"] != "true" {
		t.Errorf("AWS tags after apply: %v", tags)
	}
	if v := az.Version("ci-token", azVersion); v.Tags[vault.MarkRequired] != "true" || v.Expires == nil {
		t.Errorf("Azure version after apply: tags %v, expires %v", v.Tags, v.Expires)
	}
	for v, want := range map[string]inventory.Status{tokVault: inventory.StatusRotationRequired, tokAWS: inventory.StatusRotationRequired,
		tokAzure: inventory.StatusRotationRequired, tokDenied: inventory.StatusOpen, tokUnmanaged: inventory.StatusOpen} {
		if got := status(v); got != want {
			t.Errorf("status of %s… = %s, want %s", fp(v)[:8], got, want)
		}
	}
	out, _ = s.run(0, "rotate", "--inventory", db)
	mustContain(t, "second plan", out, "already marked", "dry run: 1 paths")

	// Errors while indexing keep the inventory's state: a throttled
	// listing (no retries) and an unreachable server.
	hv.Throttle(1)
	_, errOut := s.run(3, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustContain(t, "throttled index", errOut, "throttled", "nothing was marked gone")
	dead := httptest.NewServer(nil)
	dead.Close()
	t.Setenv("VAULT_ADDR", dead.URL)
	s.run(3, "vault", "index", "--adapter", "vault", "--inventory", db)
	t.Setenv("VAULT_ADDR", hv.URL)
	out, _ = s.run(0, "vault", "list", "--flagged", "--inventory", db)
	mustContain(t, "flagged after failed indexes", out, "secret/app", "rotation-required")
	if strings.Contains(out, "gone") {
		t.Errorf("a failed index marked entries gone:\n%s", out)
	}

	// The owners rotate (AWS already did, through RotateSecret); the
	// re-index verifies it, and --apply clears the marks.
	hv.Put("secret", "app", map[string]any{"token": newVault, "user": "svc"})
	az.Set("ci-token", newAzure)
	out, _ = s.run(0, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustContain(t, "re-index", out, "rotated: vault "+hv.URL+" secret/app#token", "would clear the rotation mark")
	if hv.CustomMetadata("secret", "app")[vault.MarkRequired] != "true" {
		t.Error("index without --apply cleared the mark")
	}
	// Should the new value leak as well before the old mark is cleared,
	// the path needs a new mark.
	writeFile(t, filepath.Join(repo, "again.env"), "GITHUB_TOKEN="+newVault+"\n")
	s.run(1, "scan", "dir", repo, "--inventory", db, "--quiet")
	out, _ = s.run(0, "rotate", "--adapter", "vault", "--inventory", db)
	mustContain(t, "plan for a leaked new value", out, "flag ", "secret/app", fp(newVault)[:12])
	os.Remove(filepath.Join(repo, "again.env"))
	s.run(1, "scan", "dir", repo, "--inventory", db, "--quiet")
	out, _ = s.run(0, "vault", "index", "--adapter", "vault", "--apply", "--inventory", db)
	mustContain(t, "clear", out, "cleared the rotation mark at vault")
	if md := hv.CustomMetadata("secret", "app"); len(md) != 1 || md["owner"] != "payments" {
		t.Errorf("Vault custom_metadata after clear: %v", md)
	}
	// A secret gone missing (404) during the re-index is reported; the
	// rotation is still verified and its entry is not marked gone.
	sm.Missing("GetSecretValue prod/denied")
	out, errOut = s.run(3, "vault", "index", "--adapter", "aws", "--apply", "--inventory", db)
	mustContain(t, "aws re-index", out, "rotated: aws us-east-1 prod/ci#gh", "cleared")
	mustContain(t, "aws re-index errors", errOut, "prod/denied", "not found (ResourceNotFoundException)", "nothing was marked gone")
	out, _ = s.run(0, "vault", "list", "--adapter", "aws", "--inventory", db)
	mustContain(t, "aws entries after a 404", out, "prod/denied")
	if strings.Contains(out, "gone") {
		t.Errorf("a 404 during a partial index marked entries gone:\n%s", out)
	}
	if tags := sm.Tags("prod/ci"); len(tags) != 0 {
		t.Errorf("AWS tags after clear: %v", tags)
	}
	out, _ = s.run(0, "vault", "index", "--adapter", "azure", "--apply", "--inventory", db)
	mustContain(t, "azure re-index", out, "rotated: azure", "cleared")
	if v := az.Version("ci-token", azVersion); len(v.Tags) != 0 {
		t.Errorf("Azure flagged version after clear: %+v", v.Tags)
	}
	for _, v := range []string{tokVault, tokAWS, tokAzure} {
		if got := status(v); got != inventory.StatusRotated {
			t.Errorf("status of %s… = %s, want rotated", fp(v)[:8], got)
		}
	}
	// The inventory report (another command's) over the same inventory.
	for _, f := range []string{"json", "markdown", "html"} {
		s.run(0, "report", "inventory", "--format", f, "--inventory", db)
	}
	s.run(0, "audit", "verify", "--inventory", db)
	auditJSON, _ := s.run(0, "audit", "log", "--format", "json", "--inventory", db)
	mustContain(t, "audit log", auditJSON, `"action": "vault"`, `"action": "vault-index"`, "AccessDeniedException")

	// No value anywhere: database files, audit log, everything printed.
	var dbBytes []byte
	for _, p := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		dbBytes = append(dbBytes, b...)
	}
	if !bytes.Contains(dbBytes, []byte(fp(tokVault))) {
		t.Fatal("control: the database files do not even hold the fingerprint; the search below would prove nothing")
	}
	procBytes, err := os.ReadFile(procOut.Name())
	if err != nil {
		t.Fatal(err)
	}
	haystacks := map[string][]byte{"database": dbBytes, "audit log": []byte(auditJSON), "output": s.transcript.Bytes(), "process output": procBytes}
	for _, v := range values {
		needles := []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
		for name, h := range haystacks {
			for _, n := range needles {
				if bytes.Contains(h, []byte(n)) {
					t.Errorf("a secret value (fingerprint %s…) appears in the %s", fp(v)[:8], name)
				}
			}
		}
	}
}

func TestVaultUsageErrors(t *testing.T) {
	isolate(t)
	s := &session{t: t}
	_, e := s.run(2, "vault", "index")
	mustContain(t, "no adapter", e, "--adapter is required")
	_, e = s.run(2, "vault", "index", "--adapter", "gcp")
	mustContain(t, "bad adapter", e, `--adapter "gcp"`)
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	_, e = s.run(2, "vault", "index", "--adapter", "vault")
	mustContain(t, "no token", e, "VAULT_TOKEN")
	// AWS: no region, then no credentials (nothing in the environment or
	// the shared files, the instance metadata service off) are usage
	// errors that say what to set.
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, e = s.run(2, "vault", "index", "--adapter", "aws")
	mustContain(t, "no region", e, "AWS_REGION")
	_, e = s.run(2, "vault", "index", "--adapter", "aws", "--region", "eu-west-1")
	mustContain(t, "no credentials", e, "AWS_ACCESS_KEY_ID")
	s.run(2, "rotate", "--format", "xml")
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
