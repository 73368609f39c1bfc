// Package termsafe makes text from scanned content and remote services
// safe to show on a terminal. A file name, a commit message, a repository
// name, an API's error message or a skip reason may all be written by an
// attacker; printed as they are, their control characters (ANSI escape
// sequences, carriage returns, newlines) can rewrite what the terminal
// shows, forge extra lines of output or drive the terminal itself, and
// their bidirectional-override characters can reorder what is read.
//
// It imports only the standard library, so that every layer (the
// reports, the organisation scan, the job queue, the command) escapes the
// same way.
package termsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with every character a terminal would not print as a
// visible glyph written as a Go escape: \n, \r and \t by name, others as
// \xHH (below U+0100, and each byte that is not UTF-8) or \uHHHH. That
// covers control characters (ESC starts an ANSI sequence), format
// characters such as U+202E RIGHT-TO-LEFT OVERRIDE, and line and
// paragraph separators. The space is kept. s with nothing to escape is
// returned as it is, without allocating.
func String(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, nonPrinting) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, width := utf8.DecodeRuneInString(s[i:])
		w = width
		switch {
		case r == utf8.RuneError && width == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case !nonPrinting(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// nonPrinting reports whether r should not reach a terminal as is.
func nonPrinting(r rune) bool {
	return r != ' ' && !unicode.IsPrint(r)
}
