// Package queue runs org scans as jobs on the shared PostgreSQL inventory,
// for any number of `sprawl worker` processes on any number of machines.
// The job engine is River (github.com/riverqueue/river): transactional
// enqueue, unique jobs, retries with backoff, periodic jobs, rescue of the
// jobs of a worker that died, graceful shutdown. Nothing here is a queue
// of its own.
//
// # Batches and items
//
// Enqueue records one scan of an organisation as a batch (table
// scan_batches, inventory schema version 10) with one item per repository
// and one per CI store listing (scan_batch_items), and inserts one River
// job per item, all in one transaction: either the whole batch is queued
// or none of it. A repository's job is unique by provider and repository
// while it is available, scheduled, running or waiting for a retry, so an
// organisation enqueued twice does not scan a repository twice at once;
// the second batch's item then says which batch scans it.
//
// A worker runs an item through a Handler: OrgScan runs it with
// inventory/orgscan, the code a single-machine scan runs (mirror into the
// worker's cache, incremental scan from the inventory's record, ingest in
// one transaction, which writes the repository's audit entry). An item
// whose handler fails is retried; after MaxAttempts it is failed with its
// error and counted so, without holding up the batch. A handler error
// that wraps a WaitError (an API rate limit; ParkSleep turns the rate
// limiter's long waits into one) snoozes the job until the limit resets,
// which costs no attempt. When an item reaches its end and no item of the
// batch is left, the same transaction (holding the batch's row lock)
// queues the batch's finish job, once; that job writes the batch's end
// (Handler.Finish: the "org-scan" audit entry and summary line a
// single-machine scan writes) under the row lock and marks the batch
// finished in the same transaction, so several workers finishing the last
// items together finish the batch once. (A worker dying between the audit
// entry's commit and that mark would leave the retried finish job to
// write a second entry for the batch: a window of one statement.)
//
// # Faults
//
// A worker killed mid-job leaves its job running in River's table; after
// RescueAfter River makes it retryable and another worker runs it. Ingest
// is one transaction, so the dead attempt either recorded its scan or left
// nothing; a retry whose repository's last scan changed since the item's
// first attempt (the inventory's repositories table) takes that scan as
// the item's and does not scan again, so the scan record holds each
// repository once. A job River discards while its item is not finished (a
// worker killed on the last attempt) is failed by a periodic sweep.
// Stopping a worker (SIGTERM) lets running jobs finish within a grace
// period, then cancels them and puts them back at once (a snooze, not an
// attempt).
//
// Tokens never go into a job or the database: each worker reads its own
// environment (the Handler does).
//
// # Concurrency
//
// A Queue is safe for concurrent use. Only River's client starts
// goroutines here (its producers, one per running job); Run blocks until
// its context is done and the client has stopped.
package queue
