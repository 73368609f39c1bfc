package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// testDSN is a fresh schema of the PostgreSQL SPRAWL_TEST_POSTGRES_DSN
// names (scripts/with-postgres.sh starts a throwaway one), dropped after
// the test.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./inventory/queue/)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sprawl_queue_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close(ctx)
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func openQueue(t *testing.T, dsn string) *Queue {
	t.Helper()
	q, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// fakeHandler scans by script: fail[name] makes the first n attempts fail
// (-1: all), wait[name] makes the first attempt ask for a wait, ingest
// runs before an attempt's result (a dead worker's ingest).
type fakeHandler struct {
	mu       sync.Mutex
	scans    map[string]int
	fail     map[string]int
	wait     map[string]time.Duration
	block    map[string]bool
	started  chan string
	ingest   func(ctx context.Context, it Item, attempt int) error
	finishes []int64
	finished map[int64][]ItemStatus
	plans    []Target
}

func newFake() *fakeHandler {
	return &fakeHandler{scans: map[string]int{}, fail: map[string]int{}, wait: map[string]time.Duration{},
		block: map[string]bool{}, finished: map[int64][]ItemStatus{}}
}

func (f *fakeHandler) Plan(_ context.Context, t Target) (Plan, error) {
	f.mu.Lock()
	f.plans = append(f.plans, t)
	f.mu.Unlock()
	return Plan{Provider: t.Provider, Target: t.Provider + " " + t.Owner, Items: []Item{
		{Kind: KindRepository, Name: t.Owner + "/a"}, {Kind: KindCI, Name: "ci:" + t.Owner},
	}}, nil
}

func (f *fakeHandler) Scan(ctx context.Context, provider string, it Item) (json.RawMessage, error) {
	f.mu.Lock()
	f.scans[it.Name]++
	n := f.scans[it.Name]
	fail, wait, block := f.fail[it.Name], f.wait[it.Name], f.block[it.Name]
	f.block[it.Name] = false
	ingest := f.ingest
	f.mu.Unlock()
	if f.started != nil {
		f.started <- it.Name
	}
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if ingest != nil {
		if err := ingest(ctx, it, n); err != nil {
			return nil, err
		}
	}
	if wait > 0 && n == 1 {
		return nil, fmt.Errorf("list variables: %w", &WaitError{Wait: wait, Why: "secondary rate limit"})
	}
	if fail < 0 || n <= fail {
		return nil, fmt.Errorf("clone %s: attempt %d failed", it.Name, n)
	}
	return json.RawMessage(fmt.Sprintf(`{"provider":%q,"name":%q}`, provider, it.Name)), nil
}

func (f *fakeHandler) Finish(_ context.Context, b Batch, items []ItemStatus) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishes = append(f.finishes, b.ID)
	f.finished[b.ID] = items
	return fmt.Sprintf("%s: %d done, %d failed", b.Target, b.Done, b.Failed), nil
}

func (f *fakeHandler) Recovered(_ Item, rec RecordedScan) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"complete":%v,"findings":%d}`, rec.Complete, rec.Findings))
}

func (f *fakeHandler) scanCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scans[name]
}

// startWorker runs a worker until the test ends (or stop is called).
func startWorker(t *testing.T, q *Queue, cfg WorkerConfig) (stop func() error) {
	t.Helper()
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, cfg) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func waitFinished(t *testing.T, q *Queue, id int64) (Batch, []ItemStatus) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, items, err := q.Batch(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Finished.IsZero() {
			return b, items
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %d not finished after a minute: %+v\n%+v", id, b, items)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func plan(names ...string) Plan {
	p := Plan{Provider: "github", Target: "github acme"}
	for _, n := range names {
		kind := KindRepository
		if strings.HasPrefix(n, "ci:") {
			kind = KindCI
		}
		p.Items = append(p.Items, Item{Kind: kind, Name: n, Source: "git", Repository: "https://github.example/" + n})
	}
	return p
}

type itemView struct {
	Name, State string
	Attempts    int
	Message     string
}

func view(items []ItemStatus) []itemView {
	var out []itemView
	for _, it := range items {
		out = append(out, itemView{it.Name, it.State, it.Attempts, it.Message})
	}
	return out
}

// TestPostgresQueueBatch: a batch runs on two workers; an item failing
// every time is failed after three attempts with its error and does not
// hold up the batch; one failing once is retried; the batch's end is
// written once, with every item's outcome.
func TestPostgresQueueBatch(t *testing.T) {
	dsn := testDSN(t)
	q1, q2 := openQueue(t, dsn), openQueue(t, dsn)
	h := newFake()
	h.fail["acme/broken"] = -1
	h.fail["acme/flaky"] = 1
	id, err := q1.Enqueue(context.Background(), plan("acme/a", "acme/b", "acme/broken", "acme/flaky", "ci:acme"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, q1, WorkerConfig{Handler: h, Concurrency: 2, ID: "w1"})
	startWorker(t, q2, WorkerConfig{Handler: h, Concurrency: 2, ID: "w2"})
	b, items := waitFinished(t, q1, id)
	want := []itemView{
		{"acme/a", StateDone, 1, ""},
		{"acme/b", StateDone, 1, ""},
		{"acme/broken", StateFailed, 3, "clone acme/broken: attempt 3 failed"},
		{"acme/flaky", StateDone, 2, ""},
		{"ci:acme", StateDone, 1, ""},
	}
	if d := cmp.Diff(want, view(items)); d != "" {
		t.Errorf("items (-want +got):\n%s", d)
	}
	if b.Done != 4 || b.Failed != 1 || b.Items != 5 || b.State() != "done" || b.Summary != "github acme: 4 done, 1 failed" {
		t.Errorf("batch = %+v", b)
	}
	if n := h.scanCount("acme/broken"); n != 3 {
		t.Errorf("broken scanned %d times, want 3", n)
	}
	// Let any duplicate finish job run before counting.
	time.Sleep(500 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := cmp.Diff([]int64{id}, h.finishes); d != "" {
		t.Errorf("finishes (-want +got):\n%s", d)
	}
	if got := string(h.finished[id][0].Outcome); got != `{"name": "acme/a", "provider": "github"}` && got != `{"provider":"github","name":"acme/a"}` {
		t.Errorf("outcome handed to Finish = %s", got)
	}
}

// TestPostgresQueueUniqueAndEmpty: enqueueing an organisation whose
// repositories are still queued does not queue them twice (the second
// batch names the first); an empty plan finishes at once.
func TestPostgresQueueUniqueAndEmpty(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	first, err := q.Enqueue(ctx, plan("acme/a", "acme/b"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	second, err := q.Enqueue(ctx, plan("acme/b", "acme/c"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	_, items, err := q.Batch(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	want := []itemView{
		{"acme/b", StateDone, 0, fmt.Sprintf("already queued by batch %d, which scans it", first)},
		{"acme/c", StatePending, 0, ""},
	}
	if d := cmp.Diff(want, view(items)); d != "" {
		t.Errorf("second batch (-want +got):\n%s", d)
	}
	var jobs int
	if err := q.pool.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'sprawl_scan_repository'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 3 {
		t.Errorf("%d repository jobs, want 3", jobs)
	}
	empty, err := q.Enqueue(ctx, Plan{Provider: "github", Target: "github nobody"}, "tester")
	if err != nil {
		t.Fatal(err)
	}
	h := newFake()
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 2})
	for _, id := range []int64{first, second, empty} {
		waitFinished(t, q, id)
	}
	bs, err := q.Batches(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	if d := cmp.Diff([]int64{empty, second, first}, ids); d != "" {
		t.Errorf("Batches order (-want +got):\n%s", d)
	}
	if _, _, err := q.Batch(ctx, 999); !errors.Is(err, ErrNoBatch) {
		t.Errorf("Batch(999) = %v, want ErrNoBatch", err)
	}
}

// TestPostgresQueueRecoversDeadAttempt: an attempt that ingested its
// repository and then died (here: failed after the ingest) is not scanned
// again: the retry finds the newer scan on record.
func TestPostgresQueueRecoversDeadAttempt(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	h := newFake()
	h.ingest = func(ctx context.Context, it Item, attempt int) error {
		if it.Name != "acme/a" || attempt != 1 {
			return nil
		}
		var id int64
		if err := q.pool.QueryRow(ctx, `INSERT INTO scans (source, repository, started_at, finished_at, complete, findings)
			VALUES ($1, $2, 1, 2, 1, 4) RETURNING id`, it.Source, it.Repository).Scan(&id); err != nil {
			return err
		}
		if _, err := q.pool.Exec(ctx, `INSERT INTO repositories (source, repository, last_commit, last_scan_id, last_scan_at)
			VALUES ($1, $2, 'abc', $3, 1)`, it.Source, it.Repository, id); err != nil {
			return err
		}
		return errors.New("worker killed after the ingest")
	}
	id, err := q.Enqueue(ctx, plan("acme/a", "acme/b"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 1})
	_, items := waitFinished(t, q, id)
	if n := h.scanCount("acme/a"); n != 1 {
		t.Errorf("acme/a scanned %d times, want 1", n)
	}
	if !items[0].Recovered || items[0].State != StateDone || string(items[0].Outcome) != `{"complete":true,"findings":4}` {
		t.Errorf("acme/a = %+v (outcome %s), want done and recovered from its scan record", items[0], items[0].Outcome)
	}
}

// TestPostgresQueueRateLimitWaits: a rate-limited item gives its slot back
// until the limit resets, costing no attempt.
func TestPostgresQueueRateLimitWaits(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	h := newFake()
	h.wait["ci:acme"] = 2 * time.Second
	h.fail["ci:acme"] = 0
	id, err := q.Enqueue(ctx, plan("ci:acme"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 1})
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, items, err := q.Batch(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(items[0].Message, "secondary rate limit: waiting until") {
			if items[0].State != StatePending {
				t.Errorf("waiting item state %s, want pending", items[0].State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no wait recorded: %+v", items)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, items := waitFinished(t, q, id)
	if el := time.Since(start); el < 2*time.Second {
		t.Errorf("finished after %s, before the limit reset", el)
	}
	if items[0].State != StateDone || items[0].Attempts != 1 {
		t.Errorf("item = %+v, want done on attempt 1 (a wait is no attempt)", items[0])
	}
}

// TestPostgresQueueStopReleases: a stopping worker cancels a job that does
// not finish within the grace period and puts it back at once, without
// using an attempt; another worker then runs it.
func TestPostgresQueueStopReleases(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	h := newFake()
	h.block["acme/slow"] = true
	h.started = make(chan string, 10)
	id, err := q.Enqueue(ctx, plan("acme/slow"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	stop := startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 1, StopGrace: 200 * time.Millisecond})
	select {
	case <-h.started:
	case <-time.After(30 * time.Second):
		t.Fatal("job never started")
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	_, items, err := q.Batch(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].State != StatePending {
		t.Errorf("after stop: item %+v, want pending", items[0])
	}
	var state string
	var attempt int
	if err := q.pool.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE kind = 'sprawl_scan_repository'`).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	if state != "available" && state != "scheduled" {
		t.Errorf("after stop: job %s, want available", state)
	}
	q2 := openQueue(t, dsn)
	startWorker(t, q2, WorkerConfig{Handler: h, Concurrency: 1})
	_, items = waitFinished(t, q2, id)
	if items[0].State != StateDone || items[0].Attempts != 1 {
		t.Errorf("item = %+v, want done on attempt 1", items[0])
	}
}

// TestPostgresQueueSweepsLostJobs: an item whose job River discarded
// without our code running (a worker killed on the last attempt is
// rescued into "discarded") is failed and its batch finished.
func TestPostgresQueueSweepsLostJobs(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	id, err := q.Enqueue(ctx, plan("acme/lost"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := q.pool.Exec(ctx, `UPDATE scan_batch_items SET state = 'running'`); err != nil {
		t.Fatal(err)
	}
	h := newFake()
	w := &worker{q: q, cfg: WorkerConfig{Handler: h}}
	if err := w.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 1})
	b, items := waitFinished(t, q, id)
	if b.Failed != 1 || items[0].State != StateFailed || !strings.Contains(items[0].Message, "lost") {
		t.Errorf("batch %+v items %+v", b, items)
	}
	if h.scanCount("acme/lost") != 0 {
		t.Error("a discarded job was scanned")
	}
}

// TestPostgresQueueSchedule: a schedule's job plans and enqueues the
// organisation through the Handler.
func TestPostgresQueueSchedule(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	h := newFake()
	w := &worker{q: q, cfg: WorkerConfig{Handler: h}}
	if err := w.org(ctx, Target{Provider: "github", Owner: "acme"}); err != nil {
		t.Fatal(err)
	}
	bs, err := q.Batches(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Target != "github acme" || bs[0].Items != 2 {
		t.Errorf("batches = %+v", bs)
	}
}

func TestOpenNeedsPostgres(t *testing.T) {
	for _, dsn := range []string{"", "inv.db", "sqlite:inv.db"} {
		if _, err := Open(context.Background(), dsn); !errors.Is(err, ErrNeedsPostgres) {
			t.Errorf("Open(%q) = %v, want ErrNeedsPostgres", dsn, err)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	base := time.Date(2026, 12, 4, 12, 0, 0, 0, time.Local)
	tests := []struct {
		in       string
		provider string
		owner    string
		next     time.Time
		err      string
	}{
		{"github:acme@cron 17 3 * * *", "github", "acme", time.Date(2026, 12, 5, 3, 17, 0, 0, time.Local), ""},
		{"gitlab:group/sub@@daily", "gitlab", "group/sub", time.Date(2026, 12, 5, 0, 0, 0, 0, time.Local), ""},
		{"GitHub:acme@0 */6 * * *", "github", "acme", time.Date(2026, 12, 4, 18, 0, 0, 0, time.Local), ""},
		{"github:acme", "", "", time.Time{}, "want PROVIDER:OWNER@cron"},
		{"bitbucket:acme@@daily", "", "", time.Time{}, "want github:ORG or gitlab:GROUP"},
		{"github:@@daily", "", "", time.Time{}, "want github:ORG or gitlab:GROUP"},
		{"github:acme@cron 61 3 * * *", "", "", time.Time{}, "end of range"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseSchedule(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Target.Provider != tc.provider || s.Target.Owner != tc.owner {
				t.Errorf("target = %+v", s.Target)
			}
			if got := s.Cron.Next(base); !got.Equal(tc.next) {
				t.Errorf("next = %s, want %s", got, tc.next)
			}
		})
	}
}

// TestPostgresQueueSwallowedRateLimit: a listing that notes a rate-limited
// store as a problem and records a partial result still puts its job back
// until the limit resets, and the next attempt scans again (the partial
// record is not taken for a dead attempt's ingest).
func TestPostgresQueueSwallowedRateLimit(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	h := newFake()
	sleep := ParkSleep(10 * time.Millisecond)
	h.ingest = func(ctx context.Context, it Item, attempt int) error {
		if attempt == 1 {
			_ = sleep(ctx, 1500*time.Millisecond) // the listing goes on without that store
		}
		_, err := q.pool.Exec(ctx, `INSERT INTO repositories (source, repository, last_commit, last_scan_id, last_scan_at)
			VALUES ($1, $2, '', $3, 1) ON CONFLICT (source, repository) DO UPDATE SET last_scan_id = excluded.last_scan_id`,
			it.Source, it.Repository, attempt)
		return err
	}
	id, err := q.Enqueue(ctx, plan("ci:acme"), "tester")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 1})
	_, items := waitFinished(t, q, id)
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Errorf("finished after %s, before the limit reset", el)
	}
	if n := h.scanCount("ci:acme"); n != 2 {
		t.Errorf("scanned %d times, want 2 (once cut short, once whole)", n)
	}
	if items[0].Recovered || items[0].State != StateDone || items[0].Attempts != 1 {
		t.Errorf("item = %+v, want done on attempt 1, not recovered", items[0])
	}
}

// TestPostgresQueuePeriodicSchedule: a worker given a schedule enqueues
// the organisation through River's periodic jobs, and runs the batch.
func TestPostgresQueuePeriodicSchedule(t *testing.T) {
	dsn := testDSN(t)
	q := openQueue(t, dsn)
	ctx := context.Background()
	s, err := ParseSchedule("github:acme@@every 2s")
	if err != nil {
		t.Fatal(err)
	}
	h := newFake()
	startWorker(t, q, WorkerConfig{Handler: h, Concurrency: 2, Schedules: []Schedule{s}})
	deadline := time.Now().Add(60 * time.Second)
	for {
		bs, err := q.Batches(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) > 0 {
			b, _ := waitFinished(t, q, bs[len(bs)-1].ID)
			if b.Target != "github acme" || b.CreatedBy != "schedule github:acme" || b.Done != 2 {
				t.Errorf("scheduled batch = %+v", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the schedule enqueued nothing in a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
