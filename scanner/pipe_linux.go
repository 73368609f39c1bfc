package scanner

import (
	"io"
	"os"
	"syscall"
)

// pipeBytes is the capacity asked for a git child's output pipe: a
// stream of blobs then moves in a few large reads rather than one per
// 64 KiB (the default), each waking this process and git in turn.
const pipeBytes = 1 << 20

// widenPipe enlarges the pipe r reads from, where the kernel allows
// (F_SETPIPE_SZ; capped by /proc/sys/fs/pipe-max-size). Failing leaves
// the pipe as it was: only slower.
func widenPipe(r io.Reader) {
	f, ok := r.(*os.File)
	if !ok {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, pipeBytes)
	})
}
