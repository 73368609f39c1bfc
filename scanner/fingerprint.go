package scanner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fingerprint identifies a secret without revealing it: HMAC-SHA256 of
// the value under key, or, with no key, SHA-256 of a domain tag and the
// value. It is hex, 32 characters (128 bits).
//
// Unkeyed fingerprints of low-entropy passwords can be guessed by
// hashing candidates; teams that commit baselines of such findings set a
// fingerprint key (SPRAWL_FINGERPRINT_KEY) in CI.
func Fingerprint(key []byte, secret string) string {
	var sum []byte
	if len(key) > 0 {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(secret))
		sum = m.Sum(nil)
	} else {
		h := sha256.New()
		h.Write([]byte("sprawl-fingerprint-v1\x00"))
		h.Write([]byte(secret))
		sum = h.Sum(nil)
	}
	return hex.EncodeToString(sum[:16])
}

// Redact returns a preview of secret safe to print and store: a few
// leading characters (the provider prefix, usually) and a mask. PEM blocks
// keep their BEGIN line, which names the key type and is not secret.
func Redact(secret string) string {
	if strings.HasPrefix(secret, "-----BEGIN") {
		if i := strings.IndexAny(secret[5:], "\n\\"); i >= 0 {
			return secret[:5+i] + "…REDACTED"
		}
	}
	n := len(secret)
	keep := 0
	switch {
	case n >= 32:
		keep = 8
	case n >= 16:
		keep = 4
	case n >= 10:
		keep = 2
	}
	// Never reveal more than a quarter of the value.
	if keep > n/4 {
		keep = n / 4
	}
	return secret[:keep] + "********"
}
