//go:build unix

package scanner

import (
	"io"
	"io/fs"
	"syscall"
)

// openRegular opens a file for reading with one system call. os.Open
// makes five more on Linux (it offers each descriptor to the network
// poller, which refuses regular files, switching non-blocking mode on
// and off around it): on Go's source tree, 11,000 small files, those
// calls cost about as much as reading the files. O_NONBLOCK keeps an
// open from waiting on a FIFO put where a file was; it does not change
// how a regular file reads. O_NOFOLLOW: the walk passes symbolic links
// over, and a file swapped for one after the walk saw it (a tree being
// written while it is scanned) must not lead the read out of the tree.
func openRegular(path string) (io.ReadCloser, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return &rawFile{fd: fd, path: path}, nil
	}
}

// rawFile reads a file descriptor with plain system calls.
type rawFile struct {
	fd   int
	path string
}

func (f *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error { return syscall.Close(f.fd) }

// openNonBlock keeps an open from waiting on a FIFO.
const openNonBlock = syscall.O_NONBLOCK
