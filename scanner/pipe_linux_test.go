package scanner

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

func pipeSize(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		n, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETPIPE_SZ, 0)
	}); err != nil {
		t.Fatal(err)
	}
	if errno != 0 {
		t.Fatal(errno)
	}
	return int(n)
}

func TestWidenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before := pipeSize(t, r)
	widenPipe(r)
	after := pipeSize(t, r)
	max := pipeBytes
	if b, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		var m int
		if _, err := fmt.Sscan(string(b), &m); err == nil && m < max && os.Geteuid() != 0 {
			max = m
		}
	}
	if after < max || after < before {
		t.Fatalf("pipe holds %d bytes after widenPipe (before %d), want %d", after, before, max)
	}
	// Anything but a pipe is left alone, without a panic.
	widenPipe(nil)
	widenPipe(os.Stdin)
}
