package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{1, "repository", "1 repository"},
		{0, "repository", "0 repositories"},
		{2, "repository", "2 repositories"},
		{3, "entry", "3 entries"},
		{2, "key", "2 keys"},
		{2, "day", "2 days"},
		{2, "secret", "2 secrets"},
		{2, "CI store", "2 CI stores"},
		{2, "CI/CD variable", "2 CI/CD variables"},
		{2, "store secret object", "2 store secret objects"},
		{2, "process", "2 processes"},
		{2, "index", "2 indexes"},
		{2, "batch", "2 batches"},
		{2, "hash", "2 hashes"},
		{-1, "finding", "-1 findings"},
		{1, "", "1 "},
		{2, "y", "2 ys"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}
