package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
)

// The command tables: the inventory's listings and the other tables the
// sprawl commands print. Each is drawn within a width the caller gives
// (0 for no limit, as for piped output), its columns giving way as
// ColumnFit says.

// columnFits says how each of the command tables' columns gives way on a
// narrow terminal, by header: paths and places are cut in the middle,
// names at the end; identifiers, severities and previews stay whole.
// Drop ranks the columns that may be left out when even that is not
// enough (lowest first); the summary line then says which.
var columnFits = map[string]Fit{
	"FINGERPRINT": {Cut: CutNone},
	"PREVIEW":     {Cut: CutNone},
	"SEVERITY":    {Cut: CutNone, Drop: 9},
	"AGE/MAX":     {Cut: CutNone},
	"FINISHED":    {Cut: CutNone},
	"TIME":        {Cut: CutNone},
	"WHEN":        {Cut: CutNone},
	"RULE":        {Cut: CutEnd, Min: 10},
	"FLAGS":       {Cut: CutEnd, Min: 7},
	"STATUS":      {Cut: CutEnd, Min: 6, Drop: 5},
	"STATE":       {Cut: CutEnd, Min: 7},
	"STATES":      {Cut: CutEnd, Min: 7},
	"PATH":        {Cut: CutMiddle, Min: 12},
	"PATH:LINE":   {Cut: CutMiddle, Min: 24},
	"REPOSITORY":  {Cut: CutMiddle, Min: 16},
	"STORE":       {Cut: CutMiddle, Min: 10},
	"SECRET":      {Cut: CutMiddle, Min: 12},
	"NAME":        {Cut: CutMiddle, Min: 10},
	"DETAILS":     {Cut: CutEnd, Min: 12},
	"REASON":      {Cut: CutEnd, Min: 10},
	"APPLIES TO":  {Cut: CutEnd, Min: 10},

	"PRESENT/LOCATIONS": {Cut: CutEnd, Min: 40, Drop: 1},
	"REPOS":             {Cut: CutEnd, Min: 40, Drop: 2},
	"ENVIRONMENTS":      {Cut: CutEnd, Min: 40, Drop: 3},
	"AUTHOR":            {Cut: CutEnd, Min: 40, Drop: 1},
	"AT TIP":            {Cut: CutEnd, Min: 40, Drop: 2},
	"SOURCE":            {Cut: CutEnd, Min: 40, Drop: 3},
	"ENVIRONMENT":       {Cut: CutEnd, Min: 40, Drop: 4},
	"LOCATIONS":         {Cut: CutEnd, Min: 40, Drop: 1},
	"GONE":              {Cut: CutEnd, Min: 40, Drop: 2},
	"SECRETS":           {Cut: CutEnd, Min: 40, Drop: 3},
	"HEAD":              {Cut: CutEnd, Min: 40, Drop: 4},
	"SCAN":              {Cut: CutEnd, Min: 40, Drop: 5},
	"HASH":              {Cut: CutEnd, Min: 40, Drop: 1},
	"SAME NAME":         {Cut: CutEnd, Min: 40, Drop: 1},
	"SCOPE":             {Cut: CutEnd, Min: 40, Drop: 2},
	"UPDATED":           {Cut: CutEnd, Min: 40, Drop: 3},
	"VERSION":           {Cut: CutEnd, Min: 40, Drop: 1},
	"INDEXED":           {Cut: CutEnd, Min: 40, Drop: 2},
	"ADAPTER":           {Cut: CutEnd, Min: 40, Drop: 3},
	"LAST READ":         {Cut: CutEnd, Min: 40, Drop: 1},
	"CLASS":             {Cut: CutEnd, Min: 40, Drop: 2},
}

// ColumnFit returns how the command tables' column headed header gives
// way on a narrow terminal. A header it does not know is cut at its end,
// down to its own length or 10 columns, whichever is less.
func ColumnFit(header string) Fit {
	if f, ok := columnFits[header]; ok {
		return f
	}
	return Fit{Cut: CutEnd, Min: min(len(header), 10)}
}

// renderTableFit draws a command table within width (0: no limit) with
// the columns' ColumnFit rules and returns the columns it left out.
func renderTableFit(w io.Writer, width int, header []string, rows [][]string) ([]string, error) {
	fits := make([]Fit, len(header))
	for i, h := range header {
		fits[i] = ColumnFit(h)
	}
	return TableFit(w, width, header, rows, fits)
}

// HiddenNote returns the end of a table's summary line: a newline and a
// line naming the columns left out to fit the terminal, or "" if none
// was.
func HiddenNote(dropped []string) string {
	if len(dropped) == 0 {
		return ""
	}
	return fmt.Sprintf("\n(not shown at this width: %s)", strings.Join(dropped, ", "))
}

// RenderTable writes rows under header as a command table in the house
// style (as Table: no wrapping, headers verbatim) with control characters
// escaped, so a hostile path cannot drive the terminal. It fits the table
// within width display columns (0: no limit) and then writes a line
// naming any column it left out.
func RenderTable(w io.Writer, width int, header []string, rows [][]string) error {
	dropped, err := renderTableFit(w, width, header, rows)
	if err != nil || len(dropped) == 0 {
		return err
	}
	_, err = fmt.Fprintln(w, strings.TrimPrefix(HiddenNote(dropped), "\n"))
	return err
}

// When returns t in UTC as "2006-01-02 15:04:05Z", or "-" for the zero
// time.
func When(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// expiryText says when a credential's stated expiry is or was:
// "expires in 5h", "expired 2d ago".
func expiryText(exp, now time.Time) string {
	if now.Before(exp) {
		return "expires in " + inventory.HumanAge(inventory.Duration(exp.Sub(now)))
	}
	return "expired " + inventory.HumanAge(inventory.Duration(now.Sub(exp))) + " ago"
}

// flags lists what stands out about a secret, comma-separated:
// shared-env, multi-repo, expired or overdue, regression and
// silenced-inline.
func flags(e inventory.Entry) string {
	var f []string
	if e.SharedEnvironments {
		f = append(f, "shared-env")
	}
	if e.MultiRepository {
		f = append(f, "multi-repo")
	}
	if e.Expired {
		f = append(f, "expired")
	} else if e.Overdue {
		f = append(f, "overdue")
	}
	if e.Regression {
		f = append(f, "regression")
	}
	if e.SilencedLocations() > 0 {
		f = append(f, "silenced-inline")
	}
	return strings.Join(f, ",")
}

// envList joins environments with commas.
func envList(es []inventory.Environment) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}

// WriteEntriesTable writes es as the inventory list's table, drawn within
// width display columns (0: no limit), and then a summary line counting
// the secrets, the overdue and the shared ones and naming any column left
// out. Below 120 columns a fingerprint is cut to 8 hex digits, which still
// select it. A LIVE column is added when any secret was verified. With no
// entries it writes the single line "no secrets in the inventory match".
func WriteEntriesTable(w io.Writer, width int, es []inventory.Entry) error {
	if len(es) == 0 {
		_, err := io.WriteString(w, "no secrets in the inventory match\n")
		return err
	}
	rows := make([][]string, 0, len(es))
	overdue, shared := 0, 0
	now := time.Now()
	live := inventory.AnyVerified(es)
	// On a narrow terminal 8 digits of the fingerprint, which still
	// select it (inventory show takes a prefix).
	fp := shortFP
	if width > 0 && width < 120 {
		fp = func(s string) string { return s[:min(8, len(s))] }
	}
	for _, e := range es {
		if e.Overdue {
			overdue++
		}
		if e.SharedEnvironments || e.MultiRepository {
			shared++
		}
		ageCell := inventory.HumanAge(e.Age) + "/" + e.MaxAge.String()
		if !e.Expires.IsZero() {
			ageCell = expiryText(e.Expires, now)
		}
		rows = append(rows, []string{fp(e.Fingerprint), e.Severity.String(), string(e.Status), e.RuleID, envList(e.Environments),
			strconv.Itoa(e.Repositories), fmt.Sprintf("%d/%d", e.PresentLocations, len(e.Locations)),
			ageCell, flags(e), e.Preview})
		if live {
			r := rows[len(rows)-1]
			status := e.LiveStatus()
			if status == "" {
				status = "-"
			}
			rows[len(rows)-1] = append(r[:3:3], append([]string{status}, r[3:]...)...)
		}
	}
	header := []string{"FINGERPRINT", "SEVERITY", "STATUS", "RULE", "ENVIRONMENTS", "REPOS", "PRESENT/LOCATIONS", "AGE/MAX", "FLAGS", "PREVIEW"}
	if live {
		header = append(header[:3:3], append([]string{"LIVE"}, header[3:]...)...)
	}
	dropped, err := renderTableFit(w, width, header, rows)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s, %d overdue, %d shared%s\n", plural.Count(len(es), "secret"), overdue, shared, HiddenNote(dropped))
	return err
}

// WriteEntriesCSV writes es as RFC 4180 CSV: a header row, then one row
// per secret with its fingerprint, preview, rule, severity, class, status,
// environments, counts, times (RFC 3339, UTC; empty when unknown), age in
// seconds, maximum age, flags and latest verification. The preview and
// rule id are defused against spreadsheet formulas (CSVText).
func WriteEntriesCSV(w io.Writer, es []inventory.Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"fingerprint", "preview", "rule_id", "severity", "class", "status", "environments", "repositories",
		"locations", "present_locations", "first_seen", "last_seen", "earliest_evidence", "age_seconds", "max_age", "overdue",
		"shared_environments", "multi_repository", "regression", "expires", "expired", "live", "live_checked_at"})
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, e := range es {
		cw.Write([]string{e.Fingerprint, csvText(e.Preview), csvText(e.RuleID), e.Severity.String(), string(e.Class), string(e.Status),
			envList(e.Environments), strconv.Itoa(e.Repositories), strconv.Itoa(len(e.Locations)), strconv.Itoa(e.PresentLocations),
			ts(e.FirstSeen), ts(e.LastSeen), ts(e.EarliestEvidence), strconv.FormatInt(int64(time.Duration(e.Age)/time.Second), 10),
			e.MaxAge.String(), strconv.FormatBool(e.Overdue), strconv.FormatBool(e.SharedEnvironments),
			strconv.FormatBool(e.MultiRepository), strconv.FormatBool(e.Regression), ts(e.Expires), strconv.FormatBool(e.Expired),
			e.LiveStatus(), ts(e.LastChecked())})
	}
	cw.Flush()
	return cw.Error()
}

// WriteEntryText writes one secret as 'inventory show' prints it: its
// facts (fingerprint, rule, status, age, environments, repositories, any
// regression and the vault entries in held that hold the same value), one
// to a line, then tables of its locations, its verifications (if any) and
// its status history (if any), each drawn within width display columns
// (0: no limit). Control characters are escaped.
func WriteEntryText(w io.Writer, width int, e inventory.Entry, held []inventory.VaultEntry) error {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-13s %s\n", k, Printable(fmt.Sprintf(format, args...)))
	}
	line("fingerprint", "%s", e.Fingerprint)
	line("preview", "%s", e.Preview)
	line("rule", "%s (%s), severity %s, class %s", e.RuleID, e.RuleName, e.Severity, e.Class)
	st := string(e.Status)
	if !e.StatusAt.IsZero() {
		st += fmt.Sprintf(" since %s by %s", When(e.StatusAt), e.StatusActor)
		if e.StatusReason != "" {
			st += ": " + e.StatusReason
		}
	}
	line("status", "%s", st)
	line("seen", "first %s, last %s", When(e.FirstSeen), When(e.LastSeen))
	ag := fmt.Sprintf("%s (max %s, from %s)", inventory.HumanAge(e.Age), e.MaxAge, When(e.EarliestEvidence))
	if !e.Expires.IsZero() {
		// A stated expiry, not the class's age, decides.
		ag = fmt.Sprintf("%s (from %s), %s at %s", inventory.HumanAge(e.Age), When(e.EarliestEvidence), expiryText(e.Expires, time.Now()), When(e.Expires))
	}
	if e.Overdue {
		ag += " OVERDUE"
	}
	line("age", "%s", ag)
	envs := envList(e.Environments)
	if envs == "" {
		envs = "unknown"
	}
	if e.SharedEnvironments {
		envs += " — SHARED ACROSS ENVIRONMENTS"
	}
	line("environments", "%s", envs)
	repos := strconv.Itoa(e.Repositories)
	if e.MultiRepository {
		repos += " — IN MORE THAN ONE REPOSITORY OR STORE"
	}
	line("repositories", "%s", repos)
	if e.Regression {
		line("regression", "seen at a new place on %s after it was %s", When(e.RegressedAt), e.Status)
	}
	for i, v := range held {
		k := ""
		if i == 0 {
			k = "vault"
		}
		desc := fmt.Sprintf("%s (version %s)", v.VaultKey, v.Version)
		if v.Flag != inventory.VaultFlagNone {
			desc += fmt.Sprintf(", %s since %s", v.Flag, When(v.FlaggedAt))
		}
		if e.Status.Active() {
			desc += " — LEAKED MANAGED SECRET: rotate it there (sprawl rotate)"
		}
		line(k, "%s", desc)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	rows := make([][]string, 0, len(e.Locations))
	for _, l := range e.Locations {
		tip := "?"
		if l.AtTip != nil {
			tip = map[bool]string{true: "yes", false: "no"}[*l.AtTip]
		}
		state := "present"
		if !l.Present() {
			state = "gone " + When(l.GoneAt)
		} else if l.Suppressed != "" {
			state = "present, silenced (" + l.Suppressed + ")"
		}
		commit := l.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		rows = append(rows, []string{string(l.Environment), l.Source, l.Repository, fmt.Sprintf("%s:%d", l.Path, l.Line), commit, l.Author, When(l.Date), tip, state})
	}
	if err := RenderTable(w, width, []string{"ENVIRONMENT", "SOURCE", "REPOSITORY", "PATH:LINE", "COMMIT", "AUTHOR", "DATE", "AT TIP", "STATE"}, rows); err != nil {
		return err
	}
	if len(e.Verifications) > 0 {
		vrows := make([][]string, 0, len(e.Verifications))
		for _, v := range e.Verifications {
			vrows = append(vrows, []string{When(v.CheckedAt), v.Status, v.RuleID, IdentityText(v.Identity), v.Reason})
		}
		fmt.Fprintln(w)
		if err := RenderTable(w, width, []string{"VERIFIED", "RESULT", "RULE", "IDENTITY", "REASON"}, vrows); err != nil {
			return err
		}
	}
	if len(e.History) == 0 {
		return nil
	}
	rows = rows[:0]
	for _, h := range e.History {
		rows = append(rows, []string{When(h.At), h.Actor, string(h.From) + " → " + string(h.To), h.Reason})
	}
	fmt.Fprintln(w)
	return RenderTable(w, width, []string{"WHEN", "ACTOR", "CHANGE", "REASON"}, rows)
}

// WriteStatsText writes st as 'inventory stats' prints it: the totals,
// one to a line, then the counts by status and severity (in their own
// order) and by class, environment and rule (most first), leaving out
// empty sections and zero counts. Control characters in names are
// escaped.
func WriteStatsText(w io.Writer, st inventory.Stats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "secrets              %d\n", st.Secrets)
	fmt.Fprintf(&b, "locations            %d (%d present)\n", st.Locations, st.PresentLocations)
	fmt.Fprintf(&b, "repositories/stores  %d\n", st.Repositories)
	fmt.Fprintf(&b, "shared environments  %d\n", st.SharedEnvironments)
	fmt.Fprintf(&b, "multi-repository     %d\n", st.MultiRepository)
	fmt.Fprintf(&b, "overdue              %d\n", st.Overdue)
	fmt.Fprintf(&b, "regressions          %d\n", st.Regressions)
	section := func(title string, m map[string]int, order []string) {
		if len(m) == 0 {
			return
		}
		keys := order
		if keys == nil {
			for k := range m {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				if m[keys[i]] != m[keys[j]] {
					return m[keys[i]] > m[keys[j]]
				}
				return keys[i] < keys[j]
			})
		}
		fmt.Fprintf(&b, "\nby %s\n", title)
		for _, k := range keys {
			if m[k] > 0 {
				fmt.Fprintf(&b, "  %-22s %d\n", Printable(k), m[k])
			}
		}
	}
	conv := func(n int, get func(i int) (string, int)) map[string]int {
		m := map[string]int{}
		for i := range n {
			k, v := get(i)
			m[k] = v
		}
		return m
	}
	statuses := make([]string, len(inventory.Statuses))
	for i, s := range inventory.Statuses {
		statuses[i] = string(s)
	}
	section("status", conv(len(statuses), func(i int) (string, int) { return statuses[i], st.ByStatus[inventory.Status(statuses[i])] }), statuses)
	section("severity", st.BySeverity, []string{"critical", "high", "medium", "low", "info", "unknown"})
	classes := map[string]int{}
	for k, v := range st.ByClass {
		classes[string(k)] = v
	}
	section("class", classes, nil)
	envs := map[string]int{}
	for k, v := range st.ByEnvironment {
		envs[string(k)] = v
	}
	section("environment (secrets with a location there)", envs, nil)
	section("rule", st.ByRule, nil)
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePolicyText writes p as 'inventory policy show' prints it: a table
// of the maximum ages (by class, rule and, for managed secrets, path, and
// the unused threshold), each marked default or configured, then a table
// of the configured environment rules, with the built-in ones too when
// defaults is set; without defaults it ends with a note on how many
// built-in rules apply after the configured ones. The tables are drawn
// within width display columns (0: no limit).
func WritePolicyText(w io.Writer, width int, p inventory.Policy, defaults bool) error {
	rows := [][]string{}
	for _, c := range inventory.Classes() {
		src := "default"
		if _, ok := p.MaxAge[c]; ok {
			src = "configured"
		}
		rows = append(rows, []string{"class " + string(c), inventory.Duration(p.MaxAgeFor("", c)).String(), src})
	}
	rules := make([]string, 0, len(p.RuleMaxAge))
	for r := range p.RuleMaxAge {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		rows = append(rows, []string{"rule " + r, p.RuleMaxAge[r].String(), "configured"})
	}
	rows = append(rows, managedPolicyRows(p)...)
	if err := RenderTable(w, width, []string{"APPLIES TO", "MAX AGE", "SOURCE"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, r := range p.Environments {
		rows = append(rows, []string{r.Pattern, orAny(r.Field), string(r.Env), "configured"})
	}
	if defaults {
		for _, r := range inventory.DefaultEnvironmentRules {
			rows = append(rows, []string{r.Pattern, orAny(r.Field), string(r.Env), "built-in"})
		}
	}
	fmt.Fprintln(w)
	if len(rows) > 0 {
		if err := RenderTable(w, width, []string{"ENVIRONMENT PATTERN", "FIELD", "ENVIRONMENT", "SOURCE"}, rows); err != nil {
			return err
		}
	}
	if !defaults {
		_, err := fmt.Fprintf(w, "%d built-in environment rules apply after these\n('inventory policy show --defaults' lists them)\n", len(inventory.DefaultEnvironmentRules))
		return err
	}
	return nil
}

// managedPolicyRows are the policy table's rows for managed secrets.
func managedPolicyRows(p inventory.Policy) [][]string {
	var rows [][]string
	for _, r := range p.PathMaxAge {
		rows = append(rows, []string{"path " + Printable(r.String()), r.MaxAge.String(), "configured"})
	}
	src := "default"
	if p.UnusedAfter > 0 {
		src = "configured"
	}
	return append(rows, []string{"unused (managed)", inventory.Duration(p.Unused()).String(), src})
}

// orAny is s, or "any" when s is empty.
func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// RecordedLine is the one-line summary, for standard error, of a scan
// recorded in the inventory store named where: secrets and locations
// (new, and gone where the scan was complete) and any regressions.
func RecordedLine(where string, r inventory.Recorded) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sprawl: inventory %s: %s (%d new), %s (%d new", where,
		plural.Count(r.Secrets, "secret"), r.NewSecrets, plural.Count(r.Locations, "location"), r.NewLocations)
	if r.Complete {
		fmt.Fprintf(&b, ", %d gone", r.Gone)
	}
	b.WriteString(")")
	if n := len(r.Regressions); n > 0 {
		fmt.Fprintf(&b, "; %s: rotated or revoked secrets found at new places", plural.Count(n, "regression"))
	}
	return b.String()
}
