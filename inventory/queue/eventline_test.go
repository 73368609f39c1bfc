package queue

import "testing"

func TestEventLine(t *testing.T) {
	for _, c := range []struct {
		name           string
		e              Event
		plain, verbose string
	}{
		{"batch finished", Event{Batch: 7, State: "finished", Message: "12 repositories, 3 findings"},
			"sprawl: batch 7 finished: 12 repositories, 3 findings", "sprawl: batch 7 finished: 12 repositories, 3 findings"},
		{"batch queued", Event{Batch: 8, State: "queued", Message: "schedule nightly: acme"},
			"sprawl: batch 8 queued: schedule nightly: acme", "sprawl: batch 8 queued: schedule nightly: acme"},
		{"item failed", Event{Batch: 7, Item: "acme/api", State: StateFailed, Attempt: 5, Message: "clone: exit status 128"},
			"sprawl: batch 7: acme/api failed: clone: exit status 128", "sprawl: batch 7: acme/api failed: clone: exit status 128"},
		{"item waits", Event{Batch: 7, Item: "acme/api", State: StatePending, Attempt: 2, Message: "rate limited for 1m0s"},
			"sprawl: batch 7: acme/api (attempt 2): rate limited for 1m0s", "sprawl: batch 7: acme/api (attempt 2): rate limited for 1m0s"},
		{"item queued again, silently", Event{Batch: 7, Item: "acme/api", State: StatePending, Attempt: 2},
			"", "sprawl: batch 7: acme/api pending (attempt 2)"},
		{"item running", Event{Batch: 7, Item: "acme/api", State: StateRunning, Attempt: 1},
			"", "sprawl: batch 7: acme/api running (attempt 1)"},
		{"item done", Event{Batch: 7, Item: "acme/web", State: StateDone, Attempt: 1},
			"", "sprawl: batch 7: acme/web done (attempt 1)"},
		// Names and messages are an attacker's to write: escaped in
		// every line that shows them.
		{"hostile failure", Event{Batch: 1, Item: "x\x1b[2K\ry", State: StateFailed, Attempt: 1, Message: "a\nsprawl: batch 1 finished: 0 findings"},
			`sprawl: batch 1: x\x1b[2K\ry failed: a\nsprawl: batch 1 finished: 0 findings`,
			`sprawl: batch 1: x\x1b[2K\ry failed: a\nsprawl: batch 1 finished: 0 findings`},
		{"hostile summary", Event{Batch: 1, State: "finished", Message: "ok\u202e"},
			`sprawl: batch 1 finished: ok\u202e`, `sprawl: batch 1 finished: ok\u202e`},
		{"hostile wait", Event{Batch: 1, Item: "\x07", State: StatePending, Attempt: 3, Message: "\x1b]0;title\x07"},
			`sprawl: batch 1: \x07 (attempt 3): \x1b]0;title\x07`, `sprawl: batch 1: \x07 (attempt 3): \x1b]0;title\x07`},
		{"hostile verbose", Event{Batch: 1, Item: "a\nb", State: StateRunning, Attempt: 1},
			"", `sprawl: batch 1: a\nb running (attempt 1)`},
	} {
		if got := c.e.Line(false); got != c.plain {
			t.Errorf("%s: Line(false) = %q, want %q", c.name, got, c.plain)
		}
		if got := c.e.Line(true); got != c.verbose {
			t.Errorf("%s: Line(true) = %q, want %q", c.name, got, c.verbose)
		}
	}
}
