// Command sprawl finds leaked credentials and keeps an inventory of them.
package main

import (
	"math"
	"os"
	"runtime/debug"
	"time"
)

func main() {
	startupGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// startupGC holds the garbage collector off for the first moments of a
// run, unless GOGC or GOMEMLIMIT say otherwise. Those moments allocate
// what lives for the whole run (the rule catalogue, flags, configuration,
// compiled patterns) from a heap of a few MB, where the collector's
// default would run several cycles that free almost nothing: a fifth of
// a pre-commit hook's CPU time. A heap that reaches startupHeap before
// then is collected as usual.
func startupGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	old := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(startupHeap)
	time.AfterFunc(startupWindow, func() {
		debug.SetGCPercent(old)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

const (
	startupWindow = 100 * time.Millisecond
	startupHeap   = 64 << 20
)
