package verify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/sprawlsec/sprawl/detectors"
)

// response is what a validator's matchers see.
type response struct {
	status int
	header http.Header
	body   []byte

	parsed  bool
	jsonDoc any
}

func (r *response) doc() any {
	if !r.parsed {
		r.parsed = true
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.UseNumber()
		if dec.Decode(&r.jsonDoc) != nil {
			r.jsonDoc = nil
		}
	}
	return r.jsonDoc
}

// matches reports whether every condition m sets holds.
func (r *response) matches(m detectors.ResponseMatch) bool {
	if len(m.Status) > 0 {
		ok := false
		for _, s := range m.Status {
			ok = ok || s == r.status
		}
		if !ok {
			return false
		}
	}
	if m.BodyContains != "" && !bytes.Contains(r.body, []byte(m.BodyContains)) {
		return false
	}
	for _, h := range m.Header {
		vals, present := r.header[http.CanonicalHeaderKey(h.Name)]
		if !present || !strings.Contains(strings.Join(vals, ","), h.Value) {
			return false
		}
	}
	for _, j := range m.JSON {
		got, ok := scalar(lookup(r.doc(), j.Name))
		if !ok || got != j.Value {
			return false
		}
	}
	return true
}

// identity reads the declared identity fields; a value that is the
// secret, or holds it, is dropped.
func (r *response) identity(fields []detectors.IdentityField, secret string) map[string]string {
	var out map[string]string
	for _, f := range fields {
		var v string
		if f.Header != "" {
			v = r.header.Get(f.Header)
		} else {
			x := lookup(r.doc(), f.JSON)
			if list, ok := x.([]any); ok {
				parts := make([]string, 0, len(list))
				for _, e := range list {
					if s, ok := scalar(e); ok {
						parts = append(parts, s)
					}
				}
				v = strings.Join(parts, ",")
			} else {
				v, _ = scalar(x)
			}
		}
		v = clean(v)
		if v == "" || (secret != "" && strings.Contains(v, secret)) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[f.Name] = v
	}
	return out
}

// lookup follows a dotted path (a number indexes a list).
func lookup(doc any, path string) any {
	cur := doc
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// scalar renders a JSON scalar as text.
func scalar(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// clean drops control and format characters (a hostile server must not
// drive the terminal, nor reorder what is read with a bidirectional
// override such as U+202E) and caps the length. What it keeps is stored
// with the verification and shown in reports.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxIdentity {
		s = string(r[:maxIdentity]) + "…"
	}
	return strings.TrimSpace(s)
}
