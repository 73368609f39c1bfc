package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// Environment variables the inventory commands read.
const (
	envInventory = "SPRAWL_INVENTORY"            // DSN when --inventory is not given
	envKey       = "SPRAWL_FINGERPRINT_KEY"      // the fingerprint key itself
	envKeyFile   = "SPRAWL_FINGERPRINT_KEY_FILE" // where the generated key lives
	envActor     = "SPRAWL_ACTOR"                // who is acting, for the audit log
)

const inventoryFlagHelp = "inventory: a SQLite path or postgres://… DSN (default $SPRAWL_INVENTORY, else $XDG_DATA_HOME/sprawl/inventory.db or ~/.local/share/sprawl/inventory.db)"

// inventoryDSN resolves an --inventory value: "" or "default" mean
// $SPRAWL_INVENTORY, else the default SQLite file ("" for Open).
func inventoryDSN(flag string) string {
	if flag != "" && flag != "default" {
		return flag
	}
	return os.Getenv(envInventory)
}

// displayDSN names a store for messages without its password.
func displayDSN(dsn string) string {
	if dsn == "" {
		if p, err := inventory.DefaultPath(); err == nil {
			return p
		}
	}
	return inventory.RedactDSN(dsn)
}

// openInventory opens the store an --inventory value names. A DSN of an
// unknown kind is a usage error; a store that cannot be reached or opened
// is a runtime failure.
func openInventory(ctx context.Context, flag string) (inventory.Store, error) {
	s, err := inventory.Open(ctx, inventoryDSN(flag))
	if err != nil {
		return nil, inventoryErr(err)
	}
	return s, nil
}

// inventoryErr maps inventory errors to exit codes: bad values and
// configuration are usage errors (2), the rest failures (3).
func inventoryErr(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{inventory.ErrInvalid, inventory.ErrInvalidTransition, inventory.ErrNotFound, inventory.ErrAmbiguous,
		inventory.ErrUnsupportedDSN, inventory.ErrKeyMismatch, inventory.ErrKeyFile, inventory.ErrNoKey} {
		if errors.Is(err, e) {
			return usageErr("%v", err)
		}
	}
	return failure(err)
}

// inventoryKey is the fingerprint key: $SPRAWL_FINGERPRINT_KEY, else the
// key file ($SPRAWL_FINGERPRINT_KEY_FILE, else inventory.DefaultKeyPath),
// generated on first use.
func inventoryKey() ([]byte, error) {
	if k := os.Getenv(envKey); k != "" {
		if len(k) < inventory.MinKeySize {
			return nil, usageErr("%s must be at least %d bytes", envKey, inventory.MinKeySize)
		}
		return []byte(k), nil
	}
	path := os.Getenv(envKeyFile)
	if path == "" {
		p, err := inventory.DefaultKeyPath()
		if err != nil {
			return nil, usageErr("%v (set %s or %s)", err, envKey, envKeyFile)
		}
		path = p
	}
	key, err := inventory.LoadOrCreateKey(path)
	if err != nil {
		return nil, inventoryErr(err)
	}
	return key, nil
}

// actorName is who the audit log records: --actor, else $SPRAWL_ACTOR,
// else the login name.
func actorName(flag string) string {
	if flag != "" {
		return flag
	}
	if a := os.Getenv(envActor); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// gitSourceOf is the git history source a pipeline scanned, if any.
func gitSourceOf(src scanner.Source) *scanner.GitSource {
	switch s := src.(type) {
	case *namedSource:
		return s.GitSource
	case *scanner.GitSource:
		return s
	}
	return nil
}

// recordOptions are the inventory.RecordOptions of a scan of src
// (inventory.SourceRecordOptions, with the git source a namedSource
// wraps) with rules (nil: the built-in catalogue), acting as the audit
// log's actor.
func recordOptions(src scanner.Source, rules []*detectors.Rule) inventory.RecordOptions {
	o := inventory.SourceRecordOptions(src, gitSourceOf(src))
	o.Rules, o.Actor = rules, actorName("")
	return o
}

// recordScan records a finished scan in the inventory dsn names ("" or
// "default": $SPRAWL_INVENTORY, else the default SQLite file) through
// inventory.Record and returns the one-line summary for stderr. Errors
// carry exit codes (2 for configuration, 3 for a store failure).
func recordScan(ctx context.Context, dsn string, kind, root string, res scanner.Result, o inventory.RecordOptions) (string, error) {
	key, err := inventoryKey()
	if err != nil {
		return "", err
	}
	if o.Actor == "" {
		o.Actor = actorName("")
	}
	s, err := openInventory(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer s.Close()
	rec, err := inventory.Record(ctx, s, key, kind, root, res, o)
	if err != nil {
		return "", inventoryErr(err)
	}
	return reports.RecordedLine(displayDSN(inventoryDSN(dsn)), rec), nil
}

// inventorySuppress applies inventory.Suppress with the store dsn names:
// findings whose secrets it holds as false-positive or accepted-risk are
// dropped. A tampered inventory stops the run with exit 3.
func inventorySuppress(ctx context.Context, dsn string, fs []scanner.Finding) ([]scanner.Finding, int, error) {
	if len(fs) == 0 {
		return fs, 0, nil
	}
	key, err := inventoryKey()
	if err != nil {
		return nil, 0, err
	}
	s, err := openInventory(ctx, dsn)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	return suppressIn(ctx, s, key, fs)
}

// suppressIn is inventory.Suppress with its errors given exit codes.
func suppressIn(ctx context.Context, s inventory.Store, key []byte, fs []scanner.Finding) ([]scanner.Finding, int, error) {
	kept, n, err := inventory.Suppress(ctx, s, key, fs)
	if errors.Is(err, inventory.ErrTampered) {
		return nil, 0, failure(fmt.Errorf("%w (run 'sprawl audit verify')", err))
	}
	if err != nil {
		return nil, 0, inventoryErr(err)
	}
	return kept, n, nil
}

// readConfigPolicy reads the inventory section of the config file
// (--config, else $SPRAWL_CONFIG, else ./.sprawl.yaml) through
// inventory.ConfigPolicy. It returns ok=false when there is no file or
// no section.
func readConfigPolicy(flag string) (p inventory.Policy, path string, ok bool, err error) {
	path = flag
	if path == "" {
		path = os.Getenv("SPRAWL_CONFIG")
	}
	explicit := path != ""
	if path == "" {
		path = ConfigFileName
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return p, path, false, nil
		}
		return p, path, false, usageErr("config %s: %v", path, err)
	}
	if err := checkConfigKeys(data, path); err != nil {
		return p, path, false, err
	}
	if p, ok, err = inventory.ConfigPolicy(data); err != nil {
		return p, path, false, usageErr("config %s: %v", path, err)
	}
	return p, path, ok, nil
}

// warnPolicyDrift tells the user when the config's inventory section is
// not the policy the inventory judges by: reports use the stored, audited
// policy, and `inventory policy apply` records a new one.
func warnPolicyDrift(cmd *cobra.Command, stored inventory.Policy) {
	cfgFlag, _ := cmd.Flags().GetString("config")
	p, path, ok, err := readConfigPolicy(cfgFlag)
	if err != nil || !ok {
		return
	}
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(stored)
	if !bytes.Equal(a, b) {
		fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: note: the inventory policy in %s differs from the stored one; run 'sprawl inventory policy apply' to record it\n", path)
	}
}

func newInventoryCmd() *cobra.Command {
	inv := &cobra.Command{
		Use:   "inventory",
		Short: "The inventory: every secret once, where it lives, who shares it, how old it is",
		Long: `The inventory keeps every secret sprawl has found (scan … --inventory),
identified by a keyed fingerprint, never by its value: where it lives,
which environments share it, how old it is against its rotation policy,
and its status (open, rotation-required, rotated, revoked, false-positive,
accepted-risk). Every change is in the audit log ('sprawl audit').

The inventory is a SQLite file by default, or PostgreSQL (--inventory
postgres://…). The fingerprint key is $SPRAWL_FINGERPRINT_KEY, else a key
generated on first use in $XDG_CONFIG_HOME/sprawl/fingerprint.key (or
~/.config/sprawl/fingerprint.key; $SPRAWL_FINGERPRINT_KEY_FILE overrides).

Exit codes: 0 ok, 2 bad flag, value or configuration, 3 store failure.`,
	}
	inv.PersistentFlags().String("inventory", "", inventoryFlagHelp)
	inv.AddCommand(newInventoryListCmd(), newInventoryShowCmd(), newInventorySetStatusCmd(), newInventoryStatsCmd(),
		newInventoryExportCmd(), newInventoryScansCmd(), newInventoryPolicyCmd())
	inv.AddCommand(newInventoryCISecretsCmd(), newInventoryManagedCmd())
	return inv
}

// tableOrJSON reads a command's --format flag, which must be table or
// json.
func tableOrJSON(cmd *cobra.Command) (string, error) {
	format, _ := cmd.Flags().GetString("format")
	if format != "table" && format != "json" {
		return "", usageErr("invalid format %q for %s (want table or json)", format, strings.TrimPrefix(cmd.CommandPath(), "sprawl "))
	}
	return format, nil
}

// withInventory opens the store named by cmd's --inventory flag, runs fn
// and closes it.
// annotInventory marks a command that may create the inventory it names
// (value "create"); every other command run through withInventory only
// reads or changes an inventory that already exists.
const annotInventory = "sprawl/inventory"

func withInventory(cmd *cobra.Command, fn func(s inventory.Store) error) error {
	flag, _ := cmd.Flags().GetString("inventory")
	open := inventory.OpenExisting
	if cmd.Annotations[annotInventory] == "create" {
		open = inventory.Open
	}
	s, err := open(cmd.Context(), inventoryDSN(flag))
	if errors.Is(err, inventory.ErrNoInventory) {
		return usageErr("%v: nothing has been recorded there (check --inventory or $%s; a scan with --inventory creates it)", err, envInventory)
	}
	if err != nil {
		return inventoryErr(err)
	}
	defer s.Close()
	return fn(s)
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func newInventoryListCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List secrets, most severe first",
		Long: `List the inventory's secrets, most severe and overdue first.

  --shared      secrets in two or more environments (one credential for
                sandbox and production) or in more than one repository or store
  --overdue     open or rotation-required and older than the policy's maximum
                age, counted from the earliest commit (else first sighting)
  --regression  rotated or revoked, yet seen at a new place since
  --severity    that severity and above

The FLAGS column says which apply: shared-env, multi-repo, overdue, regression,
silenced-inline (an inline allow comment silences it where it still is).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := listFilter(cmd)
			if err != nil {
				return err
			}
			format, _ := cmd.Flags().GetString("format")
			if format != "table" && format != "json" && format != "csv" {
				return usageErr("invalid format %q for inventory list (want table, json or csv)", format)
			}
			liveFlag, _ := cmd.Flags().GetStringSlice("live")
			liveWant, err := inventory.ParseLiveFilter(splitList(liveFlag))
			if err != nil {
				return usageErr("--live %v", err)
			}
			return withInventory(cmd, func(s inventory.Store) error {
				es, pol, err := inventory.List(cmd.Context(), s, f, time.Now())
				if err != nil {
					return inventoryErr(err)
				}
				es = inventory.FilterLive(es, liveWant)
				warnPolicyDrift(cmd, pol)
				inventory.SortEntries(es)
				out := cmd.OutOrStdout()
				switch format {
				case "json":
					return writeJSON(out, es)
				case "csv":
					return failure(reports.WriteEntriesCSV(out, es))
				}
				return failure(reports.WriteEntriesTable(out, tableWidth(out), es))
			})
		},
	}
	fl := c.Flags()
	fl.StringSlice("status", nil, "only these statuses (repeatable or comma-separated)")
	fl.String("severity", "", "only this severity and above: info, low, medium, high, critical")
	fl.String("environment", "", "only secrets with a location in this environment: production, staging, development, sandbox, test, ci, unknown")
	fl.String("repository", "", "only secrets with a location whose repository contains this text")
	fl.StringSlice("rule", nil, "only these rule ids (repeatable or comma-separated)")
	fl.Bool("shared", false, "only secrets shared across environments or repositories")
	fl.Bool("overdue", false, "only secrets past their maximum age")
	fl.Bool("regression", false, "only rotated or revoked secrets seen again at a new place")
	fl.StringSlice("live", nil, "only secrets whose latest verification (scan --verify --inventory) is one of: live, revoked, unknown")
	fl.StringP("format", "f", "table", "table, json or csv")
	fl.StringP("config", "c", "", "config file whose inventory section to compare with the stored policy")
	return c
}

func listFilter(cmd *cobra.Command) (inventory.Filter, error) {
	var f inventory.Filter
	fl := cmd.Flags()
	statuses, _ := fl.GetStringSlice("status")
	for _, s := range splitList(statuses) {
		st, err := inventory.ParseStatus(s)
		if err != nil {
			return f, usageErr("--status: %v", err)
		}
		f.Statuses = append(f.Statuses, st)
	}
	if sev, _ := fl.GetString("severity"); sev != "" {
		v, err := detectors.ParseSeverity(sev)
		if err != nil {
			return f, usageErr("--severity: %v", err)
		}
		f.MinSeverity = v
	}
	if env, _ := fl.GetString("environment"); env != "" {
		e, err := inventory.ParseEnvironment(env)
		if err != nil {
			return f, usageErr("--environment: %v", err)
		}
		f.Environment = e
	}
	f.Repository, _ = fl.GetString("repository")
	rules, _ := fl.GetStringSlice("rule")
	f.RuleIDs = splitList(rules)
	f.Shared, _ = fl.GetBool("shared")
	f.Overdue, _ = fl.GetBool("overdue")
	f.Regression, _ = fl.GetBool("regression")
	return f, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return failure(fmt.Errorf("write: %w", err))
	}
	return nil
}

// resolveEntry finds one secret by fingerprint prefix and evaluates it
// under the stored policy (inventory.EvaluateStored), its errors given
// exit codes.
func resolveEntry(ctx context.Context, s inventory.Store, prefix string) (inventory.Entry, inventory.Policy, error) {
	e, p, err := inventory.EvaluateStored(ctx, s, prefix, time.Now())
	if errors.Is(err, inventory.ErrNotFound) {
		return e, p, usageErr("%v (a scan's \"fingerprint\" is its baseline fingerprint; the inventory's is \"inventory_fingerprint\", in the json and jsonl output of scans run with --inventory)", err)
	}
	if err != nil {
		return e, p, inventoryErr(err)
	}
	return e, p, nil
}

func newInventoryShowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "show FINGERPRINT",
		Short: "Show one secret: its locations, environments, age and status history",
		Long:  "Show one secret. FINGERPRINT may be any unique prefix of at least 4 hex digits.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			return withInventory(cmd, func(s inventory.Store) error {
				e, _, err := resolveEntry(cmd.Context(), s, args[0])
				if err != nil {
					return err
				}
				// Where a vault holds the same value (sprawl vault index).
				held, err := s.VaultEntries(cmd.Context(), inventory.VaultQuery{Fingerprints: []string{e.Fingerprint}})
				if err != nil {
					return inventoryErr(err)
				}
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), struct {
						inventory.Entry
						Vault []inventory.VaultEntry `json:"vault"`
					}{e, append([]inventory.VaultEntry{}, held...)})
				}
				return failure(reports.WriteEntryText(cmd.OutOrStdout(), tableWidth(cmd.OutOrStdout()), e, held))
			})
		},
	}
	c.Flags().StringP("format", "f", "table", "table or json")
	return c
}

func newInventorySetStatusCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "set-status FINGERPRINT STATUS",
		Short: "Move a secret through its lifecycle (recorded in the audit log)",
		Long: `Move a secret to STATUS: open, rotation-required, rotated, revoked,
false-positive or accepted-risk. The lifecycle:

  open → rotation-required → rotated | revoked | false-positive | accepted-risk
  open → any of those directly
  rotated, revoked → rotation-required (leaked again)
  rotated → revoked
  false-positive, accepted-risk → open | rotation-required (reopened)

false-positive and accepted-risk need --reason; secrets in those states no
longer fail a scan that uses the inventory. FINGERPRINT may be a unique
prefix of at least 4 hex digits.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, err := inventory.ParseStatus(args[1])
			if err != nil {
				return usageErr("%v", err)
			}
			reason, _ := cmd.Flags().GetString("reason")
			actorFlag, _ := cmd.Flags().GetString("actor")
			return withInventory(cmd, func(s inventory.Store) error {
				sec, err := s.Secret(cmd.Context(), args[0])
				if err != nil {
					return inventoryErr(err)
				}
				from, err := s.SetStatus(cmd.Context(), sec.Fingerprint, inventory.StatusChange{To: to, Reason: reason, Actor: actorName(actorFlag)})
				if err != nil {
					return inventoryErr(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s → %s\n", sec.Fingerprint, from, to)
				return failure(err)
			})
		},
	}
	c.Flags().String("reason", "", "why (required for false-positive and accepted-risk)")
	c.Flags().String("actor", "", "who is making the change (default $SPRAWL_ACTOR, else the login name)")
	return c
}

func newInventoryStatsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "stats",
		Short: "Count secrets by status, severity, class, environment and rule",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			return withInventory(cmd, func(s inventory.Store) error {
				es, _, err := inventory.List(cmd.Context(), s, inventory.Filter{}, time.Now())
				if err != nil {
					return inventoryErr(err)
				}
				st := inventory.Summarize(es)
				managed, err := managedStats(cmd, s)
				if err != nil {
					return err
				}
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), struct {
						inventory.Stats
						Managed inventory.ManagedSummary `json:"managed"`
					}{st, managed})
				}
				if err := reports.WriteStatsText(cmd.OutOrStdout(), st); err != nil {
					return failure(err)
				}
				return failure(reports.WriteManagedStatsText(cmd.OutOrStdout(), managed))
			})
		},
	}
	c.Flags().StringP("format", "f", "table", "table or json")
	return c
}

func newInventoryExportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "export",
		Short: "Write the whole inventory as JSON (no secret values)",
		Long: `Write the whole inventory as one JSON document: every secret judged under
the stored policy with its locations, the policy, the scans, the
repositories and the audit chain's head (seq and hash, to anchor a report
to the log). Secret values are never in the inventory, so never in this.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			output, _ := cmd.Flags().GetString("output")
			flag, _ := cmd.Flags().GetString("inventory")
			return withInventory(cmd, func(s inventory.Store) error {
				doc, err := inventory.BuildExport(cmd.Context(), s, time.Now().UTC())
				if err != nil {
					return inventoryErr(err)
				}
				doc.Inventory = displayDSN(inventoryDSN(flag))
				return writeOutput(cmd.OutOrStdout(), output, func(w io.Writer) error { return writeJSON(w, doc) })
			})
		},
	}
	c.Flags().StringP("output", "o", "", "write to this file (mode 0600) instead of standard output")
	return c
}

func newInventoryScansCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "scans",
		Short: "List the scans recorded in the inventory, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			limit, _ := cmd.Flags().GetInt("limit")
			return withInventory(cmd, func(s inventory.Store) error {
				scans, err := s.Scans(cmd.Context(), limit)
				if err != nil {
					return inventoryErr(err)
				}
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), scans)
				}
				return failure(reports.WriteScansTable(cmd.OutOrStdout(), tableWidth(cmd.OutOrStdout()), scans))
			})
		},
	}
	c.Flags().StringP("format", "f", "table", "table or json")
	c.Flags().Int("limit", 20, "how many (0: all)")
	return c
}

func newInventoryPolicyCmd() *cobra.Command {
	pol := &cobra.Command{
		Use:   "policy",
		Short: "Show or change the rotation and environment policy (changes are audited)",
		Long: `The policy judges every secret: the maximum age per rotation class (and
per rule), and environment rules tried before the built-in ones. It is
stored in the inventory so every report uses the same one, and every change
is in the audit log.

Defaults: token (short-lived access tokens: OAuth, STS, JWT, CI job
tokens) 1h; api-key (also long-lived tokens: PATs, bot and API tokens),
password, password-hash, client-secret, webhook, connection-string 90d;
private-key, signing-key 365d. A credential that states its own expiry (a
JWT's exp, an STS Expiration, a SAS se=) is judged against that instead.`,
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the stored policy with the defaults it overrides",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			return withInventory(cmd, func(s inventory.Store) error {
				p, err := s.Policy(cmd.Context())
				if err != nil {
					return inventoryErr(err)
				}
				warnPolicyDrift(cmd, p)
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), p)
				}
				defaults, _ := cmd.Flags().GetBool("defaults")
				return failure(reports.WritePolicyText(cmd.OutOrStdout(), tableWidth(cmd.OutOrStdout()), p, defaults))
			})
		},
	}
	show.Flags().StringP("format", "f", "table", "table or json")
	show.Flags().StringP("config", "c", "", "config file whose inventory section to compare with the stored policy")
	show.Flags().Bool("defaults", false, "list the built-in environment rules too")

	set := &cobra.Command{
		Use:   "set",
		Short: "Change the stored policy",
		Long: `Change the stored policy. --max-age CLASS=DURATION sets a class's maximum
age (token, api-key, password, private-key, client-secret, webhook,
connection-string, signing-key); --max-age rule:ID=DURATION one rule's;
--max-age path:PATTERN=DURATION (or path:PATTERN#CLASS=DURATION) that of
managed secrets held at matching paths, first match first ('secret/epic/*':
* matches any characters); --max-age unused=DURATION how long a managed
secret may go unread. Durations: 1h, 90d, 52w, 1y. --environment PATTERN=ENV appends an
environment rule (RE2, matched against path, branch and repository name).
--reset starts from the defaults.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotInventory: "create"},
		RunE: func(cmd *cobra.Command, args []string) error {
			maxAges, _ := cmd.Flags().GetStringArray("max-age")
			envRules, _ := cmd.Flags().GetStringArray("environment")
			reset, _ := cmd.Flags().GetBool("reset")
			reason, _ := cmd.Flags().GetString("reason")
			actorFlag, _ := cmd.Flags().GetString("actor")
			if !reset && len(maxAges) == 0 && len(envRules) == 0 {
				return usageErr("inventory policy set: nothing to change (--max-age, --environment or --reset)")
			}
			return withInventory(cmd, func(s inventory.Store) error {
				p, err := s.Policy(cmd.Context())
				if err != nil {
					return inventoryErr(err)
				}
				if reset {
					p = inventory.Policy{}
				}
				if err := applyPolicyFlags(&p, maxAges, envRules); err != nil {
					return err
				}
				return storePolicy(cmd, s, p, actorName(actorFlag), reason)
			})
		},
	}
	set.Flags().StringArray("max-age", nil, "CLASS=DURATION or rule:ID=DURATION (repeatable)")
	set.Flags().StringArray("environment", nil, "PATTERN=ENV environment rule, appended (repeatable)")
	set.Flags().Bool("reset", false, "start from the defaults")
	set.Flags().String("reason", "", "why, for the audit log")
	set.Flags().String("actor", "", "who is making the change (default $SPRAWL_ACTOR, else the login name)")

	apply := &cobra.Command{
		Use:   "apply",
		Short: "Replace the stored policy with the config file's inventory section",
		Long: `Replace the stored policy with the inventory section of the config file
(--config, else $SPRAWL_CONFIG, else ./.sprawl.yaml):

  inventory:
    environments:
      - {pattern: '^acme-payments', env: production, field: repository}
    max-age: {token: 2h, api-key: 180d}
    rule-max-age: {github-pat: 30d}`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotInventory: "create"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _ := cmd.Flags().GetString("config")
			reason, _ := cmd.Flags().GetString("reason")
			actorFlag, _ := cmd.Flags().GetString("actor")
			p, path, ok, err := readConfigPolicy(cfg)
			if err != nil {
				return err
			}
			if !ok {
				return usageErr("config %s: no inventory section", path)
			}
			if reason == "" {
				reason = "applied " + path
			}
			return withInventory(cmd, func(s inventory.Store) error {
				return storePolicy(cmd, s, p, actorName(actorFlag), reason)
			})
		},
	}
	apply.Flags().StringP("config", "c", "", "config file (default $SPRAWL_CONFIG, else ./.sprawl.yaml)")
	apply.Flags().String("reason", "", "why, for the audit log (default: the file applied)")
	apply.Flags().String("actor", "", "who is making the change (default $SPRAWL_ACTOR, else the login name)")

	pol.AddCommand(show, set, apply)
	return pol
}

// applyPolicyFlags applies 'inventory policy set' --max-age and
// --environment values to p, in order, and validates the result.
func applyPolicyFlags(p *inventory.Policy, maxAges, envRules []string) error {
	for _, kv := range maxAges {
		if err := p.SetMaxAge(kv); err != nil {
			return usageErr("--max-age %v", err)
		}
	}
	for _, kv := range envRules {
		if err := p.AddEnvironmentRule(kv); err != nil {
			return usageErr("--environment %v", err)
		}
	}
	if err := p.Validate(); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

func storePolicy(cmd *cobra.Command, s inventory.Store, p inventory.Policy, actor, reason string) error {
	changed, err := s.SetPolicy(cmd.Context(), p, actor, reason)
	if err != nil {
		return inventoryErr(err)
	}
	msg := "policy unchanged"
	if changed {
		msg = "policy updated (recorded in the audit log)"
	}
	if _, err := fmt.Fprintf(cmd.OutOrStdout(), "sprawl: %s\n", msg); err != nil {
		return failure(err)
	}
	return failure(reports.WritePolicyText(cmd.OutOrStdout(), tableWidth(cmd.OutOrStdout()), p, false))
}

func newAuditCmd() *cobra.Command {
	audit := &cobra.Command{
		Use:   "audit",
		Short: "Verify and read the inventory's tamper-evident audit log",
		Long: `Every change to the inventory (an ingested scan, a status change, a policy
change, a vault index or action, failed ones included) appends an entry to
a hash chain: each entry's hash is SHA-256 of the previous hash and the
entry, and the entry holds the state it changed. 'audit verify' recomputes
the chain, names the first entry that was edited, reordered or deleted,
then replays it and names every secret or scan row that disagrees (a
status set with SQL, an edited or deleted scan).

Someone who can write the database can also rebuild the whole chain, or
cut it short. Publish the head ('audit head', printed as SEQ:HASH) where
they cannot reach it — a CI log, a ticket, the quarterly report — and
check against it: 'audit verify --expect-head SEQ:HASH' fails when the log
was truncated, reset or rewritten since.

Exit codes: 0 intact, 1 tampered, 2 bad flag, 3 store failure.`,
	}
	audit.PersistentFlags().String("inventory", "", inventoryFlagHelp)

	verify := &cobra.Command{
		Use:   "verify [--expect-head SEQ:HASH]",
		Short: "Recompute the hash chain and the state it records; exit 1 naming what disagrees",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts inventory.VerifyOptions
			if v, _ := cmd.Flags().GetString("expect-head"); v != "" {
				h, err := inventory.ParseHead(v)
				if err != nil {
					return usageErr("--expect-head: %v", err)
				}
				opts.ExpectHead = &h
			}
			return withInventory(cmd, func(s inventory.Store) error {
				out := cmd.OutOrStdout()
				res, err := inventory.VerifyWith(cmd.Context(), s, opts)
				var se *inventory.StateError
				if errors.As(err, &se) {
					for _, m := range se.Rows {
						fmt.Fprintf(out, "tampered: %s\n", m)
					}
					return &exitError{exitFindings, fmt.Errorf("audit log tampered: %s disagreeing with the audit log (listed above)", plural.Count(len(se.Rows), "table row"))}
				}
				var te *inventory.TamperError
				if errors.As(err, &te) {
					return &exitError{exitFindings, err}
				}
				if err != nil {
					return inventoryErr(err)
				}
				_, err = fmt.Fprintln(out, reports.AuditIntactLine(res, opts.ExpectHead))
				return failure(err)
			})
		},
	}
	verify.Flags().String("expect-head", "", "a head published earlier (SEQ:HASH from 'audit head'): fail if the chain no longer holds it")

	head := &cobra.Command{
		Use:   "head",
		Short: "Print the chain's head as SEQ:HASH, to publish where the database's writers cannot reach",
		Long: `Print the audit chain's current head as SEQ:HASH (the last entry's sequence
number and hash). Write it into the CI log or a ticket after each run; a
later 'sprawl audit verify --expect-head SEQ:HASH' then proves the log
still holds that entry unchanged, which a truncated, reset or rebuilt log
cannot. The head is read as recorded; 'audit verify' checks it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withInventory(cmd, func(s inventory.Store) error {
				seq, hash, err := s.AuditHead(cmd.Context())
				if err != nil {
					return inventoryErr(err)
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), inventory.Head{Seq: seq, Hash: hash})
				return failure(err)
			})
		},
	}

	logCmd := &cobra.Command{
		Use:   "log",
		Short: "Print audit entries, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			after, _ := cmd.Flags().GetInt64("after")
			limit, _ := cmd.Flags().GetInt("limit")
			if after < 0 || limit < 0 {
				return usageErr("--after and --limit must not be negative")
			}
			return withInventory(cmd, func(s inventory.Store) error {
				es, err := s.AuditLog(cmd.Context(), after, limit)
				if err != nil {
					return inventoryErr(err)
				}
				if format == "json" {
					return writeJSON(cmd.OutOrStdout(), es)
				}
				return failure(reports.WriteAuditTable(cmd.OutOrStdout(), tableWidth(cmd.OutOrStdout()), es))
			})
		},
	}
	logCmd.Flags().StringP("format", "f", "table", "table or json")
	logCmd.Flags().Int64("after", 0, "only entries after this sequence number")
	logCmd.Flags().Int("limit", 0, "at most this many entries (0: all)")

	audit.AddCommand(verify, head, logCmd)
	return audit
}
