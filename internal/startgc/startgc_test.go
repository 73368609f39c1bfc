package startgc

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// TestStartupGC: the collector is off (under a heap limit) for the first
// moments of a run and back to its setting afterwards; GOGC set by the
// user is left alone.
func TestStartupGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT set")
	}
	Start()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("during start-up: GC percent %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != startupHeap {
		t.Errorf("during start-up: memory limit %d, want %d", l, startupHeap)
	}
	deadline := time.Now().Add(2 * startupMaxWindow)
	for debug.SetMemoryLimit(-1) != math.MaxInt64 && time.Now().Before(deadline) {
		time.Sleep(startupWindow / 10)
	}
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Errorf("after start-up: GC percent %d, want 100", p)
	}
	debug.SetGCPercent(100)
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("after start-up: memory limit %d, want none", l)
	}

	t.Setenv("GOGC", "50")
	Start()
	p := debug.SetGCPercent(100)
	if p != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", p)
	}
}
