//go:build !linux

package startgc

// HugeHeap does nothing off Linux.
func HugeHeap(n int) {}
