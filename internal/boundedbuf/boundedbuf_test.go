package boundedbuf

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuffer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"under the bound", 32, []string{"fatal: ", "bad object"}, "fatal: bad object"},
		{"exactly the bound", 5, []string{"ab", "cde"}, "abcde"},
		{"cut within a write", 4, []string{"ab", "cdef", "gh"}, "abcd"},
		{"nothing after the bound", 2, []string{"ab", "c"}, "ab"},
		{"no room", 0, []string{"abc"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Buffer{Max: tc.max}
			for _, w := range tc.writes {
				n, err := b.Write([]byte(w))
				if n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
				}
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if string(b.Bytes()) != b.String() {
				t.Errorf("Bytes %q and String %q differ", b.Bytes(), b.String())
			}
		})
	}
}

// TestBufferCopy: io.Copy (as exec.Cmd uses) goes through Write, never
// around the bound.
func TestBufferCopy(t *testing.T) {
	b := &Buffer{Max: 10}
	n, err := io.Copy(b, strings.NewReader(strings.Repeat("x", 1<<20)))
	if n != 1<<20 || err != nil || b.String() != strings.Repeat("x", 10) {
		t.Errorf("io.Copy = %d, %v, kept %q", n, err, b.String())
	}
}

func TestFirstLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  fatal: not a git repository\n", "fatal: not a git repository"},
		{"\n\nerror: one\nhint: two\n", "error: one"},
		{"only line", "only line"},
		{"\tWARNING: x\r\nERROR: y", "WARNING: x\r"},
	} {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			if got := FirstLine([]byte(tc.in)); got != tc.want {
				t.Errorf("FirstLine = %q, want %q", got, tc.want)
			}
			b := &Buffer{Max: 1 << 10}
			_, _ = b.Write([]byte(tc.in))
			if got := b.FirstLine(); got != tc.want {
				t.Errorf("Buffer.FirstLine = %q, want %q", got, tc.want)
			}
		})
	}
}
