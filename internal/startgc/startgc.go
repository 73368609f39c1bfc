// Package startgc turns the garbage collector off while the program's
// packages initialise, unless GOGC or GOMEMLIMIT say otherwise.
//
// Package initialisers allocate about 3 MB (the SDKs sprawl links), and
// the collector's first cycle starts near 4 MB: it would run at the end
// of initialisation, freeing next to nothing, and start its mark workers
// in every run, a pre-commit hook's too. main.startupGC, which holds the
// collector off for the first moments of a run, comes too late for that
// one, so this package, imported by main, does the same from its own
// initialiser, which runs before those of the large packages (the
// runtime initialises, among the packages whose imports are done, the
// first by import path; this one needs only the runtime and os). A heap
// that reaches heapLimit is collected as usual; main takes the hold over
// with Release, and without main (a test binary) the hold ends by itself
// after window.
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
