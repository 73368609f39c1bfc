package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigWidening(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, head string
		want       []string
	}{
		{"unchanged", "allowlist: {paths: ['^a/']}", "allowlist: {paths: ['^a/']}", nil},
		{"narrowed", "allowlist: {paths: ['^a/', '^b/']}\nfail-on: high", "allowlist: {paths: ['^a/']}\nfail-on: low", nil},
		{"path added", "allowlist: {paths: ['^a/']}", "allowlist: {paths: ['^a/', '.*']}", []string{`allowlist.paths adds ".*"`}},
		{"config added", "", "allowlist: {regexes: ['x'], stopwords: [dummy]}\ndisable-rules: [jwt]",
			[]string{`allowlist.regexes adds "x"`, `allowlist.stopwords adds "dummy"`, `disable-rules adds "jwt"`}},
		{"values never shown", "", "allowlist: {values: [v1, v2]}", []string{"allowlist.values adds 2 values (not shown)"}},
		{"fail-on raised", "fail-on: low", "fail-on: critical", []string{`fail-on raised to "critical"`}},
		{"size lowered", "", "max-file-size: 1KB", []string{`max-file-size lowered to "1KB"`}},
		{"size unlimited is wider", "max-file-size: 1KB", "max-file-size: 0", nil},
		{"baseline moved", "baseline: a.json", "baseline: b.json", []string{`baseline now "b.json"`}},
		{"rules added", "rules: [a.yaml]", "rules: [a.yaml, b.yaml]", []string{`rules adds "b.yaml"`}},
		{"fingerprint key", "", "fingerprint-key: k", []string{"fingerprint-key changed"}},
		{"head unreadable widens nothing", "", "allowlist: [", nil},
		{"base unreadable: judged against the defaults", "allowlist: [", "disable-rules: [jwt]", []string{`disable-rules adds "jwt"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var base []byte
			if tc.base != "" {
				base = []byte(tc.base)
			}
			got := ConfigWidening(base, []byte(tc.head))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ConfigWidening (-want +got):\n%s", d)
			}
		})
	}
}
