package pipeline

import (
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/internal/termsafe"
)

// WriteOverrides writes, for standard error after a scan's summary, one
// line naming each built-in rule a custom rule replaced (Overrides) and
// the file that rule came from, so a policy that swaps a rule out never
// does so unsaid. It writes nothing without overrides, and returns the
// writer's error.
func (p *Pipeline) WriteOverrides(w io.Writer) error {
	if len(p.Overrides) == 0 {
		return nil
	}
	var b strings.Builder
	for _, o := range p.Overrides {
		fmt.Fprintf(&b, "sprawl: built-in rule %s is overridden by %s\n", termsafe.String(o.ID), termsafe.String(o.File))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
