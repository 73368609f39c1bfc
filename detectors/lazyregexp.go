package detectors

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use, not at start-up: every run of
// the command, a pre-commit hook's too, initialises this package.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
