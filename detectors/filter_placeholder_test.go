package detectors

import (
	"strings"
	"testing"
)

// TestPlaceholderWordsInLongValues: a short placeholder word inside a long
// random value (a PEM body) is chance, not a marker; standing alone, or in
// a short value, it still marks a placeholder.
func TestPlaceholderWordsInLongValues(t *testing.T) {
	body := strings.Repeat("MIIEowIBAAKCAQEAq7Bz", 4) + "ToDo" + strings.Repeat("Qx9vLm2Rt8Kp3Ws5Yh7N", 4)
	if why := FalsePositive(body, false); why != "" {
		t.Errorf("long random value with \"todo\" inside: %q, want a secret", why)
	}
	for _, v := range []string{
		"TODO",
		"todo-replace-me",
		strings.Repeat("a1b2", 20) + "-todo-" + strings.Repeat("c3d4", 20),
		"abc" + strings.Repeat("Z", 2) + "example" + strings.Repeat("Qx9vLm2Rt8Kp3Ws5Yh7N", 4),
	} {
		if FalsePositive(v, false) != "placeholder" {
			t.Errorf("%q: want placeholder", v)
		}
	}
}
