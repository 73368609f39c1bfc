package queue

import (
	"fmt"

	"github.com/sprawlsec/sprawl/internal/termsafe"
)

// Line is the line (without its newline) a worker prints on standard
// error for e, or "" where it prints none: a batch queued or finished, an
// item that failed and an item waiting for a retry or a rate limit
// always; each item's start and end only with verbose. (A quiet worker
// prints none; that is the caller's to decide.) Lines begin "sprawl: ",
// as the command's own messages do.
//
// Item names and messages come from repositories, providers' errors and
// other workers' summaries stored in the queue, so they are escaped
// (termsafe.String): a hostile name cannot move the cursor or forge a
// line of the worker's log.
func (e Event) Line(verbose bool) string {
	item, msg := termsafe.String(e.Item), termsafe.String(e.Message)
	switch {
	case e.State == "finished":
		return fmt.Sprintf("sprawl: batch %d finished: %s", e.Batch, msg)
	case e.State == "queued":
		return fmt.Sprintf("sprawl: batch %d queued: %s", e.Batch, msg)
	case e.State == StateFailed:
		return fmt.Sprintf("sprawl: batch %d: %s failed: %s", e.Batch, item, msg)
	case e.State == StatePending && e.Message != "":
		return fmt.Sprintf("sprawl: batch %d: %s (attempt %d): %s", e.Batch, item, e.Attempt, msg)
	case verbose:
		return fmt.Sprintf("sprawl: batch %d: %s %s (attempt %d)", e.Batch, item, e.State, e.Attempt)
	}
	return ""
}
