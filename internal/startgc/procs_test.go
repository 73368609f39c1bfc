package startgc

import "testing"

// A full-history scan leaves git's cat-file a core: one processor fewer,
// never none, and GOMAXPROCS set by the user wins.
func TestFewerProcs(t *testing.T) {
	for _, tc := range []struct {
		procs int
		env   string
		want  int
	}{
		{1, "", 1}, {2, "", 1}, {8, "", 7}, {2, "2", 2}, {8, "8", 8},
	} {
		if got := fewerProcs(tc.procs, tc.env); got != tc.want {
			t.Errorf("fewerProcs(%d, %q) = %d, want %d", tc.procs, tc.env, got, tc.want)
		}
	}
}
