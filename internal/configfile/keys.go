package configfile

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Format is a config file format: the struct a file is decoded into, and
// what that struct cannot say about the file. The keys it accepts are
// read from the struct's yaml (else mapstructure) tags, so a key added to
// the struct is known here.
type Format struct {
	// Type is the struct a file is decoded into.
	Type reflect.Type
	// Sections gives, by key path ("inventory"), the type a section's
	// value is checked against where its field cannot say: a section held
	// as any and decoded by another command.
	Sections map[string]reflect.Type
	// NotScalar names top-level keys whose value is a section, with what
	// to tell someone who gave one a plain value instead (a database
	// name where the inventory policy belongs).
	NotScalar map[string]string
	// TopKeys names a few top-level keys ("format:, allowlist:, …") for
	// the error on a file that is not a mapping.
	TopKeys string
}

// Check rejects a key the format does not have, at any depth, naming the
// key by its full path ("allowlist.path") and, when one is close, the key
// that was probably meant. name is how the file is named in errors.
// Values are left to the decoders.
func (f Format) Check(data []byte, name string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %s", name, SafeError(err))
	}
	if len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s: want a mapping of keys (%s) at the top", name, f.TopKeys)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i].Value, top.Content[i+1]
		if why, ok := f.NotScalar[k]; ok && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			return fmt.Errorf("config %s: line %d: %s", name, v.Line, why)
		}
	}
	var probs []string
	f.walk(top, f.Type, "", &probs)
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("config %s: %s", name, strings.Join(probs, "; "))
}

// Keys lists every key path the format has, sorted, lists' entries
// written as key[] ("inventory.environments[].env").
func (f Format) Keys() []string {
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
		for name, sf := range fields(t) {
			full := joinKey(path, name)
			out = append(out, full)
			walk(f.fieldType(full, sf), full)
		}
	}
	walk(f.Type, "")
	sort.Strings(out)
	return out
}

// fieldType is the type the value at path is checked against: the
// section's where the format names one, else the field's own.
func (f Format) fieldType(path string, sf reflect.StructField) reflect.Type {
	if t, ok := f.Sections[path]; ok {
		return t
	}
	return sf.Type
}

// fields maps the key names a struct type accepts to their fields,
// following yaml ",inline" and mapstructure ",squash" embedding.
func fields(t reflect.Type) map[string]reflect.StructField {
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
			for k, v := range fields(f.Type) {
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

// walk adds to probs a problem for every key under n, at path, that t
// does not have. A value of the wrong kind is left to the decoders.
func (f Format) walk(n *yaml.Node, t reflect.Type, path string, probs *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		known := fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			full := joinKey(path, k)
			sf, ok := known[k]
			if !ok {
				*probs = append(*probs, fmt.Sprintf("line %d: unknown key %q%s", n.Content[i].Line, full, f.suggest(path, k, known)))
				continue
			}
			f.walk(n.Content[i+1], f.fieldType(full, sf), full, probs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			f.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), probs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			f.walk(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value), probs)
		}
	}
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// suggest names the key probably meant: one at the same level a typo
// away, else the same key where it belongs (max-age at the top is
// inventory.max-age).
func (f Format) suggest(path, k string, known map[string]reflect.StructField) string {
	var near []string
	for name := range known {
		if editDistance(name, k) <= 2 {
			near = append(near, joinKey(path, name))
		}
	}
	if len(near) == 0 {
		for _, full := range f.Keys() {
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
