package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/awssm"
	"github.com/sprawlsec/sprawl/inventory/vault/hashicorp"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// Options say where the demo goes and when it ends.
type Options struct {
	// Dir receives repos/, inventory.db and fingerprint.key; it is
	// emptied of those first.
	Dir string
	// Now is the end of the demo's timeline (zero: time.Now()). Every
	// commit, scan and decision is dated relative to it.
	Now time.Time
	// Log, if set, receives one line per step.
	Log io.Writer
}

// Result says what Build made.
type Result struct {
	Inventory string // the SQLite database
	KeyFile   string // the fingerprint key (0600)
	// Since and Until bound the period the demo's report covers (the last
	// 90 days, Until exclusive); Now is the report's generation time.
	Since, Until, Now time.Time
	Repositories      []string
}

// Repository names as the inventory records them.
const (
	org        = "acme"
	repoProd   = "billing-production"
	repoStage  = "billing-staging"
	repoDev    = "billing-dev"
	repoData   = "data-platform"
	vaultToken = "demo-root-token"
	// vaultAddress is the demo Vault's name; nothing resolves it.
	vaultAddress = "http://vault.acme.internal:8200"
)

func repoURL(name string) string { return "https://github.com/" + org + "/" + name }

// secrets are the demo's synthetic credentials, generated per run.
type secrets struct {
	dbPassword, awsKeyID, awsSecret, stripe, stripeNew, slack, pat string
	fixtureKeyID, fixtureSecret, composePassword, pemKey           string
}

// newSecrets generates the demo's credentials. Each is drawn again until
// m detects it in the line the demo writes it into: a random value can,
// rarely, trip one of the scanner's false-positive filters (a PEM body
// that happens to spell a placeholder word), and the demo must show the
// same story on every run.
func newSecrets(m *detectors.Matcher) (*secrets, error) {
	var err error
	draw := func(rule string, gen func() string, line func(v string) string) string {
		var v string
		for range 64 {
			if v = gen(); detects(m, rule, line(v)) {
				return v
			}
		}
		if err == nil {
			err = fmt.Errorf("demo: no generated %s value was detected in 64 draws", rule)
		}
		return v
	}
	rsaKey := func() string {
		k, kerr := rsa.GenerateKey(rand.Reader, 2048)
		if kerr != nil {
			err = kerr
			return ""
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA " + "PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	}
	same := func(v string) string { return v }
	pgURI := func(v string) string { return "DATABASE_URL=postgres" + "://billing:" + v + "@localhost:5432/billing" }
	keyID := func() string { return "AK" + "IA" + randString(base32, 16) }
	keyIDLine := func(v string) string { return "aws_access_key_id = \"" + v + "\"" }
	secret40 := func() string { return randString(alnum+"/+", 40) }
	secretLine := func(v string) string { return "aws_secret_access_key = \"" + v + "\"" }
	stripe := func() string { return "sk_" + "live_" + randString(alnum, 32) }
	stripeLine := func(v string) string { return "STRIPE_SECRET_KEY = \"" + v + "\"" }
	s := &secrets{
		dbPassword: draw("postgres-uri-password", func() string { return randString(alnum, 24) }, pgURI),
		awsKeyID:   draw("aws-access-key-id", keyID, keyIDLine),
		awsSecret:  draw("aws-secret-access-key", secret40, secretLine),
		stripe:     draw("stripe-live-secret-key", stripe, stripeLine),
		stripeNew:  draw("stripe-live-secret-key", stripe, stripeLine),
		slack: draw("slack-bot-token", func() string {
			return "xox" + "b-" + randString(digits, 12) + "-" + randString(digits, 13) + "-" + randString(alnum, 24)
		}, func(v string) string { return "client = WebClient(token=\"" + v + "\")" }),
		pat:             draw("github-pat", func() string { return githubToken("ghp_") }, func(v string) string { return "export GITHUB_TOKEN=" + v }),
		fixtureKeyID:    draw("aws-access-key-id", keyID, keyIDLine),
		fixtureSecret:   draw("aws-secret-access-key", secret40, secretLine),
		composePassword: draw("postgres-uri-password", func() string { return randString(alnum, 20) }, pgURI),
		pemKey:          draw("private-key-rsa", rsaKey, same),
	}
	return s, err
}

// detects reports whether m finds a secret of rule in text.
func detects(m *detectors.Matcher, rule, text string) bool {
	for _, x := range m.Match([]byte(text)) {
		if x.Rule.ID == rule {
			return true
		}
	}
	return false
}

const (
	digits = "0123456789"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	alnum  = digits + upper + lower
	base32 = upper + "234567"
	base62 = digits + upper + lower // GitHub's order for its checksum
)

func randString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// githubToken builds a classic-format GitHub token: 30 random base62
// characters and their CRC32 in six base62 digits.
func githubToken(prefix string) string {
	body := randString(alnum, 30)
	sum := uint64(crc32.ChecksumIEEE([]byte(body)))
	tail := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		tail[i] = base62[sum%62]
		sum /= 62
	}
	return prefix + body + string(tail)
}

// step is one event of the timeline.
type step struct {
	at time.Time
	do func(ctx context.Context) error
}

// builder holds Build's state.
type builder struct {
	dir   string
	key   []byte
	store inventory.Store
	clock time.Time
	s     *secrets
	rules []*detectors.Rule
	eng   *scanner.Engine
	repos map[string]string // name → work tree
	log   io.Writer
}

// Build makes the demo inventory under o.Dir. It takes a few seconds.
func Build(ctx context.Context, o Options) (*Result, error) {
	if o.Dir == "" {
		return nil, errors.New("demo: no directory")
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("demo: git is needed to build the repositories: %w", err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"repos", "inventory.db", "inventory.db-wal", "inventory.db-shm", "inventory.db-journal", "fingerprint.key"} {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "repos"), 0o700); err != nil {
		return nil, err
	}
	res := &Result{Inventory: filepath.Join(dir, "inventory.db"), KeyFile: filepath.Join(dir, "fingerprint.key"), Now: now}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	res.Until = today.AddDate(0, 0, 1)
	res.Since = res.Until.AddDate(0, 0, -90)

	key, err := inventory.LoadOrCreateKey(res.KeyFile)
	if err != nil {
		return nil, err
	}
	st, err := inventory.Open(ctx, res.Inventory)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rules, err := detectors.Builtin()
	if err != nil {
		return nil, err
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		return nil, err
	}
	sec, err := newSecrets(m)
	if err != nil {
		return nil, err
	}
	b := &builder{dir: dir, key: key, store: st, s: sec, rules: rules, log: log, repos: map[string]string{},
		eng: &scanner.Engine{Matcher: m, Workers: 2, FingerprintKey: key}}
	if !inventory.SetClock(st, func() time.Time { return b.clock }) {
		return nil, errors.New("demo: the inventory refused a clock")
	}

	// The secret-store fakes run for the duration of Build.
	tb := &cleanups{}
	defer tb.run()
	vf := vaulttest.NewVault(tb, vaultToken)
	vf.Mount("secret")
	af := vaulttest.NewAWS(tb)
	// The client is told the address a team's Vault would have and dials
	// the fake whatever the address says, so the report names a store a
	// reader recognises rather than a loopback port.
	fake := vf.Listener.Addr().String()
	va, err := hashicorp.New(hashicorp.Config{Address: vaultAddress, Token: vaultToken, Mounts: []string{"secret"},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, fake)
		}}}})
	if err != nil {
		return nil, err
	}
	aa := awssm.NewFromClient(af.Client(1), "us-east-1")

	day := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	steps := b.timeline(day, vf, af, va, aa)
	slices.SortStableFunc(steps, func(x, y step) int { return x.at.Compare(y.at) })
	for _, s := range steps {
		b.clock = s.at
		if err := s.do(ctx); err != nil {
			return nil, fmt.Errorf("demo at %s: %w", s.at.Format(time.DateOnly), err)
		}
	}
	for name := range b.repos {
		res.Repositories = append(res.Repositories, repoURL(name))
	}
	slices.Sort(res.Repositories)
	return res, nil
}

// timeline is the organisation's last seven months, as steps dated by
// day(n) = n days before the end.
func (b *builder) timeline(day func(int) time.Time, vf *vaulttest.Vault, af *vaulttest.AWS, va, aa vault.Adapter) []step {
	s := b.s
	dbURL := func(host string) string {
		return "DATABASE_URL=postgres" + "://billing:" + s.dbPassword + "@" + host + ":5432/billing\n"
	}
	commit := func(n int, repo, msg string, files map[string]string) step {
		return step{day(n), func(ctx context.Context) error { return b.commit(ctx, repo, msg, day(n), files) }}
	}
	scanAll := func(n int) step {
		return step{day(n), func(ctx context.Context) error { return b.scanAll(ctx) }}
	}
	status := func(n int, secret string, to inventory.Status, actor, reason string) step {
		return step{day(n), func(ctx context.Context) error {
			_, err := b.store.SetStatus(ctx, scanner.Fingerprint(b.key, secret), inventory.StatusChange{To: to, Actor: actor, Reason: reason, At: day(n)})
			b.logf("%s  %s → %s (%s)", day(n).Format(time.DateOnly), scanner.Redact(secret), to, reason)
			return err
		}}
	}
	index := func(n int) step {
		return step{day(n), func(ctx context.Context) error {
			for _, a := range []vault.Adapter{va, aa} {
				if err := b.index(ctx, a); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	ciSecrets := func(n int, recs []inventory.CISecretRecord) step {
		return step{day(n), func(ctx context.Context) error {
			sum, err := b.store.RecordCISecrets(ctx, inventory.CISecretBatch{Provider: "github", Owner: org, Complete: true, Seen: day(n), Actor: "ci", Secrets: recs})
			b.logf("%s  GitHub Actions secrets of %s: %d listed (%d new)", day(n).Format(time.DateOnly), org, sum.Secrets, sum.New)
			return err
		}}
	}
	do := func(n int, fn func()) step {
		return step{day(n), func(context.Context) error { fn(); return nil }}
	}
	ci := func(updated ...int) []inventory.CISecretRecord {
		recs := []inventory.CISecretRecord{
			{Store: "actions", Scope: inventory.ScopeOrg, Name: "DEPLOY_KEY", Visibility: "all", CreatedAt: day(620), UpdatedAt: day(410)},
			{Store: "actions", Scope: inventory.ScopeRepo, Repository: org + "/" + repoProd, Name: "DEPLOY_KEY", CreatedAt: day(300), UpdatedAt: day(updated[0])},
			{Store: "actions", Scope: inventory.ScopeEnvironment, Repository: org + "/" + repoProd, Environment: "production", Name: "STRIPE_SECRET_KEY", CreatedAt: day(200), UpdatedAt: day(updated[1])},
			{Store: "dependabot", Scope: inventory.ScopeOrg, Name: "NPM_TOKEN", Visibility: "private", CreatedAt: day(40), UpdatedAt: day(40)},
		}
		return recs
	}
	tfvars := "region = \"us-east-1\"\n\n# TODO move to the pipeline's role\naws_access_key_id     = \"" + s.awsKeyID + "\"\naws_secret_access_key = \"" + s.awsSecret + "\"\n"

	return []step{
		// The billing application: production, then staging and a
		// development copy, all pointing at one database password.
		commit(210, repoProd, "Initial billing service", map[string]string{
			"README.md":               "# billing\n\nInvoices and payments for the patient portal.\n",
			"config/production.env":   "APP_ENV=production\n" + dbURL("billing-db.prod.internal"),
			"deploy/terraform.tfvars": tfvars,
		}),
		do(205, func() {
			vf.PutAt("secret", "billing/database", map[string]any{"username": "billing", "password": s.dbPassword}, day(205))
		}),
		do(500, func() { af.PutAt("legacy/reporting-db", randString(alnum, 28), day(500)) }),
		do(400, func() { af.PutAt("prod/billing/rds-master", randString(alnum, 28), day(400)) }),
		commit(150, repoStage, "Staging copy of billing", map[string]string{
			"README.md":          "# billing (staging)\n",
			"config/staging.env": "APP_ENV=staging\n" + dbURL("billing-db.staging.internal"),
		}),
		commit(120, repoDev, "Developer environment", map[string]string{
			"README.md":      "# billing (development)\n",
			"config/dev.env": "APP_ENV=dev\n" + dbURL("localhost"),
		}),
		// Before the period: the first scans, a vault index and a CI
		// secret listing, so the report can compare.
		scanAll(100),
		index(95),
		ciSecrets(95, ci(300, 200)),
		// In the period.
		commit(80, repoProd, "Take card payments", map[string]string{
			"src/payments/settings.py": "import os\n\nSTRIPE_SECRET_KEY = \"" + s.stripe + "\"\nSTRIPE_API_VERSION = \"2024-06-20\"\n",
		}),
		scanAll(75),
		commit(70, repoData, "Airflow DAGs for the billing warehouse", map[string]string{
			"README.md":              "# data-platform\n\nThe analytics team's pipelines.\n",
			"airflow/dags/notify.py": "from slack_sdk import WebClient\n\nclient = WebClient(token=\"" + s.slack + "\")\n",
			"docker-compose.yml":     "services:\n  warehouse:\n    image: postgres:16\n    environment:\n      WAREHOUSE_URL: postgres" + "://etl:" + s.composePassword + "@localhost:5432/warehouse\n",
			"tests/fixtures/s3.json": "{\"AccessKeyId\": \"" + s.fixtureKeyID + "\", \"SecretAccessKey\": \"" + s.fixtureSecret + "\"}\n",
		}),
		do(69, func() { vf.PutAt("secret", "data-platform/slack", map[string]any{"bot_token": s.slack}, day(69)) }),
		scanAll(68),
		status(66, s.fixtureKeyID, inventory.StatusFalsePositive, "dana", "moto S3 mock credentials in a test fixture; never issued by AWS"),
		status(66, s.fixtureSecret, inventory.StatusFalsePositive, "dana", "moto S3 mock credentials in a test fixture; never issued by AWS"),
		status(66, s.composePassword, inventory.StatusAcceptedRisk, "dana", "throwaway warehouse container bound to localhost; reviewed with security, revisit next quarter"),
		commit(50, repoDev, "Dev signing key for local webhooks", map[string]string{"certs/dev-signing-key.pem": s.pemKey}),
		commit(45, repoData, "Backfill script", map[string]string{
			"scripts/backfill.sh": "#!/bin/sh\nexport GITHUB_TOKEN=" + s.pat + "\ngh api repos/" + org + "/" + repoData + "/dispatches -f event_type=backfill\n",
		}),
		scanAll(44),
		status(40, s.stripe, inventory.StatusRotationRequired, "sam", "live key committed to settings.py"),
		do(32, func() {
			vf.PutAt("secret", "billing/stripe", map[string]any{"secret_key": s.stripeNew}, day(32))
		}),
		commit(31, repoProd, "Read the Stripe key from the environment", map[string]string{
			"src/payments/settings.py": "import os\n\nSTRIPE_SECRET_KEY = os.environ[\"STRIPE_SECRET_KEY\"]\nSTRIPE_API_VERSION = \"2024-06-20\"\n",
		}),
		status(31, s.stripe, inventory.StatusRotated, "sam", "rolled in the Stripe dashboard, old key expired; new key in Vault only"),
		do(21, func() {
			af.PutAt("prod/billing/rds-master", randString(alnum, 28), day(21))
			af.EnableRotation("prod/billing/rds-master", func() string { return randString(alnum, 28) })
			af.Update("prod/billing/rds-master", func(x *vaulttest.SMSecret) {
				x.LastRotated, x.RotationDays, x.NextRotation, x.LastAccessed = day(21), 30, day(-9), day(1)
			})
			af.Update("legacy/reporting-db", func(x *vaulttest.SMSecret) { x.LastAccessed = day(240) })
		}),
		scanAll(20),
		index(19),
		ciSecrets(18, ci(12, 31)),
		scanAll(2),
	}
}

// commit writes files into repo's work tree and commits them at at.
func (b *builder) commit(ctx context.Context, repo, msg string, at time.Time, files map[string]string) error {
	wt := b.repos[repo]
	if wt == "" {
		wt = filepath.Join(b.dir, "repos", repo)
		if err := os.MkdirAll(wt, 0o700); err != nil {
			return err
		}
		if err := git(ctx, wt, at, "init", "-q", "-b", "main"); err != nil {
			return err
		}
		b.repos[repo] = wt
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		p := filepath.Join(wt, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(files[name]), 0o600); err != nil {
			return err
		}
	}
	if err := git(ctx, wt, at, "add", "-A"); err != nil {
		return err
	}
	b.logf("%s  %s: %s", at.Format(time.DateOnly), repo, msg)
	return git(ctx, wt, at, "commit", "-q", "-m", msg)
}

// git runs git in dir with author and committer dates set to at and no
// user or system configuration, built like every git child sprawl starts
// (scanner.GitCommand).
func git(ctx context.Context, dir string, at time.Time, args ...string) error {
	cmd := scanner.GitCommand(ctx, "", dir, append([]string{"-c", "user.name=Demo Developer", "-c", "user.email=dev@acme.example",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	date := at.Format(time.RFC3339)
	cmd.Env = append(cmd.Env, "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

// scanAll scans every repository's history into the inventory, as `sprawl
// scan git REPO --inventory` would at b.clock.
func (b *builder) scanAll(ctx context.Context) error {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range b.repos {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		wt := b.repos[name]
		res, err := b.eng.Run(ctx, &scanner.GitSource{Path: wt})
		if err != nil {
			return fmt.Errorf("scan %s: %w", name, err)
		}
		sum, err := inventory.Ingest(ctx, b.store, b.key, inventory.Scan{
			Source: "git", Repository: repoURL(name), Branch: "main", Started: b.clock.Add(-res.Stats.Duration), Finished: b.clock,
			Complete: res.Stats.Errors == 0, Classes: inventory.RuleClasses(b.rules), Actor: "ci",
			AtTip: func(f scanner.Finding) (bool, bool) {
				// The work tree is the tip.
				data, err := os.ReadFile(filepath.Join(wt, filepath.FromSlash(f.File)))
				if err != nil {
					return false, errors.Is(err, os.ErrNotExist)
				}
				return bytes.Contains(data, []byte(f.Secret)), true
			},
		}, res.Findings)
		if err != nil {
			return fmt.Errorf("record %s: %w", name, err)
		}
		b.logf("%s  scan %s: %s, %s (%d new)", b.clock.Format(time.DateOnly), name, plural.Count(len(res.Findings), "finding"), plural.Count(sum.Secrets, "secret"), sum.NewSecrets)
	}
	return nil
}

// index records a secret store's fingerprints, as `sprawl vault index`
// does.
func (b *builder) index(ctx context.Context, a vault.Adapter) error {
	res, err := vault.Index(ctx, a, func(v string) string { return scanner.Fingerprint(b.key, v) })
	if err != nil {
		return fmt.Errorf("index %s: %w", a.Kind(), err)
	}
	batch := &inventory.VaultIndexBatch{Adapter: a.Kind(), Store: a.Store(), KeyCheck: inventory.KeyCheck(b.key),
		Complete: res.Complete(), Mounts: a.Scope(), Actor: "ci", At: b.clock}
	for _, e := range res.Entries {
		batch.Entries = append(batch.Entries, inventory.VaultEntryRecord{Mount: e.Mount, Path: e.Path, Field: e.Field, Engine: e.Engine,
			Version: e.Version, VersionAt: e.VersionAt, Created: e.Created, Updated: e.Updated, Fingerprint: e.Fingerprint,
			AutoRotation: e.AutoRotation, RuleID: e.Rule, RuleClass: inventory.Class(e.RuleClass), Facts: e.Facts})
	}
	if _, err := b.store.RecordVaultIndex(ctx, batch); err != nil {
		return err
	}
	b.logf("%s  vault index %s %s: %d fields", b.clock.Format(time.DateOnly), a.Kind(), a.Store(), len(res.Entries))
	return nil
}

func (b *builder) logf(format string, args ...any) {
	fmt.Fprintf(b.log, format+"\n", args...)
}

// cleanups stands in for the testing.TB the vaulttest fakes register
// their shutdown with; only Cleanup is called.
type cleanups struct {
	testing.TB
	fns []func()
}

func (c *cleanups) Cleanup(f func()) { c.fns = append(c.fns, f) }

func (c *cleanups) run() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
}

// Report builds the inventory report of r's period from its database.
func Report(ctx context.Context, r *Result) (*reports.InventoryReport, error) {
	s, err := inventory.OpenExisting(ctx, r.Inventory)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return reports.BuildInventoryReport(ctx, s, reports.PeriodOptions{Since: r.Since, Until: r.Until, Now: r.Now, Inventory: "demo inventory.db"})
}

// WriteReport writes r's report in format to path (0600).
func WriteReport(ctx context.Context, r *Result, format, path string) error {
	rep, err := Report(ctx, r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reports.WriteInventoryReport(&buf, rep, format); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}
