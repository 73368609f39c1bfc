//go:build !unix

package scanner

import (
	"io"
	"os"
)

// openRegular opens a file for reading.
func openRegular(path string) (io.ReadCloser, error) { return os.Open(path) }

// openNonBlock: no FIFOs to wait on here.
const openNonBlock = 0
