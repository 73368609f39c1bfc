package verify

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/detectors"
)

var update = flag.Bool("update", false, "rewrite the egress list in docs/verification.md")

const egressDoc = "../docs/verification.md"

// TestEgressListDocumented keeps the documented firewall list equal to
// the hosts the built-in validators declare, declarative and programmatic.
func TestEgressListDocumented(t *testing.T) {
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Verify != nil {
			for _, h := range r.Verify.Hosts {
				seen[h] = true
			}
			if in := r.Verify.Instance; in != nil {
				for _, h := range in.Domains {
					seen[h] = true
				}
			}
		}
	}
	for _, h := range ProgramHosts() {
		seen[h] = true
	}
	hosts := make([]string, 0, len(seen))
	for h := range seen {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var b strings.Builder
	b.WriteString("<!-- egress:begin -->\n```text\n")
	for _, h := range hosts {
		b.WriteString(h + ":443\n")
	}
	b.WriteString("```\n<!-- egress:end -->")
	data, err := os.ReadFile(egressDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, "<!-- egress:begin -->"), strings.Index(doc, "<!-- egress:end -->")
	if i < 0 || j < i {
		t.Fatal("docs/verification.md has no egress markers")
	}
	want := doc[:i] + b.String() + doc[j+len("<!-- egress:end -->"):]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(egressDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("the egress list in docs/verification.md lags the rules: go test ./verify -run TestEgressListDocumented -update")
}
