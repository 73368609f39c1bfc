package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/queue"
)

// pgSchemaDSN is a fresh schema of the PostgreSQL SPRAWL_TEST_POSTGRES_DSN
// names, dropped after the test; the test is skipped without one.
func pgSchemaDSN(t *testing.T, prefix string) string {
	t.Helper()
	pg := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if pg == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./cmd/sprawl/)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	return pg + sep + "search_path=" + schema
}

// workerProc is one `sprawl worker` process.
type workerProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWorkerProc runs the sprawl binary testscript put on PATH (this
// test binary, which runs the real program under that name) as a worker.
func startWorkerProc(t *testing.T, args ...string) *workerProc {
	t.Helper()
	bin, err := exec.LookPath("sprawl")
	if err != nil {
		t.Fatalf("no sprawl on PATH (testscript installs it): %v", err)
	}
	w := &workerProc{cmd: exec.Command(bin, append([]string{"worker"}, args...)...), stderr: &syncBuffer{}, done: make(chan struct{})}
	w.cmd.Stderr = w.stderr
	w.cmd.Env = os.Environ()
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			w.cmd.Process.Kill()
		}
	})
	return w
}

// TestWorkersEndToEnd is the queue's acceptance test against a real
// PostgreSQL: an organisation of 200 repositories behind a fake GitHub is
// enqueued and scanned by three worker processes, one of them killed
// (SIGKILL) mid-batch. Every repository is scanned and recorded exactly
// once in the inventory's scan record, the inventory holds the same
// secrets at the same locations as a single-machine scan of the same
// organisation into another database, and the audit log verifies.
func TestWorkersEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("200 repositories, three worker processes")
	}
	qdsn := pgSchemaDSN(t, "sprawl_workers_")
	sdsn := pgSchemaDSN(t, "sprawl_single_")
	fx := newGHFixture(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	const repos = 200
	rng := mrand.New(mrand.NewPCG(15, 15))
	shared := ghToken(t)
	fx.gh.repos = nil
	fx.gh.perPage = 100
	for i := range repos {
		name := fmt.Sprintf("svc%03d", i)
		bare := filepath.Join(fx.dir, "remote200", name+".git")
		secret := "" // most repositories are clean
		switch {
		case i%10 == 0:
			secret = shared // the same token in twenty repositories
		case i%7 == 0:
			secret = ghToken(t)
		}
		fastImportRepo(t, bare, 3, secret, rng)
		fx.gh.repos = append(fx.gh.repos, fakeGHRepo{name: name, id: 1000 + i, clone: "file://" + bare})
	}

	// Queue the organisation: one job per repository and one for the
	// Actions stores, then exit 0 with the batch's number.
	code, out, stderr := runSprawl(context.Background(), "scan", "github", "--org", "acme", "--inventory", qdsn, "--enqueue")
	if code != 0 {
		t.Fatalf("enqueue: exit %d\n%s%s", code, out, stderr)
	}
	m := batchRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("enqueue printed no batch number:\n%s", out)
	}
	batch, _ := strconv.ParseInt(m[1], 10, 64)

	q, err := queue.Open(context.Background(), qdsn)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	common := []string{"--inventory", qdsn, "--concurrency", "2", "--job-timeout", "15s", "--rescue-after", "18s", "--stop-grace", "5s", "--quiet"}
	var ws []*workerProc
	for i := range 3 {
		ws = append(ws, startWorkerProc(t, append(common, "--cache-dir", filepath.Join(fx.dir, fmt.Sprintf("cache%d", i)))...))
	}

	// Kill the first worker while it runs jobs, once the batch is under
	// way: stop it (SIGSTOP) so what it is running cannot change, see what
	// that is, then kill it (SIGKILL) in the middle of those jobs.
	victim := ws[0]
	host, _ := os.Hostname()
	victimID := host + ":" + strconv.Itoa(victim.cmd.Process.Pid)
	victimRunning := func() (running []string, done, total int) {
		_, items, err := q.Batch(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.State == queue.StateDone {
				done++
			}
			if it.State == queue.StateRunning && it.Worker == victimID {
				running = append(running, it.Name)
			}
		}
		return running, done, len(items)
	}
	var killed []string
	deadline := time.Now().Add(90 * time.Second)
	for killed == nil {
		running, done, total := victimRunning()
		if done >= 20 && len(running) > 0 {
			victim.cmd.Process.Signal(syscall.SIGSTOP)
			time.Sleep(300 * time.Millisecond) // a commit in flight lands
			if running, done, _ = victimRunning(); len(running) > 0 {
				victim.cmd.Process.Signal(syscall.SIGKILL)
				<-victim.done
				killed = running
				t.Logf("killed worker %s running %v after %d items done", victimID, running, done)
				break
			}
			victim.cmd.Process.Signal(syscall.SIGCONT)
		}
		if time.Now().After(deadline) || done == total {
			t.Fatalf("never caught the first worker running jobs (%d of %d done)\n%s", done, total, victim.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The single-machine scan of the same organisation, meanwhile.
	code, _, stderr = runSprawl(context.Background(), "scan", "github", "--org", "acme", "--inventory", sdsn,
		"--cache-dir", filepath.Join(fx.dir, "cache-single"), "--concurrency", "2", "--format", "json", "--quiet")
	if code != exitFindings {
		t.Fatalf("single-machine scan: exit %d\n%s", code, stderr)
	}

	var b queue.Batch
	var items []queue.ItemStatus
	deadline = time.Now().Add(150 * time.Second)
	for {
		b, items, err = q.Batch(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Finished.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not finished: %+v\nworkers:\n%s\n%s", b, ws[1].stderr.String(), ws[2].stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if b.Failed != 0 || b.Done != repos+1 {
		var bad []string
		for _, it := range items {
			if it.State != queue.StateDone {
				bad = append(bad, it.Name+": "+it.State+" "+it.Message)
			}
		}
		t.Errorf("batch: %d done, %d failed, want %d done:\n%s", b.Done, b.Failed, repos+1, strings.Join(bad, "\n"))
	}
	byName := map[string]queue.ItemStatus{}
	for _, it := range items {
		byName[it.Name] = it
	}
	retried := 0
	for _, name := range killed {
		if it := byName[name]; it.Attempts > 1 || it.Recovered {
			retried++
		} else {
			t.Errorf("%s was running on the killed worker but was not retried: %+v", name, it)
		}
	}
	t.Logf("batch %d: %s (%d items retried after the kill)", batch, b.Summary, retried)

	// Every repository exactly once in the scan record.
	qdb := openPG(t, qdsn)
	rows, err := qdb.Query(`SELECT repository, COUNT(*) FROM scans WHERE source = 'git' GROUP BY repository`)
	if err != nil {
		t.Fatal(err)
	}
	scans := map[string]int{}
	for rows.Next() {
		var repo string
		var n int
		if err := rows.Scan(&repo, &n); err != nil {
			t.Fatal(err)
		}
		scans[repo] = n
	}
	rows.Close()
	if len(scans) != repos {
		t.Errorf("%d repositories in the scan record, want %d", len(scans), repos)
	}
	for repo, n := range scans {
		if n != 1 {
			t.Errorf("%s: %d scans recorded, want 1", repo, n)
		}
	}

	// The same inventory as one machine's.
	if d := cmp.Diff(locationSet(t, openPG(t, sdsn)), locationSet(t, qdb)); d != "" {
		t.Errorf("workers' inventory differs from a single-machine scan's (-single +workers):\n%s", d)
	}
	// The batch's end is one "org-scan" audit entry, as a single
	// machine's run ends with one.
	for name, db := range map[string]*sql.DB{"workers": qdb, "single": openPG(t, sdsn)} {
		var n int
		var data string
		if err := db.QueryRow(`SELECT COUNT(*), MAX(data) FROM audit_log WHERE action = 'org-scan'`).Scan(&n, &data); err != nil {
			t.Fatal(err)
		}
		// (A repository a dead attempt recorded counts as its scan
		// record says: complete, so full.)
		if n != 1 || !strings.Contains(data, `"repositories":200,"full":200,"incremental":0,"skipped":0,`) || !strings.Contains(data, `"findings":47`) {
			t.Errorf("%s: %d org-scan audit entries, want 1 of 200 full scans, 47 findings: %s", name, n, data)
		}
		if name == "workers" && !strings.Contains(data, fmt.Sprintf(`"batch":"%d"`, batch)) {
			t.Errorf("the batch's org-scan entry does not name the batch: %s", data)
		}
	}
	code, out, stderr = runSprawl(context.Background(), "audit", "verify", "--inventory", qdsn)
	if code != 0 {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, stderr)
	}

	// SIGTERM stops an idle worker cleanly.
	ws[1].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ws[1].done:
		if code := ws[1].cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("worker exit %d after SIGTERM, want 0\n%s", code, ws[1].stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("worker still running 30s after SIGTERM")
	}

	// `sprawl jobs` shows the finished batch.
	code, out, _ = runSprawl(context.Background(), "jobs", "show", strconv.FormatInt(batch, 10), "--inventory", qdsn)
	if code != 0 || !strings.Contains(out, "done") || !strings.Contains(out, "acme/svc199") || !strings.Contains(out, b.Summary) {
		t.Errorf("jobs show: exit %d\n%s", code, out)
	}
	code, out, _ = runSprawl(context.Background(), "jobs", "--inventory", qdsn)
	if code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^│ %d\s+│ github acme\s+│ done\s+│ 201\s+│ 0\s+│ 0\s+│ 201\s+│ 0\s+│`, batch)).MatchString(out) {
		t.Errorf("jobs: exit %d\n%s", code, out)
	}
	code, out, _ = runSprawl(context.Background(), "jobs", "show", strconv.FormatInt(batch, 10), "-f", "json", "--inventory", qdsn)
	var shown struct {
		State   string             `json:"state"`
		Done    int                `json:"done"`
		Entries []queue.ItemStatus `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil || shown.State != "done" || shown.Done != repos+1 || len(shown.Entries) != repos+1 {
		t.Errorf("jobs show -f json: exit %d, %v: %.300s", code, err, out)
	}
}

var batchRe = regexp.MustCompile(`batch (\d+)`)

func openPG(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// locationSet is every (secret, location) of an inventory as text, with
// the secret's fingerprint and rule and whether the location is gone.
func locationSet(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT s.fingerprint, s.rule_id, l.source, l.repository, l.path, l.commit_id, l.gone_at IS NULL
		FROM locations l JOIN secrets s ON s.id = l.secret_id ORDER BY 1, 3, 4, 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fp, rule, src, repo, path, commit string
		var present bool
		if err := rows.Scan(&fp, &rule, &src, &repo, &path, &commit, &present); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s present=%v", fp, rule, src, repo, path, commit, present))
	}
	if len(out) == 0 {
		t.Error("inventory holds no location")
	}
	return out
}

// procPeakRSS reads a live process's peak resident set size (VmHWM) in
// KiB.
func procPeakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// TestOrgWorkersBench measures `make bench-org-workers`: an organisation
// of 200 repositories × SPRAWL_BENCH_ORG_COMMITS commits (default 400)
// enqueued and scanned by 1, 2 and 4 worker processes (each running
// --concurrency 2), each run into a fresh inventory; it logs the wall
// time from the enqueue to the batch's end, jobs per second and each
// worker's peak RSS. SPRAWL_BENCH_BIN names the sprawl binary to run
// (default: this test binary as sprawl). Opt-in: SPRAWL_BENCH_ORG_WORKERS=1.
func TestOrgWorkersBench(t *testing.T) {
	if os.Getenv("SPRAWL_BENCH_ORG_WORKERS") == "" {
		t.Skip("SPRAWL_BENCH_ORG_WORKERS not set (make bench-org-workers)")
	}
	commits := 400
	if v, err := strconv.Atoi(os.Getenv("SPRAWL_BENCH_ORG_COMMITS")); err == nil && v > 0 {
		commits = v
	}
	fx := newGHFixture(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	const repos = 200
	rng := mrand.New(mrand.NewPCG(7, 7))
	fx.gh.repos = nil
	fx.gh.perPage = 100
	genStart := time.Now()
	for i := range repos {
		name := fmt.Sprintf("svc%03d", i)
		bare := filepath.Join(fx.dir, "remote", name+".git")
		fastImportRepo(t, bare, commits, ghToken(t), rng)
		fx.gh.repos = append(fx.gh.repos, fakeGHRepo{name: name, id: 1000 + i, clone: "file://" + bare})
	}
	t.Logf("generated %d repositories × %d commits in %s", repos, commits, time.Since(genStart).Round(time.Millisecond))
	if bin := os.Getenv("SPRAWL_BENCH_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.Symlink(abs, filepath.Join(dir, "sprawl")); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	// For reference: one process, the same org, the same concurrency.
	{
		dsn := pgSchemaDSN(t, "sprawl_bench_single_")
		start := time.Now()
		code, _, stderr := runSprawl(context.Background(), "scan", "github", "--org", "acme", "--inventory", dsn, "--ci-stores=false",
			"--cache-dir", filepath.Join(fx.dir, "cache-single"), "--concurrency", "2", "--format", "json", "--quiet")
		if code != exitFindings {
			t.Fatalf("single-machine scan: exit %d\n%s", code, stderr)
		}
		wall := time.Since(start)
		t.Logf("single process (scan github --org, --concurrency 2, this test's process): %d repositories × %d commits in %s, %.1f repositories/s",
			repos, commits, wall.Round(time.Millisecond), float64(repos)/wall.Seconds())
	}
	for _, n := range []int{1, 2, 4} {
		dsn := pgSchemaDSN(t, fmt.Sprintf("sprawl_bench%d_", n))
		start := time.Now()
		code, out, stderr := runSprawl(context.Background(), "scan", "github", "--org", "acme", "--inventory", dsn, "--enqueue", "--ci-stores=false")
		if code != 0 {
			t.Fatalf("enqueue: exit %d\n%s%s", code, out, stderr)
		}
		m := batchRe.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("enqueue printed no batch number:\n%s", out)
		}
		batch, _ := strconv.ParseInt(m[1], 10, 64)
		q, err := queue.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		var ws []*workerProc
		for i := range n {
			ws = append(ws, startWorkerProc(t, "--inventory", dsn, "--concurrency", "2", "--quiet",
				"--cache-dir", filepath.Join(fx.dir, fmt.Sprintf("cache-%d-%d", n, i))))
		}
		var b queue.Batch
		for {
			b, _, err = q.Batch(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Finished.IsZero() {
				break
			}
			if time.Since(start) > 20*time.Minute {
				t.Fatalf("batch not finished after 20 minutes: %+v", b)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wall := b.Finished.Sub(start)
		var rss []string
		for _, w := range ws {
			rss = append(rss, fmt.Sprintf("%.0f MiB", float64(procPeakRSS(w.cmd.Process.Pid))/1024))
		}
		if b.Done != repos || b.Failed != 0 {
			t.Errorf("%d workers: %d done, %d failed, want %d done", n, b.Done, b.Failed, repos)
		}
		t.Logf("workers=%d: %d repositories × %d commits in %s, %.1f jobs/s; peak RSS per worker: %s",
			n, repos, commits, wall.Round(time.Millisecond), float64(repos)/wall.Seconds(), strings.Join(rss, ", "))
		for _, w := range ws {
			w.cmd.Process.Signal(syscall.SIGTERM)
			<-w.done
		}
		q.Close()
	}
}
