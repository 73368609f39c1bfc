package configfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLeaves(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want [][2]string
	}{
		{"nothing", nil, nil},
		{"empty map", map[string]any{}, nil},
		{"empty list", []any{}, nil},
		{"plain value", "30d", [][2]string{{"inventory", "30d"}}},
		{"number", 1.5, [][2]string{{"inventory", "1.5"}}},
		{
			"section",
			map[string]any{
				"unused-after": "3d",
				"max-age":      map[string]any{"token": "30d", "aws": "1h"},
				"environments": []any{map[string]any{"pattern": "prod/", "env": "production"}, map[string]any{"pattern": "ci/", "env": nil}},
			},
			[][2]string{
				{"inventory.environments[0].env", "production"},
				{"inventory.environments[0].pattern", "prod/"},
				{"inventory.environments[1].pattern", "ci/"},
				{"inventory.max-age.aws", "1h"},
				{"inventory.max-age.token", "30d"},
				{"inventory.unused-after", "3d"},
			},
		},
		{"nested lists", []any{1, []any{2, []any{3}}, nil, true}, [][2]string{{"inventory[0]", "1"}, {"inventory[1][0]", "2"}, {"inventory[1][1][0]", "3"}, {"inventory[3]", "true"}}},
		{"other maps are values", map[string]any{"z": map[any]any{1: 2}}, [][2]string{{"inventory.z", "map[1:2]"}}},
		{"keys and values are the file's own", map[string]any{"\x1b[2J": "a\tb\nc", "": 2}, [][2]string{{"inventory.", "2"}, {"inventory.\x1b[2J", "a\tb\nc"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, Leaves("inventory", tc.v)); d != "" {
				t.Errorf("Leaves (-want +got):\n%s", d)
			}
		})
	}
}
