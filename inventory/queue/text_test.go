package queue

import (
	"slices"
	"testing"
	"time"
)

func TestBatchText(t *testing.T) {
	east := time.FixedZone("UTC+5", 5*3600)
	b := Batch{ID: 12, Target: "github org acme", Created: time.Date(2026, 1, 1, 4, 0, 0, 0, east), CreatedBy: "ci@runner",
		Items: 4, Pending: 1, Running: 1, Done: 1, Failed: 1}
	want := "batch 12: github org acme, running\n" +
		"queued 2025-12-31 23:00:00 by ci@runner; 4 items: 1 pending, 1 running, 1 done, 1 failed\n"
	if got := b.Text(); got != want {
		t.Errorf("running batch:\n got %q\nwant %q", got, want)
	}
	if got, want := BatchRow(b), []string{"12", "github org acme", "running", "4", "1", "1", "1", "1", "2025-12-31 23:00:00", "-"}; !slices.Equal(got, want) {
		t.Errorf("BatchRow = %q, want %q", got, want)
	}

	b.Pending, b.Running, b.Done = 0, 0, 3
	b.Finished = time.Date(2026, 1, 1, 6, 30, 0, 0, east)
	b.Summary = "4 repositories, 2 findings"
	want = "batch 12: github org acme, done\n" +
		"queued 2025-12-31 23:00:00 by ci@runner; 4 items: 0 pending, 0 running, 3 done, 1 failed\n" +
		"finished 2026-01-01 01:30:00: 4 repositories, 2 findings\n"
	if got := b.Text(); got != want {
		t.Errorf("finished batch:\n got %q\nwant %q", got, want)
	}
	if got := BatchRow(b)[9]; got != "2026-01-01 01:30:00" {
		t.Errorf("finished cell = %q", got)
	}
	if len(BatchRow(b)) != len(BatchesHeader) {
		t.Errorf("BatchRow has %d cells under %d headers", len(BatchRow(b)), len(BatchesHeader))
	}
}

// TestQueueTextHostile: what repositories, providers and other workers
// wrote reaches the text escaped, in every place it shows.
func TestQueueTextHostile(t *testing.T) {
	const evil, shown = "x\x1b[2K\r\nbatch 1: ok\u202e", `x\x1b[2K\r\nbatch 1: ok\u202e`
	b := Batch{ID: 1, Target: evil, CreatedBy: evil, Finished: time.Unix(0, 0), Summary: evil}
	want := "batch 1: " + shown + ", done\n" +
		"queued 0001-01-01 00:00:00 by " + shown + "; 0 items: 0 pending, 0 running, 0 done, 0 failed\n" +
		"finished 1970-01-01 00:00:00: " + shown + "\n"
	if got := b.Text(); got != want {
		t.Errorf("Text:\n got %q\nwant %q", got, want)
	}
	if got := BatchRow(b)[1]; got != shown {
		t.Errorf("BatchRow target = %q, want %q", got, shown)
	}
	it := ItemStatus{Name: evil, Kind: "repo", State: StateFailed, Attempts: 3, Worker: evil, Message: evil}
	if got, want := ItemRow(it), []string{shown, "repo", "failed", "3", shown, shown}; !slices.Equal(got, want) {
		t.Errorf("ItemRow = %q, want %q", got, want)
	}
	if len(ItemRow(it)) != len(ItemsHeader) {
		t.Errorf("ItemRow has %d cells under %d headers", len(ItemRow(it)), len(ItemsHeader))
	}
}
