package detectors

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Decoders undo the encodings credential files put on passwords, by the
// name a rule's Decode field gives. Each takes the secret group and the
// whole text the pattern matched (for formats that key the encoding on
// other fields) and returns the password, or false when the text does
// not decode to one.
var Decoders = map[string]func(secret, match string) (string, bool){
	"base64":      decodeBase64Password,
	"docker-auth": decodeDockerAuth,
	"winscp":      decodeWinSCP,
	"percent":     decodePercent,
}

// decodePercent undoes URL percent-encoding (git-credentials, index URLs).
func decodePercent(s, _ string) (string, bool) {
	d, err := url.PathUnescape(s)
	return d, err == nil && d != ""
}

// decodeBase64Password decodes standard or URL-safe base64, padded or not, to
// valid UTF-8 without control characters (FileZilla's Pass elements).
func decodeBase64Password(s, _ string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil || len(b) == 0 || !utf8.Valid(b) {
			continue
		}
		if strings.ContainsFunc(string(b), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// decodeDockerAuth returns the password of a Docker config.json "auth"
// value, base64 of user:password.
func decodeDockerAuth(s, m string) (string, bool) {
	up, ok := decodeBase64Password(s, m)
	if !ok {
		return "", false
	}
	_, pw, ok := strings.Cut(up, ":")
	return pw, ok && pw != ""
}

// decodeWinSCP reverses the obfuscation WinSCP applies to a stored
// session password when no master password is set: every byte is two
// hex digits of ^(b ^ 0xA3); a flag byte 0xFF is followed by a reserved
// byte and the length (otherwise the flag is the length), then a shift
// count of pad bytes to skip. The plain text starts with the user and
// host names, which are removed when the match holds them.
func decodeWinSCP(s, match string) (string, bool) {
	const magic = 0xA3
	if len(s)%2 != 0 {
		return "", false
	}
	i := 0
	next := func() (byte, bool) {
		if i+2 > len(s) {
			return 0, false
		}
		hi, lo := unhex(s[i]), unhex(s[i+1])
		i += 2
		if hi < 0 || lo < 0 {
			return 0, false
		}
		return ^(byte(hi<<4|lo) ^ magic), true
	}
	flag, ok := next()
	if !ok {
		return "", false
	}
	length := int(flag)
	if flag == 0xFF {
		if _, ok = next(); !ok {
			return "", false
		}
		l, ok := next()
		if !ok {
			return "", false
		}
		length = int(l)
	}
	shift, ok := next()
	if !ok {
		return "", false
	}
	i += 2 * int(shift)
	out := make([]byte, 0, length)
	for range length {
		b, ok := next()
		if !ok {
			return "", false
		}
		out = append(out, b)
	}
	pw := string(out)
	if !utf8.ValidString(pw) || pw == "" {
		return "", false
	}
	key := iniValue(match, "UserName") + iniValue(match, "HostName")
	if key != "" && strings.HasPrefix(pw, key) && len(pw) > len(key) {
		pw = pw[len(key):]
	}
	return pw, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// iniValue returns the value of the first "name=value" line in s, or "".
func iniValue(s, name string) string {
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
