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

// Redact returns the preview of secret that is safe to print and store.
// It is the one function every preview comes from (the engine's findings,
// the inventory's preview column, every report format), and it looks at
// the secret's own span only, never at the text around it.
//
// The preview keeps at most a quarter of the value and never more than
// eight characters (the provider prefix, usually), then a mask. A PEM
// block keeps its BEGIN label, which names the key type and is not
// secret, and nothing after it: base64 that shares the header's line is
// key material.
func Redact(secret string) string {
	if label, ok := pemLabel(secret); ok {
		return "-----BEGIN " + label + "-----…REDACTED"
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
	keep = min(keep, n/4)
	// Keep printable ASCII only, so that the preview never ends inside a
	// multi-byte character or carries a control character.
	for i := 0; i < keep; i++ {
		if c := secret[i]; c < 0x21 || c > 0x7e {
			keep = i
			break
		}
	}
	return secret[:keep] + "********"
}

// maxPEMLabel bounds the label Redact keeps ("ENCRYPTED PRIVATE KEY",
// "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK" are the long ones).
const maxPEMLabel = 40

// pemLabel returns the label of a secret that starts with a PEM BEGIN
// line ("-----BEGIN <LABEL>-----"), when the label is made of the
// upper-case letters, digits and spaces labels are made of.
func pemLabel(secret string) (string, bool) {
	const begin = "-----BEGIN "
	if !strings.HasPrefix(secret, begin) {
		return "", false
	}
	rest := secret[len(begin):]
	end := strings.Index(rest, "-----")
	if end <= 0 || end > maxPEMLabel {
		return "", false
	}
	label := rest[:end]
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ') {
			return "", false
		}
	}
	return label, true
}
