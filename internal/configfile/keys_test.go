package configfile

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The test format exercises every way a struct names its keys: yaml and
// mapstructure tags, a name from the field itself, inline and squash
// embedding, an untagged embedded struct, and the fields that are no
// keys (remain, "-", unexported).
type (
	testFile struct {
		Name     string               `yaml:"name"`
		Items    []testItem           `yaml:"items"`
		Fixed    [2]testItem          `yaml:"fixed"`
		ByName   map[string]*testItem `yaml:"by-name"`
		Ptr      *testPtr             `mapstructure:"ptr"`
		Section  any                  `yaml:"section"`
		Plain    int
		Inline   testInline   `yaml:",inline"`
		Squashed testSquashed `mapstructure:",squash"`
		testEmbedded
		Rest    map[string]any `mapstructure:",remain"`
		Skipped string         `yaml:"-"`
		hidden  string
	}
	testItem struct {
		Pattern string `yaml:"pattern"`
		Env     string `yaml:"env"`
	}
	testPtr struct {
		Level int `yaml:"level"`
	}
	testInline struct {
		Colour string `yaml:"colour"`
	}
	testSquashed struct {
		Shape string `mapstructure:"shape"`
	}
	testEmbedded struct {
		Size int `yaml:"size"`
	}
	testSection struct {
		MaxAge  map[string]string `yaml:"max-age"`
		Entries []testItem        `yaml:"entries"`
	}
)

// testFile's hidden field is set only here: it is there to show that an
// unexported field is no key.
var _ = testFile{hidden: "not a key"}

var testFormat = Format{
	Type:      reflect.TypeOf(testFile{}),
	Sections:  map[string]reflect.Type{"section": reflect.TypeOf(testSection{})},
	NotScalar: map[string]string{"section": `"section" is a mapping, not a name`},
	TopKeys:   "name:, section:, …",
}

func TestKeys(t *testing.T) {
	want := []string{
		"by-name", "colour", "fixed", "items", "items[].env", "items[].pattern", "name", "plain", "ptr", "ptr.level",
		"section", "section.entries", "section.entries[].env", "section.entries[].pattern", "section.max-age", "shape", "size",
	}
	if d := cmp.Diff(want, testFormat.Keys()); d != "" {
		t.Errorf("Keys (-want +got):\n%s", d)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", ""},
		{"comments only", "# nothing\n", ""},
		{"null document", "~\n", ""},
		{"every key", "name: a\nitems: [{pattern: p, env: e}]\nfixed: [{env: e}]\nby-name: {x: {pattern: p}}\nptr: {level: 1}\nsection: {max-age: {a: 1d}, entries: [{env: e}]}\nplain: 1\ncolour: red\nshape: square\nsize: 3\n", ""},
		{"empty section", "section:\n", ""},
		{"values are left to the decoders", "items: 3\nptr: [a]\nby-name: x\nsection: [a]\n", ""},
		{"not a mapping", "- a\n", "config f.yaml: want a mapping of keys (name:, section:, …) at the top"},
		{"a scalar at the top", "just text\n", "config f.yaml: want a mapping of keys (name:, section:, …) at the top"},
		{"a plain value for a section", "name: a\nsection: db.sqlite\n", `config f.yaml: line 2: "section" is a mapping, not a name`},
		{"a plain value elsewhere is the decoders'", "name: [a]\n", ""},
		{"typo at the top", "nmae: a\n", `config f.yaml: line 1: unknown key "nmae" (did you mean "name"?)`},
		{"closest suggestion first by name", "siz: 1\n", `config f.yaml: line 1: unknown key "siz" (did you mean "size"?)`},
		{"of several near keys the first by name", "nize: 1\n", `config f.yaml: line 1: unknown key "nize" (did you mean "name"?)`},
		{"misplaced key", "max-age: {a: 1d}\n", `config f.yaml: line 1: unknown key "max-age" (did you mean "section.max-age"?)`},
		{"misplaced key from a pointer", "level: 1\n", `config f.yaml: line 1: unknown key "level" (did you mean "ptr.level"?)`},
		{"list entries are never suggested", "pattern: p\n", `config f.yaml: line 1: unknown key "pattern"`},
		{"in a section", "section:\n  maxage: {a: 1d}\n", `config f.yaml: line 2: unknown key "section.maxage" (did you mean "section.max-age"?)`},
		{"in a list", "items:\n  - {pattern: a}\n  - {patern: b}\n", `config f.yaml: line 3: unknown key "items[1].patern" (did you mean "items[1].pattern"?)`},
		{"in an array", "fixed:\n  - {bogus: 1}\n", `config f.yaml: line 2: unknown key "fixed[0].bogus"`},
		{"in a map of pointers", "by-name:\n  x: {envv: e}\n", `config f.yaml: line 2: unknown key "by-name.x.envv" (did you mean "by-name.x.env"?)`},
		{"through a pointer", "ptr:\n  bogus: 1\n", `config f.yaml: line 2: unknown key "ptr.bogus"`},
		{"remain is no key", "rest: 1\n", `config f.yaml: line 1: unknown key "rest"`},
		{"dash is no key", "skipped: 1\n", `config f.yaml: line 1: unknown key "skipped"`},
		{"unexported is no key", "hidden: 1\n", `config f.yaml: line 1: unknown key "hidden"`},
		{"embedding is flattened", "inline: {colour: red}\n", `config f.yaml: line 1: unknown key "inline"`},
		{"every problem, in order", "bogus: 1\nsection: {entries: [{x: 1}]}\nnmae: a\n", `config f.yaml: line 1: unknown key "bogus"; line 2: unknown key "section.entries[0].x"; line 3: unknown key "nmae" (did you mean "name"?)`},
		{"keys are quoted", "\"a\\tb\\x1b\": 1\n", `config f.yaml: line 1: unknown key "a\tb\x1b"`},
		{"a parse error does not quote the file", "a: !!int `secret`\n", "config f.yaml: yaml: found character that cannot start any token"},
		{"a parse error on one line", "a: [\n", "config f.yaml: yaml: line 1: did not find expected node content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := testFormat.Check([]byte(tc.yaml), "f.yaml")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"paths", "paths", 0}, {"path", "paths", 1},
		{"fail_on", "fail-on", 1}, {"maxage", "max-age", 1}, {"kitten", "sitting", 3}, {"ab", "ba", 2},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSafeError(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `root:x:0:0:root:/root:/bin/bash` into int", "yaml: unmarshal errors: line 1: cannot unmarshal !!str a value into int"},
		{"two `a` and `b\nc`", "two a value and a value"},
		{"no quotes\tat all\r\n", "no quotes at all"},
		{"an odd ` stays", "an odd ` stays"},
	} {
		if got := SafeError(errors.New(tc.in)); got != tc.want {
			t.Errorf("SafeError(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
