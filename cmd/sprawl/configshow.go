package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/configfile"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
)

// configRow is one effective setting and where its value came from.
type configRow struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Show the effective configuration (see docs/configuration.md)"}
	show := &cobra.Command{
		Use:   "show [PATH]",
		Short: "Print every setting a scan of PATH would use, and where each came from",
		Long: `Print every setting a scan of PATH (default .) would use and where each
came from: "default", "flag --x", "env SPRAWL_X", "file PATH" (the config
file), or how it was inferred. A key that a config file found in the scanned
content set but may not set (output, show-secrets, workers, config) is shown
as ignored-untrusted. Give the same flags as to the scan to see their effect.

The fingerprint key is never printed, only whether it is set.
Every key is described in docs/configuration.md.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			format, _ := cmd.Flags().GetString("format")
			if format != "table" && format != "json" {
				return usageErr("invalid format %q for config show (want table or json)", format)
			}
			s, err := loadSettings(cmd, path)
			if err != nil {
				return err
			}
			dsn, _ := cmd.Flags().GetString("inventory")
			rows := configRows(s, cmd.Flags().Changed("config"), dsn)
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return failure(enc.Encode(struct {
					ConfigFile string      `json:"config_file"`
					Settings   []configRow `json:"settings"`
				}{s.configPath, rows}))
			}
			table := make([][]string, len(rows))
			for i, r := range rows {
				table[i] = []string{reports.Printable(r.Key), reports.Printable(r.Value), reports.Printable(r.Source)}
			}
			return failure(reports.RenderTable(out, tableWidth(out), []string{"KEY", "VALUE", "SOURCE"}, table))
		},
	}
	addScanFlags(show)
	show.Flags().Lookup("format").Usage = "output format of this command: table or json"
	_ = show.Flags().SetAnnotation("format", ownFlag, []string{"true"})
	c.AddCommand(show)
	return c
}

// configRows lists s's settings in the order docs/configuration.md
// describes them, then the inventory section and the variables read
// outside the settings.
func configRows(s *settings, configFlag bool, dsnFlag string) []configRow {
	src := func(k string) string {
		out := s.sources[k]
		if contains(s.ignored, k) {
			out += "; ignored-untrusted in " + s.files.Name(s.configPath)
		}
		return out
	}
	var rows []configRow
	add := func(k, v, source string) { rows = append(rows, configRow{k, v, source}) }

	cfg, cfgSrc := "(none)", "looked for "+strings.Join(s.candidates, ", ")
	if s.configPath != "" {
		cfg = s.files.Name(s.configPath)
		switch {
		case s.origin == originRepo:
			cfgSrc = "found (untrusted: sets policy only)"
		case configFlag:
			cfgSrc = "flag --config"
		default:
			cfgSrc = "env SPRAWL_CONFIG"
		}
	}
	add("config", cfg, cfgSrc)
	add("format", s.Format, src("format"))
	add("output", orDash(s.Output, "(standard output)"), src("output"))
	add("show-secrets", strconv.FormatBool(s.ShowSecrets), src("show-secrets"))
	add("baseline", orDash(s.Baseline, "(none)"), src("baseline"))
	add("max-file-size", s.MaxFileSize, src("max-file-size"))
	workers := strconv.Itoa(s.Workers)
	if s.Workers == 0 {
		workers = "0 (one per core)"
	}
	add("workers", workers, src("workers"))
	add("fail-on", s.failOn.String(), src("fail-on"))
	add("verbose", strconv.FormatBool(s.Verbose), src("verbose"))
	add("quiet", strconv.FormatBool(s.Quiet), src("quiet"))
	add("rules", orDash(strings.Join(s.Rules, ", "), "(built-in only)"), src("rules"))
	add("disable-rules", orDash(strings.Join(s.DisableRules, ", "), "(none)"), src("disable-rules"))
	for _, a := range []struct {
		k    string
		list []string
	}{{"paths", s.Allowlist.Paths}, {"regexes", s.Allowlist.Regexes}, {"stopwords", s.Allowlist.Stopwords}, {"values", s.Allowlist.Values}} {
		v := fmt.Sprintf("%d entries", len(a.list))
		if a.k != "values" && len(a.list) > 0 {
			v = strings.Join(a.list, ", ")
		}
		from := src("allowlist")
		if len(a.list) == 0 {
			from = "default"
		}
		add("allowlist."+a.k, v, from)
	}
	key := "(not set)"
	if s.FPKey != "" {
		key = fmt.Sprintf("(set, %d bytes; never shown)", len(s.FPKey))
	}
	add("fingerprint-key", key, src("fingerprint-key"))

	inv := configfile.Leaves("inventory", s.Inventory)
	if len(inv) == 0 {
		add("inventory", "(built-in policy; see 'sprawl inventory policy show')", "default")
	}
	for _, kv := range inv {
		add(kv[0], kv[1], "file "+s.files.Name(s.configPath))
	}

	dbSrc := "default"
	switch {
	case dsnFlag != "" && dsnFlag != "default":
		dbSrc = "flag --inventory"
	case os.Getenv(envInventory) != "":
		dbSrc = "env " + envInventory
	}
	add("inventory database", displayDSN(inventoryDSN(dsnFlag)), dbSrc)
	keyFile, keySrc := os.Getenv(envKeyFile), "env "+envKeyFile
	if keyFile == "" {
		keyFile, keySrc = "(none)", "default"
		if p, err := inventory.DefaultKeyPath(); err == nil {
			keyFile = p
		}
	}
	if os.Getenv(envKey) != "" {
		keySrc += "; unused: " + envKey + " is set"
	}
	add("fingerprint key file", keyFile, keySrc)
	actor, actorSrc := actorName(""), "login name"
	if os.Getenv(envActor) != "" {
		actorSrc = "env " + envActor
	}
	add("actor", actor, actorSrc)
	progress, progressSrc := os.Getenv(envProgress), "env "+envProgress
	if progress == "" {
		progress, progressSrc = "auto (on a terminal, outside CI)", "default"
	}
	add("progress", progress, progressSrc)
	return rows
}

func orDash(v, none string) string {
	if v == "" {
		return none
	}
	return v
}
