package detectors

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Filters for values that are part of how code is written rather than
// credentials: header names, namespaced identifiers, configuration keys
// spelled after their own constant, format strings, values a comment
// quotes to describe a shape, and image data or other non-text a binary
// sniffer let through. Each is measured on third-party code (`make
// fp-vendored`) and must leave every rule's examples found.

// identifierNoise reports why a candidate is code rather than a secret, or
// "" if it may be one. Values that passed a checksum are never filtered.
func identifierNoise(data []byte, c *Match, verified bool) string {
	if verified {
		return ""
	}
	s := c.Secret
	switch {
	case headerName(s):
		return "HTTP header name"
	case namespacedIdentifier(s):
		return "namespaced identifier"
	case formatString(s):
		return "format string"
	case abbreviated(s):
		return "abbreviated example"
	}
	ls := lineStart(data, c.Start)
	before := data[ls:c.Start]
	if name := assignedName(before); name != "" && keyFromName(name, s) {
		return "configuration key named after its constant"
	}
	if commentExample(before) {
		return "example in a comment"
	}
	if imageData(before, s) {
		return "image data"
	}
	if nonText(data, c.Start, c.End) {
		return "non-text"
	}
	return ""
}

// headerName reports whether s is an HTTP header name such as
// x-amz-security-token, X-Api-Key or api-key: hyphen-separated words that
// either start with the "X-" extension prefix, are all capitalised the way
// header names are, or pair a header word (api, auth, session …) with a
// final credential word. A lower-case passphrase (correct-horse-battery)
// has neither shape.
func headerName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 {
		return false
	}
	title := true
	for _, p := range parts {
		// Each word is lower-case or capitalised: X-Amz-Date,
		// x-amz-s3session-token. Random base64url changes case anywhere.
		if p == "" || !isLetter(p[0]) {
			return false
		}
		for i := 1; i < len(p); i++ {
			if !(p[i] >= 'a' && p[i] <= 'z' || isDigit(p[i])) {
				return false
			}
		}
		if p[0] < 'A' || p[0] > 'Z' || strings.ContainsAny(p, "0123456789") {
			title = false
		}
	}
	if strings.EqualFold(parts[0], "x") {
		return true
	}
	if title {
		return true // Api-Key, Proxy-Authorization
	}
	last := strings.ToLower(parts[len(parts)-1])
	switch last {
	case "token", "key", "secret", "signature", "id", "auth", "authorization", "credential", "credentials":
	default:
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		switch strings.ToLower(p) {
		case "api", "auth", "access", "session", "security", "csrf", "xsrf", "amz", "goog", "ms", "client", "bearer", "refresh", "id":
			return true
		}
	}
	return false
}

// namespacedIdentifier reports whether s is a qualified name: words joined
// by '.', ':' or '#' (smithy.api#httpApiKeyAuth, river:unique_nonce,
// hostConfig.NetworkMode), each a code identifier without digits, where
// at least one word is camelCase or snake_case or there are three or more.
// Two plain words (root:toor, correct.horse) may be a password and stay.
func namespacedIdentifier(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ':' || r == '#' })
	if len(parts) < 2 || strings.Count(s, ".")+strings.Count(s, ":")+strings.Count(s, "#") != len(parts)-1 {
		return false // an empty word: a leading, trailing or doubled separator
	}
	structured := len(parts) >= 3
	for _, p := range parts {
		if !codeIdentifier(p) || strings.ContainsAny(p, "0123456789.") {
			return false
		}
		if compound(p) {
			structured = true
		}
	}
	return structured
}

// compound reports whether an identifier joins words: snake_case or a
// lower-to-upper camelCase step.
func compound(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '_' && i < len(s)-1 {
			return true
		}
		if s[i] >= 'A' && s[i] <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			return true
		}
	}
	return false
}

// formatString reports whether s holds a printf verb (%s, %v, %-10s,
// %[1]d …) or a positional brace placeholder ({}, {0}) standing as a
// word, amid the punctuation of URLs and key paths only: the text is
// filled in at run time. "%2F" and other percent-escapes are not verbs.
func formatString(s string) bool {
	// Around its placeholders a format string is plain text; a random
	// password with every symbol in it holds "-%s." or "{}" by chance.
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && strings.IndexByte("%{}[] :/@.-_=?&,+#", c) < 0 {
			return false
		}
	}
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '%':
			if printfVerbAt(s, i) {
				return true
			}
		case '{':
			j := i + 1
			if j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '}' && !alnumAt(s, i-1) && !alnumAt(s, j+1) {
				return true
			}
		}
	}
	return false
}

// printfVerbAt reports whether the '%' at s[i] starts a printf verb.
func printfVerbAt(s string, i int) bool {
	if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
		return false // a percent-escape
	}
	if alnumAt(s, i-1) || i > 0 && s[i-1] == '%' {
		return false // a verb starts a word too: "token:%s", "Bearer %s"
	}
	j := i + 1
	if j < len(s) && s[j] == '[' {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == j+1 || k >= len(s) || s[k] != ']' {
			return false
		}
		j = k + 1
	}
	plain := j
	for j < len(s) && strings.IndexByte("-+# ", s[j]) >= 0 {
		j++
	}
	for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
		j++
	}
	if j >= len(s) {
		return false
	}
	verbs := "svdqxX"
	if j == plain && s[i+1] != '%' {
		verbs = "svdqxXw"
	}
	// A verb ends a word: "token:%s@", "%d items"; a random password
	// with "%5sK" in it does not read as one.
	return strings.IndexByte(verbs, s[j]) >= 0 && !alnumAt(s, j+1)
}

// alnumAt reports whether s[i] exists and is a letter or digit.
func alnumAt(s string, i int) bool {
	return i >= 0 && i < len(s) && (isLetter(s[i]) || isDigit(s[i]))
}

// abbreviated reports whether s ends in an ellipsis: documentation cuts a
// value short ("9cbaf023786cd7...") to show its shape.
func abbreviated(s string) bool {
	return strings.HasSuffix(s, "...") || strings.HasSuffix(s, "…")
}

// assignedName returns the name a value is assigned to, from the text
// before it on its line: NAME = "…", "name": "…", name := '…', name => "…".
// It returns "" when there is no such name.
func assignedName(before []byte) string {
	b := bytes.TrimRight(before, "\"'` \t\\")
	switch {
	case bytes.HasSuffix(b, []byte(":=")), bytes.HasSuffix(b, []byte("=>")):
		b = b[:len(b)-2]
	case bytes.HasSuffix(b, []byte("=")), bytes.HasSuffix(b, []byte(":")):
		b = b[:len(b)-1]
	default:
		return ""
	}
	b = bytes.TrimRight(b, "\"'` \t\\]")
	i := len(b)
	for i > 0 && (isLetter(b[i-1]) || isDigit(b[i-1]) || b[i-1] == '_' || b[i-1] == '-') {
		i--
	}
	return string(b[i:])
}

// keyFromName reports whether value is a configuration key spelled after
// the constant that holds it: s3DisableExpressSessionAuthKey =
// "s3_disable_express_session_auth". The value's words (two or more) must
// be a run of the name's words, case and separators aside.
func keyFromName(name, value string) bool {
	if len(value) < 8 {
		return false
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !(isLetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	vw, nw := words(value), words(name)
	if len(vw) < 2 {
		return false
	}
	for i := 0; i+len(vw) <= len(nw); i++ {
		same := true
		for j := range vw {
			if vw[j] != nw[i+j] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// words splits an identifier into lower-case words at separators and
// camelCase steps: "s3DisableAPIKey" → s3, disable, api, key.
func words(s string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if end > start {
			out = append(out, strings.ToLower(s[start:end]))
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) {
			flush(i)
			start = i + 1
			continue
		}
		if i > start && c >= 'A' && c <= 'Z' {
			p := s[i-1]
			// aB starts a word; so does the B of "APIKey" (ABCd).
			if p >= 'a' && p <= 'z' || isDigit(p) && i-1 > start ||
				p >= 'A' && p <= 'Z' && i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z' {
				flush(i)
				start = i
			}
		}
	}
	flush(len(s))
	return out
}

// exampleMarkers introduce a value that illustrates rather than configures.
var exampleMarkers = []string{"e.g.", "e.g,", "eg.", "eg:", "i.e.", "for example", "for instance", "such as", "example:", "looks like", "of the form", "in the form"}

// commentExample reports whether the value sits in a comment after words
// that introduce an example (// Put inserts a secret (e.g. {"password":
// "…"})). A commented-out assignment (# PASSWORD=…) has no such words and
// is still reported.
func commentExample(before []byte) bool {
	t := bytes.TrimLeft(before, " \t")
	comment := false
	for _, p := range []string{"//", "#", "/*", "*", "--", ";", "<!--", "'", "rem "} {
		if bytes.HasPrefix(t, []byte(p)) {
			comment = true
			break
		}
	}
	if !comment {
		return false
	}
	low := strings.ToLower(string(t))
	for _, m := range exampleMarkers {
		if strings.Contains(low, m) {
			return true
		}
	}
	return false
}

// imageMagic are the base64 openings of image and font files.
var imageMagic = []string{
	"iVBORw0KGgo",     // PNG
	"/9j/",            // JPEG
	"R0lGOD",          // GIF
	"UklGR",           // RIFF (WebP)
	"PHN2Zy",          // <svg
	"AAABAA",          // ICO
	"d09GR", "d09GMg", // WOFF, WOFF2
	"AAEAAAA", // TrueType
}

// imageData reports whether the value is an image or font: a data: URI
// payload, base64 that opens like an image file, or SVG path data.
func imageData(before []byte, s string) bool {
	for _, m := range imageMagic {
		if strings.HasPrefix(s, m) {
			return true
		}
	}
	low := strings.ToLower(string(before) + s)
	for _, m := range []string{"data:image/", "data:font/", "data:application/font", "data:application/x-font"} {
		if strings.Contains(low, m) {
			return true
		}
	}
	if strings.Contains(low, ` d="`) || strings.Contains(low, `points="`) || strings.Contains(low, "<path") {
		return svgPathData(s)
	}
	return false
}

// svgPathData reports whether s is made of SVG path commands and numbers.
func svgPathData(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case strings.IndexByte("MmLlHhVvCcSsQqTtAaZz.,- ", c) >= 0:
		default:
			return false
		}
	}
	return digits >= len(s)/3
}

// nonText reports whether the text around [start, end) is binary: a NUL
// byte, or more than a tenth control bytes and invalid UTF-8, within the
// line (at most DefaultWindow bytes either side).
func nonText(data []byte, start, end int) bool {
	s := max(lineStart(data, start), start-DefaultWindow)
	e := min(lineEnd(data, end), end+DefaultWindow)
	if e-s < 16 {
		return false
	}
	bad := 0
	for i := s; i < e; {
		c := data[i]
		if c == 0 {
			return true
		}
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\r' || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:e])
		if r == utf8.RuneError && n <= 1 {
			bad++
		}
		i += n
	}
	return bad*10 > e-s
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
