package detectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// StatedExpiry is the expiry a credential states about itself, read
// offline and without verifying anything:
//
//   - a JWT's "exp" claim (the secret's first two dot-separated parts are
//     base64url JSON, the header naming an "alg");
//   - an Azure shared access signature's se= field, in the same URL or
//     connection string as its sig=;
//   - for a short-lived credential (class "token"), an expiry timestamp
//     written next to it in the same object, as AWS tools print temporary
//     STS credentials
//     ("Expiration": "2026-01-02T03:04:05Z" from aws sts assume-role,
//     x_security_token_expires in a credentials file).
//
// r is the rule that matched (may be nil), data the text the secret was
// found in and start, end its span.
// ok is false when nothing states an expiry. A claim is a claim: a forged
// token may state anything, so callers use it to judge age, never to
// decide that a credential is harmless. Safe for concurrent use.
func StatedExpiry(r *Rule, secret string, data []byte, start, end int) (exp time.Time, ok bool) {
	if t, ok := JWTExpiry(secret); ok {
		return t, true
	}
	if r != nil && r.ID == "azure-sas-token" {
		return sasExpiry(data, start, end)
	}
	// A long-lived key next to some other object's "expires" field is
	// common; only credentials issued with an expiry look for one.
	if r == nil || strings.ToLower(strings.TrimSpace(r.Class)) != "token" {
		return time.Time{}, false
	}
	return nearbyExpiry(data, start, end)
}

// maxJWT bounds the tokens decoded: a real JWT is a few kilobytes.
const maxJWT = 16 << 10

// JWTExpiry decodes a JWT's header and payload (no signature check) and
// returns its "exp" claim. ok is false when s is not a JWT with an exp.
func JWTExpiry(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > maxJWT || strings.Count(s, ".") < 2 {
		return time.Time{}, false
	}
	parts := strings.SplitN(s, ".", 3)
	var header struct {
		Alg string `json:"alg"`
	}
	if !decodeJWTPart(parts[0], &header) || header.Alg == "" {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if !decodeJWTPart(parts[1], &claims) || claims.Exp == "" {
		return time.Time{}, false
	}
	f, err := claims.Exp.Float64()
	// NumericDate (RFC 7519 §2): seconds since the epoch; anything before
	// 2000 or after 9999 is not a date anyone issued.
	if err != nil || f < 946684800 || f > 253402300799 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

func decodeJWTPart(p string, v any) bool {
	p = strings.TrimRight(p, "=")
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		// Some writers use the standard alphabet.
		if b, err = base64.RawStdEncoding.DecodeString(p); err != nil {
			return false
		}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// expiryNear bounds the search for a stated expiry around a secret: the
// same JSON object or credentials section, not the rest of the file.
const expiryNear = 512

// expiryValue reads what follows an expiry field's name (expiration,
// expires_at, x_security_token_expires, …): the rest of the name, the
// separator and an RFC 3339 value, as in "Expiration": "2026-01-02T03:04:05Z"
// or expiration = 2026-01-02T03:04:05+00:00.
var expiryValue = lazyRegexp(`^[A-Za-z_]*["']?\s*[:=]\s*["']?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)`)

// nearbyExpiry finds the expiry field closest to data[start:end] within
// expiryNear bytes either side. Field names are found by their stem
// "expir" first, so the regular expression only runs where one is.
func nearbyExpiry(data []byte, start, end int) (time.Time, bool) {
	if start < 0 || end > len(data) || start > end {
		return time.Time{}, false
	}
	lo, hi := max(0, start-expiryNear), min(len(data), end+expiryNear)
	window := bytes.ToLower(data[lo:hi])
	best, bestDist := time.Time{}, -1
	for off := 0; ; {
		i := bytes.Index(window[off:], []byte("expir"))
		if i < 0 {
			break
		}
		at := off + i
		off = at + 5
		m := expiryValue().FindSubmatchIndex(data[lo+at+5 : min(hi, lo+at+5+96)])
		if m == nil {
			continue
		}
		t, ok := parseStamp(string(data[lo+at+5+m[2] : lo+at+5+m[3]]))
		if !ok {
			continue
		}
		fieldStart, fieldEnd := lo+at, lo+at+5+m[1]
		d := fieldStart - end
		if fieldEnd <= start {
			d = start - fieldEnd
		}
		if d < 0 {
			d = 0
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = t, d
		}
	}
	return best, bestDist >= 0
}

func parseStamp(s string) (time.Time, bool) {
	s = strings.Replace(s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// sasSE reads a SAS's signed expiry after "se=": 2026-01-02,
// 2026-01-02T03:04:05Z, or the same with its colons percent-encoded.
var sasSE = lazyRegexp(`^(\d{4}-\d{2}-\d{2}(?:T\d{2}(?::|%3[Aa])\d{2}(?:(?::|%3[Aa])\d{2})?(?:Z|%2[Bb]00(?::|%3[Aa])?00|\+00:?00)?)?)`)

// sasExpiry reads the se= of the shared access signature whose sig= spans
// data[start:end]: the nearest on the same line.
func sasExpiry(data []byte, start, end int) (time.Time, bool) {
	if start < 0 || end > len(data) || start > end {
		return time.Time{}, false
	}
	lo := max(bytes.LastIndexByte(data[:start], '\n')+1, start-expiryNear)
	hi := len(data)
	if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
		hi = end + i
	}
	hi = min(hi, end+expiryNear)
	best, bestDist := time.Time{}, -1
	for off := lo; ; {
		i := bytes.Index(data[off:hi], []byte("se="))
		if i < 0 {
			break
		}
		at := off + i
		off = at + 3
		// A parameter of its own: "&se=", not "…ase=".
		if at > lo && !bytes.ContainsAny(data[at-1:at], "?&;\"' \t") {
			continue
		}
		m := sasSE().FindSubmatchIndex(data[at+3 : min(hi, at+3+48)])
		if m == nil {
			continue
		}
		v := strings.NewReplacer("%3A", ":", "%3a", ":", "%2B", "+", "%2b", "+").Replace(string(data[at+3+m[2] : at+3+m[3]]))
		t, ok := parseStamp(v)
		if !ok {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				continue
			}
			t = d.UTC()
		}
		dist := start - (at + 3 + m[1])
		if dist < 0 {
			dist = at - end
		}
		if dist < 0 {
			dist = 0
		}
		if bestDist < 0 || dist < bestDist {
			best, bestDist = t, dist
		}
	}
	return best, bestDist >= 0
}
