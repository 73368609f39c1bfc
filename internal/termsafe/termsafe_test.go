package termsafe

import (
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"acme/api", "acme/api"},
		{"two words", "two words"},
		{"naïve 日本 ✓", "naïve 日本 ✓"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"a\nsprawl: forged line", `a\nsprawl: forged line`},
		{"over\rwrite", `over\rwrite`},
		{"tab\there", `tab\there`},
		{"bell\a", `bell\x07`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b2J", `c1 \x9b2J`},
		{"evil\u202egpj.exe", `evil\u202egpj.exe`},
		{"line\u2028sep", `line\u2028sep`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{`quote " and back\slash`, `quote " and back\slash`},
		{"nbsp\u00a0", `nbsp\xa0`},
	}
	for _, c := range cases {
		got := String(c.in)
		if got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
		for i := 0; i < len(got); i++ {
			if b := got[i]; b < 0x20 || b == 0x7f {
				t.Errorf("String(%q) = %q keeps control byte %#x", c.in, got, b)
			}
		}
		if !utf8.ValidString(got) {
			t.Errorf("String(%q) = %q is not UTF-8", c.in, got)
		}
	}
}

// TestStringNoAlloc: text with nothing to escape, nearly all of it, costs
// no allocation.
func TestStringNoAlloc(t *testing.T) {
	s := "github.com/acme/payments-api: full scan, 1204 blobs"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String allocates %v times on printable text", n)
	}
}
