package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/sprawlsec/sprawl/inventory"
)

// ErrNeedsPostgres: workers and the queue share one PostgreSQL inventory;
// a SQLite file (or no inventory) cannot be shared by several processes.
var ErrNeedsPostgres = errors.New("workers need a shared PostgreSQL inventory")

// ErrNoBatch: no batch has that id.
var ErrNoBatch = errors.New("no such batch")

// MaxAttempts is how many times an item is tried before it is failed.
const MaxAttempts = 3

// Item kinds.
const (
	KindRepository = "repository" // one repository: mirror, scan, ingest
	KindCI         = "ci"         // one owner's CI store listing
)

// Item states, as `sprawl jobs` shows them.
const (
	StatePending = "pending" // queued, or waiting for a retry or a rate limit
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Target is what a scheduled scan covers: one provider's organisation,
// group or user. Spec is the Handler's own description of the options
// (nil: its defaults).
type Target struct {
	Provider string          `json:"provider"` // "github", "gitlab"
	Owner    string          `json:"owner"`
	Spec     json.RawMessage `json:"spec,omitempty"`
}

func (t Target) String() string { return t.Provider + ":" + t.Owner }

// Plan is one scan of an organisation cut into items: what Enqueue
// records as a batch.
type Plan struct {
	Provider string // "github", "gitlab"
	Target   string // what the summary names, "github acme"
	// Spec is the Handler's batch-level description (options, what the
	// listing left out), handed back to Finish.
	Spec  json.RawMessage
	Items []Item
}

// Count splits the plan's items into CI store listings (KindCI) and
// repositories (every other item).
func (p Plan) Count() (repos, ciStores int) {
	for _, it := range p.Items {
		if it.Kind == KindCI {
			ciStores++
		} else {
			repos++
		}
	}
	return repos, ciStores
}

// Item is one unit of work. Name is unique within its batch (the
// repository's full name, or "ci:OWNER"); Source and Repository name the
// inventory's record of it (the scan's source kind and repository key),
// which tells a retry whether a dead attempt already ingested it. Spec is
// the Handler's JSON description: it holds no secret.
type Item struct {
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	Source     string          `json:"source,omitempty"`
	Repository string          `json:"repository,omitempty"`
	Spec       json.RawMessage `json:"spec,omitempty"`
}

// Batch is one enqueued scan with its items' states counted.
type Batch struct {
	ID        int64           `json:"id"`
	Provider  string          `json:"provider"`
	Target    string          `json:"target"`
	Spec      json.RawMessage `json:"spec,omitempty"`
	Created   time.Time       `json:"created"`
	CreatedBy string          `json:"created_by,omitempty"`
	Items     int             `json:"items"`
	Pending   int             `json:"pending"`
	Running   int             `json:"running"`
	Done      int             `json:"done"`
	Failed    int             `json:"failed"`
	// Finished is zero until the batch's summary is written.
	Finished time.Time `json:"finished,omitzero"`
	Summary  string    `json:"summary,omitempty"`
}

// State is the batch's state: running until every item ended, then
// finishing until its summary is written, then done.
func (b Batch) State() string {
	switch {
	case !b.Finished.IsZero():
		return "done"
	case b.Pending+b.Running == 0:
		return "finishing"
	case b.Running+b.Done+b.Failed == 0:
		return "pending"
	}
	return "running"
}

// ItemStatus is one item as recorded.
type ItemStatus struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Attempts int             `json:"attempts"`
	Worker   string          `json:"worker,omitempty"`
	Started  time.Time       `json:"started,omitzero"`
	Finished time.Time       `json:"finished,omitzero"`
	Message  string          `json:"message,omitempty"` // the last error, or a note
	Outcome  json.RawMessage `json:"outcome,omitempty"` // what the Handler reported
	// Recovered: a worker died after ingesting this item; its scan is on
	// record, its outcome is what the Handler made of that record
	// (Recoverer), if anything.
	Recovered bool `json:"recovered,omitempty"`
}

// Queue is the job queue on one PostgreSQL inventory.
type Queue struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	store  inventory.Store
	dsn    string
}

// Open connects to the PostgreSQL inventory dsn names, migrates the
// inventory's schema and River's, and returns a Queue that can enqueue
// and report (Run makes it a worker). A dsn that is not PostgreSQL is
// ErrNeedsPostgres.
func Open(ctx context.Context, dsn string) (*Queue, error) {
	if !inventory.IsPostgres(dsn) {
		return nil, ErrNeedsPostgres
	}
	// The inventory's own migrations create the batch tables.
	store, err := inventory.OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open queue %s: %w", inventory.RedactDSN(dsn), err)
	}
	q := &Queue{pool: pool, store: store, dsn: dsn}
	if err := q.migrate(ctx); err != nil {
		q.Close()
		return nil, fmt.Errorf("open queue %s: %w", inventory.RedactDSN(dsn), err)
	}
	// An insert-only client until Run starts one that works.
	q.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

// migrationLock serialises River's migrations between processes starting
// together (any constant; "sprawlq" in ASCII).
const migrationLock = 0x73707261776c71

func (q *Queue) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(riverpgxv5.New(q.pool), nil)
	if err != nil {
		return err
	}
	// Some of River's migrations cannot share one transaction (a new
	// enum value is used after it is added), so the lock is a session's.
	conn, err := q.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job engine migrations: %w", err)
	}
	return nil
}

// Store is the inventory the queue lives in: one handle for the whole
// process, for the Handler to ingest into.
func (q *Queue) Store() inventory.Store { return q.store }

// Close releases the queue's connections and its inventory handle.
func (q *Queue) Close() error {
	q.pool.Close()
	return q.store.Close()
}

// Job args. Each kind is one River job type; uniqueness looks at the
// fields tagged river:"unique" (the provider and the item's name), so a
// repository is queued once however many batches name it. (The kinds are
// defined types, not embeddings: River looks for the tags in the type's
// own fields.)
type itemArgs struct {
	Batch      int64           `json:"batch"`
	Provider   string          `json:"provider" river:"unique"`
	Name       string          `json:"name" river:"unique"`
	Source     string          `json:"source,omitempty"`
	Repository string          `json:"repository,omitempty"`
	Spec       json.RawMessage `json:"spec,omitempty"`
}

type repoArgs itemArgs

func (repoArgs) Kind() string { return "sprawl_scan_repository" }

type ciArgs itemArgs

func (ciArgs) Kind() string { return "sprawl_scan_ci" }

// finishArgs ends a batch: its summary and audit entry.
type finishArgs struct {
	Batch int64 `json:"batch" river:"unique"`
}

func (finishArgs) Kind() string { return "sprawl_finish_batch" }

// orgArgs enqueues a whole organisation (a schedule's job).
type orgArgs struct {
	Target Target `json:"target" river:"unique"`
}

func (orgArgs) Kind() string { return "sprawl_enqueue_org" }

// sweepArgs fails items whose job River discarded behind their back.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "sprawl_sweep_batches" }

// uniqueWhileQueued: one job per key while it waits or runs; a finished
// one does not block the next batch.
var uniqueWhileQueued = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

func itemInsert(batch int64, provider string, it Item) (river.InsertManyParams, error) {
	a := itemArgs{Batch: batch, Provider: provider, Name: it.Name, Source: it.Source, Repository: it.Repository, Spec: it.Spec}
	opts := &river.InsertOpts{MaxAttempts: MaxAttempts, UniqueOpts: uniqueWhileQueued}
	switch it.Kind {
	case KindRepository:
		return river.InsertManyParams{Args: repoArgs(a), InsertOpts: opts}, nil
	case KindCI:
		return river.InsertManyParams{Args: ciArgs(a), InsertOpts: opts}, nil
	}
	return river.InsertManyParams{}, fmt.Errorf("item %s: unknown kind %q", it.Name, it.Kind)
}

// Enqueue records p as a batch and queues one job per item, in one
// transaction, and returns the batch's id. An item already queued by an
// unfinished batch is not queued again: it is done here, with a message
// naming the batch that scans it. A plan without items is a batch that
// finishes at once.
func (q *Queue) Enqueue(ctx context.Context, p Plan, actor string) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		var err error
		id, err = q.enqueueTx(ctx, tx, p, actor)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", p.Target, err)
	}
	return id, nil
}

func (q *Queue) enqueueTx(ctx context.Context, tx pgx.Tx, p Plan, actor string) (int64, error) {
	seen := map[string]bool{}
	params := make([]river.InsertManyParams, 0, len(p.Items))
	for _, it := range p.Items {
		if it.Name == "" || seen[it.Name] {
			return 0, fmt.Errorf("item name %q empty or repeated", it.Name)
		}
		seen[it.Name] = true
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO scan_batches (provider, target, spec, created_at, created_by, items)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		p.Provider, p.Target, string(p.Spec), time.Now().UnixNano(), actor, len(p.Items)).Scan(&id); err != nil {
		return 0, err
	}
	for _, it := range p.Items {
		ip, err := itemInsert(id, p.Provider, it)
		if err != nil {
			return 0, err
		}
		params = append(params, ip)
	}
	var res []*rivertype.JobInsertResult
	if len(params) > 0 {
		var err error
		if res, err = q.client.InsertManyTx(ctx, tx, params); err != nil {
			return 0, err
		}
	}
	b := &pgx.Batch{}
	for i, it := range p.Items {
		state, msg, finished := StatePending, "", any(nil)
		job := res[i].Job
		if res[i].UniqueSkippedAsDuplicate {
			var other itemArgs
			_ = json.Unmarshal(job.EncodedArgs, &other)
			state, msg, finished = StateDone, fmt.Sprintf("already queued by batch %d, which scans it", other.Batch), time.Now().UnixNano()
		}
		b.Queue(`INSERT INTO scan_batch_items (batch_id, name, kind, state, job_id, message, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, it.Name, it.Kind, state, job.ID, msg, finished)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, err
	}
	if err := q.maybeFinishTx(ctx, tx, id); err != nil {
		return 0, err
	}
	return id, nil
}

// maybeFinishTx queues the batch's finish job when none of its items is
// left and none was queued yet. The batch's row lock makes the check and
// the mark one step for concurrent workers.
func (q *Queue) maybeFinishTx(ctx context.Context, tx pgx.Tx, batch int64) error {
	var queued int
	if err := tx.QueryRow(ctx, `SELECT finish_queued FROM scan_batches WHERE id = $1 FOR UPDATE`, batch).Scan(&queued); err != nil {
		return fmt.Errorf("batch %d: %w", batch, err)
	}
	if queued != 0 {
		return nil
	}
	var left int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM scan_batch_items WHERE batch_id = $1 AND state IN ('pending', 'running')`, batch).Scan(&left); err != nil {
		return err
	}
	if left > 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE scan_batches SET finish_queued = 1 WHERE id = $1`, batch); err != nil {
		return err
	}
	_, err := q.client.InsertTx(ctx, tx, finishArgs{Batch: batch}, &river.InsertOpts{MaxAttempts: 10, UniqueOpts: uniqueWhileQueued})
	return err
}

const batchCols = `b.id, b.provider, b.target, b.spec, b.created_at, b.created_by, b.items, b.finished_at, b.summary,
	COUNT(*) FILTER (WHERE i.state = 'pending'), COUNT(*) FILTER (WHERE i.state = 'running'),
	COUNT(*) FILTER (WHERE i.state = 'done'), COUNT(*) FILTER (WHERE i.state = 'failed')`

func scanBatch(row pgx.Row) (Batch, error) {
	var b Batch
	var spec string
	var created int64
	var finished *int64
	if err := row.Scan(&b.ID, &b.Provider, &b.Target, &spec, &created, &b.CreatedBy, &b.Items, &finished, &b.Summary,
		&b.Pending, &b.Running, &b.Done, &b.Failed); err != nil {
		return b, err
	}
	if spec != "" {
		b.Spec = json.RawMessage(spec)
	}
	b.Created = time.Unix(0, created)
	if finished != nil {
		b.Finished = time.Unix(0, *finished)
	}
	return b, nil
}

// Batches returns the most recent batches first, at most limit (all if
// limit <= 0), with their items' states counted.
func (q *Queue) Batches(ctx context.Context, limit int) ([]Batch, error) {
	sql := `SELECT ` + batchCols + ` FROM scan_batches b LEFT JOIN scan_batch_items i ON i.batch_id = b.id
		GROUP BY b.id ORDER BY b.id DESC`
	args := []any{}
	if limit > 0 {
		sql += ` LIMIT $1`
		args = append(args, limit)
	}
	rows, err := q.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read batches: %w", err)
	}
	defer rows.Close()
	out := []Batch{}
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("read batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Batch returns one batch and its items, ordered by name; ErrNoBatch if
// there is none with that id.
func (q *Queue) Batch(ctx context.Context, id int64) (Batch, []ItemStatus, error) {
	return q.batch(ctx, q.pool, id)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (q *Queue) batch(ctx context.Context, db querier, id int64) (Batch, []ItemStatus, error) {
	b, err := scanBatch(db.QueryRow(ctx, `SELECT `+batchCols+` FROM scan_batches b LEFT JOIN scan_batch_items i ON i.batch_id = b.id
		WHERE b.id = $1 GROUP BY b.id`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil, fmt.Errorf("%w: %d", ErrNoBatch, id)
	} else if err != nil {
		return b, nil, fmt.Errorf("read batch %d: %w", id, err)
	}
	rows, err := db.Query(ctx, `SELECT name, kind, state, attempts, worker, started_at, finished_at, message, outcome, recovered
		FROM scan_batch_items WHERE batch_id = $1 ORDER BY name`, id)
	if err != nil {
		return b, nil, fmt.Errorf("read batch %d: %w", id, err)
	}
	defer rows.Close()
	items := []ItemStatus{}
	for rows.Next() {
		var it ItemStatus
		var started, finished *int64
		var outcome string
		var recovered int
		if err := rows.Scan(&it.Name, &it.Kind, &it.State, &it.Attempts, &it.Worker, &started, &finished, &it.Message, &outcome, &recovered); err != nil {
			return b, nil, fmt.Errorf("read batch %d: %w", id, err)
		}
		if started != nil {
			it.Started = time.Unix(0, *started)
		}
		if finished != nil {
			it.Finished = time.Unix(0, *finished)
		}
		it.Recovered = recovered != 0
		if outcome != "" {
			it.Outcome = json.RawMessage(outcome)
		}
		items = append(items, it)
	}
	return b, items, rows.Err()
}
