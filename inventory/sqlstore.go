package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
)

// dialect holds what differs between SQLite and PostgreSQL; the queries
// themselves are shared.
type dialect struct {
	name string
	// idColumn declares an auto-increment primary key.
	idColumn string
	// dollar: placeholders are $1, $2, … instead of ?.
	dollar bool
	// lockHead reads the chain head and holds the write lock on it until
	// the transaction ends.
	lockHead string
	// lockMigrations serialises concurrent migrators.
	lockMigrations func(ctx context.Context, tx *sql.Tx) error
}

// rebind turns ? placeholders into $n for PostgreSQL. The shared queries
// contain no ? inside string literals.
func (d *dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// sqlStore implements Store over database/sql for both dialects.
type sqlStore struct {
	// db serves mutations, rdb reads; today they are one pool. SQLite
	// read-write transactions begin IMMEDIATE (the write lock up front, so
	// two writers never deadlock upgrading); read transactions are opened
	// ReadOnly, which the driver begins DEFERRED, so they never wait for it.
	db, rdb *sql.DB
	d       *dialect
	now     func() time.Time
	// path is the SQLite file ("" for PostgreSQL).
	path string
}

// Batch sizes for multi-row statements: well under SQLite's 32,766 and
// PostgreSQL's 65,535 bound parameters.
const (
	secretBatch   = 500
	locationBatch = 300
	lookupBatch   = 500
)

// ingestHook, when set (by tests), is called between statements of an
// ingest transaction.
var ingestHook func(stage string)

func (s *sqlStore) Close() error {
	err := s.db.Close()
	if s.rdb != s.db {
		if rerr := s.rdb.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// chain is the audit head read at the start of a mutation.
type chain struct {
	seq  int64
	hash string
}

// mutate runs fn in a transaction holding the audit chain's write lock.
func (s *sqlStore) mutate(ctx context.Context, fn func(tx *sql.Tx, c *chain) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var c chain
		if err := tx.QueryRowContext(ctx, s.d.lockHead).Scan(&c.seq, &c.hash); err != nil {
			return fmt.Errorf("lock audit head: %w", err)
		}
		return fn(tx, &c)
	})
}

// appendAudit adds the next entry to the chain within a mutation.
func (s *sqlStore) appendAudit(ctx context.Context, tx *sql.Tx, c *chain, actor, action string, data any) error {
	e, err := nextEntry(c.seq, c.hash, s.now(), actor, action, data)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO audit_log (seq, at, actor, action, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), e.Seq, e.Hash); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	c.seq, c.hash = e.Seq, e.Hash
	return nil
}

// nanos stores a time as Unix nanoseconds; the zero time as NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rows returns "(?, …), (?, …)" for n rows of cols columns.
func valuesList(n, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (s *sqlStore) Ingest(ctx context.Context, b *Batch) (IngestSummary, error) {
	var sum IngestSummary
	if b == nil || b.Scan.Source == "" || b.KeyCheck == "" {
		return sum, fmt.Errorf("%w: batch needs a scan source and a key check", ErrInvalid)
	}
	known := make(map[string]bool, len(b.Secrets))
	for _, sec := range b.Secrets {
		known[sec.Fingerprint] = true
	}
	for _, l := range b.Locations {
		if !known[l.Fingerprint] {
			return sum, fmt.Errorf("%w: location %s names a secret not in the batch", ErrInvalid, l.Path)
		}
	}
	seen := b.Scan.Finished.UnixNano()
	err := s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		sum = IngestSummary{Findings: b.Scan.Findings, Secrets: len(b.Secrets), Locations: len(b.Locations)}
		var kc string
		switch err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&kc); {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO meta (key, value) VALUES ('key_check', ?)`), b.KeyCheck); err != nil {
				return err
			}
		case err != nil:
			return err
		case kc != b.KeyCheck:
			return ErrKeyMismatch
		}

		sc := b.Scan
		if err := tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO scans (source, repository, branch, head_commit, started_at, finished_at, complete, findings)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			sc.Source, sc.Repository, sc.Branch, sc.HeadCommit, sc.Started.UnixNano(), seen, boolInt(sc.Complete), sc.Findings).Scan(&sum.ScanID); err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		scanID := sum.ScanID

		// Full batches share one statement text: prepare it once.
		stmts := map[string]*sql.Stmt{}
		defer func() {
			for _, st := range stmts {
				st.Close()
			}
		}()
		query := func(q string, args ...any) (*sql.Rows, error) {
			st, ok := stmts[q]
			if !ok {
				var err error
				if st, err = tx.PrepareContext(ctx, s.d.rebind(q)); err != nil {
					return nil, err
				}
				stmts[q] = st
			}
			return st.QueryContext(ctx, args...)
		}

		ids := make(map[string]int64, len(b.Secrets))
		// What this scan added, for the audit entry's digests.
		var newSecrets []string
		var newLocations []locationIdent
		for start := 0; start < len(b.Secrets); start += secretBatch {
			part := b.Secrets[start:min(start+secretBatch, len(b.Secrets))]
			args := make([]any, 0, len(part)*10)
			for _, r := range part {
				args = append(args, r.Fingerprint, r.Preview, r.RuleID, r.RuleName, int64(r.Severity), string(r.Class), seen, seen, scanID, nanos(r.Expires))
			}
			q := `INSERT INTO secrets (fingerprint, preview, rule_id, rule_name, severity, class, first_seen, last_seen, first_scan_id, expires_at)
				VALUES ` + valuesList(len(part), 10) + `
				ON CONFLICT (fingerprint) DO UPDATE SET
					last_seen = CASE WHEN excluded.last_seen > secrets.last_seen THEN excluded.last_seen ELSE secrets.last_seen END,
					rule_id   = CASE WHEN excluded.severity > secrets.severity THEN excluded.rule_id ELSE secrets.rule_id END,
					rule_name = CASE WHEN excluded.severity > secrets.severity THEN excluded.rule_name ELSE secrets.rule_name END,
					class     = CASE WHEN excluded.severity > secrets.severity OR excluded.rule_id = secrets.rule_id THEN excluded.class ELSE secrets.class END,
					severity  = CASE WHEN excluded.severity > secrets.severity THEN excluded.severity ELSE secrets.severity END,
					expires_at = COALESCE(excluded.expires_at, secrets.expires_at)
				RETURNING id, fingerprint, first_scan_id`
			rows, err := query(q, args...)
			if err != nil {
				return fmt.Errorf("upsert secrets: %w", err)
			}
			for rows.Next() {
				var id, first int64
				var fp string
				if err := rows.Scan(&id, &fp, &first); err != nil {
					rows.Close()
					return err
				}
				ids[fp] = id
				if first == scanID {
					sum.NewSecrets++
					newSecrets = append(newSecrets, fp)
				}
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("upsert secrets: %w", err)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("upsert secrets: %w", err)
			}
		}
		if ingestHook != nil {
			ingestHook("secrets")
		}

		fps := make(map[int64]string, len(ids))
		for fp, id := range ids {
			fps[id] = fp
		}
		for start := 0; start < len(b.Locations); start += locationBatch {
			part := b.Locations[start:min(start+locationBatch, len(b.Locations))]
			args := make([]any, 0, len(part)*15)
			for _, l := range part {
				var tip any
				if l.AtTip != nil {
					tip = boolInt(*l.AtTip)
				}
				args = append(args, ids[l.Fingerprint], l.Source, l.Repository, l.Path, l.Line, l.Commit, l.Author, nanos(l.Date),
					l.Branch, tip, seen, seen, scanID, scanID, nullString(l.Suppressed))
			}
			const earlier = `excluded.committed_at IS NOT NULL AND (locations.committed_at IS NULL OR excluded.committed_at < locations.committed_at)`
			q := `INSERT INTO locations (secret_id, source, repository, path, line, commit_id, author, committed_at, branch, at_tip, first_seen, last_seen, first_scan_id, last_scan_id, suppressed)
				VALUES ` + valuesList(len(part), 15) + `
				ON CONFLICT (source, repository, path, secret_id) DO UPDATE SET
					line = excluded.line,
					branch = CASE WHEN excluded.branch <> '' THEN excluded.branch ELSE locations.branch END,
					at_tip = COALESCE(excluded.at_tip, locations.at_tip),
					last_seen = CASE WHEN excluded.last_seen > locations.last_seen THEN excluded.last_seen ELSE locations.last_seen END,
					last_scan_id = excluded.last_scan_id,
					returned_scan_id = CASE WHEN locations.gone_at IS NOT NULL THEN excluded.last_scan_id ELSE locations.returned_scan_id END,
					gone_at = NULL,
					suppressed = excluded.suppressed,
					commit_id = CASE WHEN ` + earlier + ` THEN excluded.commit_id ELSE locations.commit_id END,
					author = CASE WHEN ` + earlier + ` THEN excluded.author ELSE locations.author END,
					committed_at = CASE WHEN ` + earlier + ` THEN excluded.committed_at ELSE locations.committed_at END
				RETURNING secret_id, source, repository, path, first_scan_id`
			rows, err := query(q, args...)
			if err != nil {
				return fmt.Errorf("upsert locations: %w", err)
			}
			for rows.Next() {
				var sid, first int64
				var l locationIdent
				if err := rows.Scan(&sid, &l.source, &l.repository, &l.path, &first); err != nil {
					rows.Close()
					return err
				}
				if first == scanID {
					sum.NewLocations++
					l.fp = fps[sid]
					newLocations = append(newLocations, l)
				}
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("upsert locations: %w", err)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("upsert locations: %w", err)
			}
			if ingestHook != nil {
				ingestHook("locations")
			}
		}

		if sc.Complete {
			res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE locations SET gone_at = ?
				WHERE source = ? AND repository = ? AND last_scan_id <> ? AND gone_at IS NULL`),
				seen, sc.Source, sc.Repository, scanID)
			if err != nil {
				return fmt.Errorf("mark gone locations: %w", err)
			}
			n, _ := res.RowsAffected()
			sum.Gone = int(n)
		}

		// A dead credential at a new place, or back at an old one, leaked
		// again after it was dealt with.
		rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT s.fingerprint FROM locations l JOIN secrets s ON s.id = l.secret_id
			WHERE l.last_scan_id = ? AND (l.first_scan_id = ? OR l.returned_scan_id = ?) AND s.status IN ('rotated', 'revoked')
			ORDER BY s.fingerprint`), scanID, scanID, scanID)
		if err != nil {
			return fmt.Errorf("find regressions: %w", err)
		}
		for rows.Next() {
			var fp string
			if err := rows.Scan(&fp); err != nil {
				rows.Close()
				return err
			}
			sum.Regressions = append(sum.Regressions, fp)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for start := 0; start < len(sum.Regressions); start += lookupBatch {
			part := sum.Regressions[start:min(start+lookupBatch, len(sum.Regressions))]
			args := []any{seen}
			for _, fp := range part {
				args = append(args, fp)
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE secrets SET regressed_at = ? WHERE fingerprint IN (`+inList(len(part))+`)`), args...); err != nil {
				return fmt.Errorf("flag regressions: %w", err)
			}
		}

		if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE scans SET secrets = ?, new_secrets = ?, locations = ?, new_locations = ?, gone = ?, regressions = ? WHERE id = ?`),
			sum.Secrets, sum.NewSecrets, sum.Locations, sum.NewLocations, sum.Gone, len(sum.Regressions), scanID); err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO repositories (source, repository, last_commit, last_scan_id, last_scan_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (source, repository) DO UPDATE SET
				last_commit = CASE WHEN excluded.last_commit <> '' THEN excluded.last_commit ELSE repositories.last_commit END,
				last_scan_id = excluded.last_scan_id, last_scan_at = excluded.last_scan_at`),
			sc.Source, sc.Repository, sc.HeadCommit, scanID, seen); err != nil {
			return fmt.Errorf("record repository: %w", err)
		}
		if ingestHook != nil {
			ingestHook("audit")
		}
		// The entry holds the scan record as the scans table does, so
		// Verify can tell an edited or deleted scan row.
		if err := s.appendAudit(ctx, tx, c, b.Actor, ActionIngest, ingestAudit{
			Source: sc.Source, Repository: sc.Repository, Complete: sc.Complete, HeadCommit: sc.HeadCommit,
			Branch: sc.Branch, StartedNS: sc.Started.UnixNano(), FinishedNS: seen,
			NewSecretsDigest: secretsDigest(newSecrets), NewLocationsDigest: locationsDigest(newLocations), IngestSummary: sum,
		}); err != nil {
			return err
		}
		return s.recordVerifications(ctx, tx, c, b, scanID)
	})
	if err != nil {
		return IngestSummary{}, fmt.Errorf("ingest: %w", err)
	}
	return sum, nil
}

// recordVerifications stores the batch's verifications and appends their
// "verify" entry, which holds them as the table does.
func (s *sqlStore) recordVerifications(ctx context.Context, tx *sql.Tx, c *chain, b *Batch, scanID int64) error {
	if len(b.Verifications) == 0 {
		return nil
	}
	a := verifyAudit{ScanID: scanID}
	for _, v := range b.Verifications {
		if v.Status == "" || v.CheckedAt.IsZero() {
			return fmt.Errorf("%w: verification of %s has no status or time", ErrInvalid, v.Fingerprint)
		}
		id := identityJSON(v.Identity)
		res, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO verifications (secret_id, scan_id, rule_id, status, checked_at, identity, reason)
			SELECT id, ?, ?, ?, ?, ?, ? FROM secrets WHERE fingerprint = ?`),
			scanID, v.RuleID, v.Status, v.CheckedAt.UnixNano(), id, v.Reason, v.Fingerprint)
		if err != nil {
			return fmt.Errorf("record verification: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n != 1 {
			return fmt.Errorf("%w: verification names a secret not in the batch", ErrInvalid)
		}
		a.Verifications = append(a.Verifications, verificationAudit{Fingerprint: v.Fingerprint, RuleID: v.RuleID, Status: v.Status,
			CheckedAtNS: v.CheckedAt.UnixNano(), Identity: id, Reason: v.Reason})
	}
	return s.appendAudit(ctx, tx, c, b.Actor, ActionVerify, a)
}

const secretColumns = `id, fingerprint, preview, rule_id, rule_name, severity, class, status, status_reason, status_actor, status_at, first_seen, last_seen, regressed_at, expires_at`

func scanSecret(sc interface{ Scan(...any) error }) (int64, Secret, error) {
	var (
		id                               int64
		s                                Secret
		sev                              int64
		class, status                    string
		statusAt, first, last, regressed sql.NullInt64
		expires                          sql.NullInt64
	)
	if err := sc.Scan(&id, &s.Fingerprint, &s.Preview, &s.RuleID, &s.RuleName, &sev, &class, &status, &s.StatusReason, &s.StatusActor, &statusAt, &first, &last, &regressed, &expires); err != nil {
		return 0, s, err
	}
	s.Severity, s.Class, s.Status, s.StatusAt = detectors.Severity(sev), Class(class), Status(status), fromNanos(statusAt)
	s.FirstSeen, s.LastSeen, s.RegressedAt = fromNanos(first), fromNanos(last), fromNanos(regressed)
	s.Expires = fromNanos(expires)
	s.Locations = []Location{}
	return id, s, nil
}

var hexPrefix = lazyRegexp(`^[0-9a-f]*$`)

// where builds the WHERE clause for q over the secrets table.
func (q Query) where() (string, []any, error) {
	var conds []string
	var args []any
	if q.Fingerprint != "" {
		p := strings.ToLower(q.Fingerprint)
		if !hexPrefix().MatchString(p) {
			return "", nil, fmt.Errorf("%w: fingerprint %q is not hexadecimal", ErrInvalid, q.Fingerprint)
		}
		conds = append(conds, "fingerprint LIKE ?")
		args = append(args, p+"%")
	}
	if len(q.Statuses) > 0 {
		conds = append(conds, "status IN ("+inList(len(q.Statuses))+")")
		for _, st := range q.Statuses {
			args = append(args, string(st))
		}
	}
	if q.MinSeverity > detectors.SeverityUnknown {
		conds = append(conds, "severity >= ?")
		args = append(args, int64(q.MinSeverity))
	}
	if len(q.RuleIDs) > 0 {
		conds = append(conds, "rule_id IN ("+inList(len(q.RuleIDs))+")")
		for _, r := range q.RuleIDs {
			args = append(args, r)
		}
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

func (s *sqlStore) Secrets(ctx context.Context, q Query) ([]Secret, error) {
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	// One snapshot for secrets and locations: a read transaction.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	defer tx.Rollback()
	out, err := s.secretsTx(ctx, tx, where, args)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return out, nil
}

func (s *sqlStore) secretsTx(ctx context.Context, tx *sql.Tx, where string, args []any) ([]Secret, error) {
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT `+secretColumns+` FROM secrets`+where+` ORDER BY fingerprint`), args...)
	if err != nil {
		return nil, err
	}
	var out []Secret
	index := map[int64]int{}
	for rows.Next() {
		id, sec, err := scanSecret(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[id] = len(out)
		out = append(out, sec)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	lq := `SELECT secret_id, source, repository, path, line, commit_id, author, committed_at, branch, at_tip, first_seen, last_seen, gone_at, suppressed FROM locations`
	if where != "" {
		lq += ` WHERE secret_id IN (SELECT id FROM secrets` + where + `)`
	}
	lq += ` ORDER BY secret_id, repository, path, source`
	lrows, err := tx.QueryContext(ctx, s.d.rebind(lq), args...)
	if err != nil {
		return nil, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var (
			sid                          int64
			l                            Location
			date, first, last, gone, tip sql.NullInt64
			suppressed                   sql.NullString
		)
		if err := lrows.Scan(&sid, &l.Source, &l.Repository, &l.Path, &l.Line, &l.Commit, &l.Author, &date, &l.Branch, &tip, &first, &last, &gone, &suppressed); err != nil {
			return nil, err
		}
		l.Suppressed = suppressed.String
		l.Date, l.FirstSeen, l.LastSeen, l.GoneAt = fromNanos(date), fromNanos(first), fromNanos(last), fromNanos(gone)
		if tip.Valid {
			v := tip.Int64 != 0
			l.AtTip = &v
		}
		if i, ok := index[sid]; ok {
			out[i].Locations = append(out[i].Locations, l)
		}
	}
	if err := lrows.Err(); err != nil {
		return nil, err
	}
	vq := `SELECT secret_id, scan_id, rule_id, status, checked_at, identity, reason FROM verifications`
	if where != "" {
		vq += ` WHERE secret_id IN (SELECT id FROM secrets` + where + `)`
	}
	vq += ` ORDER BY secret_id, checked_at, id`
	vrows, err := tx.QueryContext(ctx, s.d.rebind(vq), args...)
	if err != nil {
		return nil, err
	}
	defer vrows.Close()
	for vrows.Next() {
		var (
			sid, at  int64
			v        Verification
			identity string
		)
		if err := vrows.Scan(&sid, &v.ScanID, &v.RuleID, &v.Status, &at, &identity, &v.Reason); err != nil {
			return nil, err
		}
		v.CheckedAt, v.Identity = time.Unix(0, at).UTC(), parseIdentity(identity)
		if i, ok := index[sid]; ok {
			out[i].Verifications = append(out[i].Verifications, v)
		}
	}
	return out, vrows.Err()
}

// MinPrefix is the shortest fingerprint prefix Secret accepts.
const MinPrefix = 4

func (s *sqlStore) Secret(ctx context.Context, prefix string) (Secret, error) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if len(p) < MinPrefix || !hexPrefix().MatchString(p) {
		return Secret{}, fmt.Errorf("%w: fingerprint %q: want at least %d hex digits", ErrInvalid, prefix, MinPrefix)
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Secret{}, fmt.Errorf("read inventory: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT id FROM secrets WHERE fingerprint LIKE ? ORDER BY fingerprint LIMIT 2`), p+"%")
	if err != nil {
		return Secret{}, fmt.Errorf("read inventory: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Secret{}, err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return Secret{}, fmt.Errorf("read inventory: %w", err)
	}
	switch len(ids) {
	case 0:
		return Secret{}, fmt.Errorf("%w: %s", ErrNotFound, p)
	case 2:
		return Secret{}, fmt.Errorf("%w: %s", ErrAmbiguous, p)
	}
	list, err := s.secretsTx(ctx, tx, ` WHERE id = ?`, []any{ids[0]})
	if err != nil {
		return Secret{}, fmt.Errorf("read inventory: %w", err)
	}
	if len(list) != 1 {
		return Secret{}, fmt.Errorf("%w: %s", ErrNotFound, p)
	}
	sec := list[0]
	hrows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT from_status, to_status, reason, actor, at FROM status_history WHERE secret_id = ? ORDER BY id`), ids[0])
	if err != nil {
		return Secret{}, fmt.Errorf("read inventory: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var ev StatusEvent
		var from, to string
		var at sql.NullInt64
		if err := hrows.Scan(&from, &to, &ev.Reason, &ev.Actor, &at); err != nil {
			return Secret{}, err
		}
		ev.From, ev.To, ev.At = Status(from), Status(to), fromNanos(at)
		sec.History = append(sec.History, ev)
	}
	return sec, hrows.Err()
}

func (s *sqlStore) SetStatus(ctx context.Context, fingerprint string, ch StatusChange) (Status, error) {
	to, err := ParseStatus(string(ch.To))
	if err != nil {
		return "", err
	}
	at := ch.At
	if at.IsZero() {
		at = s.now()
	}
	var from Status
	err = s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		var id int64
		var cur string
		switch err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id, status FROM secrets WHERE fingerprint = ?`), fingerprint).Scan(&id, &cur); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%w: %s", ErrNotFound, fingerprint)
		case err != nil:
			return err
		}
		from = Status(cur)
		if err := CheckTransition(from, to, ch.Reason); err != nil {
			return err
		}
		return s.recordStatus(ctx, tx, c, id, fingerprint, from, to, ch.Reason, ch.Actor, at.UnixNano())
	})
	if err != nil {
		return "", fmt.Errorf("set status: %w", err)
	}
	return from, nil
}

// recordStatus moves secret id (fingerprint fp) from one status to
// another within a mutation: the row, its history and the "status" audit
// entry, which carries everything the row now holds (status, reason,
// actor in the entry, time) so Verify can recompute it.
func (s *sqlStore) recordStatus(ctx context.Context, tx *sql.Tx, c *chain, id int64, fp string, from, to Status, reason, actor string, at int64) error {
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE secrets SET status = ?, status_reason = ?, status_actor = ?, status_at = ? WHERE id = ?`),
		string(to), reason, actor, at, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO status_history (secret_id, from_status, to_status, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)`),
		id, string(from), string(to), reason, actor, at); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, c, actor, ActionStatus, statusAudit{Fingerprint: fp, From: string(from), To: string(to), Reason: reason, AtNS: at})
}

func (s *sqlStore) Suppressed(ctx context.Context, fingerprints []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(fingerprints); start += lookupBatch {
		part := fingerprints[start:min(start+lookupBatch, len(fingerprints))]
		args := []any{string(StatusFalsePositive), string(StatusAcceptedRisk)}
		for _, fp := range part {
			args = append(args, fp)
		}
		rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT fingerprint FROM secrets WHERE status IN (?, ?) AND fingerprint IN (`+inList(len(part))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("read inventory: %w", err)
		}
		for rows.Next() {
			var fp string
			if err := rows.Scan(&fp); err != nil {
				rows.Close()
				return nil, err
			}
			out[fp] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *sqlStore) StatusHistory(ctx context.Context) (map[string][]StatusEvent, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT s.fingerprint, h.from_status, h.to_status, h.reason, h.actor, h.at
		FROM status_history h JOIN secrets s ON s.id = h.secret_id ORDER BY h.secret_id, h.id`)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	defer rows.Close()
	out := map[string][]StatusEvent{}
	for rows.Next() {
		var fp, from, to string
		var ev StatusEvent
		var at sql.NullInt64
		if err := rows.Scan(&fp, &from, &to, &ev.Reason, &ev.Actor, &at); err != nil {
			return nil, fmt.Errorf("read inventory: %w", err)
		}
		ev.From, ev.To, ev.At = Status(from), Status(to), fromNanos(at)
		out[fp] = append(out[fp], ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Scans(ctx context.Context, limit int) ([]ScanRecord, error) {
	q := `SELECT id, source, repository, branch, head_commit, started_at, finished_at, complete, findings, secrets, new_secrets, locations, new_locations, gone, regressions
		FROM scans ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read scans: %w", err)
	}
	defer rows.Close()
	out := []ScanRecord{}
	for rows.Next() {
		var r ScanRecord
		var started, finished sql.NullInt64
		var complete int64
		if err := rows.Scan(&r.ID, &r.Source, &r.Repository, &r.Branch, &r.HeadCommit, &started, &finished, &complete,
			&r.Findings, &r.Secrets, &r.NewSecrets, &r.Locations, &r.NewLocations, &r.Gone, &r.Regressions); err != nil {
			return nil, err
		}
		r.Started, r.Finished, r.Complete = fromNanos(started), fromNanos(finished), complete != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) Repositories(ctx context.Context) ([]RepositoryRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT source, repository, last_commit, last_scan_id, last_scan_at FROM repositories ORDER BY source, repository`)
	if err != nil {
		return nil, fmt.Errorf("read repositories: %w", err)
	}
	defer rows.Close()
	out := []RepositoryRecord{}
	for rows.Next() {
		var r RepositoryRecord
		var at sql.NullInt64
		if err := rows.Scan(&r.Source, &r.Repository, &r.LastCommit, &r.LastScanID, &at); err != nil {
			return nil, err
		}
		r.LastScanAt = fromNanos(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) Policy(ctx context.Context) (Policy, error) {
	var p Policy
	var v string
	switch err := s.rdb.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'policy'`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return p, nil
	case err != nil:
		return p, fmt.Errorf("read policy: %w", err)
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return p, fmt.Errorf("read policy: %w", err)
	}
	return p, nil
}

func (s *sqlStore) SetPolicy(ctx context.Context, p Policy, actor, reason string) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	canon, err := p.canonical()
	if err != nil {
		return false, err
	}
	changed := false
	err = s.mutate(ctx, func(tx *sql.Tx, c *chain) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'policy'`).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if errors.Is(err, sql.ErrNoRows) {
			cur = `{}`
		}
		if cur == string(canon) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO meta (key, value) VALUES ('policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), string(canon)); err != nil {
			return err
		}
		changed = true
		return s.appendAudit(ctx, tx, c, actor, ActionPolicy, struct {
			Policy json.RawMessage `json:"policy"`
			Reason string          `json:"reason,omitempty"`
		}{canon, reason})
	})
	if err != nil {
		return false, fmt.Errorf("set policy: %w", err)
	}
	return changed, nil
}

func (s *sqlStore) AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error) {
	q := `SELECT seq, at, actor, action, data, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at sql.NullInt64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Data, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqlStore) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	if err := s.rdb.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("read audit head: %w", err)
	}
	return seq, hash, nil
}

func (s *sqlStore) AuditedState(ctx context.Context) (AuditedState, error) {
	st := AuditedState{History: map[string][]StatusEvent{}}
	// One snapshot: SQLite read transactions are; PostgreSQL's need
	// REPEATABLE READ (READ COMMITTED snapshots each statement).
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.dollar {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.rdb.BeginTx(ctx, opts)
	if err != nil {
		return st, fmt.Errorf("read audited state: %w", err)
	}
	defer tx.Rollback()
	fail := func(err error) (AuditedState, error) { return st, fmt.Errorf("read audited state: %w", err) }
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&st.HeadSeq); err != nil {
		return fail(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT fingerprint, status, status_reason, status_actor, status_at, first_scan_id FROM secrets ORDER BY fingerprint`)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var r SecretState
		var status string
		var at sql.NullInt64
		if err := rows.Scan(&r.Fingerprint, &status, &r.Reason, &r.Actor, &at, &r.FirstScanID); err != nil {
			rows.Close()
			return fail(err)
		}
		r.Status, r.At = Status(status), fromNanos(at)
		st.Secrets = append(st.Secrets, r)
	}
	if err := rows.Close(); err != nil {
		return fail(err)
	}
	hrows, err := tx.QueryContext(ctx, `SELECT s.fingerprint, h.from_status, h.to_status, h.reason, h.actor, h.at
		FROM status_history h JOIN secrets s ON s.id = h.secret_id ORDER BY h.secret_id, h.id`)
	if err != nil {
		return fail(err)
	}
	for hrows.Next() {
		var fp, from, to string
		var ev StatusEvent
		var at sql.NullInt64
		if err := hrows.Scan(&fp, &from, &to, &ev.Reason, &ev.Actor, &at); err != nil {
			hrows.Close()
			return fail(err)
		}
		ev.From, ev.To, ev.At = Status(from), Status(to), fromNanos(at)
		st.History[fp] = append(st.History[fp], ev)
	}
	if err := hrows.Close(); err != nil {
		return fail(err)
	}
	lrows, err := tx.QueryContext(ctx, `SELECT s.fingerprint, l.source, l.repository, l.path, l.first_scan_id, l.last_scan_id, l.gone_at
		FROM locations l JOIN secrets s ON s.id = l.secret_id`)
	if err != nil {
		return fail(err)
	}
	for lrows.Next() {
		var l LocationState
		var gone sql.NullInt64
		if err := lrows.Scan(&l.Fingerprint, &l.Source, &l.Repository, &l.Path, &l.FirstScanID, &l.LastScanID, &gone); err != nil {
			lrows.Close()
			return fail(err)
		}
		l.GoneAt = fromNanos(gone)
		st.Locations = append(st.Locations, l)
	}
	if err := lrows.Close(); err != nil {
		return fail(err)
	}
	vrows, err := tx.QueryContext(ctx, `SELECT s.fingerprint, v.scan_id, v.rule_id, v.status, v.checked_at, v.identity, v.reason
		FROM verifications v JOIN secrets s ON s.id = v.secret_id ORDER BY v.id`)
	if err != nil {
		return fail(err)
	}
	st.Verifications = map[string][]verificationAudit{}
	scansOf := map[string][]int64{}
	for vrows.Next() {
		var a verificationAudit
		var scan int64
		if err := vrows.Scan(&a.Fingerprint, &scan, &a.RuleID, &a.Status, &a.CheckedAtNS, &a.Identity, &a.Reason); err != nil {
			vrows.Close()
			return fail(err)
		}
		st.Verifications[a.Fingerprint] = append(st.Verifications[a.Fingerprint], a)
		scansOf[a.Fingerprint] = append(scansOf[a.Fingerprint], scan)
	}
	if err := vrows.Close(); err != nil {
		return fail(err)
	}
	st.VerificationScans = scansOf
	srows, err := tx.QueryContext(ctx, `SELECT id, source, repository, branch, head_commit, started_at, finished_at, complete, findings, secrets, new_secrets, locations, new_locations, gone, regressions
		FROM scans ORDER BY id`)
	if err != nil {
		return fail(err)
	}
	defer srows.Close()
	for srows.Next() {
		var r ScanRecord
		var started, finished sql.NullInt64
		var complete int64
		if err := srows.Scan(&r.ID, &r.Source, &r.Repository, &r.Branch, &r.HeadCommit, &started, &finished, &complete,
			&r.Findings, &r.Secrets, &r.NewSecrets, &r.Locations, &r.NewLocations, &r.Gone, &r.Regressions); err != nil {
			return fail(err)
		}
		r.Started, r.Finished, r.Complete = fromNanos(started), fromNanos(finished), complete != 0
		st.Scans = append(st.Scans, r)
	}
	if err := srows.Err(); err != nil {
		return fail(err)
	}
	return st, nil
}
