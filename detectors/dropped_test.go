package detectors

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ghpWithChecksum builds a synthetic GitHub classic token whose checksum
// is valid (good) or off by one character (!good).
func ghpWithChecksum(body string, good bool) string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := crc32.ChecksumIEEE([]byte(body))
	enc := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		enc[i] = b62[sum%62]
		sum /= 62
	}
	if !good {
		enc[5] = b62[(strings.IndexByte(b62, enc[5])+1)%62]
	}
	return "ghp" + "_" + body + string(enc)
}

// TestMatchDropped: each candidate Match drops for a reason worth
// reviewing comes back from MatchDropped with that reason, on its line;
// what Match reports, and what was never a secret (too short), does not.
func TestMatchDropped(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{Values: []string{"sk_live_" + "Q7mZp2Lx9Rt4Vb8Nc3Hd6Kf1"}, Stopwords: []string{"internalonly"}})
	if err != nil {
		t.Fatal(err)
	}
	body := "Zq8Xv3Lm7Np2Rt5Wy9Kb4Hd6Fg1Jc0Ts"[:30]
	lines := []string{
		"GITHUB_TOKEN=" + ghpWithChecksum(body, false),   // 1 checksum failed
		"AWS_ACCESS_KEY_ID=AKIA" + "IOSFODNN7EXAMPLE",    // 2 known example
		"STRIPE=sk_live_" + "YourSecretKeyGoesHere12345", // 3 placeholder
		"STRIPE=sk_live_" + "Q7mZp2Lx9Rt4Vb8Nc3Hd6Kf1",   // 4 allowlist value
		"STRIPE=sk_live_" + "InternalOnly8Rt4Vb8Nc3Hd",   // 5 allowlist stopword
		"GITHUB_TOKEN=" + ghpWithChecksum(body, true),    // 6 reported: not dropped
		"STRIPE=sk_live_" + "short",                      // 7 never a secret
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	var got []string
	reported := m.Match(data)
	for _, d := range m.MatchDropped(data, reported) {
		got = append(got, fmt.Sprintf("%d %s %s", d.Line, d.Rule.ID, d.Reason))
		if d.Secret != string(data[d.Start:d.End]) {
			t.Errorf("line %d: Secret %q is not data[Start:End]", d.Line, d.Secret)
		}
	}
	want := []string{
		"1 github-pat checksum failed",
		"2 aws-access-key-id known example: AWS documentation example key id",
		"3 stripe-live-secret-key placeholder",
		"4 stripe-live-secret-key allowlist value",
		"5 stripe-live-secret-key allowlist stopword",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("MatchDropped (-want +got):\n%s", d)
	}
	// Match itself is unchanged: it reports only line 6.
	if len(reported) != 1 || reported[0].Line != 6 {
		t.Errorf("Match = %d matches, want one on line 6", len(reported))
	}
}
