package inventory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// The data of the entries whose state Verify replays. Fields added after
// version 1 are omitted when empty, and entries written before them are
// judged on the fields they have.

// statusAudit is a "status" entry: one status change of one secret. The
// actor is the entry's.
type statusAudit struct {
	Fingerprint string `json:"fingerprint"`
	From        string `json:"from"`
	To          string `json:"to"`
	Reason      string `json:"reason"`
	// AtNS is the status time (Unix nanoseconds) the row holds; 0 in
	// entries written before the chain covered it.
	AtNS int64 `json:"at_ns,omitempty"`
}

// ingestAudit is an "ingest" entry: the scan record as the scans table
// holds it.
type ingestAudit struct {
	Source     string `json:"source"`
	Repository string `json:"repository"`
	Complete   bool   `json:"complete"`
	HeadCommit string `json:"head_commit,omitempty"`
	// Branch, StartedNS and FinishedNS complete the record; FinishedNS is 0
	// in entries written before the chain covered them.
	Branch     string `json:"branch,omitempty"`
	StartedNS  int64  `json:"started_ns,omitempty"`
	FinishedNS int64  `json:"finished_ns,omitempty"`
	IngestSummary
}

// AuditedState is what the tables hold of the state the audit chain
// vouches for, read in one snapshot (Store.AuditedState).
type AuditedState struct {
	// HeadSeq is the chain head's sequence number in the same snapshot:
	// entries after it are not reflected in these rows.
	HeadSeq int64
	Secrets []SecretState
	// History is every secret's status changes in order, by fingerprint.
	History map[string][]StatusEvent
	Scans   []ScanRecord
}

// SecretState is a secret's row as far as the chain covers it.
type SecretState struct {
	Fingerprint string
	Status      Status
	Reason      string
	Actor       string
	At          time.Time
	FirstScanID int64
}

type secretReplay struct {
	status        Status
	reason, actor string
	at            int64
	atKnown       bool
	history       []StatusEvent
	// knownAt marks, per history event, whether its time is recorded.
	knownAt []bool
	seq     int64
}

type scanReplay struct {
	a   ingestAudit
	seq int64
}

// replay is the state the chain describes, built entry by entry.
type replay struct {
	secrets  map[string]*secretReplay
	scans    map[int64]scanReplay
	problems []Mismatch
}

func newReplay() *replay {
	return &replay{secrets: map[string]*secretReplay{}, scans: map[int64]scanReplay{}}
}

func (r *replay) apply(e AuditEntry) {
	seq := strconv.FormatInt(e.Seq, 10)
	switch e.Action {
	case ActionIngest:
		var a ingestAudit
		if err := json.Unmarshal([]byte(e.Data), &a); err != nil || a.ScanID <= 0 {
			r.problems = append(r.problems, Mismatch{"audit_log", seq, "ingest entry without a readable scan record"})
			return
		}
		if prev, dup := r.scans[a.ScanID]; dup {
			r.problems = append(r.problems, Mismatch{"audit_log", seq, fmt.Sprintf("records scan %d again (first in entry %d)", a.ScanID, prev.seq)})
			return
		}
		r.scans[a.ScanID] = scanReplay{a, e.Seq}
	case ActionStatus:
		var a statusAudit
		if err := json.Unmarshal([]byte(e.Data), &a); err != nil || a.Fingerprint == "" {
			r.problems = append(r.problems, Mismatch{"audit_log", seq, "status entry without a readable status change"})
			return
		}
		sr := r.secrets[a.Fingerprint]
		if sr == nil {
			sr = &secretReplay{status: StatusOpen}
			r.secrets[a.Fingerprint] = sr
		}
		sr.status, sr.reason, sr.actor, sr.at, sr.atKnown, sr.seq = Status(a.To), a.Reason, e.Actor, a.AtNS, a.AtNS != 0, e.Seq
		var at time.Time
		if a.AtNS != 0 {
			at = time.Unix(0, a.AtNS).UTC()
		}
		sr.history = append(sr.history, StatusEvent{From: Status(a.From), To: Status(a.To), Reason: a.Reason, Actor: e.Actor, At: at})
		sr.knownAt = append(sr.knownAt, a.AtNS != 0)
	}
}

func nsOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fmtNS(n int64) string {
	if n == 0 {
		return "none"
	}
	return time.Unix(0, n).UTC().Format(time.RFC3339Nano)
}

// compare lists the rows of st that disagree with the replayed chain.
func (r *replay) compare(st AuditedState) []Mismatch {
	out := append([]Mismatch(nil), r.problems...)
	rows := map[string]bool{}
	for _, row := range st.Secrets {
		rows[row.Fingerprint] = true
		bad := func(format string, args ...any) {
			out = append(out, Mismatch{"secrets", row.Fingerprint, fmt.Sprintf(format, args...)})
		}
		sr := r.secrets[row.Fingerprint]
		if sr == nil {
			if row.Status != StatusOpen || row.Reason != "" || row.Actor != "" || !row.At.IsZero() {
				bad("status %q (reason %q, actor %q) but the audit log records no status change: it says %q", row.Status, row.Reason, row.Actor, StatusOpen)
			}
		} else {
			if row.Status != sr.status || row.Reason != sr.reason || row.Actor != sr.actor {
				bad("status %q (reason %q, actor %q) but the audit log (entry %d) says %q (reason %q, actor %q)",
					row.Status, row.Reason, row.Actor, sr.seq, sr.status, sr.reason, sr.actor)
			} else if sr.atKnown && nsOf(row.At) != sr.at {
				bad("status time %s but the audit log (entry %d) says %s", fmtNS(nsOf(row.At)), sr.seq, fmtNS(sr.at))
			}
		}
		var want []StatusEvent
		var known []bool
		if sr != nil {
			want, known = sr.history, sr.knownAt
		}
		got := st.History[row.Fingerprint]
		if len(got) != len(want) {
			bad("status history has %d changes, the audit log %d", len(got), len(want))
		} else {
			for i := range got {
				g, w := got[i], want[i]
				if !known[i] {
					g.At = time.Time{}
				}
				if g.From != w.From || g.To != w.To || g.Reason != w.Reason || g.Actor != w.Actor || !g.At.Equal(w.At) {
					bad("status history change %d (%s → %s by %q) differs from the audit log (%s → %s by %q)", i+1, g.From, g.To, g.Actor, w.From, w.To, w.Actor)
					break
				}
			}
		}
		if _, ok := r.scans[row.FirstScanID]; !ok {
			bad("first found by scan %d, which no audit entry records", row.FirstScanID)
		}
	}
	var missing []string
	for fp := range r.secrets {
		if !rows[fp] {
			missing = append(missing, fp)
		}
	}
	sort.Strings(missing)
	for _, fp := range missing {
		out = append(out, Mismatch{"secrets", fp, fmt.Sprintf("missing (deleted): the audit log records its status changes (entry %d)", r.secrets[fp].seq)})
	}

	scans := map[int64]bool{}
	for _, row := range st.Scans {
		scans[row.ID] = true
		id := strconv.FormatInt(row.ID, 10)
		sr, ok := r.scans[row.ID]
		if !ok {
			out = append(out, Mismatch{"scans", id, "no audit entry records this scan (inserted, or its entry removed)"})
			continue
		}
		a := sr.a
		type field struct {
			name      string
			got, want any
		}
		fields := []field{
			{"source", row.Source, a.Source}, {"repository", row.Repository, a.Repository},
			{"complete", row.Complete, a.Complete}, {"head_commit", row.HeadCommit, a.HeadCommit},
			{"findings", row.Findings, a.Findings}, {"secrets", row.Secrets, a.Secrets},
			{"new_secrets", row.NewSecrets, a.NewSecrets}, {"locations", row.Locations, a.Locations},
			{"new_locations", row.NewLocations, a.NewLocations}, {"gone", row.Gone, a.Gone},
			{"regressions", row.Regressions, len(a.Regressions)},
		}
		if a.FinishedNS != 0 {
			fields = append(fields, field{"branch", row.Branch, a.Branch},
				field{"started_at", fmtNS(nsOf(row.Started)), fmtNS(a.StartedNS)},
				field{"finished_at", fmtNS(nsOf(row.Finished)), fmtNS(a.FinishedNS)})
		}
		for _, f := range fields {
			if f.got != f.want {
				out = append(out, Mismatch{"scans", id, fmt.Sprintf("%s is %v but the audit log (entry %d) says %v", f.name, f.got, sr.seq, f.want)})
			}
		}
	}
	var gone []int64
	for id := range r.scans {
		if !scans[id] {
			gone = append(gone, id)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	for _, id := range gone {
		out = append(out, Mismatch{"scans", strconv.FormatInt(id, 10), fmt.Sprintf("missing (deleted): recorded by audit entry %d", r.scans[id].seq)})
	}
	return out
}
