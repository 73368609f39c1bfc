package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestSameMemory: a process shares its address space with itself, and an
// exec'd child does not (a vfork child, until it execs, would).
func TestSameMemory(t *testing.T) {
	self := os.Getpid()
	if !sameMemory(self, self) {
		t.Skip("kcmp is not available here: treerss counts a vfork child as its own process")
	}
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if sameMemory(self, cmd.Process.Pid) {
		t.Error("sameMemory(self, exec'd child) = true")
	}
}
