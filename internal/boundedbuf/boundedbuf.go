package boundedbuf

import "strings"

// Buffer keeps the first Max bytes written to it and drops the rest. Its
// Write never fails, so the writer is never blocked or stopped by the
// bound.
type Buffer struct {
	Max int
	b   []byte
}

// Write keeps what of p fits under Max and reports all of p written.
func (b *Buffer) Write(p []byte) (int, error) {
	if room := b.Max - len(b.b); room > 0 {
		b.b = append(b.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// Bytes is what was kept.
func (b *Buffer) Bytes() []byte { return b.b }

// String is what was kept, as text.
func (b *Buffer) String() string { return string(b.b) }

// FirstLine is FirstLine of what was kept.
func (b *Buffer) FirstLine() string { return FirstLine(b.b) }

// FirstLine is out without its surrounding white space, up to its first
// newline: the line a tool's error message is quoted by.
func FirstLine(out []byte) string {
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
