package inventory

import (
	"crypto/sha256"
	"encoding/hex"
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
	// NewSecretsDigest and NewLocationsDigest are digests of the secrets
	// and locations this scan found first (secretsDigest,
	// locationsDigest): rows with that first scan must still add up to
	// them.
	NewSecretsDigest   string `json:"new_secrets_digest,omitempty"`
	NewLocationsDigest string `json:"new_locations_digest,omitempty"`
	IngestSummary
}

// locationIdent is a location's identity.
type locationIdent struct{ fp, source, repository, path string }

// secretsDigest is SHA-256 over the sorted fingerprints, hex.
func secretsDigest(fps []string) string {
	s := append([]string(nil), fps...)
	sort.Strings(s)
	h := sha256.New()
	for _, fp := range s {
		h.Write([]byte(fp + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// locationsDigest is SHA-256 over the sorted location identities
// (fingerprint, source, repository, path; NUL-separated), hex.
func locationsDigest(ls []locationIdent) string {
	lines := make([]string, len(ls))
	for i, l := range ls {
		lines[i] = l.fp + "\x00" + l.source + "\x00" + l.repository + "\x00" + l.path + "\n"
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil))
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
	// Locations are every location's identity and scan references.
	Locations []LocationState
	// Verifications are every secret's verification rows in insertion
	// order, by fingerprint, with the scan each names.
	Verifications     map[string][]verificationAudit
	VerificationScans map[string][]int64
}

// LocationState is a location's row as far as the chain covers it: which
// scan found it first and last, and when it was marked gone.
type LocationState struct {
	Fingerprint, Source, Repository, Path string
	FirstScanID, LastScanID               int64
	GoneAt                                time.Time
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
	// verifications are the "verify" entries' rows by fingerprint, with
	// the scan and entry that recorded each.
	verifications map[string][]verificationReplay
}

type verificationReplay struct {
	a         verificationAudit
	scan, seq int64
}

func newReplay() *replay {
	return &replay{secrets: map[string]*secretReplay{}, scans: map[int64]scanReplay{}, verifications: map[string][]verificationReplay{}}
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
	case ActionVerify:
		var a verifyAudit
		if err := json.Unmarshal([]byte(e.Data), &a); err != nil || a.ScanID <= 0 {
			r.problems = append(r.problems, Mismatch{"audit_log", seq, "verify entry without readable verifications"})
			return
		}
		for _, v := range a.Verifications {
			r.verifications[v.Fingerprint] = append(r.verifications[v.Fingerprint], verificationReplay{v, a.ScanID, e.Seq})
		}
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
	out = append(out, r.compareVerifications(st)...)
	out = append(out, r.compareAdded(st)...)
	out = append(out, r.compareLocations(st)...)

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

// compareAdded checks, for every scan whose entry records digests, that the
// secrets and locations whose first scan it was add up to them: a row
// inserted, deleted or re-attributed behind the store's back changes them.
func (r *replay) compareAdded(st AuditedState) []Mismatch {
	secrets := map[int64][]string{}
	for _, row := range st.Secrets {
		secrets[row.FirstScanID] = append(secrets[row.FirstScanID], row.Fingerprint)
	}
	locations := map[int64][]locationIdent{}
	for _, l := range st.Locations {
		locations[l.FirstScanID] = append(locations[l.FirstScanID], locationIdent{l.Fingerprint, l.Source, l.Repository, l.Path})
	}
	var ids []int64
	for id := range r.scans {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []Mismatch
	for _, id := range ids {
		a, seq := r.scans[id].a, r.scans[id].seq
		row := strconv.FormatInt(id, 10)
		if a.NewSecretsDigest != "" && secretsDigest(secrets[id]) != a.NewSecretsDigest {
			out = append(out, Mismatch{"secrets", "first found by scan " + row,
				fmt.Sprintf("%d rows, which differ from the %d the audit log (entry %d) records (a row inserted, deleted or changed)", len(secrets[id]), a.NewSecrets, seq)})
		}
		if a.NewLocationsDigest != "" && locationsDigest(locations[id]) != a.NewLocationsDigest {
			out = append(out, Mismatch{"locations", "first found by scan " + row,
				fmt.Sprintf("%d rows, which differ from the %d the audit log (entry %d) records (a row inserted, deleted or moved)", len(locations[id]), a.NewLocations, seq)})
		}
	}
	return out
}

// compareLocations checks each location's scan references and gone mark
// against the chain's scans: a location last seen by scan L is gone
// exactly when a later complete scan of its source and repository exists,
// and then since the first such scan finished.
func (r *replay) compareLocations(st AuditedState) []Mismatch {
	type repoKey struct{ source, repository string }
	complete := map[repoKey][]int64{} // complete scans by id, ascending
	for id, sc := range r.scans {
		if sc.a.Complete {
			k := repoKey{sc.a.Source, sc.a.Repository}
			complete[k] = append(complete[k], id)
		}
	}
	for _, ids := range complete {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	var out []Mismatch
	for _, l := range st.Locations {
		name := l.Fingerprint + " " + l.Source + " " + l.Repository + ":" + l.Path
		bad := func(format string, args ...any) {
			out = append(out, Mismatch{"locations", name, fmt.Sprintf(format, args...)})
		}
		if _, ok := r.scans[l.LastScanID]; !ok {
			bad("last found by scan %d, which no audit entry records", l.LastScanID)
			continue
		}
		if _, ok := r.scans[l.FirstScanID]; !ok {
			bad("first found by scan %d, which no audit entry records", l.FirstScanID)
			continue
		}
		ids := complete[repoKey{l.Source, l.Repository}]
		i := sort.Search(len(ids), func(i int) bool { return ids[i] > l.LastScanID })
		switch {
		case i == len(ids) && !l.GoneAt.IsZero():
			bad("marked gone at %s, but no complete scan of its repository since scan %d, which found it", fmtNS(nsOf(l.GoneAt)), l.LastScanID)
		case i < len(ids) && l.GoneAt.IsZero():
			bad("present, but complete scan %d of its repository did not find it (after scan %d, which did)", ids[i], l.LastScanID)
		case i < len(ids):
			if fin := r.scans[ids[i]].a.FinishedNS; fin != 0 && nsOf(l.GoneAt) != fin {
				bad("marked gone at %s, but scan %d, which stopped finding it, finished at %s", fmtNS(nsOf(l.GoneAt)), ids[i], fmtNS(fin))
			}
		}
	}
	return out
}

// compareVerifications checks every secret's verification rows against the
// "verify" entries: same count, and each row as its entry recorded it.
func (r *replay) compareVerifications(st AuditedState) []Mismatch {
	var out []Mismatch
	fps := map[string]bool{}
	for fp := range st.Verifications {
		fps[fp] = true
	}
	for fp := range r.verifications {
		fps[fp] = true
	}
	keys := make([]string, 0, len(fps))
	for fp := range fps {
		keys = append(keys, fp)
	}
	sort.Strings(keys)
	for _, fp := range keys {
		got, want := st.Verifications[fp], r.verifications[fp]
		if len(got) != len(want) {
			out = append(out, Mismatch{"verifications", fp, fmt.Sprintf("%d verifications but the audit log records %d", len(got), len(want))})
			continue
		}
		for i, g := range got {
			w := want[i]
			if g != w.a || st.VerificationScans[fp][i] != w.scan {
				out = append(out, Mismatch{"verifications", fp, fmt.Sprintf("verification %d (%s at %s) differs from the audit log (entry %d: %s at %s)",
					i+1, g.Status, fmtNS(g.CheckedAtNS), w.seq, w.a.Status, fmtNS(w.a.CheckedAtNS))})
				break
			}
		}
	}
	return out
}
