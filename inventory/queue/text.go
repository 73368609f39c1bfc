package queue

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/termsafe"
)

// The text of 'sprawl jobs': the cells of its tables and the header of
// one batch. Targets, item names, workers, messages and summaries are
// escaped (termsafe.String): they come from repositories, providers'
// errors and whatever wrote to the shared queue. Times are UTC.

// BatchesHeader is the header of the table of batches; BatchRow gives a
// batch's row under it.
var BatchesHeader = []string{"BATCH", "TARGET", "STATE", "ITEMS", "PENDING", "RUNNING", "DONE", "FAILED", "QUEUED (UTC)", "FINISHED (UTC)"}

// BatchRow is b's row of the table of batches (BatchesHeader).
func BatchRow(b Batch) []string {
	return []string{strconv.FormatInt(b.ID, 10), termsafe.String(b.Target), b.State(), strconv.Itoa(b.Items),
		strconv.Itoa(b.Pending), strconv.Itoa(b.Running), strconv.Itoa(b.Done), strconv.Itoa(b.Failed),
		b.Created.UTC().Format(time.DateTime), utcOrDash(b.Finished)}
}

// Text is what 'jobs show' prints above the batch's items: its number,
// target and state; when and by whom it was queued, with its items'
// counts by state; and, once finished, its summary. Each line ends in a
// newline.
func (b Batch) Text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "batch %d: %s, %s\n", b.ID, termsafe.String(b.Target), b.State())
	fmt.Fprintf(&sb, "queued %s by %s; %d items: %d pending, %d running, %d done, %d failed\n",
		b.Created.UTC().Format(time.DateTime), termsafe.String(b.CreatedBy), b.Items, b.Pending, b.Running, b.Done, b.Failed)
	if !b.Finished.IsZero() {
		fmt.Fprintf(&sb, "finished %s: %s\n", b.Finished.UTC().Format(time.DateTime), termsafe.String(b.Summary))
	}
	return sb.String()
}

// ItemsHeader is the header of the table of a batch's items; ItemRow
// gives an item's row under it.
var ItemsHeader = []string{"ITEM", "KIND", "STATE", "ATTEMPTS", "WORKER", "MESSAGE"}

// ItemRow is it's row of the table of a batch's items (ItemsHeader).
func ItemRow(it ItemStatus) []string {
	return []string{termsafe.String(it.Name), it.Kind, it.State, strconv.Itoa(it.Attempts), termsafe.String(it.Worker), termsafe.String(it.Message)}
}

// utcOrDash is t in UTC as "2006-01-02 15:04:05", or "-" for the zero
// time.
func utcOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateTime)
}
