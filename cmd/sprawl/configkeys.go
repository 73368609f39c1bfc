package main

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sprawlsec/sprawl/inventory"
)

// checkConfigKeys rejects a key the config file format does not have, at
// any depth, naming the key by its full path ("allowlist.path") and, when
// one is close, the key that was probably meant. The known keys are read
// from the types the file is decoded into (fileConfig, and
// inventory.PolicyConfig for the inventory section), so a key added there is
// known here. Values are left to the decoders.
func checkConfigKeys(data []byte, name string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return usageErr("config %s: %s", name, safeConfigError(err))
	}
	if len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		return usageErr("config %s: want a mapping of keys (format:, allowlist:, inventory:, …) at the top", name)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k, v := top.Content[i].Value, top.Content[i+1]; k == "inventory" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			return usageErr("config %s: line %d: \"inventory\" is the inventory policy section (environments, max-age, rule-max-age, path-max-age, unused-after), not the database; name the database with --inventory or %s", name, v.Line, envInventory)
		}
	}
	var probs []string
	walkConfigKeys(top, reflect.TypeOf(fileConfig{}), "", &probs)
	if len(probs) == 0 {
		return nil
	}
	return usageErr("config %s: %s", name, strings.Join(probs, "; "))
}

// configFieldType is the type a key's value is checked against where the
// Go field cannot say: the inventory section is decoded by the inventory
// commands (configPolicy), not by the settings.
func configFieldType(path string, f reflect.StructField) reflect.Type {
	if path == "inventory" {
		return reflect.TypeOf(inventory.PolicyConfig{})
	}
	return f.Type
}

// configFields maps the key names a struct type accepts to their fields,
// following yaml ",inline" and mapstructure ",squash" embedding.
func configFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("yaml")
		if !ok {
			tag, ok = f.Tag.Lookup("mapstructure")
		}
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case strings.Contains(opts, "inline") || strings.Contains(opts, "squash") || (!ok && f.Anonymous):
			for k, v := range configFields(f.Type) {
				out[k] = v
			}
			continue
		case strings.Contains(opts, "remain") || name == "-" || !f.IsExported():
			continue
		case name == "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

func walkConfigKeys(n *yaml.Node, t reflect.Type, path string, probs *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := configFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			full := joinKey(path, k)
			f, ok := fields[k]
			if !ok {
				*probs = append(*probs, fmt.Sprintf("line %d: unknown key %q%s", n.Content[i].Line, full, suggestKey(path, k, fields)))
				continue
			}
			walkConfigKeys(n.Content[i+1], configFieldType(full, f), full, probs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			walkConfigKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), probs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkConfigKeys(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value), probs)
		}
	}
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// suggestKey names the key probably meant: one at the same level a typo
// away, else the same key where it belongs (max-age at the top is
// inventory.max-age).
func suggestKey(path, k string, fields map[string]reflect.StructField) string {
	var near []string
	for name := range fields {
		if editDistance(name, k) <= 2 {
			near = append(near, joinKey(path, name))
		}
	}
	if len(near) == 0 {
		for _, full := range allConfigKeys() {
			if strings.HasSuffix(full, "."+k) && !strings.Contains(full, "[") {
				near = append(near, full)
			}
		}
	}
	if len(near) == 0 {
		return ""
	}
	sort.Strings(near)
	return fmt.Sprintf(" (did you mean %q?)", near[0])
}

// allConfigKeys lists every key path the file format has, lists' entries
// written as key[].
func allConfigKeys() []string {
	var out []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			if t.Kind() == reflect.Slice {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for name, f := range configFields(t) {
			full := joinKey(path, name)
			out = append(out, full)
			walk(configFieldType(full, f), full)
		}
	}
	walk(reflect.TypeOf(fileConfig{}), "")
	sort.Strings(out)
	return out
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
