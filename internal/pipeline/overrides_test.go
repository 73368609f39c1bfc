package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteOverrides(t *testing.T) {
	for _, c := range []struct {
		name      string
		overrides []Override
		want      string
	}{
		{"none", nil, ""},
		{"one", []Override{{ID: "aws-access-key", File: "rules/aws.yaml"}},
			"sprawl: built-in rule aws-access-key is overridden by rules/aws.yaml\n"},
		{"in order", []Override{{ID: "b", File: "z.yaml"}, {ID: "a", File: "y.yaml"}},
			"sprawl: built-in rule b is overridden by z.yaml\nsprawl: built-in rule a is overridden by y.yaml\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if err := (&Pipeline{Overrides: c.overrides}).WriteOverrides(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, b.String()); diff != "" {
				t.Errorf("WriteOverrides (-want +got):\n%s", diff)
			}
		})
	}
}

type brokenWriter struct{}

var errBroken = errors.New("broken pipe")

func (brokenWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestWriteOverridesError(t *testing.T) {
	p := &Pipeline{Overrides: []Override{{ID: "a", File: "f"}}}
	if err := p.WriteOverrides(brokenWriter{}); !errors.Is(err, errBroken) {
		t.Errorf("error %v, want %v", err, errBroken)
	}
	if err := (&Pipeline{}).WriteOverrides(brokenWriter{}); err != nil {
		t.Errorf("no overrides wrote anyway: %v", err)
	}
}
