package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/configfile"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/gate"
)

// ConfigFileName is looked for in the scanned directory, then the working
// directory, unless --config or SPRAWL_CONFIG names a file. A file found
// this way is the scanned content's own policy and may set only policy
// (see configfile.VetRepo); in a gate it is read as of the range's base.
const ConfigFileName = ".sprawl.yaml"

// fileConfig is what .sprawl.yaml may hold. Unknown keys are an error.
type fileConfig struct {
	Format       string          `mapstructure:"format"`
	Output       string          `mapstructure:"output"`
	ShowSecrets  bool            `mapstructure:"show-secrets"`
	Baseline     string          `mapstructure:"baseline"`
	MaxFileSize  string          `mapstructure:"max-file-size"`
	Workers      int             `mapstructure:"workers"`
	FailOn       string          `mapstructure:"fail-on"`
	Verbose      bool            `mapstructure:"verbose"`
	Quiet        bool            `mapstructure:"quiet"`
	Rules        []string        `mapstructure:"rules"`
	DisableRules []string        `mapstructure:"disable-rules"`
	Allowlist    allowlistConfig `mapstructure:"allowlist"`
	Config       string          `mapstructure:"config"`
	FPKey        string          `mapstructure:"fingerprint-key"`
	// Schedule is what `sprawl worker` enqueues periodically
	// (PROVIDER:OWNER@CRON each).
	Schedule []string `mapstructure:"schedule"`
	// Inventory is the inventory policy section; the inventory commands
	// read it (configPolicy), scans only accept it.
	Inventory any            `mapstructure:"inventory"`
	Extra     map[string]any `mapstructure:",remain"`
}

// settingKeys are the top-level keys of fileConfig.
var settingKeys = map[string]bool{
	"format": true, "output": true, "show-secrets": true, "baseline": true, "max-file-size": true,
	"workers": true, "fail-on": true, "verbose": true, "quiet": true, "rules": true,
	"disable-rules": true, "allowlist": true, "config": true, "fingerprint-key": true,
	"schedule": true,
}

type allowlistConfig struct {
	Paths     []string `mapstructure:"paths"`
	Regexes   []string `mapstructure:"regexes"`
	Stopwords []string `mapstructure:"stopwords"`
	Values    []string `mapstructure:"values"`
}

// settings are resolved options for one command: flag > env SPRAWL_* >
// config file > default.
type settings struct {
	fileConfig
	maxFileSize int64
	failOn      detectors.Severity
	configPath  string
	// origin says who wrote the config file; see configOrigin.
	origin configOrigin
	// repoTree, when set, is the directory the repository's config file
	// sits in: the rule files and baseline it names must stay inside.
	repoTree string
	// rulesFromRepo and baselineFromRepo say whether Rules and Baseline
	// came from a repository's config file (resolved against repoTree).
	rulesFromRepo, baselineFromRepo bool
	// files reads the rule files and the baseline: from disk, or in a
	// gate, as of the range's base revision.
	files gate.PolicyReader
	// warn prints a warning on stderr.
	warn func(format string, args ...any)
	// stderr is the command's standard error.
	stderr io.Writer
	// candidates are the config files looked for (or the one named).
	candidates []string
	// sources say where each setting's value came from, for config show:
	// "default", "flag --x", "env SPRAWL_X", "file PATH", or how it was
	// inferred.
	sources map[string]string
	// ignored are the keys a found config file set but may not.
	ignored []string
}

// ownFlag marks a flag whose name is a setting's but which means
// something else to its command (config show's --format): loadSettings
// does not bind it.
const ownFlag = "sprawl-own-flag"

func isOwnFlag(f *pflag.Flag) bool {
	_, ok := f.Annotations[ownFlag]
	return ok
}

// configOrigin says who wrote a config file, which decides what it may set.
type configOrigin int

const (
	_ configOrigin = iota // no config file
	// originUser is a file the user named: --config or SPRAWL_CONFIG.
	originUser
	// originRepo is a .sprawl.yaml sprawl found by itself, in the scanned
	// directory or the working directory: whoever wrote the scanned
	// content wrote it.
	originRepo
)

// loadSettings resolves cmd's flags against the environment and the
// config file. root is the scan target, where a config file is looked for.
func loadSettings(cmd *cobra.Command, root string) (*settings, error) {
	return loadSettingsIn(cmd, root, nil)
}

// loadSettingsIn is loadSettings for a gate: with gate set, policy files
// inside the repository's work tree are read as of the range's base.
func loadSettingsIn(cmd *cobra.Command, root string, gv *gate.View) (*settings, error) {
	v := viper.New()
	v.SetEnvPrefix("SPRAWL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	v.SetDefault("format", "table")
	v.SetDefault("max-file-size", "0")
	v.SetDefault("fail-on", "info")
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !settingKeys[f.Name] || isOwnFlag(f) {
			return // command-specific flags are read from the command
		}
		if err := v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = err
		}
	})
	if bindErr != nil {
		return nil, bindErr
	}
	// Keys that only come from the file still need the env binding.
	for _, k := range []string{"rules", "disable-rules", "fingerprint-key"} {
		_ = v.BindEnv(k)
	}

	stderr := cmd.ErrOrStderr()
	s := &settings{files: gate.PolicyReader{Gate: gv}, stderr: stderr, warn: func(format string, args ...any) {
		// A warning names refs and paths from the repository under review.
		fmt.Fprintf(stderr, "sprawl: warning: %s\n", reports.Printable(fmt.Sprintf(format, args...)))
	}}
	path := v.GetString("config")
	if path != "" {
		s.origin = originUser
		s.candidates = []string{path}
	} else {
		for _, dir := range []string{root, "."} {
			if dir == "" {
				continue
			}
			if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
				dir = filepath.Dir(dir)
			}
			p := filepath.Join(dir, ConfigFileName)
			s.candidates = append(s.candidates, p)
			if s.files.Exists(p) {
				path = p
				s.origin = originRepo
				break
			}
		}
	}
	if s.origin == originUser && s.files.MissingAtBase(path) {
		// The range under review adds the file: nothing to apply yet,
		// and its policy is compared with none (see policyChanges).
		s.warn("config %s does not exist as of %s; the range adds it, so it is a change under review", path, gv.BaseName)
		path = ""
	}
	s.configPath = path
	if err := rejectGitleaksConfig(path); err != nil {
		return nil, err
	}
	if path != "" {
		data, err := s.files.Read(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, usageErr("config %s: %v", s.files.Name(path), pe.Err)
			}
			return nil, usageErr("config %s: %v", s.files.Name(path), err)
		}
		if err := checkConfigKeys(data, s.files.Name(path)); err != nil {
			return nil, err
		}
		if s.origin == originRepo {
			r, err := configfile.VetRepo(data, path, s.files, s.warn)
			if err != nil {
				return nil, usageErr("%w", err)
			}
			data, s.repoTree, s.ignored = r.Data, r.Tree, r.Ignored
			s.rulesFromRepo, s.baselineFromRepo = r.Rules, r.Baseline
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, usageErr("config %s: %s", s.files.Name(path), configfile.SafeError(err))
		}
	}
	if err := v.Unmarshal(&s.fileConfig); err != nil {
		return nil, usageErr("config %s: %s", s.files.Name(path), configfile.SafeError(err))
	}
	if len(s.Extra) > 0 {
		var keys []string
		for k := range s.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, usageErr("config %s: unknown key %q", s.files.Name(path), keys[0])
	}
	s.sources = map[string]string{}
	for k := range settingKeys {
		switch f := cmd.Flags().Lookup(k); {
		case f != nil && f.Changed && !isOwnFlag(f):
			s.sources[k] = "flag --" + k
		case os.Getenv(configfile.EnvVar(k)) != "":
			s.sources[k] = "env " + configfile.EnvVar(k)
		case v.InConfig(k):
			s.sources[k] = "file " + s.files.Name(path)
		default:
			s.sources[k] = "default"
		}
	}
	if s.sources["format"] == "default" && s.Output != "" {
		if f := formatForOutput(s.Output, reports.Formats()); f != "" {
			s.Format = f
			s.sources["format"] = "inferred from the extension of " + s.Output
		}
	}
	if s.rulesFromRepo && os.Getenv("SPRAWL_RULES") != "" {
		s.rulesFromRepo = false // the environment's rules won
	}
	if s.baselineFromRepo && (cmd.Flags().Changed("baseline") || os.Getenv("SPRAWL_BASELINE") != "") {
		s.baselineFromRepo = false
	}
	if !contains(reports.Formats(), s.Format) {
		return nil, usageErr("invalid format %q (want one of %s)", s.Format, strings.Join(reports.Formats(), ", "))
	}
	n, err := scanner.ParseSize(s.MaxFileSize)
	if err != nil {
		return nil, usageErr("invalid max-file-size %q: %v", s.MaxFileSize, err)
	}
	s.maxFileSize = n
	if s.failOn, err = detectors.ParseSeverity(s.FailOn); err != nil {
		return nil, usageErr("invalid fail-on: %v", err)
	}
	if s.Workers < 0 {
		return nil, usageErr("invalid workers %d: must be 0 (all cores) or more", s.Workers)
	}
	if s.Quiet && s.Verbose {
		return nil, usageErr("--quiet and --verbose exclude each other")
	}
	return s, nil
}

// envName is the SPRAWL_* variable of a setting.

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
