package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// LabelsFile is the name cmd/accuracy gives the answer key inside a
// generated corpus. Score ignores findings in it (it is not in Files).
const LabelsFile = "labels.json"

// ErrNoTemplates is returned when the template directory cannot be found.
var ErrNoTemplates = errors.New("corpus templates not found (testdata/corpus)")

// TemplateDir locates testdata/corpus: next to this package's source when
// the source tree is available (go test, go run), else by walking up from
// the working directory to the module root.
func TemplateDir() (string, error) {
	var cands []string
	if _, file, _, ok := runtime.Caller(0); ok {
		cands = append(cands, filepath.Join(filepath.Dir(file), "..", "..", "testdata", "corpus"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, "testdata", "corpus"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return filepath.Clean(c), nil
		}
	}
	return "", ErrNoTemplates
}

// Generate renders the corpus templates (see TemplateDir) into dstDir with
// the given seed and returns the labels. The same seed always yields the
// same bytes and labels.
func Generate(dstDir string, seed uint64) (Labels, error) {
	dir, err := TemplateDir()
	if err != nil {
		return Labels{}, err
	}
	return GenerateFS(os.DirFS(dir), dstDir, seed)
}

// GenerateFS is Generate with the templates read from tmpl. Every
// top-level directory of tmpl is a project; top-level files (the README)
// are not rendered.
func GenerateFS(tmpl fs.FS, dstDir string, seed uint64) (Labels, error) {
	out := Labels{Seed: seed}
	var files []string
	err := fs.WalkDir(tmpl, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.Contains(p, "/") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("walk templates: %w", err)
	}
	sort.Strings(files)
	projects := map[string]*renderer{}
	for _, p := range files {
		proj := projectOf(p)
		rd := projects[proj]
		if rd == nil {
			h := fnv.New64a()
			h.Write([]byte(proj))
			rd = &renderer{
				g:     &gen{r: rand.New(rand.NewPCG(seed, h.Sum64())), seed: seed, project: proj},
				named: map[string]value{},
			}
			projects[proj] = rd
		}
		src, err := fs.ReadFile(tmpl, p)
		if err != nil {
			return out, fmt.Errorf("read template %s: %w", p, err)
		}
		rel := OutputName(p)
		body, labels, err := rd.render(rel, src)
		if err != nil {
			return out, fmt.Errorf("render %s: %w", p, err)
		}
		dst := filepath.Join(dstDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return out, err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(dst, body, mode); err != nil {
			return out, fmt.Errorf("write %s: %w", rel, err)
		}
		out.Files = append(out.Files, rel)
		out.Items = append(out.Items, labels...)
	}
	sort.Strings(out.Files)
	return out, nil
}

func projectOf(p string) string {
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return p
}

// OutputName maps a template path to the rendered path: every path
// element "dot.X" becomes ".X" (templates hold no hidden files) and a
// trailing ".tmpl" is dropped (go.mod.tmpl, main.go.tmpl: keeps Go tooling
// and gofmt away from template sources).
func OutputName(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "dot.") && len(s) > 4 {
			parts[i] = "." + s[4:]
		}
	}
	last := len(parts) - 1
	parts[last] = strings.TrimSuffix(parts[last], ".tmpl")
	return path.Join(parts...)
}

type renderer struct {
	g     *gen
	named map[string]value // "SECRET|kind/variant:name" -> raw value
}

// marker is a parsed @@TYPE:kind[/variant][:name][|filter...]@@.
type marker struct {
	typ, kind, variant, name string
	filters                  []string
}

var markerTypes = []string{"SECRET:", "FAKE:", "BAIT:"}

func parseMarker(s string) (marker, error) {
	var m marker
	parts := strings.Split(s, "|")
	head := parts[0]
	m.filters = parts[1:]
	f := strings.SplitN(head, ":", 3)
	if len(f) < 2 || f[1] == "" {
		return m, fmt.Errorf("bad marker %q", s)
	}
	m.typ = f[0]
	m.kind = f[1]
	if i := strings.IndexByte(m.kind, '/'); i >= 0 {
		m.kind, m.variant = m.kind[:i], m.kind[i+1:]
	}
	if len(f) == 3 {
		m.name = f[2]
	}
	if m.typ == "BAIT" && (m.variant != "" || m.name != "" || len(m.filters) > 0) {
		return m, fmt.Errorf("BAIT marker %q takes only a kind", s)
	}
	return m, nil
}

// render expands markers in src. Labels get the output position of each
// item; line and column are counted on the rendered bytes.
func (rd *renderer) render(rel string, src []byte) ([]byte, []Label, error) {
	var out bytes.Buffer
	var labels []Label
	line, lineStart := 1, 0
	write := func(b []byte) {
		for i, c := range b {
			if c == '\n' {
				line++
				lineStart = out.Len() + i + 1
			}
		}
		out.Write(b)
	}
	rest := src
	for {
		i := bytes.Index(rest, []byte("@@"))
		if i < 0 {
			write(rest)
			break
		}
		after := rest[i+2:]
		isMarker := false
		for _, t := range markerTypes {
			if bytes.HasPrefix(after, []byte(t)) {
				isMarker = true
			}
		}
		if !isMarker {
			// Advance one byte only, so "x@@@SECRET:…@@" finds its marker.
			write(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		j := bytes.Index(after, []byte("@@"))
		nl := bytes.IndexByte(after, '\n')
		if j < 0 || (nl >= 0 && nl < j) {
			return nil, nil, fmt.Errorf("%s:%d: unterminated marker", rel, line)
		}
		write(rest[:i])
		m, err := parseMarker(string(after[:j]))
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", rel, line, err)
		}
		rest = after[j+2:]
		if m.typ == "BAIT" {
			spec, ok := baitKinds[m.kind]
			if !ok {
				return nil, nil, fmt.Errorf("%s:%d: unknown bait kind %q", rel, line, m.kind)
			}
			labels = append(labels, Label{File: rel, Line: line, Col: out.Len() - lineStart + 1,
				Kind: m.kind, Family: spec.family, Bait: true, Project: rd.g.project})
			continue
		}
		v, spec, err := rd.value(m)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", rel, line, err)
		}
		text, err := applyFilters(m.filters, v.text)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", rel, line, err)
		}
		off := 0
		if v.off > 0 && prefixPreserving(m.filters) {
			pre, _ := applyFilters(m.filters, v.text[:v.off])
			off = len(pre)
		}
		pre := strings.Count(text[:off], "\n")
		startLine := line + pre
		col := out.Len() + off - lineStart + 1
		if pre > 0 {
			col = off - strings.LastIndexByte(text[:off], '\n')
		}
		first := text[off:]
		if k := strings.IndexByte(first, '\n'); k >= 0 {
			first = first[:k]
		}
		if len(first) > 24 {
			first = first[:24]
		}
		labels = append(labels, Label{File: rel, Line: startLine, Col: col,
			Span: strings.Count(text[off:], "\n"), Pre: pre, Kind: m.kind, Family: spec.family,
			Bait: m.typ == "FAKE", Project: rd.g.project, value: first})
		write([]byte(text))
	}
	// Fill in what a zero-width BAIT marker points at, for tests.
	body := out.Bytes()
	lines := bytes.Split(body, []byte("\n"))
	for k := range labels {
		if labels[k].Bait && labels[k].value == "" && labels[k].Line-1 < len(lines) {
			ln := lines[labels[k].Line-1]
			if c := labels[k].Col - 1; c <= len(ln) {
				v := ln[c:]
				if len(v) > 24 {
					v = v[:24]
				}
				labels[k].value = string(v)
			}
		}
	}
	return body, labels, nil
}

func (rd *renderer) value(m marker) (value, kindSpec, error) {
	table := secretKinds
	if m.typ == "FAKE" {
		table = baitKinds
	}
	spec, f, err := lookupGen(table, m.kind, m.variant)
	if err != nil {
		return value{}, spec, err
	}
	if m.name != "" {
		key := m.typ + "|" + m.kind + "/" + m.variant + ":" + m.name
		if v, ok := rd.named[key]; ok {
			return v, spec, nil
		}
		v := f(rd.g)
		rd.named[key] = v
		return v, spec, nil
	}
	return f(rd.g), spec, nil
}

// Filters, applied left to right:
//
//	json     escape for the inside of a JSON string ("\n" becomes \n)
//	escnl    newlines become the two characters \n (a C/Python string)
//	xml      escape &, <, >, " and '
//	url      percent-encode (query escaping)
//	b64      standard base64
//	b64url   unpadded base64url
//	indentN  indent every line after the first by N spaces (YAML blocks)
//	ipynbN   split into notebook "source" strings: each line JSON-escaped,
//	         joined by \n",<newline><N spaces>"
func applyFilters(filters []string, s string) (string, error) {
	for _, f := range filters {
		switch {
		case f == "json":
			s = jsonEscape(s)
		case f == "escnl":
			s = strings.ReplaceAll(s, "\n", `\n`)
		case f == "xml":
			s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
		case f == "url":
			s = url.QueryEscape(s)
		case f == "b64":
			s = b64([]byte(s))
		case f == "b64url":
			s = b64url([]byte(s))
		case strings.HasPrefix(f, "winscp="):
			// WinSCP.ini obfuscation keyed on user+host; the pad comes
			// from the value itself so the same seed gives the same bytes.
			h := fnv.New64a()
			h.Write([]byte(s))
			s = winscpObfuscate(rand.New(rand.NewPCG(h.Sum64(), 0)), f[len("winscp="):], s)
		case strings.HasPrefix(f, "indent"):
			n, err := strconv.Atoi(f[len("indent"):])
			if err != nil {
				return "", fmt.Errorf("bad filter %q", f)
			}
			s = strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
		case strings.HasPrefix(f, "ipynb"):
			n, err := strconv.Atoi(f[len("ipynb"):])
			if err != nil {
				return "", fmt.Errorf("bad filter %q", f)
			}
			ls := strings.Split(s, "\n")
			for i := range ls {
				ls[i] = jsonEscape(ls[i])
			}
			s = strings.Join(ls, "\\n\",\n"+strings.Repeat(" ", n)+"\"")
		default:
			return "", fmt.Errorf("unknown filter %q", f)
		}
	}
	return s, nil
}

// prefixPreserving reports whether filtering a prefix of a value yields a
// prefix of the filtered value, so offsets can be mapped through.
func prefixPreserving(filters []string) bool {
	for _, f := range filters {
		if f == "b64" || f == "b64url" || strings.HasPrefix(f, "winscp=") {
			return false
		}
	}
	return true
}

func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	t := strings.TrimSuffix(b.String(), "\n")
	return t[1 : len(t)-1]
}
