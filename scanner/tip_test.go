package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretsAt: the file at a revision is searched in windows; a secret
// across a window boundary, at the very end, or among many (the
// automaton path) is found; a path absent at the revision is checked and
// holds nothing; a later edit that removed a secret is seen.
func TestSecretsAt(t *testing.T) {
	r := newGitRepo(t)
	a, b, gone := testToken(501), testToken(502), testToken(503)
	var many []string
	for i := 0; i < 12; i++ {
		many = append(many, testToken(510+i))
	}
	// The first window holds tipWindow bytes and the longest secret's
	// length: a starts 10 bytes before its end, across the boundary.
	big := strings.Repeat("x", tipWindow+len(a)-10) + a + strings.Repeat("y", 2*tipWindow) + b
	r.write("big.txt", big)
	r.write("small.env", "K="+gone+"\n")
	r.write("many.txt", strings.Join(many[:10], "\n"))
	r.commit("one")
	r.write("small.env", "K=rotated\n")
	head := r.commit("two")

	found, checked, err := SecretsAt(context.Background(), "", r.dir, head, map[string][]string{
		"big.txt":   {a, b, "absent-value-x"},
		"small.env": {gone},
		"many.txt":  many,
		"nowhere":   {a},
		"bad\npath": {a},
	})
	if err != nil {
		t.Fatal(err)
	}
	manyFound := map[string]bool{}
	for _, s := range many[:10] {
		manyFound[s] = true
	}
	want := map[string]map[string]bool{"big.txt": {a: true, b: true}, "many.txt": manyFound}
	if d := cmp.Diff(want, found); d != "" {
		t.Errorf("found (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]bool{"big.txt": true, "small.env": true, "many.txt": true, "nowhere": true}, checked); d != "" {
		t.Errorf("checked (-want +got):\n%s", d)
	}
}
