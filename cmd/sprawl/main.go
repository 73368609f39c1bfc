// Command sprawl finds leaked credentials and keeps an inventory of them.
package main

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/internal/startgc"
)

func main() {
	startupGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// gcState is what startupGC and softMemoryLimit share: the memory limit
// a command asked for, applied once start-up is over.
var gcState = struct {
	sync.Mutex
	starting bool  // startupGC's window is open
	limit    int64 // the limit after it
}{limit: math.MaxInt64}

// startupGC holds the garbage collector off for the first moments of a
// run (startupWindow, extended to startupCPU of CPU time on a busy
// machine), unless GOGC or GOMEMLIMIT say otherwise. Those moments allocate
// what lives for the whole run (the rule catalogue, flags, configuration,
// compiled patterns) from a heap of a few MB, where the collector's
// default would run several cycles that free almost nothing: a fifth of
// a pre-commit hook's CPU time. A heap that reaches startupHeap before
// then is collected as usual. Package startgc has held the collector off
// the same way since the packages started initialising; this takes the
// hold over.
func startupGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	gcState.Lock()
	defer gcState.Unlock()
	gcState.starting = true
	old := debug.SetGCPercent(-1)
	if p, held := startgc.Release(); held {
		old = p // the collector has been off since package initialisation
	}
	debug.SetMemoryLimit(startupHeap)
	start := time.Now()
	cpu0, _ := processCPU()
	var check func()
	check = func() {
		// Start-up is a measure of work: on a busy machine a hook's
		// first 100 ms of wall time may be a third of its work, and
		// the collector would then run on what start-up allocated.
		if cpu, ok := processCPU(); ok && cpu-cpu0 < startupCPU && time.Since(start) < startupMaxWindow {
			time.AfterFunc(max(startupCPU-(cpu-cpu0), startupWindow/10), check)
			return
		}
		gcState.Lock()
		defer gcState.Unlock()
		gcState.starting = false
		debug.SetGCPercent(old)
		debug.SetMemoryLimit(gcState.limit)
	}
	time.AfterFunc(startupWindow, check)
}

// softMemoryLimit sets the Go runtime's soft memory limit for the rest
// of the run (after start-up), unless the user set GOMEMLIMIT. The
// collector then works harder as the heap nears n instead of letting it
// grow to twice the live data; it is a soft limit: a run whose live data
// needs more still gets it (the runtime caps the collector's share of
// CPU), it only collects more often.
func softMemoryLimit(n int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	gcState.Lock()
	defer gcState.Unlock()
	gcState.limit = n
	if !gcState.starting {
		debug.SetMemoryLimit(n)
	}
}

// historyMemoryLimit is the soft limit of a full-history scan. A long
// history's scan holds the attribution of every blob (which commits
// introduced it where) while git's children stream the packs beside it;
// with the collector's default pacing the heap doubles its live data,
// and on a 100,000-commit history the process tree then peaks near
// 300 MB. With this limit it stays well under that (260 MB against 288
// MB quiet, 319 MB under load) for about 9% more time spent collecting
// (194 s against 178 s). GOMEMLIMIT overrides it.
const historyMemoryLimit = 150 << 20

// Start-up lasts startupWindow, and beyond it until the process has used
// startupCPU of CPU time (where that can be read), at most
// startupMaxWindow. The heap stays under startupHeap all along.
const (
	startupWindow    = 100 * time.Millisecond
	startupCPU       = 150 * time.Millisecond
	startupMaxWindow = time.Second
	startupHeap      = 64 << 20
)
