package detectors

import (
	"strings"
	"testing"
)

const gitleaksSample = `
title = "acme custom rules"

[[rules]]
id = "acme_api_key"
description = "Acme API key"
regex = '''(?i)acme[_-]?key\s*=\s*['"]?(acme_[a-z0-9]{24})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
tags = ["acme"]
[rules.allowlist]
stopwords = ["dummy"]

[[rules]]
id = "internal-token"
description = "Internal service token"
regex = '''itk-[0-9a-f]{32}'''

[[rules]]
id = "pkcs12-file"
path = '''\.p12$'''
`

func TestImportGitleaks(t *testing.T) {
	f, notes, err := ImportGitleaks([]byte(gitleaksSample), "gitleaks.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Provider != "acme custom rules" || len(f.Rules) != 2 {
		t.Fatalf("got provider %q and %d rules, want 2", f.Provider, len(f.Rules))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "pkcs12-file") || !strings.Contains(notes[0], "path-only") {
		t.Errorf("notes = %q, want one naming the skipped path-only rule", notes)
	}
	m, err := NewMatcher(f.Rules, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, rule, secret string
	}{
		{"ACME_KEY = 'acme_q8zr4vt2plw9skm7xc3n5b6a'", "acme-api-key", "acme_q8zr4vt2plw9skm7xc3n5b6a"},
		{"t: itk-9f3a1c7e5b2d4086af1e3c5b7d9f0a2c", "internal-token", "itk-9f3a1c7e5b2d4086af1e3c5b7d9f0a2c"},
		{"ACME_KEY = 'acme_dummy7t2plw9skm7xc3n5b6'", "", ""},
	} {
		ms := m.Match([]byte(tc.in))
		if tc.rule == "" {
			if len(ms) != 0 {
				t.Errorf("%q: want no match (stopword), got %v", tc.in, ms[0].Secret)
			}
			continue
		}
		if len(ms) != 1 || ms[0].Rule.ID != tc.rule || ms[0].Secret != tc.secret {
			t.Errorf("%q: got %+v, want %s %q", tc.in, ms, tc.rule, tc.secret)
		}
	}
	if got := f.Rules[1].Keywords; len(got) != 1 || got[0] != "itk-" {
		t.Errorf("derived keywords = %q, want [itk-]", got)
	}
}

func TestImportGitleaksErrors(t *testing.T) {
	if _, _, err := ImportGitleaks([]byte("[[rules]\nid="), "bad.toml"); err == nil {
		t.Error("malformed TOML: want an error")
	}
	if _, notes, err := ImportGitleaks([]byte("[[rules]]\nid = \"x\"\nregex = '''(a)(b)'''\nsecretGroup = 5\n"), "g.toml"); err == nil || len(notes) != 1 {
		t.Errorf("missing secret group: err %v notes %q", err, notes)
	}
}
