package startgc

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// TestHugeHeap: after HugeHeap, memory the heap hands out next is backed
// by huge pages, where the kernel grants them on request.
func TestHugeHeap(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) && !bytes.Contains(mode, []byte("[always]")) {
		t.Skipf("transparent huge pages not available: %q", mode)
	}
	before := anonHuge(t)
	HugeHeap(32 << 20)
	var keep [][]byte
	for range 4 {
		b := make([]byte, 4<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	if after := anonHuge(t); after-before < 2<<20 {
		t.Errorf("AnonHugePages grew by %d bytes after touching 16 MiB, want at least one 2 MiB page", after-before)
	}
	_ = keep
}

// anonHuge returns the process's anonymous memory in huge pages.
func anonHuge(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("AnonHugePages:")); ok {
			kb, err := strconv.Atoi(string(bytes.Fields(v)[0]))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no AnonHugePages in smaps_rollup")
	return 0
}
