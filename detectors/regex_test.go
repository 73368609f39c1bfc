package detectors

import (
	"regexp"
	"testing"
)

func TestEscapeControls(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`password\s*=\s*(?P<secret>\S+)`, `password\s*=\s*(?P<secret>\S+)`},
		{"a\x1bb", `a\x{1b}b`},
		{"key\t=", `key\x{09}=`},
		{"BEGIN\nEND", `BEGIN\x{0a}END`},
		{"[\r\n]+", `[\x{0d}\x{0a}]+`},
		{"a\\\nb", `a\x{0a}b`},     // an escaped raw newline is the newline
		{"a\\\\\nb", `a\\\x{0a}b`}, // an escaped backslash, then the newline
		{"\\Qa\x1bb\\E", `\Qa\E\x{1b}\Q` + `b\E`},
		{"\\Qx\\E\x07", `\Qx\E\x{07}`},
		{"\\\\Q\x07", `\\Q\x{07}`}, // \\Q is a backslash and a Q, not a quote
		{"del\x7f", `del\x{7f}`},
		{"naïve\x00", `naïve\x{00}`},
	} {
		if got := escapeControls(c.in); got != c.want {
			t.Errorf("escapeControls(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCompileRE2SameMatches: an expression holding raw control
// characters matches, once escaped for RE2, exactly what Go's regexp
// matches with the expression as written.
func TestCompileRE2SameMatches(t *testing.T) {
	inputs := []string{"", "a\x1bb", "ab", "a\\\x1bb", "key\t=1", "key =1", "BEGIN\nEND", "BEGIN END",
		"\r\n", "x\\\ny", "x\ny", "\\Qa\x1bb\\E", "a\x1bb tail", "del\x7f", "\x07", "Q\x07", "\\Q\x07"}
	for _, expr := range []string{"a\x1bb", "^key\t=", "BEGIN\nEND", "[\r\n]+", "x\\\ny", "\\Qa\x1bb\\E",
		"\\Qx\\E\x07", "(?i)DEL\x7f", "[^\x07]+", "\\\\Q\x07"} {
		re, err := CompileRE2(expr)
		if err != nil {
			t.Errorf("CompileRE2(%q): %v", expr, err)
			continue
		}
		want := regexp.MustCompile(expr)
		for _, in := range inputs {
			if got, w := re.FindAllStringIndex(in, -1), want.FindAllStringIndex(in, -1); !sameIndexes(got, w) {
				t.Errorf("%q on %q: RE2 %v, Go %v", expr, in, got, w)
			}
		}
	}
}

func sameIndexes(a, b [][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i][0] != b[i][0] || a[i][1] != b[i][1] {
			return false
		}
	}
	return true
}
