package inventory

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

func openTestSQLite(t *testing.T, path string) Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		path := filepath.Join(t.TempDir(), "inventory.db")
		s := openTestSQLite(t, path)
		return s, func() (Store, error) { return OpenSQLite(context.Background(), path) }
	})
}

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, dsn := range []string{filepath.Join(dir, "a.db"), "sqlite:" + filepath.Join(dir, "b.db"), "file:" + filepath.Join(dir, "c.db"), "sqlite://" + filepath.Join(dir, "d.db")} {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Errorf("Open(%q): %v", dsn, err)
			continue
		}
		s.Close()
	}
	pw := hex.EncodeToString(randomBytes(t, 8))
	for _, dsn := range []string{"mysql://u:" + pw + "@h/db", "redis://x"} {
		_, err := Open(ctx, dsn)
		if !errors.Is(err, ErrUnsupportedDSN) {
			t.Errorf("Open(%q) = %v, want ErrUnsupportedDSN", dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("error reveals the password: %v", err)
		}
	}
	if _, err := Open(ctx, filepath.Join(dir, "x?y.db")); !errors.Is(err, ErrUnsupportedDSN) {
		t.Errorf("path with '?': %v", err)
	}
	// The default path follows XDG_DATA_HOME.
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := filepath.Join(dir, "xdg", "sprawl", "inventory.db")
	if p, _ := DefaultPath(); p != want {
		t.Errorf("DefaultPath = %s, want %s", p, want)
	}
	fi, err := os.Stat(filepath.Dir(want))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode = %v, %v; want 0700", fi.Mode(), err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", filepath.Join(dir, "home"))
	if p, _ := DefaultPath(); p != filepath.Join(dir, "home", ".local", "share", "sprawl", "inventory.db") {
		t.Errorf("DefaultPath without XDG = %s", p)
	}
}

func TestRedactDSN(t *testing.T) {
	pw := hex.EncodeToString(randomBytes(t, 8))
	got := RedactDSN("postgres://sprawl:" + pw + "@db.internal:5432/inv?sslmode=require")
	if strings.Contains(got, pw) || !strings.Contains(got, "db.internal") {
		t.Errorf("RedactDSN = %s", got)
	}
}

// TestSQLiteFilesPrivate: the database and its WAL and shared-memory files
// are mode 0600 whatever the umask, and an existing wider file is narrowed.
func TestSQLiteFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "inventory.db")
	s := openTestSQLite(t, path)
	fx := newFixture(t)
	fx.ingest(t, s, "dir", "/r", true, finding(randomSecret(t), "f", 1))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := openTestSQLite(t, path)
	s2.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened file mode %04o, want narrowed to 0600", fi.Mode().Perm())
	}
}

// TestNoPlaintextOnDisk is the acceptance check: a byte search of the
// database file and its WAL, while open and after close, finds no scanned
// secret, raw or hex-encoded.
func TestNoPlaintextOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.db")
	s := openTestSQLite(t, path)
	fx := newFixture(t)
	var secrets []string
	var fs []scanner.Finding
	for i := range 500 {
		sec := randomSecret(t)
		secrets = append(secrets, sec)
		fs = append(fs, commitFinding(sec, fmt.Sprintf("config/prod/f%d.env", i), i+1, fmt.Sprintf("%040x", i), time.Now()))
	}
	// Short passwords too: the preview must not give them away.
	for i := range 20 {
		sec := hex.EncodeToString(randomBytes(t, 4)) + strconv.Itoa(i)
		secrets = append(secrets, sec)
		fs = append(fs, finding(sec, "short.env", i+1))
	}
	fx.ingest(t, s, "git", "https://deploy:"+secrets[0]+"@git.example/acme/app.git", true, fs...)
	if _, err := s.SetStatus(context.Background(), fx.fp(secrets[1]), StatusChange{To: StatusRotated, Reason: "rotated", Actor: "ops"}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		found := 0
		for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
			data, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(data) == 0 {
				continue
			}
			found++
			for _, sec := range secrets {
				// The preview keeps a short prefix, so look for what it
				// must never show: the value, and its tail.
				for _, needle := range []string{sec, sec[len(sec)/4:], hex.EncodeToString([]byte(sec))} {
					if bytes.Contains(data, []byte(needle)) {
						t.Errorf("%s: %s contains a secret value (%d bytes)", when, filepath.Base(p), len(needle))
					}
				}
			}
		}
		if found == 0 {
			t.Fatalf("%s: no database files to search", when)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("expected a non-empty WAL while open: %v", err)
	}
	check("open")
	s.Close()
	check("closed")
}

// TestAuditEditInSQLite is the acceptance check done the way an attacker
// would: a separate connection to the file edits one audit row.
func TestAuditEditInSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.db")
	s := openTestSQLite(t, path)
	fx := newFixture(t)
	sec := randomSecret(t)
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	for _, st := range []Status{StatusRotationRequired, StatusRotated} {
		if _, err := s.SetStatus(context.Background(), fx.fp(sec), StatusChange{To: st, Reason: "r", Actor: "ops"}); err != nil {
			t.Fatal(err)
		}
	}
	fx.ingest(t, s, "dir", "/r", true, finding(sec, "f", 1))
	mustVerify(t, s)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit_log SET data = replace(data, '"to":"rotated"', '"to":"revoked"') WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(context.Background(), s)
	var te *TamperError
	if !errors.As(err, &te) || te.Seq != 3 {
		t.Fatalf("Verify after editing entry 3 = %v, want entry 3", err)
	}
	if !strings.Contains(err.Error(), "entry 3") {
		t.Errorf("message %q does not name the entry", err)
	}
}

func TestMigrationsForwardOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.db")
	s := openTestSQLite(t, path)
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(migrations))
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 0)`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLite(context.Background(), path); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("opening a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

const (
	killEnvDB   = "SPRAWL_TEST_KILL_DB"
	killEnvKey  = "SPRAWL_TEST_KILL_KEY"
	killEnvSeed = "SPRAWL_TEST_KILL_SEED"
	killBatch   = 24000
	killSecrets = 8000
	killMarker  = "MID-INGEST"
)

// killFindings derives a large batch from a seed made at test time, so the
// child and the parent build the same findings without sharing them.
func killFindings(seed []byte) []scanner.Finding {
	fs := make([]scanner.Finding, 0, killBatch)
	for i := range killBatch {
		m := hmac.New(sha256.New, seed)
		fmt.Fprintf(m, "%d", i%killSecrets)
		sec := "tok_" + hex.EncodeToString(m.Sum(nil)[:20])
		fs = append(fs, finding(sec, fmt.Sprintf("svc%d/config/prod/app%d.env", i%7, i/killSecrets), i%300+1))
	}
	return fs
}

// TestKillMidIngestChild is the child half of TestKillMidIngest: it does
// nothing unless started by it.
func TestKillMidIngestChild(t *testing.T) {
	path := os.Getenv(killEnvDB)
	if path == "" {
		t.Skip("run by TestKillMidIngest")
	}
	key, _ := hex.DecodeString(os.Getenv(killEnvKey))
	seed, _ := hex.DecodeString(os.Getenv(killEnvSeed))
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// One connection with a small page cache, so the open transaction
	// spills its pages into the WAL: the kill then leaves uncommitted
	// frames on disk for recovery to ignore.
	db := s.(*sqlStore).db
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`PRAGMA cache_size = 50`); err != nil {
		t.Fatal(err)
	}
	batches := 0
	ingestHook = func(stage string) {
		if stage != "locations" {
			return
		}
		if batches++; batches == 25 { // about a third of the 80 location batches
			fmt.Println(killMarker)
			os.Stdout.Sync()
			time.Sleep(time.Minute) // the parent kills us here
		}
	}
	_, err = Ingest(context.Background(), s, key, Scan{Source: "dir", Repository: "/big", Complete: true}, killFindings(seed))
	t.Fatalf("ingest finished (%v) before the parent killed the process", err)
}

// TestKillMidIngest is the acceptance check: SIGKILL a process in the
// middle of a large ingest; the database stays consistent, the audit chain
// verifies, and ingesting again completes the record.
func TestKillMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inventory.db")
	fx := newFixture(t)
	seed := randomBytes(t, 16)
	s := openTestSQLite(t, path)
	before := fx.ingest(t, s, "dir", "/small", true, finding(randomSecret(t), "a.env", 1), finding(randomSecret(t), "b.env", 1))
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidIngestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killEnvDB+"="+path, killEnvKey+"="+hex.EncodeToString(fx.key), killEnvSeed+"="+hex.EncodeToString(seed))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	marked := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == killMarker {
				marked <- true
				return
			}
		}
		marked <- false
	}()
	select {
	case ok := <-marked:
		if !ok {
			cmd.Wait()
			t.Fatalf("child ended without reaching mid-ingest: %s", stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("child never reached mid-ingest")
	}
	// The child holds an open write transaction with thousands of rows,
	// part of them already in the WAL.
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no uncommitted frames in the WAL at kill time (%v)", err)
	}
	t.Logf("WAL at kill time: %d bytes", fi.Size())
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("child exit = %v, want killed by a signal", err)
	}

	s = openTestSQLite(t, path)
	raw := s.(*sqlStore).db
	var check string
	if err := raw.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	res := mustVerify(t, s)
	if res.Entries != 1 {
		t.Errorf("audit entries after the kill = %d, want 1 (only the completed ingest)", res.Entries)
	}
	if got := mustSecrets(t, s, Query{}); len(got) != before.Secrets {
		t.Errorf("%d secrets after the kill, want the %d committed before it", len(got), before.Secrets)
	}
	scans, _ := s.Scans(ctx, 0)
	if len(scans) != 1 {
		t.Errorf("%d scans recorded, want 1", len(scans))
	}

	// Re-ingesting completes the record.
	sum, err := Ingest(ctx, s, fx.key, Scan{Source: "dir", Repository: "/big", Complete: true}, killFindings(seed))
	if err != nil {
		t.Fatal(err)
	}
	if sum.NewSecrets != killSecrets || sum.Locations != killBatch || sum.NewLocations != killBatch {
		t.Errorf("re-ingest summary = %+v", sum)
	}
	if got := mustSecrets(t, s, Query{}); len(got) != before.Secrets+killSecrets {
		t.Errorf("%d secrets after re-ingest, want %d", len(got), before.Secrets+killSecrets)
	}
	if res := mustVerify(t, s); res.Entries != 2 {
		t.Errorf("audit entries = %d, want 2", res.Entries)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cfg", "sprawl", "fingerprint.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil || len(k1) != KeySize {
		t.Fatalf("LoadOrCreateKey = %d bytes, %v", len(k1), err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode = %v, want 0700", di.Mode())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second load gave a different key (%v)", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); !errors.Is(err, ErrKeyFile) {
		t.Errorf("world-readable key: %v, want ErrKeyFile", err)
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not hex\n"), 0o600)
	if _, err := LoadOrCreateKey(bad); !errors.Is(err, ErrKeyFile) {
		t.Errorf("garbage key: %v, want ErrKeyFile", err)
	}
	// A key file of MinKeySize bytes is read; one byte less is refused
	// with the digits it wants.
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte(strings.Repeat("ab", MinKeySize-1)+"\n"), 0o600)
	if _, err := LoadOrCreateKey(short); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "want at least 32 hex digits") {
		t.Errorf("a key of %d bytes: %v, want ErrKeyFile wanting 32 hex digits", MinKeySize-1, err)
	}
	enough := filepath.Join(dir, "enough.key")
	os.WriteFile(enough, []byte(strings.Repeat("ab", MinKeySize)+"\n"), 0o600)
	if k, err := LoadOrCreateKey(enough); err != nil || len(k) != MinKeySize {
		t.Errorf("a key of %d bytes: %d bytes, %v", MinKeySize, len(k), err)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "x"))
	if p, _ := DefaultKeyPath(); p != filepath.Join(dir, "x", "sprawl", "fingerprint.key") {
		t.Errorf("DefaultKeyPath = %s", p)
	}
	if KeyCheck(k1) == KeyCheck(randomBytes(t, 32)) || len(KeyCheck(k1)) != 16 {
		t.Errorf("KeyCheck does not tell keys apart")
	}
}
