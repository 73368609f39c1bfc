package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Handler does the work of items. The org-scan package fills it; the
// queue only records what it says. Every method may be called from many
// goroutines (and processes) at once.
type Handler interface {
	// Plan lists what one scan of t covers (a schedule's job calls it;
	// `scan … --enqueue` builds its plan the same way).
	Plan(ctx context.Context, t Target) (Plan, error)
	// Scan runs one item of a batch of provider and returns its outcome,
	// kept with the item for Finish. An error is retried; wrap a WaitError
	// to wait for a rate limit instead.
	Scan(ctx context.Context, provider string, it Item) (json.RawMessage, error)
	// Finish writes the end of a batch whose items all ended: what a
	// single-machine scan writes at its end, the summary (returned) first.
	Finish(ctx context.Context, b Batch, items []ItemStatus) (string, error)
}

// Recoverer is a Handler that can tell an item's outcome from the scan a
// dead attempt recorded (the attempt's own outcome died with it).
type Recoverer interface {
	Recovered(it Item, rec RecordedScan) json.RawMessage
}

// RecordedScan is what the inventory's scan record says of an item's scan.
type RecordedScan struct {
	ID       int64
	Complete bool
	Findings int
}

// WaitError asks for the job to be put back for Wait (an API rate limit
// that resets then) instead of holding a worker or using an attempt.
type WaitError struct {
	Wait time.Duration
	Why  string
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: waiting %s", e.Why, e.Wait.Round(time.Second))
}

// ParkSleep returns a sleep for forge.RateLimiter that waits out short
// limits (up to max) in place and turns longer ones into a WaitError, so a
// rate-limited job gives its slot back until the limit resets. A caller
// that swallows the error (a CI listing notes an unreadable store and goes
// on) does not lose the wait: the job that made the request is put back
// all the same.
func ParkSleep(max time.Duration) func(ctx context.Context, d time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if d > max {
			if p, ok := ctx.Value(parkKey{}).(*parked); ok {
				p.note(d)
			}
			return &WaitError{Wait: d, Why: "API rate limit"}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type parkKey struct{}

// parked records the longest wait ParkSleep refused during one job.
type parked struct {
	mu   sync.Mutex
	wait time.Duration
}

func (p *parked) note(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wait = max(p.wait, d)
}

func (p *parked) get() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wait
}

// Event is one thing a worker did, for its log line.
type Event struct {
	Batch   int64
	Item    string // "" for a batch event
	State   string // pending (retry or wait), running, done, failed, finished
	Attempt int
	Message string
}

// WorkerConfig configures Run.
type WorkerConfig struct {
	Handler Handler
	// Concurrency is how many jobs run at once in this process.
	Concurrency int
	// ID names this worker in the items it runs (default host:pid).
	ID string
	// Schedules enqueue organisations periodically. Every worker may name
	// them; River's leader alone enqueues.
	Schedules []Schedule
	// JobTimeout cancels a job that runs longer (default one hour).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is taken
	// for a dead worker's and retried (default JobTimeout + 10 minutes).
	RescueAfter time.Duration
	// StopGrace is how long a stopping worker lets running jobs finish
	// before cancelling them and putting them back (default one minute).
	StopGrace time.Duration
	// Notify, if set, is told about each event (from many goroutines).
	Notify func(Event)
	// Logger receives the job engine's own warnings (default: none).
	Logger *slog.Logger
	// RetryDelay is the wait before retry attempt+1 (default: River's,
	// attempt⁴ seconds with jitter).
	RetryDelay func(attempt int) time.Duration
}

type retryDelay func(attempt int) time.Duration

func (d retryDelay) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().UTC().Add(d(job.Attempt))
}

// sweepEvery is how often the leader looks for items whose job River
// discarded (a worker killed on an item's last attempt).
const sweepEvery = time.Minute

// Run works jobs until ctx is done, then stops: running jobs get
// StopGrace to finish; those still running are cancelled and put back.
// It returns nil after a clean stop.
func (q *Queue) Run(ctx context.Context, cfg WorkerConfig) error {
	if cfg.Handler == nil {
		return errors.New("queue: no handler")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = host + ":" + strconv.Itoa(os.Getpid())
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Hour
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		cfg.RescueAfter = cfg.JobTimeout + 10*time.Minute
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &worker{q: q, cfg: cfg}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[repoArgs]) error {
		return w.item(ctx, j.JobRow, KindRepository, itemArgs(j.Args))
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[ciArgs]) error {
		return w.item(ctx, j.JobRow, KindCI, itemArgs(j.Args))
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[finishArgs]) error {
		return w.finish(ctx, j.Args.Batch)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[orgArgs]) error {
		return w.org(ctx, j.Args.Target)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[sweepArgs]) error {
		return w.sweep(ctx)
	}))
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(sweepEvery), func() (river.JobArgs, *river.InsertOpts) {
			return sweepArgs{}, &river.InsertOpts{UniqueOpts: uniqueWhileQueued}
		}, nil),
	}
	for _, s := range cfg.Schedules {
		periodic = append(periodic, river.NewPeriodicJob(s.Cron, func() (river.JobArgs, *river.InsertOpts) {
			return orgArgs{Target: s.Target}, &river.InsertOpts{MaxAttempts: MaxAttempts, UniqueOpts: uniqueWhileQueued}
		}, &river.PeriodicJobOpts{ID: "sprawl-schedule-" + s.Target.String()}))
	}
	rc := &river.Config{
		ID:                   sanitizeID(cfg.ID),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		MaxAttempts:          MaxAttempts,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               cfg.Logger,
	}
	if cfg.RetryDelay != nil {
		rc.RetryPolicy = retryDelay(cfg.RetryDelay)
	}
	client, err := river.NewClient(riverpgxv5.New(q.pool), rc)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.client = client
	// The client runs on its own context: ctx ending starts the stop
	// below, which must still be able to record the released jobs.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	<-ctx.Done()
	soft, cancel := context.WithTimeout(context.Background(), cfg.StopGrace)
	defer cancel()
	if err := client.Stop(soft); err == nil {
		return nil
	}
	hard, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("worker stop: %w", err)
	}
	return nil
}

// sanitizeID keeps River's client id to the characters it accepts.
func sanitizeID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

type worker struct {
	q      *Queue
	cfg    WorkerConfig
	client *river.Client[pgx.Tx]
}

func (w *worker) notify(e Event) {
	if w.cfg.Notify != nil {
		w.cfg.Notify(e)
	}
}

// item runs one item's job.
func (w *worker) item(ctx context.Context, job *rivertype.JobRow, kind string, a itemArgs) error {
	// Claim the item: an item already ended (its job ran twice) is left
	// alone; on a retry, a scan of its repository newer than the one its
	// first attempt saw means a dead attempt ingested it.
	var state string
	var prev *int64
	recovered := false
	err := pgx.BeginFunc(ctx, w.q.pool, func(tx pgx.Tx) error {
		var attempts int
		err := tx.QueryRow(ctx, `SELECT state, attempts, prev_scan_id FROM scan_batch_items WHERE batch_id = $1 AND name = $2 FOR UPDATE`,
			a.Batch, a.Name).Scan(&state, &attempts, &prev)
		if err != nil {
			return fmt.Errorf("item %s of batch %d: %w", a.Name, a.Batch, err)
		}
		if state == StateDone || state == StateFailed {
			return nil
		}
		cur, err := lastScanID(ctx, tx, a.Source, a.Repository)
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		if attempts > 0 && prev != nil && cur != *prev {
			recovered = true
			var out json.RawMessage
			if r, ok := w.cfg.Handler.(Recoverer); ok {
				rec := RecordedScan{ID: cur}
				var complete int
				if err := tx.QueryRow(ctx, `SELECT complete, findings FROM scans WHERE id = $1`, cur).Scan(&complete, &rec.Findings); err != nil {
					return fmt.Errorf("item %s: scan %d: %w", a.Name, cur, err)
				}
				rec.Complete = complete != 0
				out = r.Recovered(Item{Kind: kind, Name: a.Name, Source: a.Source, Repository: a.Repository, Spec: a.Spec}, rec)
			}
			if _, err := tx.Exec(ctx, `UPDATE scan_batch_items SET state = 'done', finished_at = $3, outcome = $4, recovered = 1,
				message = 'recorded by an earlier attempt whose worker died' WHERE batch_id = $1 AND name = $2`,
				a.Batch, a.Name, now, string(out)); err != nil {
				return err
			}
			return w.q.maybeFinishTx(ctx, tx, a.Batch)
		}
		if attempts == 0 {
			prev = &cur
		}
		_, err = tx.Exec(ctx, `UPDATE scan_batch_items SET state = 'running', attempts = $3, worker = $4,
			started_at = COALESCE(started_at, $5), prev_scan_id = $6, job_id = $7 WHERE batch_id = $1 AND name = $2`,
			a.Batch, a.Name, job.Attempt, w.cfg.ID, now, *prev, job.ID)
		return err
	})
	if err != nil {
		return err
	}
	if state == StateDone || state == StateFailed {
		return nil
	}
	if recovered {
		w.notify(Event{Batch: a.Batch, Item: a.Name, State: StateDone, Attempt: job.Attempt, Message: "ingested by an earlier attempt"})
		return nil
	}
	w.notify(Event{Batch: a.Batch, Item: a.Name, State: StateRunning, Attempt: job.Attempt})

	park := &parked{}
	out, scanErr := w.cfg.Handler.Scan(context.WithValue(ctx, parkKey{}, park), a.Provider,
		Item{Kind: kind, Name: a.Name, Source: a.Source, Repository: a.Repository, Spec: a.Spec})
	if d := park.get(); d > 0 && (scanErr == nil || !errors.As(scanErr, new(*WaitError))) {
		// A rate limit cut the job short and was swallowed: what it
		// recorded is partial; run it again once the limit resets.
		scanErr = &WaitError{Wait: d, Why: "API rate limit"}
	}

	// Record the result on a context that outlives a cancelled job.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var we *WaitError
	switch {
	case scanErr == nil:
		err := pgx.BeginFunc(rctx, w.q.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(rctx, `UPDATE scan_batch_items SET state = 'done', finished_at = $3, outcome = $4, message = ''
				WHERE batch_id = $1 AND name = $2`, a.Batch, a.Name, time.Now().UnixNano(), string(out)); err != nil {
				return err
			}
			return w.q.maybeFinishTx(rctx, tx, a.Batch)
		})
		if err != nil {
			return err // retried: the retry finds its scan on record
		}
		w.notify(Event{Batch: a.Batch, Item: a.Name, State: StateDone, Attempt: job.Attempt})
		return nil
	case errors.As(scanErr, &we):
		msg := fmt.Sprintf("%s: waiting until %s", we.Why, time.Now().Add(we.Wait).UTC().Format(time.RFC3339))
		if err := w.release(rctx, a, msg); err != nil {
			return err
		}
		w.notify(Event{Batch: a.Batch, Item: a.Name, State: StatePending, Attempt: job.Attempt, Message: msg})
		return river.JobSnooze(we.Wait)
	case ctx.Err() != nil && errors.Is(scanErr, context.Canceled):
		// The worker is stopping: put the job back at once, without
		// using an attempt.
		if err := w.release(rctx, a, "released by a stopping worker"); err != nil {
			return err
		}
		w.notify(Event{Batch: a.Batch, Item: a.Name, State: StatePending, Attempt: job.Attempt, Message: "released"})
		return river.JobSnooze(0)
	}
	final := job.Attempt >= job.MaxAttempts
	err = pgx.BeginFunc(rctx, w.q.pool, func(tx pgx.Tx) error {
		state := StatePending
		if final {
			state = StateFailed
		}
		if _, err := tx.Exec(rctx, `UPDATE scan_batch_items SET state = $3, message = $4, finished_at = $5
			WHERE batch_id = $1 AND name = $2`, a.Batch, a.Name, state, scanErr.Error(), finishedAt(final)); err != nil {
			return err
		}
		if final {
			return w.q.maybeFinishTx(rctx, tx, a.Batch)
		}
		return nil
	})
	if err != nil {
		return errors.Join(scanErr, err)
	}
	st := StatePending
	if final {
		st = StateFailed
	}
	w.notify(Event{Batch: a.Batch, Item: a.Name, State: st, Attempt: job.Attempt, Message: scanErr.Error()})
	return scanErr
}

func finishedAt(final bool) any {
	if final {
		return time.Now().UnixNano()
	}
	return nil
}

// release puts a running item back to pending with msg. What the
// attempt recorded (a partial CI listing before a rate limit) becomes the
// record the next attempt compares with: it must scan again.
func (w *worker) release(ctx context.Context, a itemArgs, msg string) error {
	return pgx.BeginFunc(ctx, w.q.pool, func(tx pgx.Tx) error {
		cur, err := lastScanID(ctx, tx, a.Source, a.Repository)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE scan_batch_items SET state = 'pending', message = $3, prev_scan_id = $4
			WHERE batch_id = $1 AND name = $2 AND state = 'running'`, a.Batch, a.Name, msg, cur)
		return err
	})
}

// lastScanID is the inventory's last scan of (source, repository), 0 if
// none (or no key).
func lastScanID(ctx context.Context, tx pgx.Tx, source, repository string) (int64, error) {
	if source == "" || repository == "" {
		return 0, nil
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT last_scan_id FROM repositories WHERE source = $1 AND repository = $2`, source, repository).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// finish writes a batch's end once: the batch's row stays locked while
// the Handler writes the summary and audit entry, and a batch already
// finished is left alone.
func (w *worker) finish(ctx context.Context, batch int64) error {
	var summary string
	done := false
	err := pgx.BeginFunc(ctx, w.q.pool, func(tx pgx.Tx) error {
		var finished *int64
		if err := tx.QueryRow(ctx, `SELECT finished_at FROM scan_batches WHERE id = $1 FOR UPDATE`, batch).Scan(&finished); err != nil {
			return fmt.Errorf("batch %d: %w", batch, err)
		}
		if finished != nil {
			done = true
			return nil
		}
		b, items, err := w.q.batch(ctx, tx, batch)
		if err != nil {
			return err
		}
		summary, err = w.cfg.Handler.Finish(ctx, b, items)
		if err != nil {
			return fmt.Errorf("finish batch %d: %w", batch, err)
		}
		_, err = tx.Exec(ctx, `UPDATE scan_batches SET finished_at = $2, summary = $3 WHERE id = $1`, batch, time.Now().UnixNano(), summary)
		return err
	})
	if err != nil || done {
		return err
	}
	w.notify(Event{Batch: batch, State: "finished", Message: summary})
	return nil
}

// org enqueues a scheduled organisation.
func (w *worker) org(ctx context.Context, t Target) error {
	p, err := w.cfg.Handler.Plan(ctx, t)
	if err != nil {
		var we *WaitError
		if errors.As(err, &we) {
			return river.JobSnooze(we.Wait)
		}
		return fmt.Errorf("schedule %s: %w", t, err)
	}
	id, err := w.q.Enqueue(ctx, p, "schedule "+t.String())
	if err != nil {
		return err
	}
	w.notify(Event{Batch: id, State: "queued", Message: fmt.Sprintf("%s: %d items (schedule %s)", p.Target, len(p.Items), t)})
	return nil
}

// sweep fails the items of unfinished batches whose job River discarded
// or lost (a worker killed on the last attempt is rescued into
// "discarded" without our code running) and finishes their batches.
func (w *worker) sweep(ctx context.Context) error {
	rows, err := w.q.pool.Query(ctx, `SELECT i.batch_id, i.name FROM scan_batch_items i
		LEFT JOIN river_job j ON j.id = i.job_id
		WHERE i.state IN ('pending', 'running')
		  AND (j.id IS NULL OR j.state IN ('discarded', 'cancelled', 'completed'))`)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	type key struct {
		batch int64
		name  string
	}
	var lost []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.batch, &k.name); err != nil {
			rows.Close()
			return err
		}
		lost = append(lost, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range lost {
		err := pgx.BeginFunc(ctx, w.q.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE scan_batch_items SET state = 'failed', finished_at = $3,
				message = CASE WHEN message = '' THEN 'its job was lost: a worker stopped during its last attempt' ELSE message END
				WHERE batch_id = $1 AND name = $2 AND state IN ('pending', 'running')`, k.batch, k.name, time.Now().UnixNano())
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			return w.q.maybeFinishTx(ctx, tx, k.batch)
		})
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		w.notify(Event{Batch: k.batch, Item: k.name, State: StateFailed, Message: "job lost"})
	}
	return nil
}
