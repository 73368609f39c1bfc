package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
)

// ErrMissingObject marks an object the history names but the repository
// does not hold (a partial clone, a mirror made without its largest
// objects, a damaged object store). The scan reads everything else.
var ErrMissingObject = errors.New("object missing from the repository")

// batchObject is the header of one object in a `git cat-file --batch`
// stream: "<id> <type> <size>", or "<request> missing".
type batchObject struct {
	id      oid
	typ     string
	size    int64
	missing bool
	request string // what was asked, for a missing object
}

// readBatch parses a `git cat-file --batch` stream from br, calling fn for
// each object with a reader of its content (fn need not read it all: the
// rest is skipped). It stops after n objects (n < 0: at the end of the
// stream) or at fn's first error.
func readBatch(br *bufio.Reader, n int, fn func(batchObject, io.Reader) error) error {
	for i := 0; n < 0 || i < n; i++ {
		header, err := br.ReadSlice('\n')
		if err == io.EOF && len(header) == 0 {
			if n < 0 {
				return nil
			}
			return fmt.Errorf("%w: cat-file: stream ended after %d of %d objects", ErrGit, i, n)
		}
		if err != nil {
			return fmt.Errorf("%w: cat-file: %v", ErrGit, err)
		}
		line := string(bytes.TrimSuffix(header, []byte{'\n'}))
		if req, ok := strings.CutSuffix(line, " missing"); ok {
			if err := fn(batchObject{missing: true, request: req}, bytes.NewReader(nil)); err != nil {
				return err
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("%w: cat-file: bad header %q", ErrGit, line)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		id, ok := parseOID([]byte(f[0]))
		if err != nil || size < 0 || !ok {
			return fmt.Errorf("%w: cat-file: bad header %q", ErrGit, line)
		}
		body := io.LimitReader(br, size)
		if err := fn(batchObject{id: id, typ: f[1], size: size}, body); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return fmt.Errorf("%w: cat-file: %v", ErrGit, err)
		}
		if _, err := br.Discard(1); err != nil { // the newline after the content
			return fmt.Errorf("%w: cat-file: %v", ErrGit, err)
		}
	}
	return nil
}

// batch is a running `git cat-file --batch` asked for a fixed list of
// objects (ids or "rev:path" names) fed on its standard input.
type batch struct {
	cmd      *exec.Cmd
	out      *bufio.Reader
	stderr   boundedbuf.Buffer
	writeErr chan error
}

// startBatch starts cmd (a cat-file --batch) and writes requests to it,
// one a line, from a goroutine, then closes its input: git may buffer
// its output (--buffer), since nothing waits on an answer before the
// next request. A request holding a newline cannot be asked and is
// refused here.
func startBatch(cmd *exec.Cmd, requests []string) (*batch, error) {
	for _, r := range requests {
		if strings.ContainsAny(r, "\n\r") {
			return nil, fmt.Errorf("%w: cat-file: cannot ask for %q", ErrGit, r)
		}
	}
	b, stdin, err := startBatchInput(cmd)
	if err != nil {
		return nil, err
	}
	go func() {
		w := bufio.NewWriter(stdin)
		var e error
		for _, r := range requests {
			if _, e = w.WriteString(r + "\n"); e != nil {
				break
			}
		}
		if e == nil {
			e = w.Flush()
		}
		stdin.Close()
		b.writeErr <- e
	}()
	return b, nil
}

// startBatchInput starts cmd (a cat-file --batch) and returns its input,
// which the caller writes requests to and closes, then sends what
// writing them returned on b.writeErr (once, always: finish waits for
// it).
func startBatchInput(cmd *exec.Cmd) (*batch, io.WriteCloser, error) {
	b := &batch{cmd: cmd, writeErr: make(chan error, 1), stderr: boundedbuf.Buffer{Max: 4096}}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = &b.stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	widenPipe(stdout)
	b.out = bufio.NewReaderSize(stdout, 1<<20)
	return b, stdin, nil
}

// finish waits for git; after an error of the caller's it stops git
// first. It returns the first failure.
func (b *batch) finish(ctx context.Context, perr error) error {
	if perr != nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
		<-b.writeErr
		return perr
	}
	_, _ = io.Copy(io.Discard, b.out)
	werr := <-b.writeErr
	if err := b.cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: cat-file: %v %s", ErrGit, err, b.stderr.FirstLine())
	}
	if werr != nil {
		return fmt.Errorf("%w: cat-file: %v", ErrGit, werr)
	}
	return nil
}

// chunkSize is n, or DefaultChunkSize where n is not set.
func chunkSize(n int) int {
	if n <= 0 {
		return DefaultChunkSize
	}
	return n
}

// sortOIDs sorts ids in byte order, which is git's.
func sortOIDs(ids []oid) {
	slices.SortFunc(ids, func(a, b oid) int { return bytes.Compare(a[:], b[:]) })
}
