package detectors

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"hash/crc32"
	"strings"
)

// Checksums maps a validator name (a rule's "checksum" field) to a function
// that reports whether a secret's embedded checksum or structure is valid.
// Validators are pure and safe for concurrent use.
var Checksums = map[string]func(secret string) bool{
	"github-crc32":        githubCRC32,
	"npm-crc32":           githubCRC32,
	"gitlab-crc32":        gitlabRoutableCRC32,
	"github-fine-grained": githubFineGrained,
	"pypi-macaroon":       pypiMacaroon,
	"jwt":                 jwtStructure,
	"basic-auth":          basicAuth,
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func base62Decode(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base62Alphabet, s[i])
		if d < 0 {
			return 0, false
		}
		v = v*62 + uint64(d)
	}
	return v, true
}

// githubCRC32 checks "prefix_" + 30 random + 6 base62 CRC32 chars, the
// layout of GitHub classic tokens and npm's granular tokens.
func githubCRC32(tok string) bool {
	i := strings.IndexByte(tok, '_')
	if i < 0 || len(tok)-i-1 != 36 {
		return false
	}
	body := tok[i+1:]
	want, ok := base62Decode(body[30:])
	return ok && uint64(crc32.ChecksumIEEE([]byte(body[:30]))) == want
}

// gitlabRoutableCRC32 checks GitLab's routable token suffix: the last 7
// characters are CRC32 (base36, zero-padded) of everything before them.
func gitlabRoutableCRC32(tok string) bool {
	if len(tok) < 8 {
		return false
	}
	body, sum := tok[:len(tok)-7], strings.ToLower(tok[len(tok)-7:])
	var v uint64
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'z':
			d = c - 'a' + 10
		default:
			return false
		}
		v = v*36 + uint64(d)
	}
	return uint64(crc32.ChecksumIEEE([]byte(body))) == v
}

// githubFineGrained checks the (undocumented) SHA-256/base32 check in a
// fine-grained PAT. GitHub does not document it, so rules use it only as
// a confidence signal, not to drop tokens.
func githubFineGrained(tok string) bool {
	if len(tok) != 93 {
		return false
	}
	sum := sha256.Sum256([]byte(tok[:77]))
	return base32.StdEncoding.EncodeToString(sum[:])[:8] == tok[77:85]
}

// pypiMacaroon checks that a PyPI token's body is a macaroon naming pypi.org
// or test.pypi.org.
func pypiMacaroon(tok string) bool {
	body := strings.TrimPrefix(tok, "pypi-")
	if len(body) > 24 {
		body = body[:24]
	}
	body = body[:len(body)/4*4]
	b, err := base64.URLEncoding.DecodeString(body)
	if err != nil {
		return false
	}
	s := string(b)
	return strings.Contains(s, "pypi.org")
}

// jwtStructure checks that a token has a JSON header with an "alg" member.
func jwtStructure(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return false
	}
	h, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	if err != nil {
		return false
	}
	p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return false
	}
	hs := string(h)
	return strings.HasPrefix(strings.TrimSpace(hs), "{") && strings.Contains(hs, `"alg"`) &&
		strings.HasPrefix(strings.TrimSpace(string(p)), "{")
}

// basicAuth checks that a token is base64 of "user:password" in printable
// text, as HTTP Basic credentials are; test data that merely looks like
// base64 fails.
func basicAuth(tok string) bool {
	tok = strings.TrimRight(tok, "=")
	b, err := base64.RawStdEncoding.DecodeString(tok)
	if err != nil {
		return false
	}
	colon := -1
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c == ':' && colon < 0 {
			colon = i
		}
	}
	return colon >= 0 && colon < len(b)-1
}
