// Package startgc turns the garbage collector off while the program's
// packages initialise, unless GOGC or GOMEMLIMIT say otherwise.
//
// Package initialisers allocate about 3 MB (the SDKs sprawl links), and
// the collector's first cycle starts near 4 MB: it would run at the end
// of initialisation, freeing next to nothing, and start its mark workers
// in every run, a pre-commit hook's too. Start, which holds the
// collector off for the first moments of a run, comes too late for that
// one, so this package, imported by main, does the same from its own
// initialiser, which runs before those of the large packages (the
// runtime initialises, among the packages whose imports are done, the
// first by import path; this one needs only the runtime and os). A heap
// that reaches heapLimit is collected as usual; Start takes the hold over
// (through Release), and without it (a test binary) the hold ends by
// itself after window. SoftMemoryLimit sets the memory limit that applies
// once start-up is over.
//
// The functions are safe for concurrent use.
package startgc

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

const (
	heapLimit = 64 << 20
	window    = 100 * time.Millisecond
)

var hold struct {
	sync.Mutex
	on      bool
	percent int // the GC percent before the hold
	timer   *time.Timer
}

func init() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	hold.Lock()
	defer hold.Unlock()
	hold.percent = debug.SetGCPercent(-1)
	debug.SetMemoryLimit(heapLimit)
	hold.on = true
	hold.timer = time.AfterFunc(window, func() {
		p, ok := Release()
		if !ok {
			return
		}
		if old := debug.SetGCPercent(p); old != -1 {
			debug.SetGCPercent(old) // set by someone else meanwhile
		}
		if old := debug.SetMemoryLimit(math.MaxInt64); old != heapLimit {
			debug.SetMemoryLimit(old)
		}
	})
}

// Release ends the hold, if it is still on, and returns the GC percent
// from before it and true: the caller then owns the collector's settings
// (GC percent -1 and a heapLimit memory limit) and must restore them.
// Otherwise it returns false.
func Release() (percent int, held bool) {
	hold.Lock()
	defer hold.Unlock()
	if !hold.on {
		return 0, false
	}
	hold.on = false
	hold.timer.Stop()
	return hold.percent, true
}

// gcState is what Start and SoftMemoryLimit share: the memory limit
// a command asked for, applied once start-up is over.
var gcState = struct {
	sync.Mutex
	starting bool  // Start's window is open
	limit    int64 // the limit after it
}{limit: math.MaxInt64}

// Start holds the garbage collector off for the first moments of a
// run (startupWindow, extended to startupCPU of CPU time on a busy
// machine), unless GOGC or GOMEMLIMIT say otherwise. Those moments allocate
// what lives for the whole run (the rule catalogue, flags, configuration,
// compiled patterns) from a heap of a few MB, where the collector's
// default would run several cycles that free almost nothing: a fifth of
// a pre-commit hook's CPU time. A heap that reaches startupHeap before
// then is collected as usual. The package's initialiser has held the
// collector off the same way since the packages started initialising;
// Start takes the hold over. main calls it first thing.
func Start() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	gcState.Lock()
	defer gcState.Unlock()
	gcState.starting = true
	old := debug.SetGCPercent(-1)
	if p, held := Release(); held {
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

// SoftMemoryLimit sets the Go runtime's soft memory limit for the rest
// of the run (after start-up), unless the user set GOMEMLIMIT. The
// collector then works harder as the heap nears n instead of letting it
// grow to twice the live data; it is a soft limit: a run whose live data
// needs more still gets it (the runtime caps the collector's share of
// CPU), it only collects more often.
func SoftMemoryLimit(n int64) {
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

// Start-up lasts startupWindow, and beyond it until the process has used
// startupCPU of CPU time (where that can be read), at most
// startupMaxWindow. The heap stays under startupHeap all along.
const (
	startupWindow    = 100 * time.Millisecond
	startupCPU       = 150 * time.Millisecond
	startupMaxWindow = time.Second
	startupHeap      = 64 << 20
)
