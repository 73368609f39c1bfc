package verify

import (
	"strings"
	"testing"
)

// TestClean: what a provider answers loses its control and format
// characters (an ANSI sequence, a newline, a right-to-left override, a
// zero-width space) before it is stored, and is capped.
func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"octocat", "octocat"},
		{"  arn:aws:iam::123456789012:user/ci  ", "arn:aws:iam::123456789012:user/ci"},
		{"evil\x1b[2K\r\nuser", "evil[2Kuser"},
		{"admin\u202egnp.exe", "admingnp.exe"},
		{"zero\u200bwidth", "zerowidth"},
		{"naïve 日本", "naïve 日本"},
		{strings.Repeat("a", maxIdentity+5), strings.Repeat("a", maxIdentity) + "…"},
	} {
		if got := clean(c.in); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
