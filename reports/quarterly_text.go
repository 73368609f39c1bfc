package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
)

// InventoryFormats lists the formats WriteInventoryReport knows, default
// first.
func InventoryFormats() []string { return []string{"table", "html", "markdown", "csv", "json"} }

// WriteInventoryReport renders r in format ("md" is accepted for
// "markdown"). An unknown format wraps ErrUnknownFormat.
func WriteInventoryReport(w io.Writer, r *InventoryReport, format string) error {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "table", "text":
		return writeInventoryTable(w, r)
	case "html":
		return writeInventoryHTML(w, r)
	case "markdown", "md":
		return writeInventoryMarkdown(w, r)
	case "csv":
		return writeInventoryCSV(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	return fmt.Errorf("%w %q for an inventory report (want %s)", ErrUnknownFormat, format, strings.Join(InventoryFormats(), ", "))
}

func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(time.DateOnly)
}

// ShortFingerprint returns the first 12 characters of fp, a fingerprint
// or a hash, as the command tables show one; a shorter fp is returned
// whole.
func ShortFingerprint(fp string) string { return shortFP(fp) }

func shortFP(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// maxAge shows a policy's maximum age ("90d", "1h", "30min") with a space.
func maxAge(s string) string {
	if n, ok := strings.CutSuffix(s, "min"); ok && n != "" && n[len(n)-1] >= '0' && n[len(n)-1] <= '9' {
		return n + " min"
	}
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'h' || s[n-1] == 'm') && s[n-2] >= '0' && s[n-2] <= '9' {
		return s[:n-1] + " " + s[n-1:]
	}
	return s
}

// repoList names a secret's distinct repositories, at most three.
func repoList(s SecretRow) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range s.Locations {
		if !seen[l.Repository] {
			seen[l.Repository] = true
			out = append(out, l.Repository)
		}
	}
	if len(out) > 3 {
		return strings.Join(out[:3], ", ") + fmt.Sprintf(" (+%d)", len(out)-3)
	}
	return strings.Join(out, ", ")
}

// fileList names a secret's distinct paths, at most two, each with its
// repository's last element when the secret lives in several.
func fileList(s SecretRow) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range s.Locations {
		p := l.Path
		if s.Repositories > 1 {
			p = lastElem(l.Repository) + ": " + p
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) > 2 {
		return strings.Join(out[:2], ", ") + fmt.Sprintf(" (+%d)", len(out)-2)
	}
	return strings.Join(out, ", ")
}

// lastElem is a repository's name without its host and owner.
func lastElem(repo string) string {
	repo = strings.TrimSuffix(strings.TrimRight(repo, "/"), ".git")
	if i := strings.LastIndexAny(repo, "/\\:"); i >= 0 && i < len(repo)-1 {
		return repo[i+1:]
	}
	return repo
}

// newLeakRows are the "New leaks" table: when, what and where.
func newLeakRows(rows []SecretRow) ([]string, [][]string) {
	header := []string{"First seen", "Fingerprint", "Secret", "Rule", "Severity", "Status", "Environments", "Repositories", "File"}
	out := make([][]string, 0, len(rows))
	for _, s := range rows {
		out = append(out, []string{day(s.FirstSeen), shortFP(s.Fingerprint), s.Preview, s.RuleID, s.Severity, s.Status, envs(s), repoList(s), fileList(s)})
	}
	return header, out
}

// decisionHeader and decisionRows are the decisions table: false
// positives and accepted risks with their reasons.
var decisionHeader = []string{"Decided", "Fingerprint", "Secret", "Rule", "Decision", "By", "Reason", "Where"}

func decisionRows(r *InventoryReport) [][]string {
	out := make([][]string, 0, len(r.Decisions))
	for _, d := range r.Decisions {
		reason := d.Reason
		if reason == "" {
			reason = "(no reason recorded)"
		}
		where := d.Files
		if len(where) > 2 {
			where = append(where[:2:2], fmt.Sprintf("(+%d)", len(d.Files)-2))
		}
		out = append(out, []string{day(d.At), shortFP(d.Fingerprint), d.Preview, d.RuleID, d.Status, d.Actor, reason, strings.Join(where, ", ")})
	}
	return out
}

const decisionsEmpty = "No secret stands as a false positive or an accepted risk."

// scansCount is "1 scan", "3 scans".
func scansCount(n int) string {
	if n == 1 {
		return "1 scan"
	}
	return strconv.Itoa(n) + " scans"
}

func envs(s SecretRow) string {
	if len(s.Environments) == 0 {
		return "—"
	}
	return strings.Join(s.Environments, ", ")
}

func median(d float64) string {
	if d < 0 {
		return "—"
	}
	return strconv.FormatFloat(d, 'f', 1, 64) + " days"
}

// headline is the figures line every format opens with.
func headline(r *InventoryReport) [][2]string {
	s := r.Summary
	rows := [][2]string{
		{"Secrets in inventory", strconv.Itoa(s.Secrets)},
		{"Open (incl. rotation required)", strconv.Itoa(s.Open)},
		{"New in period", strconv.Itoa(s.NewInPeriod)},
		{"Rotated or revoked in period", strconv.Itoa(s.RotatedInPeriod)},
		{"Median days exposed before rotation", median(s.MedianDaysToRotate)},
		{"Overdue for rotation", strconv.Itoa(s.Overdue)},
		{"Shared across environments", strconv.Itoa(s.SharedEnvironments)},
		{"In several repositories or stores", strconv.Itoa(s.MultiRepository)},
		{"Regressions (rotated, then seen again)", strconv.Itoa(s.Regressions)},
	}
	if s.VaultEntries > 0 {
		rows = append(rows,
			[2]string{"Open leaks held in a vault (rotate there now)", strconv.Itoa(s.LeakedManaged)},
			[2]string{"Open leaks in no vault (move in, then rotate)", strconv.Itoa(s.LeakedUnmanaged)})
	} else {
		rows = append(rows, [2]string{"Vault fields indexed (sprawl vault index)", "0"})
	}
	if s.SilencedInline > 0 {
		rows = append(rows, [2]string{"Open secrets silenced inline (an allow comment hides a live key)", strconv.Itoa(s.SilencedInline)})
	}
	if s.CISecrets > 0 {
		rows = append(rows, [2]string{"CI secrets (overdue, same name at several levels)", fmt.Sprintf("%d (%d, %d)", s.CISecrets, s.CISecretsOverdue, s.CISecretsSameName)})
	}
	return append(rows, [][2]string{
		{"Locations (still present)", fmt.Sprintf("%d (%d)", s.Locations, s.PresentLocations)},
		{"Repositories and stores", strconv.Itoa(s.Repositories)},
		{"Scans in period", strconv.Itoa(s.ScansInPeriod)},
	}...)
}

// liveHeader and liveRows are the "Live leaked secrets" section: active
// secrets a provider still accepted when last asked, with when and as whom.
var liveHeader = []string{"Fingerprint", "Secret", "Rule", "Severity", "Status", "Checked", "Identity", "Repositories"}

func liveRows(r *InventoryReport) [][]string {
	rows := make([][]string, 0, len(r.LiveLeaks))
	for _, s := range r.LiveLeaks {
		checked, identity := "", ""
		if v := s.Verification; v != nil {
			checked, identity = v.CheckedAt.UTC().Format(time.RFC3339), IdentityText(v.Identity)
		}
		rows = append(rows, []string{shortFP(s.Fingerprint), s.Preview, s.RuleID, s.Severity, s.Status, checked, identity, repoList(s)})
	}
	return rows
}

// IdentityText is a verification's identity fields as "k=v, …", sorted.
func IdentityText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// liveEmpty says why the live section is empty: nothing verified at all,
// or nothing verified still works.
func liveEmpty(r *InventoryReport) string {
	if r.Verified == 0 {
		return "No secret in scope has been verified (sprawl scan … --verify --inventory asks each provider whether a leaked secret still works)."
	}
	return fmt.Sprintf("None of the %d verified secrets in scope was live when last checked.", r.Verified)
}

// managedEmpty says why the leaked-managed table is empty.
func managedEmpty(r *InventoryReport) string {
	if r.Summary.VaultEntries == 0 {
		return "No vault has been indexed (sprawl vault index), so leaks held in a vault cannot be told from the rest."
	}
	return "No open leak is held in an indexed vault."
}

func managedRows(r *InventoryReport) [][]string {
	var rows [][]string
	for _, m := range r.LeakedManaged {
		for _, e := range m.Entries {
			flag := e.Flag
			if flag == "" {
				flag = "not flagged (sprawl rotate)"
			}
			rows = append(rows, []string{shortFP(m.Fingerprint), m.Preview, m.RuleID, m.Status, e.Where, e.Version, flag})
		}
	}
	return rows
}

var ciHeader = []string{"Owner", "Store", "Where", "Name", "Updated", "Age", "Max age", "State", "Same name also at"}

func ciRows(r *InventoryReport) [][]string {
	var rows [][]string
	for _, c := range r.CISecrets {
		state := "ok"
		if c.Overdue {
			state = "OVERDUE"
		}
		rows = append(rows, []string{c.Provider + ":" + c.Owner, c.Store, c.Place, c.Name, day(c.Updated), strconv.Itoa(c.AgeDays) + " d", maxAge(c.MaxAge), state, strings.Join(c.SameName, ", ")})
	}
	return rows
}

func ciEmpty(r *InventoryReport) string {
	if r.Summary.CISecrets == 0 {
		return "No CI secret metadata has been recorded (sprawl scan github --inventory)."
	}
	return "Every recorded CI secret is within its rotation policy, and no name is set at two levels."
}

var managedHeader = []string{"Fingerprint", "Secret", "Rule", "Status", "Held in", "Version", "Flag in store"}

func auditLine(a AuditStatus) string {
	if a.Verified {
		if a.Entries == 0 {
			return "verified (the audit log is empty)"
		}
		return fmt.Sprintf("verified: %d entries, head %s", a.Entries, a.Head)
	}
	return fmt.Sprintf("BROKEN: %s (recorded head %s)", a.Problem, a.Head)
}

// ---- Markdown ----

// qCell escapes one Markdown table cell; empty cells show a dash.
func qCell(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
}

func mdTable(w *bufio.Writer, header []string, rows [][]string, empty string) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "_%s_\n\n", empty)
		return
	}
	w.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		w.WriteString(" --- |")
	}
	w.WriteString("\n")
	shown := rows
	if len(shown) > docRows {
		shown = shown[:docRows]
	}
	for _, row := range shown {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = qCell(c)
		}
		w.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	w.WriteString("\n")
	if len(rows) > docRows {
		fmt.Fprintf(w, "_Showing the first %d of %d, most severe first; the CSV and JSON formats list every one._\n\n", docRows, len(rows))
	}
}

func secretTableRows(rows []SecretRow, withAge bool) ([]string, [][]string) {
	header := []string{"Fingerprint", "Secret", "Rule", "Severity", "Status", "Environments", "Repositories"}
	if withAge {
		header = append(header, "Age", "Max age")
	}
	out := make([][]string, 0, len(rows))
	for _, s := range rows {
		row := []string{shortFP(s.Fingerprint), s.Preview, s.RuleID, s.Severity, s.Status, envs(s), repoList(s)}
		if withAge {
			row = append(row, strconv.Itoa(s.AgeDays)+" d", maxAge(s.MaxAge))
		}
		out = append(out, row)
	}
	return header, out
}

func countRows(cs []Count) [][]string {
	out := make([][]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, []string{c.Name, strconv.Itoa(c.Count)})
	}
	return out
}

func writeInventoryMarkdown(out io.Writer, r *InventoryReport) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "# %s\n\n", r.Title)
	fmt.Fprintf(w, "Period **%s** to **%s** · generated %s", day(r.Since), day(r.Until.Add(-time.Nanosecond)), r.GeneratedAt.Format(time.RFC3339))
	if r.Inventory != "" {
		fmt.Fprintf(w, " · inventory `%s`", strings.ReplaceAll(r.Inventory, "`", "'"))
	}
	w.WriteString("\n\n")
	for _, n := range r.Notes {
		fmt.Fprintf(w, "> **Note:** %s\n\n", n)
	}
	fmt.Fprintf(w, "**Audit log:** %s\n\n", auditLine(r.Audit))

	w.WriteString("## Live leaked secrets\n\n")
	mdTable(w, liveHeader, liveRows(r), liveEmpty(r))

	w.WriteString("## Summary\n\n")
	var rows [][]string
	for _, h := range headline(r) {
		rows = append(rows, []string{h[0], h[1]})
	}
	mdTable(w, []string{"Figure", "Value"}, rows, "")
	for _, b := range []struct {
		title string
		cs    []Count
	}{{"By status", r.Summary.ByStatus}, {"By severity", r.Summary.BySeverity}, {"By environment", r.Summary.ByEnvironment}, {"By class", r.Summary.ByClass}} {
		fmt.Fprintf(w, "### %s\n\n", b.title)
		mdTable(w, []string{strings.TrimPrefix(b.title, "By "), "Secrets"}, countRows(b.cs), "")
	}

	w.WriteString("## Where secrets live\n\n")
	fmt.Fprintf(w, "%s\n\n", whereNote)
	mdTable(w, wherePlaceHeader, wherePlaceRows(r), wherePlacesEmpty)
	w.WriteString("### Store secret objects\n\n")
	mdTable(w, whereStoreHeader, whereStoreRows(r), whereStoresEmpty)

	w.WriteString("## New leaks in the period\n\n")
	h, rs := newLeakRows(r.NewLeaks)
	mdTable(w, h, rs, "No secret was first seen in this period.")

	w.WriteString("## Rotations in the period\n\n")
	rs = nil
	for _, x := range r.Rotations {
		rs = append(rs, []string{day(x.At), shortFP(x.Fingerprint), x.Preview, x.RuleID, x.From + " → " + x.To, x.Actor, strconv.Itoa(x.DaysExposed), x.Reason})
	}
	mdTable(w, []string{"Date", "Fingerprint", "Secret", "Rule", "Change", "By", "Days exposed", "Reason"}, rs, "No secret was rotated or revoked in this period.")

	w.WriteString("## False positives and accepted risks\n\n")
	mdTable(w, decisionHeader, decisionRows(r), decisionsEmpty)

	w.WriteString("## Overdue rotations\n\n")
	h, rs = secretTableRows(r.Overdue, true)
	mdTable(w, h, rs, "No active secret is older than its rotation policy allows.")

	w.WriteString("## Leaked secrets held in a vault\n\n")
	mdTable(w, managedHeader, managedRows(r), managedEmpty(r))

	w.WriteString("## CI secrets overdue or set at several levels\n\n")
	mdTable(w, ciHeader, ciRows(r), ciEmpty(r))

	w.WriteString("## Managed secrets against policy\n\n")
	if r.Managed.Total == 0 {
		fmt.Fprintf(w, "_%s_\n\n", managedSectionEmpty(r))
	} else {
		fmt.Fprintf(w, "%s\n\n", mdText(managedLine(r)))
		w.WriteString("### By store and state\n\n")
		mdTable(w, managedStoreHeader, managedStoreRows(r), "")
		w.WriteString("### Change since the period began\n\n")
		mdTable(w, managedChangeHeader, managedChangeRows(r), managedChangeEmpty(r))
		w.WriteString("### Overdue managed secrets\n\n")
		mdTable(w, managedListHeader, managedListRows(r.Managed.OverdueSecrets), "No managed secret is older than its policy allows.")
		w.WriteString("### Never rotated since creation\n\n")
		mdTable(w, managedListHeader, managedListRows(r.Managed.NeverRotatedSecrets), "Every managed secret has been rotated at least once.")
	}

	w.WriteString("## Shared across environments\n\n")
	h, rs = secretTableRows(r.SharedEnvironments, false)
	mdTable(w, h, rs, "No secret is shared between environments.")

	w.WriteString("## Spread over several repositories or stores\n\n")
	h, rs = secretTableRows(r.MultiRepository, false)
	mdTable(w, h, rs, "No secret lives in more than one repository or store.")

	w.WriteString("## Top repositories by open leaks\n\n")
	rs = nil
	for _, x := range r.TopRepositories {
		rs = append(rs, []string{x.Repository, strconv.Itoa(x.Open), strconv.Itoa(x.Critical), strconv.Itoa(x.High), strconv.Itoa(x.Overdue)})
	}
	mdTable(w, []string{"Repository", "Open", "Critical", "High", "Overdue"}, rs, "No repository holds an open leak.")

	w.WriteString("## Open leaks over the period\n\n")
	rs = nil
	for _, p := range r.Trend {
		rs = append(rs, []string{day(p.At), strconv.Itoa(p.Open), strconv.Itoa(p.New), strconv.Itoa(p.Scans)})
	}
	mdTable(w, []string{"Date", "Open leaks", "New", "Scans"}, rs, "No scans were recorded in this period, so there is no trend.")

	w.WriteString("## Audit log\n\n")
	mdTable(w, []string{"Chain", "Entries", "Head (SEQ:HASH)"}, [][]string{{
		map[bool]string{true: "verified", false: "BROKEN"}[r.Audit.Verified], strconv.FormatInt(r.Audit.Entries, 10),
		r.Audit.Head,
	}}, "")
	if r.Audit.Problem != "" {
		fmt.Fprintf(w, "Problem: %s\n\n", r.Audit.Problem)
	}
	w.WriteString("Publishing the head (a ticket, a CI log) anchors the chain: `sprawl audit verify --expect-head SEQ:HASH` later fails if the log was truncated, reset or rewritten.\n")
	return w.Flush()
}

// ---- CSV ----

// inventoryCSVHeader: one row per secret and location.
var inventoryCSVHeader = []string{
	"fingerprint", "preview", "rule_id", "severity", "class", "status", "first_seen", "earliest_evidence", "age_days",
	"max_age_days", "overdue", "new_in_period", "shared_environments", "repositories",
	"source", "repository", "path", "line", "commit", "branch", "environment", "present", "location_first_seen", "location_last_seen", "vault",
	"status_reason", "live", "live_checked_at", "live_identity", "place",
}

func writeInventoryCSV(out io.Writer, r *InventoryReport) error {
	w := csv.NewWriter(out)
	if err := w.Write(inventoryCSVHeader); err != nil {
		return err
	}
	newSet := map[string]bool{}
	for _, s := range r.NewLeaks {
		newSet[s.Fingerprint] = true
	}
	for _, s := range r.Secrets {
		base := []string{
			s.Fingerprint, csvText(s.Preview), s.RuleID, s.Severity, s.Class, s.Status, day(s.FirstSeen), day(s.Earliest),
			strconv.Itoa(s.AgeDays), strconv.FormatFloat(s.MaxAgeDays, 'f', -1, 64), strconv.FormatBool(s.Overdue),
			strconv.FormatBool(newSet[s.Fingerprint]), strconv.FormatBool(len(s.Environments) > 1), strconv.Itoa(s.Repositories),
		}
		locs := s.Locations
		if len(locs) == 0 {
			locs = []LocationRow{{}}
		}
		for _, l := range locs {
			line := ""
			if l.Line > 0 {
				line = strconv.Itoa(l.Line)
			}
			rec := append(append([]string{}, base...), l.Source, csvText(l.Repository), csvText(l.Path), line, l.Commit, csvText(l.Branch),
				l.Environment, strconv.FormatBool(l.Present), dayOrEmpty(l.FirstSeen), dayOrEmpty(l.LastSeen), csvText(strings.Join(s.Vault, "; ")),
				csvText(s.StatusReason))
			if v := s.Verification; v != nil {
				rec = append(rec, v.Status, v.CheckedAt.UTC().Format(time.RFC3339), csvText(IdentityText(v.Identity)))
			} else {
				rec = append(rec, "", "", "")
			}
			rec = append(rec, l.Place)
			if err := w.Write(rec); err != nil {
				return err
			}
		}
	}
	// Managed secrets follow, one row each, in the same columns: source
	// "managed:KIND", repository the store, path where it is held, status
	// its states; place "store-object" for a CI store's secret object.
	for _, m := range r.Managed.Secrets {
		states := make([]string, len(m.States))
		for i, st := range m.States {
			states[i] = string(st)
		}
		rec := []string{m.Fingerprint, "", m.RuleID, "", string(m.Class), csvText(strings.Join(states, " ")), dayOrEmpty(m.Created), dayOrEmpty(m.Changed),
			strconv.Itoa(int(time.Duration(m.Age) / dayDur)), strconv.FormatFloat(roundDays(time.Duration(m.MaxAge)), 'f', -1, 64), strconv.FormatBool(m.Overdue),
			"false", "false", "1", "managed:" + m.Kind, csvText(m.Store), csvText(m.Where()), "", m.Version, "", "", "true",
			dayOrEmpty(m.Created), dayOrEmpty(m.LastIndexed), "", "", "", "", "", ""}
		if m.Kind == inventory.KindCI {
			// A store's own secret object ("Where secrets live").
			rec[len(rec)-1] = "store-object"
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func dayOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return day(t)
}

// ---- terminal ----

// Table writes rows under header as a terminal table in the house style
// (no wrapping, headers verbatim, spaces kept), with non-printing
// characters escaped so a hostile path cannot drive the terminal. Nothing
// is written if rendering fails.
func Table(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
	)
	h := make([]any, len(header))
	for i, x := range header {
		h[i] = x
	}
	t.Header(h...)
	clean := make([][]string, len(rows))
	for i, row := range rows {
		clean[i] = make([]string, len(row))
		for j, c := range row {
			clean[i][j] = Printable(c)
		}
	}
	if err := t.Bulk(clean); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := io.Copy(w, &buf)
	return err
}

// termRows caps each table of the terminal report.
const termRows = 25

func writeInventoryTable(out io.Writer, r *InventoryReport) error {
	w := bufio.NewWriter(out)
	// Table draws within the terminal's width, naming any column it had
	// to leave out.
	fitTable := func(w io.Writer, header []string, rows [][]string) error {
		dropped, err := TableFit(w, r.TermWidth, header, rows, reportFits(header))
		if err == nil && len(dropped) > 0 {
			_, err = fmt.Fprintf(w, "  (not shown at this width: %s)\n", strings.Join(dropped, ", "))
		}
		return err
	}
	// para writes prose wrapped at the terminal's width.
	para := func(indent, text string) {
		w.WriteString(wrapWords(text, r.TermWidth, indent))
	}
	para("", fmt.Sprintf("%s (%s to %s)", r.Title, day(r.Since), day(r.Until.Add(-time.Nanosecond))))
	for _, n := range r.Notes {
		para("", "Note: "+n)
	}
	para("", "Audit log: "+auditLine(r.Audit))
	w.WriteString("\nLive leaked secrets\n")
	if lr := liveRows(r); len(lr) == 0 {
		para("  ", liveEmpty(r))
	} else {
		if len(lr) > termRows {
			lr = lr[:termRows]
		}
		if err := fitTable(w, liveHeader, lr); err != nil {
			return err
		}
		if len(r.LiveLeaks) > termRows {
			fmt.Fprintf(w, "  … and %d more (--format csv or json lists every one)\n", len(r.LiveLeaks)-termRows)
		}
	}
	w.WriteString("\n")
	var rows [][]string
	for _, h := range headline(r) {
		rows = append(rows, []string{h[0], h[1]})
	}
	if err := fitTable(w, []string{"Figure", "Value"}, rows); err != nil {
		return err
	}
	bd := [][]string{}
	for i := 0; i < max(len(r.Summary.ByStatus), len(r.Summary.BySeverity), len(r.Summary.ByEnvironment)); i++ {
		cell := func(cs []Count) []string {
			if i < len(cs) {
				return []string{cs[i].Name, strconv.Itoa(cs[i].Count)}
			}
			return []string{"", ""}
		}
		row := append(append(cell(r.Summary.ByStatus), cell(r.Summary.BySeverity)...), cell(r.Summary.ByEnvironment)...)
		bd = append(bd, row)
	}
	w.WriteString("\n")
	if err := fitTable(w, []string{"Status", "n", "Severity", "n", "Environment", "n"}, bd); err != nil {
		return err
	}
	section := func(title string, header []string, rows [][]string, empty string) error {
		fmt.Fprintf(w, "\n%s\n", title)
		if len(rows) == 0 {
			para("  ", empty)
			return nil
		}
		if len(rows) > termRows {
			if err := fitTable(w, header, rows[:termRows]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "  … and %d more (--format csv or json lists every one)\n", len(rows)-termRows)
			return err
		}
		return fitTable(w, header, rows)
	}
	w.WriteString("\nWhere secrets live\n")
	para("  ", whereNote)
	if err := section("Present locations of open secrets by kind of place", wherePlaceHeader, wherePlaceRows(r), wherePlacesEmpty); err != nil {
		return err
	}
	if err := section("Store secret objects by store", whereStoreHeader, whereStoreRows(r), whereStoresEmpty); err != nil {
		return err
	}
	h, rs := secretTableRows(r.Overdue, true)
	if err := section("Overdue rotations", h, rs, "none"); err != nil {
		return err
	}
	if err := section("Leaked secrets held in a vault", managedHeader, managedRows(r), managedEmpty(r)); err != nil {
		return err
	}
	if err := section("CI secrets overdue or set at several levels", ciHeader, ciRows(r), ciEmpty(r)); err != nil {
		return err
	}
	if r.Managed.Total == 0 {
		w.WriteString("\nManaged secrets against policy\n")
		para("  ", managedSectionEmpty(r))
	} else {
		w.WriteString("\n")
		para("", "Managed secrets against policy: "+managedLine(r))
		if err := section("Managed secrets by store and state", managedStoreHeader, managedStoreRows(r), "none"); err != nil {
			return err
		}
		if err := section("Managed secrets: change since the period began", managedChangeHeader, managedChangeRows(r), managedChangeEmpty(r)); err != nil {
			return err
		}
		if err := section("Overdue managed secrets", managedListHeader, managedListRows(r.Managed.OverdueSecrets), "none"); err != nil {
			return err
		}
		if err := section("Managed secrets never rotated since creation", managedListHeader, managedListRows(r.Managed.NeverRotatedSecrets), "none"); err != nil {
			return err
		}
	}
	h, rs = newLeakRows(r.NewLeaks)
	if err := section("New leaks in the period", h, rs, "none"); err != nil {
		return err
	}
	rs = nil
	for _, x := range r.Rotations {
		rs = append(rs, []string{day(x.At), shortFP(x.Fingerprint), x.RuleID, x.From + " → " + x.To, x.Actor, strconv.Itoa(x.DaysExposed), x.Reason})
	}
	if err := section("Rotations in the period", []string{"Date", "Fingerprint", "Rule", "Change", "By", "Days exposed", "Reason"}, rs, "none"); err != nil {
		return err
	}
	if err := section("False positives and accepted risks", decisionHeader, decisionRows(r), "none"); err != nil {
		return err
	}
	rs = nil
	for _, x := range r.TopRepositories {
		rs = append(rs, []string{x.Repository, strconv.Itoa(x.Open), strconv.Itoa(x.Critical), strconv.Itoa(x.High), strconv.Itoa(x.Overdue)})
	}
	if err := section("Top repositories by open leaks", []string{"Repository", "Open", "Critical", "High", "Overdue"}, rs, "none"); err != nil {
		return err
	}
	rs = nil
	for _, p := range r.Trend {
		rs = append(rs, []string{day(p.At), strconv.Itoa(p.Open), strconv.Itoa(p.New), strconv.Itoa(p.Scans)})
	}
	if err := section("Open leaks over the period", []string{"Date", "Open", "New", "Scans"}, rs, "no scans in the period"); err != nil {
		return err
	}
	return w.Flush()
}

// reportFits says how the terminal report's columns give way on a narrow
// terminal: places and reasons are cut, in the middle for paths; counts,
// dates, fingerprints and previews stay whole.
func reportFits(header []string) []Fit {
	fits := make([]Fit, len(header))
	for i, h := range header {
		switch strings.ToLower(h) {
		case "environment", "environments":
			fits[i] = Fit{Cut: CutEnd, Min: 8, Drop: 1}
		case "status", "state":
			fits[i] = Fit{Cut: CutEnd, Min: 6, Drop: 2}
		case "severity", "by":
			fits[i] = Fit{Cut: CutEnd, Min: 6, Drop: 3}
		case "file", "path", "where", "repository", "repositories", "store", "location", "locations":
			fits[i] = Fit{Cut: CutMiddle, Min: 12}
		case "reason", "rule", "name", "plan", "class", "change", "states", "figure", "value", "place":
			fits[i] = Fit{Cut: CutEnd, Min: 8}
		default:
			fits[i] = Fit{Cut: CutNone}
		}
	}
	return fits
}

// wrapWords breaks text into lines of at most width display columns at
// spaces, each starting with indent, and ends it with a newline; width
// <= 0 (or a word longer than the line) leaves lines as they are.
func wrapWords(text string, width int, indent string) string {
	if width <= 0 || twwidth.Width(indent+text) <= width {
		return indent + text + "\n"
	}
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		switch {
		case line == indent:
			line += word
		case twwidth.Width(line)+1+twwidth.Width(word) <= width:
			line += " " + word
		default:
			b.WriteString(line + "\n")
			line = indent + word
		}
	}
	b.WriteString(line + "\n")
	return b.String()
}

// InventoryReportLine is the one-line summary, for standard error, of the
// inventory report r written in format to the file output: its title and
// period (first and last day) and its headline figures.
func InventoryReportLine(format, output string, r *InventoryReport) string {
	period := r.Since.Format(time.DateOnly) + " to " + r.Until.Add(-time.Nanosecond).Format(time.DateOnly)
	return fmt.Sprintf("sprawl: wrote %s report %q for %s to %s: %s, %d new, %d rotated, %d overdue",
		format, r.Title, period, output, plural.Count(r.Summary.Secrets, "secret"), r.Summary.NewInPeriod, r.Summary.RotatedInPeriod, r.Summary.Overdue)
}
