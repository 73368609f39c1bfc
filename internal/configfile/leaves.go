package configfile

import (
	"fmt"
	"sort"
)

// Leaves lists the leaves of v, a section of a config file as YAML or
// viper decodes it (maps of string keys, lists, plain values), as keys
// below prefix, dotted for a map's keys and indexed for a list's entries
// ("inventory.environments[0].env"), each with its value as fmt.Sprint
// prints it, sorted by key. A nil leaf is left out. The keys and values
// are the file's own: whoever prints them makes them safe to show.
func Leaves(prefix string, v any) [][2]string {
	var out [][2]string
	switch t := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range t {
			out = append(out, Leaves(prefix+"."+k, e)...)
		}
	case []any:
		for i, e := range t {
			out = append(out, Leaves(fmt.Sprintf("%s[%d]", prefix, i), e)...)
		}
	default:
		out = append(out, [2]string{prefix, fmt.Sprint(t)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
