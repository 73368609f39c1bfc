package detectors

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitleaksSample is a representative gitleaks config: global and
// per-rule allowlists of every kind, [extend] useDefault, a path
// condition, a path-only rule, a required companion and a key the
// importer does not know.
const gitleaksSample = `
title = "acme custom rules"
minVersion = "v8.25.0"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[allowlist]
description = "global"
paths = ['''(?:^|/)fixtures/''']
regexes = ['''^acme_0{4}''']
stopwords = ["notakey"]

[[allowlists]]
targetRules = ["internal-token"]
commits = ["DEADBEEF00000000000000000000000000000000"]

[[rules]]
id = "acme_api_key"
description = "Acme API key"
regex = '''(?i)acme[_-]?key\s*=\s*['"]?(acme_[a-z0-9]{24})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
tags = ["acme"]
[[rules.allowlists]]
stopwords = ["dummy"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''#\s*rotated''']
[[rules.allowlists]]
condition = "AND"
paths = ['''^docs/''']
regexes = ['''^acme_q''']

[[rules]]
id = "internal-token"
description = "Internal service token"
regex = '''itk-[0-9a-f]{32}'''
path = '''\.env$'''
fancyNewKey = true
[[rules.required]]
id = "acme_api_key"

[[rules]]
id = "generic-api-key"
regex = '''(?i)acme_secret\s*=\s*([a-z0-9]{16,})'''
keywords = ["acme_secret"]

[[rules]]
id = "pem-key"
regex = '''-----BEGIN PEM KEY-----[\s\S-]{64,}?-----END PEM KEY-----'''
keywords = ["-----begin"]

[[rules]]
id = "pkcs12-file"
path = '''\.p12$'''
`

func TestImportGitleaks(t *testing.T) {
	res, err := ImportGitleaks([]byte(gitleaksSample), "gitleaks.toml")
	if err != nil {
		t.Fatal(err)
	}
	f := res.File
	if f.Provider != "acme custom rules" || len(f.Rules) != 4 {
		t.Fatalf("got provider %q and %d rules, want 4", f.Provider, len(f.Rules))
	}
	var ids []string
	for _, r := range f.Rules {
		ids = append(ids, r.ID)
	}
	if want := []string{"gitleaks-acme-api-key", "gitleaks-internal-token", "gitleaks-generic-api-key", "gitleaks-pem-key"}; !cmp.Equal(ids, want) {
		t.Errorf("ids = %q, want %q (prefixed, so they never take a built-in id)", ids, want)
	}
	// gitleaks lets other rules win over a "generic" one; multi-line
	// patterns need to see the whole block.
	if !f.Rules[2].Generic || f.Rules[0].Generic || f.Rules[3].Window < 4096 || f.Rules[0].Window != 0 {
		t.Errorf("generic %v/%v, windows %d/%d", f.Rules[2].Generic, f.Rules[0].Generic, f.Rules[3].Window, f.Rules[0].Window)
	}
	f.Rules = f.Rules[:2]
	if !res.UseDefault {
		t.Error("useDefault not carried")
	}
	// Nothing is dropped without a word.
	for _, want := range []string{"pkcs12-file", "path-only", "required companions", "fancyNewKey", "minVersion", "disabledRules", "targets rules internal-token"} {
		if !strings.Contains(strings.Join(res.NotCarried, "\n"), want) {
			t.Errorf("NotCarried lacks %q:\n%s", want, strings.Join(res.NotCarried, "\n"))
		}
	}
	wantAllow := Allowlist{Regexes: []string{"^acme_0{4}"}, Stopwords: []string{"notakey"}}
	if diff := cmp.Diff(wantAllow, res.Allowlist); diff != "" || !cmp.Equal(res.AllowPaths, []string{"(?:^|/)fixtures/"}) {
		t.Errorf("settings allowlist (-want +got):\n%s paths %q", diff, res.AllowPaths)
	}
	acme, itk := f.Rules[0], f.Rules[1]
	if acme.Imported == nil || acme.Imported.ID != "acme_api_key" || len(acme.Imported.Allowlists) != 4 {
		t.Fatalf("acme rule Imported = %+v, want 3 own allowlists + the global one", acme.Imported)
	}
	if itk.Imported.Path != `\.env$` || len(itk.Imported.Allowlists) != 2 {
		t.Errorf("internal-token Imported = %+v, want its path and the global + targeted allowlists", itk.Imported)
	}
	if got := itk.Keywords; len(got) != 1 || got[0] != "itk-" {
		t.Errorf("derived keywords = %q, want [itk-]", got)
	}

	m, err := NewMatcher(f.Rules, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	key := "acme_" + "q8zr4vt2plw9skm7xc3n5b6a"
	tok := "itk-" + "9f3a1c7e5b2d4086af1e3c5b7d9f0a2c"
	const commit = "deadbeef00000000000000000000000000000000"
	for _, tc := range []struct {
		name, path, commit, in string
		rule                   string // "" = nothing reported
	}{
		{"reported", "app.cfg", "", "ACME_KEY = '" + key + "'", acme.ID},
		{"rule stopword", "app.cfg", "", "ACME_KEY = 'acme_dummy7t2plw9skm7xc3n5b6'", ""},
		{"line regex", "app.cfg", "", "ACME_KEY = '" + key + "' # rotated", ""},
		{"AND: path and regex", "docs/x.md", "", "ACME_KEY = '" + key + "'", ""},
		{"AND: path only is not enough", "docs/x.md", "", "ACME_KEY = 'acme_z8zr4vt2plw9skm7xc3n5b6a'", acme.ID},
		{"global path", "test/fixtures/a.cfg", "", "ACME_KEY = '" + key + "'", ""},
		{"global regex", "app.cfg", "", "ACME_KEY = 'acme_0000t2plw9skm7xc3n5b6a'", ""},
		{"global stopword", "app.cfg", "", "ACME_KEY = 'acme_notakeyplw9skm7xc3n5b'", ""},
		{"rule path condition met", "prod.env", "", "t: " + tok, itk.ID},
		{"rule path condition not met", "prod.txt", "", "t: " + tok, ""},
		{"targeted commit", "prod.env", commit, "t: " + tok, ""},
		{"targeted commit, other rule", "app.cfg", commit, "ACME_KEY = '" + key + "'", acme.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, mt := range m.Match([]byte(tc.in)) {
				if !mt.Rule.Imported.Drops(tc.path, tc.commit, []byte(tc.in), mt) {
					got = append(got, mt.Rule.ID)
				}
			}
			var want []string
			if tc.rule != "" {
				want = []string{tc.rule}
			}
			if !cmp.Equal(got, want) {
				t.Errorf("reported %q, want %q", got, want)
			}
		})
	}
}

func TestImportGitleaksChecksWarn(t *testing.T) {
	res, err := ImportGitleaks([]byte(gitleaksSample), "gitleaks.toml")
	if err != nil {
		t.Fatal(err)
	}
	fail, warn := SplitImportedProblems(res.File.Rules, Check(res.File.Rules))
	if len(fail) != 0 || len(warn) == 0 {
		t.Errorf("fail %v, warn %v: want only warnings about missing examples", fail, warn)
	}
	plain := &Rule{ID: "plain", Name: "p", Keywords: []string{"zz"}, Pattern: "zz(?P<secret>[0-9]{8})", Severity: SeverityLow}
	fail, _ = SplitImportedProblems([]*Rule{plain}, Check([]*Rule{plain}))
	if len(fail) == 0 {
		t.Error("a rule that is not imported still fails without examples")
	}
}

func TestImportGitleaksErrors(t *testing.T) {
	if _, err := ImportGitleaks([]byte("[[rules]\nid="), "bad.toml"); err == nil {
		t.Error("malformed TOML: want an error")
	}
	res, err := ImportGitleaks([]byte("[[rules]]\nid = \"x\"\nregex = '''(a)(b)'''\nsecretGroup = 5\n"), "g.toml")
	if err == nil || res == nil || !strings.Contains(strings.Join(res.NotCarried, "\n"), "secretGroup 5") {
		t.Errorf("missing secret group: err %v, result %+v", err, res)
	}
	bad := &Imported{From: "gitleaks", ID: "x", Allowlists: []ImportedAllowlist{{RegexTarget: "file", Regexes: []string{"a"}}}}
	if bad.Validate() == nil {
		t.Error("unknown regex target: want an error")
	}
}

// gitleaks reports the first capture group that matched when a rule has
// no secretGroup; sprawl reports group 1. Where the two can differ, the
// summary says so; where group 1 always takes part, it stays quiet.
func TestImportGitleaksGroups(t *testing.T) {
	cfg := `
[[rules]]
id = "alt"
regex = '''tok_(?:([a-z]{20})|([0-9]{20}))'''
[[rules]]
id = "plain"
regex = '''(tok_([a-z]{20}))(x)?'''
`
	res, err := ImportGitleaks([]byte(cfg), "g.toml")
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, n := range res.NotCarried {
		if strings.Contains(n, "groups and no secretGroup") {
			groups = append(groups, n)
		}
	}
	if len(groups) != 1 || !strings.Contains(groups[0], "rule alt: the regex has 2 groups") {
		t.Errorf("notes about groups: %q", groups)
	}
}
