package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/inventory/queue"
	"github.com/sprawlsec/sprawl/reports"
)

// openQueue opens the job queue on the PostgreSQL inventory an
// --inventory value names. Anything but PostgreSQL is a usage error: the
// queue is shared by processes on several machines.
func openQueue(ctx context.Context, flag string) (*queue.Queue, error) {
	dsn := inventoryDSN(flag)
	if !inventory.IsPostgres(dsn) {
		where := "none was given"
		if dsn != "" {
			where = displayDSN(dsn) + " is a SQLite file, which one machine alone can use"
		}
		return nil, usageErr("%v: give --inventory postgres://… or $%s (%s)", queue.ErrNeedsPostgres, envInventory, where)
	}
	q, err := queue.Open(ctx, dsn)
	if err != nil {
		return nil, inventoryErr(err)
	}
	return q, nil
}

func newWorkerCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "worker --inventory postgres://… [--concurrency N] [--schedule PROVIDER:OWNER@CRON]...",
		Short: "Run org-scan jobs from the shared PostgreSQL inventory's queue",
		Long: `Run the jobs 'sprawl scan github|gitlab … --enqueue' (or a schedule) put
in the queue of a shared PostgreSQL inventory: each repository is mirrored
into this worker's --cache-dir, scanned incrementally from the inventory's
record and ingested in one transaction; each CI store is listed and
scanned. Start any number of workers, on any number of machines, against
the same inventory: each job runs once.

A repository that fails three times is marked failed with its error; the
batch finishes without it. An API rate limit puts the job back until the
limit resets. SIGTERM or Ctrl-C lets running jobs finish for --stop-grace,
then puts the rest back for another worker. A worker killed outright
leaves its jobs to be retried by another after --rescue-after.

--schedule PROVIDER:OWNER@cron M H DOM MON DOW (repeatable; also the
config key "schedule", a list) enqueues an organisation periodically
('github:acme@cron 17 3 * * *' is 03:17 every night, in the worker's
time zone; a descriptor such as @daily after the @ works too). One worker
of those running enqueues it.

Each worker reads its tokens from its own environment ($GITHUB_TOKEN,
$GITLAB_TOKEN); none is stored in the queue. The fingerprint key must be
the same on every worker ($SPRAWL_FINGERPRINT_KEY or its file).
Follow the batches with 'sprawl jobs'. See docs/org-scans.md.

Exit codes: 0 stopped cleanly, 2 usage (not PostgreSQL, a bad schedule),
3 the inventory failed.`,
		Args: cobra.NoArgs,
		RunE: runWorker,
	}
	f := c.Flags()
	f.String("inventory", "", "the shared PostgreSQL inventory, postgres://… (default $"+envInventory+")")
	f.Int("concurrency", 4, "jobs this worker runs at once")
	f.String("cache-dir", "", "where this worker keeps repository mirrors (default <user cache dir>/sprawl/repos)")
	f.StringArray("schedule", nil, "enqueue an organisation periodically: PROVIDER:OWNER@cron M H DOM MON DOW (repeatable)")
	f.Lookup("schedule").Annotations = map[string][]string{ownFlag: {"true"}}
	f.Duration("job-timeout", time.Hour, "longest one job may run before it is cancelled and retried")
	f.Duration("rescue-after", 0, "how long a job may stay running before it is taken for a dead worker's and retried (default --job-timeout + 10m)")
	f.Duration("stop-grace", time.Minute, "on SIGTERM, how long running jobs may finish before they are put back")
	f.Duration("max-wait", 30*time.Second, "longest API rate-limit wait held in place; a longer one puts the job back until the limit resets")
	f.String("api-url", "", "GitHub REST API address for schedules (default $"+envGitHubAPI+", else https://api.github.com)")
	f.String("gitlab-url", "https://gitlab.com", "GitLab instance for schedules")
	f.Bool("quiet", false, "print nothing but errors")
	f.Bool("verbose", false, "print every job's start and end")
	f.String("config", "", "config file (schedule and scan settings)")
	return c
}

func runWorker(cmd *cobra.Command, _ []string) error {
	flag, _ := cmd.Flags().GetString("inventory")
	conc, _ := cmd.Flags().GetInt("concurrency")
	if conc < 1 {
		return usageErr("--concurrency must be at least 1")
	}
	if !inventory.IsPostgres(inventoryDSN(flag)) {
		_, err := openQueue(cmd.Context(), flag)
		return err
	}
	s, err := loadSettings(cmd, "")
	if err != nil {
		return err
	}
	texts, _ := cmd.Flags().GetStringArray("schedule")
	texts = append(append([]string(nil), s.Schedule...), texts...)
	var schedules []queue.Schedule
	for _, t := range texts {
		sc, err := queue.ParseSchedule(t)
		if err != nil {
			return usageErr("%v", err)
		}
		schedules = append(schedules, sc)
	}
	jobTimeout, _ := cmd.Flags().GetDuration("job-timeout")
	rescue, _ := cmd.Flags().GetDuration("rescue-after")
	grace, _ := cmd.Flags().GetDuration("stop-grace")
	if jobTimeout <= 0 || grace <= 0 || rescue < 0 {
		return usageErr("--job-timeout and --stop-grace must be positive, --rescue-after not negative")
	}
	if rescue != 0 && rescue <= jobTimeout {
		return usageErr("--rescue-after (%s) must be longer than --job-timeout (%s)", rescue, jobTimeout)
	}
	// A service manager stops a worker with SIGTERM: finish or put back
	// the running jobs, then exit 0 (Ctrl-C is already the command's).
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
	defer stop()
	q, err := openQueue(ctx, flag)
	if err != nil {
		return err
	}
	defer q.Close()
	h, err := newWorkerHandler(cmd, s, q)
	if err != nil {
		return err
	}
	out := &syncWriter{w: cmd.ErrOrStderr()}
	if !s.Quiet {
		var names []string
		for _, sc := range schedules {
			names = append(names, sc.Text)
		}
		line := fmt.Sprintf("sprawl: worker on %s, %d at once", displayDSN(inventoryDSN(flag)), conc)
		if len(names) > 0 {
			line += "; schedules: " + strings.Join(names, ", ")
		}
		out.Printf("%s\n", line)
	}
	err = q.Run(ctx, queue.WorkerConfig{
		Handler:     h,
		Concurrency: conc,
		Schedules:   schedules,
		JobTimeout:  jobTimeout,
		RescueAfter: rescue,
		StopGrace:   grace,
		Notify:      workerNotify(out, s.Quiet, s.Verbose),
		Logger:      slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return failure(err)
	}
	if !s.Quiet {
		out.Printf("sprawl: worker stopped\n")
	}
	return nil
}

// workerNotify prints a worker's events (queue.Event.Line), unless
// quiet: failures, waits, retries and batch ends; each job's start and
// end when verbose.
func workerNotify(out *syncWriter, quiet, verbose bool) func(queue.Event) {
	return func(e queue.Event) {
		if quiet {
			return
		}
		if line := e.Line(verbose); line != "" {
			out.Printf("%s\n", line)
		}
	}
}

func newJobsCmd() *cobra.Command {
	jobs := &cobra.Command{
		Use:   "jobs [list | show BATCH]",
		Short: "Show the org-scan batches in the shared PostgreSQL inventory's queue",
		Long: `List the batches 'scan … --enqueue' and schedules queued, with how many of
their items (repositories and CI stores) are pending, running, done and
failed, or show one batch item by item with each one's attempts and last
error. A finished batch shows the summary its last worker wrote.

Exit codes: 0 shown, 2 bad flag or no such batch, 3 the inventory failed.`,
		Args: cobra.NoArgs,
		RunE: runJobsList,
	}
	jobs.PersistentFlags().String("inventory", "", "the shared PostgreSQL inventory, postgres://… (default $"+envInventory+")")
	jobs.PersistentFlags().StringP("format", "f", "table", "output format: table or json")
	list := &cobra.Command{
		Use:   "list",
		Short: "List batches, newest first",
		Args:  cobra.NoArgs,
		RunE:  runJobsList,
	}
	list.Flags().Int("limit", 20, "batches to list (0: all)")
	jobs.Flags().Int("limit", 20, "batches to list (0: all)")
	show := &cobra.Command{
		Use:   "show BATCH",
		Short: "Show one batch item by item",
		Args:  cobra.ExactArgs(1),
		RunE:  runJobsShow,
	}
	jobs.AddCommand(list, show)
	return jobs
}

func runJobsList(cmd *cobra.Command, _ []string) error {
	format, err := tableOrJSON(cmd)
	if err != nil {
		return err
	}
	limit, _ := cmd.Flags().GetInt("limit")
	flag, _ := cmd.Flags().GetString("inventory")
	q, err := openQueue(cmd.Context(), flag)
	if err != nil {
		return err
	}
	defer q.Close()
	bs, err := q.Batches(cmd.Context(), limit)
	if err != nil {
		return failure(err)
	}
	w := cmd.OutOrStdout()
	if format == "json" {
		return writeJSON(w, bs)
	}
	if len(bs) == 0 {
		_, err := fmt.Fprintln(w, "no batches queued")
		return failure(err)
	}
	rows := make([][]string, 0, len(bs))
	for _, b := range bs {
		rows = append(rows, queue.BatchRow(b))
	}
	return failure(reports.RenderTable(w, tableWidth(w), queue.BatchesHeader, rows))
}

func runJobsShow(cmd *cobra.Command, args []string) error {
	format, err := tableOrJSON(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || id < 1 {
		return usageErr("invalid batch %q: want its number (see 'sprawl jobs list')", args[0])
	}
	flag, _ := cmd.Flags().GetString("inventory")
	q, err := openQueue(cmd.Context(), flag)
	if err != nil {
		return err
	}
	defer q.Close()
	b, items, err := q.Batch(cmd.Context(), id)
	if errors.Is(err, queue.ErrNoBatch) {
		return usageErr("%v (see 'sprawl jobs list')", err)
	} else if err != nil {
		return failure(err)
	}
	w := cmd.OutOrStdout()
	if format == "json" {
		return writeJSON(w, struct {
			queue.Batch
			State   string             `json:"state"`
			Entries []queue.ItemStatus `json:"entries"`
		}{b, b.State(), items})
	}
	return writeBatch(w, b, items)
}

// writeBatch prints one batch (queue.Batch.Text) and the table of its
// items.
func writeBatch(w io.Writer, b queue.Batch, items []queue.ItemStatus) error {
	if _, err := io.WriteString(w, b.Text()+"\n"); err != nil {
		return failure(err)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, queue.ItemRow(it))
	}
	return failure(reports.RenderTable(w, tableWidth(w), queue.ItemsHeader, rows))
}

// enqueue lists what prov covers and queues it for workers (--enqueue):
// one job per repository and per CI store, in one transaction; it prints
// the batch's number on stdout.
func (o *orgScan) enqueue(ctx context.Context, prov orgscan.Provider, what string) error {
	for _, f := range []string{"full", "verify", "baseline", "output"} {
		if fl := o.cmd.Flags().Lookup(f); fl != nil && fl.Changed {
			return usageErr("--%s is not supported with --enqueue: workers scan incrementally into the inventory; read the results there ('sprawl inventory list', 'sprawl report inventory')", f)
		}
	}
	q, err := openQueue(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer q.Close()
	forks, _ := o.cmd.Flags().GetBool("forks")
	archived, _ := o.cmd.Flags().GetBool("archived")
	r, err := orgscan.New(orgscan.Options{Engine: o.p.Engine, Rules: o.p.Rules, CacheDir: o.cacheDir, Forks: forks, Archived: archived})
	if err != nil {
		return failure(err)
	}
	ci, _ := o.cmd.Flags().GetBool("ci-stores")
	plan, err := queue.PlanOrg(ctx, r, prov, o.api, ci, what)
	if err != nil {
		if ctx.Err() != nil {
			return failure(ctx.Err())
		}
		return failure(err)
	}
	id, err := q.Enqueue(ctx, plan, actorName(""))
	if err != nil {
		return failure(err)
	}
	repos, stores := plan.Count()
	_, err = fmt.Fprintf(o.cmd.OutOrStdout(), "batch %d: %s: %s and %s queued; follow it with 'sprawl jobs show %d'\n",
		id, reports.Printable(what), plural.Count(repos, "repository"), plural.Count(stores, "CI store"), id)
	return failure(err)
}

// checkEnqueue refuses --enqueue without a PostgreSQL inventory before
// anything is listed.
func checkEnqueue(cmd *cobra.Command, dsn string) error {
	if enq, _ := cmd.Flags().GetBool("enqueue"); !enq || inventory.IsPostgres(inventoryDSN(dsn)) {
		return nil
	}
	_, err := openQueue(cmd.Context(), dsn)
	return err
}
