package configfile

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// userOnlyKeys are settings a config file sprawl finds by itself may not
// set, with what each would let a repository do to the person scanning
// it. They come from flags, SPRAWL_* variables or a --config file.
// (rules and baseline may come from such a file, but only inside its tree;
// see vetPath.)
var userOnlyKeys = map[string]string{
	"output":       "it writes a file",
	"show-secrets": "it prints secrets in full",
	"config":       "it names another config file",
	"workers":      "it sets how many goroutines the machine runs",
	"schedule":     "it makes workers scan organisations",
}

// Files is how VetRepo sees the files a config file names:
// gate.PolicyReader, which reads from disk or, in a gate, as of the
// range's base revision.
type Files interface {
	// Name is how messages show p.
	Name(p string) string
	// Inside reports whether p stays inside tree.
	Inside(tree, p string) bool
}

// Repo is a config file found in scanned content, as VetRepo lets the
// settings read it.
type Repo struct {
	// Data is the file with the keys it may not set removed and the rule
	// files and baseline it may name made absolute.
	Data []byte
	// Tree is the directory the file sits in ("" if the file is empty):
	// the rule files and baseline it names must stay inside.
	Tree string
	// Ignored are the keys the file set but may not, sorted.
	Ignored []string
	// Rules and Baseline say whether Data still names rule files or a
	// baseline, each inside Tree.
	Rules, Baseline bool
}

// VetRepo applies the trust boundary to data, the config file at path
// that sprawl found in scanned content. Settings that write files, print
// secrets or spend the machine are dropped with a warning naming the key
// and the file; rule files and the baseline are kept only if they lie
// inside the config's own directory tree, and are resolved against it.
// Everything else is policy the repository may set: allowlists, disabled
// rules, the severity that fails, the baseline and rule files inside its
// tree. files names the file and says what is inside its tree; warn
// prints a warning.
func VetRepo(data []byte, path string, files Files, warn func(format string, args ...any)) (Repo, error) {
	name := files.Name(path)
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return Repo{}, fmt.Errorf("config %s: %s", name, SafeError(err))
	}
	if m == nil {
		return Repo{Data: data}, nil
	}
	r := Repo{Tree: filepath.Dir(absPath(path))}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why, ok := userOnlyKeys[k]; ok {
			warn("%s: ignoring %q: a config file found in the scanned content may not set it (%s); use a flag, %s or --config FILE", name, k, why, EnvVar(k))
			r.Ignored = append(r.Ignored, k)
			delete(m, k)
		}
	}
	if b, ok := m["baseline"]; ok {
		delete(m, "baseline")
		if p, ok := b.(string); ok && p != "" {
			if abs, ok := vetPath(files, warn, name, r.Tree, "baseline", p); ok {
				m["baseline"] = abs
				r.Baseline = true
			}
		} else if b != nil {
			return Repo{}, fmt.Errorf("config %s: baseline: want a file name", name)
		}
	}
	if rules, ok := m["rules"]; ok {
		delete(m, "rules")
		list, ok := rules.([]any)
		if one, isString := rules.(string); isString {
			list, ok = []any{one}, true
		}
		if !ok && rules != nil {
			return Repo{}, fmt.Errorf("config %s: rules: want a list of rule files", name)
		}
		var kept []any
		for _, e := range list {
			p, ok := e.(string)
			if !ok {
				return Repo{}, fmt.Errorf("config %s: rules: want a list of rule files", name)
			}
			if abs, ok := vetPath(files, warn, name, r.Tree, "rules", p); ok {
				kept = append(kept, abs)
			}
		}
		if len(kept) > 0 {
			m["rules"] = kept
			r.Rules = true
		}
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return Repo{}, fmt.Errorf("config %s: %v", name, err)
	}
	r.Data = out
	return r, nil
}

// vetPath resolves p, named by key in the config file called name,
// against tree, the config's directory. It returns false, with a warning,
// if the path leaves that tree: a repository may point sprawl at its own
// files, never at the user's.
func vetPath(files Files, warn func(string, ...any), name, tree, key, p string) (string, bool) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(tree, p)
	}
	abs = filepath.Clean(abs)
	if !files.Inside(tree, abs) {
		warn("%s: ignoring %s entry %q: it is outside the directory of the config file found in the scanned content; name it with a flag or --config FILE", name, key, p)
		return "", false
	}
	return abs, true
}

// absPath is filepath.Abs, keeping p when the working directory is gone.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// EnvVar is the environment variable that sets a config key:
// "max-file-size" is SPRAWL_MAX_FILE_SIZE.
func EnvVar(key string) string {
	return "SPRAWL_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}
