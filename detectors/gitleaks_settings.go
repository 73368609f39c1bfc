package detectors

import (
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// WriteSettings writes the .sprawl.yaml that goes with an import: it
// loads the converted rule file (ruleFile, as the settings will name it)
// and holds what sprawl's allowlist setting can say of the global
// allowlists (AllowPaths, Allowlist's regexes and stopwords), so that the
// built-in rules honour them too. A comment names the config it came from
// (from) and, unless the config extended gitleaks's default rules, says
// that sprawl's built-in rules run all the same. It returns the first
// error of w.
func (g *GitleaksImport) WriteSettings(w io.Writer, from, ruleFile string) error {
	doc := map[string]any{"rules": []string{ruleFile}}
	al := map[string]any{}
	if len(g.AllowPaths) > 0 {
		al["paths"] = g.AllowPaths
	}
	if len(g.Allowlist.Regexes) > 0 {
		al["regexes"] = g.Allowlist.Regexes
	}
	if len(g.Allowlist.Stopwords) > 0 {
		al["stopwords"] = g.Allowlist.Stopwords
	}
	if len(al) > 0 {
		doc["allowlist"] = al
	}
	if _, err := fmt.Fprintf(w, "# Settings imported from %s by 'sprawl rules import'.\n", from); err != nil {
		return err
	}
	if !g.UseDefault {
		if _, err := fmt.Fprintf(w, "# %s does not extend gitleaks's default rules; sprawl's built-in rules still\n# run unless listed under disable-rules (see 'sprawl rules list').\n", from); err != nil {
			return err
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}
