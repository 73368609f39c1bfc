package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// rejectGitleaksConfig returns a usage error when path, named as sprawl's
// config, is a gitleaks TOML config: parsing it as YAML would only say
// something about YAML.
func rejectGitleaksConfig(path string) error {
	if path == "" {
		return nil
	}
	isTOML := strings.EqualFold(filepath.Ext(path), ".toml")
	if !isTOML {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // the config loader reports it
		}
		isTOML = bytes.Contains(data, []byte("[[rules]]")) || bytes.Contains(data, []byte("[allowlist]")) || bytes.Contains(data, []byte("[extend]"))
	}
	if !isTOML {
		return nil
	}
	return usageErr("config %s looks like a gitleaks config (TOML); sprawl's config is YAML. Convert it with 'sprawl rules import %s -o gitleaks-rules.yaml --settings .sprawl.yaml' (see %s)", path, path, migrationDoc)
}
