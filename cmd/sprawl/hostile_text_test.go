package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
	"github.com/sprawlsec/sprawl/scanner/jenkins/jenkinstest"
)

// hostileText is what an attacker puts in a name or an answer: an escape
// sequence that erases the line, a carriage return and a newline that
// start a forged line of sprawl's, and a right-to-left override.
const hostileText = "x\x1b[2K\r\nsprawl: 0 findings\u202e"

// hostileShown is hostileText as sprawl must print it (termsafe.String).
const hostileShown = `x\x1b[2K\r\nsprawl: 0 findings\u202e`

// hostileHead is the escaped start of hostileText, for the paths that
// cut it at its line break (a .gitleaksignore's lines) or fold that into
// a space (Vault's error messages) before it is shown.
const hostileHead = `x\x1b[2K`

// mustEscape fails unless out shows hostileText escaped (shown:
// hostileShown, or hostileHead where it is cut), with no byte of it raw
// and no line forged.
func mustEscape(t *testing.T, what, out, shown string) {
	t.Helper()
	if !strings.Contains(out, shown) {
		t.Errorf("%s lacks the escaped %q:\n%s", what, shown, out)
	}
	for _, raw := range []string{"\x1b", "\r", "\u202e"} {
		if strings.Contains(out, raw) {
			t.Errorf("%s holds a raw %q:\n%q", what, raw, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "sprawl: 0 findings") {
			t.Errorf("%s has a forged line:\n%q", what, out)
		}
	}
}

// TestErrorLines: run prints an error on one line whatever its text
// holds, and an errors.Join list one member a line, each escaped.
func TestErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"plain", errors.New("scan dir a: no such file or directory"), []string{"scan dir a: no such file or directory"}},
		{"hostile", fmt.Errorf("scan git %s: %w", hostileText, errors.New("bad")), []string{"scan git " + hostileShown + ": bad"}},
		{"exit code kept out", usageErr("vault: %s", hostileText), []string{"vault: " + hostileShown}},
		{"joined", failure(errors.Join(errors.New("scan: timeout"), errors.New("record: connection refused"))),
			[]string{"scan: timeout", "record: connection refused"}},
		{"joined hostile", errors.Join(errors.New(hostileText), errors.New("b")), []string{hostileShown, "b"}},
		{"joined under a wrap is one line", fmt.Errorf("worker: %w", errors.Join(errors.New("a"), errors.New("b"))), []string{`worker: a\nb`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errorLines(tc.err)); diff != "" {
				t.Errorf("errorLines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostileErrorAndWarning: a vault whose every answer is an error
// with hostile text fails 'vault index' (the error run prints last), and
// the failure recorded then is quoted by the warning 'rotate' gives.
func TestHostileErrorAndWarning(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, hex.EncodeToString(randomKey(t)))
	db := filepath.Join(dir, "inv.db")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{hostileText}})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("VAULT_ADDR", srv.URL)
	t.Setenv("VAULT_TOKEN", "a-vault-token-for-tests-only")
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")
	s := &session{t: t}
	s.run(0, "scan", "dir", t.TempDir(), "-q", "--inventory", db)
	_, errOut := s.run(3, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustEscape(t, "vault index's error", errOut, hostileHead)
	_, errOut = s.run(0, "rotate", "--inventory", db)
	mustEscape(t, "rotate's warning", errOut, hostileHead)
}

// TestHostileVaultPath: a secret path in the store, and the store's
// error reading it, are escaped where 'vault index' lists the items it
// could not read.
func TestHostileVaultPath(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, hex.EncodeToString(randomKey(t)))
	db := filepath.Join(dir, "inv.db")
	tok := hex.EncodeToString(randomKey(t))
	hv := vaulttest.NewVault(t, tok)
	hv.Put("secret", "app", map[string]any{"k": "v"})
	hv.Put("secret", hostileText, map[string]any{"k": "v"})
	hv.Deny("secret/data/x")
	t.Setenv("VAULT_ADDR", hv.URL)
	t.Setenv("VAULT_TOKEN", tok)
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")
	s := &session{t: t}
	s.run(0, "scan", "dir", t.TempDir(), "-q", "--inventory", db)
	out, errOut := s.run(3, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustContain(t, "vault index", out, "PARTIAL index")
	mustEscape(t, "vault index's item errors", errOut, hostileShown)
}

// TestHostileJenkinsJob: a job's name is escaped where the store scan
// says it skipped the job.
func TestHostileJenkinsJob(t *testing.T) {
	isolate(t)
	j := jenkinstest.New(t)
	j.Configs["a"] = "<project/>"
	j.Configs[hostileText] = "<project/>"
	j.Forbidden["/job/"+hostileText+"/config.xml"] = true
	t.Setenv(envJenkinsUser, j.User)
	t.Setenv(envJenkinsToken, j.Token)
	code, _, errOut := runSprawl(context.Background(), "scan", "jenkins", "--url", j.URL)
	if code != exitClean {
		t.Errorf("exit %d, want %d\n%s", code, exitClean, errOut)
	}
	mustContain(t, "scan jenkins", errOut, "sprawl: skipped job ")
	mustEscape(t, "scan jenkins", errOut, hostileShown)
}

// TestHostileRulesImport: a gitleaks config (a repository's
// .gitleaks.toml, which a scan asks to import) names rules and paths;
// 'rules import' quotes them in what it did not carry.
func TestHostileRulesImport(t *testing.T) {
	dir := isolate(t)
	toml := filepath.Join(dir, "gitleaks.toml")
	writeFile(t, toml, "[[rules]]\nid = \"x\\u001b[2K\\r\\nsprawl: 0 findings\\u202e\"\npath = '''\\.p12$'''\n"+
		"[[rules]]\nid = \"team-token\"\nregex = '''team_[0-9a-f]{32}'''\nkeywords = [\"team_\"]\n")
	s := &session{t: t}
	_, errOut := s.run(0, "rules", "import", toml, "-o", filepath.Join(dir, "out.yaml"))
	mustContain(t, "rules import", errOut, "not carried: rule ")
	mustEscape(t, "rules import", errOut, hostileShown)
}

// TestHostileBaselineImport: a gitleaks report names the scanned
// repository's files; a finding that cannot be carried is listed with
// its file escaped.
func TestHostileBaselineImport(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	report := filepath.Join(dir, "report.json")
	data, err := json.Marshal([]map[string]any{{"RuleID": "generic-api-key", "File": hostileText, "StartLine": 3,
		"Secret": "REDACTED", "Match": "REDACTED", "Commit": "", "Fingerprint": hostileText + ":generic-api-key:3"}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, report, string(data))
	s := &session{t: t}
	_, errOut := s.run(0, "baseline", "import", report, "-o", filepath.Join(dir, "baseline.json"))
	mustContain(t, "baseline import", errOut, "sprawl: not carried: ")
	mustEscape(t, "baseline import", errOut, hostileShown)
}

// TestHostileGitleaksIgnore: a scanned directory's .gitleaksignore line
// that is no fingerprint is quoted escaped.
func TestHostileGitleaksIgnore(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".gitleaksignore"), hostileText+"\n")
	s := &session{t: t}
	_, errOut := s.run(0, "scan", "dir", dir)
	mustContain(t, "scan dir", errOut, "not a fingerprint")
	mustEscape(t, "scan dir", errOut, hostileHead)
}

// TestHostileOverrideFile: a custom rule that overrides a built-in one
// is named with its file, whose name is escaped.
func TestHostileOverrideFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	name := hostileText + ".yaml"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(`provider: Mine
rules:
  - id: github-pat
    name: Not really a GitHub token
    override: true
    keywords: [nomatch_]
    pattern: '\b(?P<secret>nomatch_[a-z]{30})\b'
    severity: low
    references: [https://example.invalid/]
    examples: ['nomatch_abcdefghijklmnopqrstuvwxyzabcd']
`), 0o644); err != nil {
		t.Skipf("file system refuses the name: %v", err)
	}
	cfg := filepath.Join(dir, "sprawl.cfg")
	rules, err := json.Marshal([]string{filepath.Join(dir, name)})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, "rules: "+string(rules)+"\n")
	s := &session{t: t}
	_, errOut := s.run(0, "scan", "dir", t.TempDir(), "--config", cfg)
	mustContain(t, "scan dir", errOut, "built-in rule github-pat is overridden by ")
	mustEscape(t, "scan dir", errOut, hostileShown)
}

// TestHostileErrorMessage: a scanned repository's .sprawl.yaml names a
// rule file that is not there; the error that run prints last quotes
// its name, on one line.
func TestHostileErrorMessage(t *testing.T) {
	isolate(t)
	repo := t.TempDir()
	name, err := json.Marshal(hostileText + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, ".sprawl.yaml"), "rules: ["+string(name)+"]\n")
	s := &session{t: t}
	_, errOut := s.run(2, "scan", "dir", repo)
	mustEscape(t, "scan dir", errOut, hostileShown)
	if n := strings.Count(errOut, "\n"); n != 1 {
		t.Errorf("the error takes %d lines, want 1:\n%s", n, errOut)
	}
}
