package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// gitleaksConfigNames are the config files gitleaks picks up by itself.
var gitleaksConfigNames = []string{".gitleaks.toml", "gitleaks.toml"}

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

// migrationFilter applies a .gitleaksignore in the scanned root and hints
// at a gitleaks config found there. It prints what it could not map once.
func migrationFilter(cmd *cobra.Command, p *pipeline, root string, fs []scanner.Finding) ([]scanner.Finding, error) {
	dir := root
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return fs, nil // stdin, a single file, a remote: nothing to look for
	}
	stderr := cmd.ErrOrStderr()
	if p.s.configPath == "" && !p.s.Quiet {
		for _, name := range gitleaksConfigNames {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				fmt.Fprintf(stderr, "sprawl: found %s, which sprawl does not read; convert it with 'sprawl rules import %s' (see %s)\n", name, filepath.Join(dir, name), migrationDoc)
				break
			}
		}
	}
	// In a gate the ignore file is read as of the base revision, like the
	// rest of the repository's policy: the change under review cannot
	// silence its own findings (policyChanges reports what it adds).
	path := filepath.Join(dir, scanner.GitleaksIgnoreFile)
	data, err := p.s.files.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return fs, nil
	}
	if err != nil {
		return nil, usageErr("%s: %v", p.s.files.Name(path), err)
	}
	ign, err := scanner.ReadGitleaksIgnore(bytes.NewReader(data))
	if err != nil {
		return nil, usageErr("%s: %v", p.s.files.Name(path), err)
	}
	ids := map[string]bool{}
	for _, r := range p.rules {
		ids[r.ID] = true
	}
	kept, rep := ign.Filter(fs, detectors.ImportedPrefix, func(id string) bool { return ids[id] })
	if !p.s.Quiet {
		fmt.Fprintf(stderr, "sprawl: %s: %s read, %d findings ignored\n", scanner.GitleaksIgnoreFile, plural(ign.Len(), "fingerprint"), rep.Ignored)
		if len(rep.UnknownRules) > 0 {
			fmt.Fprintf(stderr, "sprawl: %s: gitleaks rules %s are not sprawl rules (import them with 'sprawl rules import'); their entries ignore any finding on that file and line\n", scanner.GitleaksIgnoreFile, strings.Join(rep.UnknownRules, ", "))
		}
		if rep.CommitOnly > 0 {
			fmt.Fprintf(stderr, "sprawl: %s: %s name a commit and apply to 'sprawl scan git' only\n", scanner.GitleaksIgnoreFile, plural(rep.CommitOnly, "entry"))
		}
		if len(ign.Invalid) > 0 {
			fmt.Fprintf(stderr, "sprawl: %s: %s not a fingerprint ([commit:]file:rule-id:line), e.g. line %s\n", scanner.GitleaksIgnoreFile, plural(len(ign.Invalid), "line"), ign.Invalid[0])
		}
	}
	return kept, nil
}
