package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/reports"
)

// ConfigFileName is looked for in the scanned directory, then the working
// directory, unless --config or SPRAWL_CONFIG names a file.
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
}

// loadSettings resolves cmd's flags against the environment and the
// config file. root is the scan target, where a config file is looked for.
func loadSettings(cmd *cobra.Command, root string) (*settings, error) {
	v := viper.New()
	v.SetEnvPrefix("SPRAWL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	v.SetDefault("format", "table")
	v.SetDefault("max-file-size", "0")
	v.SetDefault("fail-on", "info")
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !settingKeys[f.Name] {
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

	path := v.GetString("config")
	if path == "" {
		for _, dir := range []string{root, "."} {
			if dir == "" {
				continue
			}
			if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
				dir = filepath.Dir(dir)
			}
			p := filepath.Join(dir, ConfigFileName)
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	s := &settings{configPath: path}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, usageErr("config %s: %v", path, pe.Err)
			}
			return nil, usageErr("config %s: %v", path, oneLine(err))
		}
	}
	if err := v.Unmarshal(&s.fileConfig); err != nil {
		return nil, usageErr("config %s: %v", path, oneLine(err))
	}
	if len(s.Extra) > 0 {
		var keys []string
		for k := range s.Extra {
			keys = append(keys, k)
		}
		return nil, usageErr("config %s: unknown key %q", path, keys[0])
	}
	if !contains(reports.Formats(), s.Format) {
		return nil, usageErr("invalid format %q (want one of %s)", s.Format, strings.Join(reports.Formats(), ", "))
	}
	n, err := parseSize(s.MaxFileSize)
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

// parseSize reads "1048576", "512KB", "100MB", "2GB" or "0" (no limit).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 100MB, or 0 for no limit")
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("too large (at most %d bytes)", int64(math.MaxInt64))
	}
	return n * mult, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
