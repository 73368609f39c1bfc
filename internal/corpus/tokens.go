package corpus

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Alphabets used by the generators.
const (
	digits    = "0123456789"
	lowerABC  = "abcdefghijklmnopqrstuvwxyz"
	upperABC  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	base62ABC = digits + upperABC + lowerABC // GitHub's order: digits, upper, lower
	alnumABC  = upperABC + lowerABC + digits
	hexABC    = "0123456789abcdef"
	b64ABC    = upperABC + lowerABC + digits + "+/"
	b64urlABC = upperABC + lowerABC + digits + "-_"
	b32ABC    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base36ABC = digits + lowerABC
	// pwSymbols are safe unquoted in .env, YAML (when quoted), XML, JSON,
	// shell single quotes and URL userinfo after percent-encoding.
	pwSymbols = "!^*-_+=.~"
)

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

func randDigits(r *rand.Rand, n int) string {
	s := randString(r, digits, n)
	if s[0] == '0' {
		s = string(digits[1+r.IntN(9)]) + s[1:]
	}
	return s
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// randPassword returns a machine-generated password of n characters with
// at least one upper, lower, digit and (if sym) symbol.
func randPassword(r *rand.Rand, n int, sym bool) string {
	alphabet := alnumABC
	if sym {
		alphabet += pwSymbols + pwSymbols // weight symbols a little
	}
	for {
		s := randString(r, alphabet, n)
		if strings.ContainsAny(s, upperABC) && strings.ContainsAny(s, lowerABC) &&
			strings.ContainsAny(s, digits) && (!sym || strings.ContainsAny(s, pwSymbols)) &&
			strings.ContainsAny(s[:1], alnumABC) {
			return s
		}
	}
}

var pwWords = []string{
	"Harbor", "Cedar", "Falcon", "Granite", "Lantern", "Meadow", "Orbit", "Pioneer",
	"Quartz", "Raven", "Summit", "Thistle", "Umber", "Velvet", "Willow", "Zephyr",
	"Copper", "Juniper", "Marble", "Nimbus", "Osprey", "Prairie", "Saffron", "Tundra",
}

// humanPassword looks like something a person chose: two words, digits and
// a symbol. It is still unique per corpus.
func humanPassword(r *rand.Rand) string {
	return pick(r, pwWords) + pick(r, []string{"!", "#", "*", "^", "+"}) + pick(r, pwWords) +
		randDigits(r, 2+r.IntN(3)) + pick(r, []string{"!", "*", ".", "~", ""})
}

func randUUID(r *rand.Rand) string {
	b := randBytes(r, 16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func b64(b []byte) string    { return base64.StdEncoding.EncodeToString(b) }
func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// base62Encode writes v in GitHub's base62 alphabet, left-padded with '0'.
func base62Encode(v uint64, width int) string {
	var b []byte
	for v > 0 {
		b = append(b, base62ABC[v%62])
		v /= 62
	}
	for len(b) < width {
		b = append(b, '0')
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func base62Decode(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base62ABC, s[i])
		if d < 0 {
			return 0, false
		}
		v = v*62 + uint64(d)
	}
	return v, true
}

func base36Encode(v uint64, width int) string {
	s := strconv.FormatUint(v, 36)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// crc32Base62 is the checksum of GitHub classic and npm tokens: CRC32
// (IEEE) of the 30 random characters, base62, 6 characters.
func crc32Base62(body string) string {
	return base62Encode(uint64(crc32.ChecksumIEEE([]byte(body))), 6)
}

// validCRC32Token reports whether tok (prefix_ + 30 + 6) carries a valid
// GitHub/npm checksum. It decodes the base62 checksum rather than
// re-encoding the CRC, so leading zeros cannot trip it.
func validCRC32Token(tok string) bool {
	i := strings.IndexByte(tok, '_')
	if i < 0 || len(tok) != i+1+36 {
		return false
	}
	body, sum := tok[i+1:i+31], tok[i+31:]
	v, ok := base62Decode(sum)
	return ok && v == uint64(crc32.ChecksumIEEE([]byte(body)))
}

// crc32Token builds prefix + 30 random base62 + checksum.
func crc32Token(r *rand.Rand, prefix string) string {
	body := randString(r, base62ABC, 30)
	return prefix + body + crc32Base62(body)
}

// badCRC32Token is shaped like crc32Token but its checksum is wrong.
func badCRC32Token(r *rand.Rand, prefix string) string {
	for {
		body := randString(r, base62ABC, 30)
		sum := randString(r, base62ABC[:5], 1) + randString(r, base62ABC, 5)
		if sum != crc32Base62(body) {
			return prefix + body + sum
		}
	}
}

// fineGrainedPAT builds github_pat_ + 22 + _ + 59 where characters
// [77:85] are the first 8 of base32(sha256(tok[:77])) (an undocumented
// checksum observed in issued tokens; rules use it as a confidence signal).
func fineGrainedPAT(r *rand.Rand) string {
	s := "github_pat_" + randString(r, base62ABC, 22) + "_" + randString(r, base62ABC, 43)
	sum := sha256.Sum256([]byte(s))
	return s + base32.StdEncoding.EncodeToString(sum[:])[:8] + randString(r, base62ABC, 8)
}

func validFineGrainedPAT(tok string) bool {
	if len(tok) != 93 || !strings.HasPrefix(tok, "github_pat_") {
		return false
	}
	sum := sha256.Sum256([]byte(tok[:77]))
	return tok[77:85] == base32.StdEncoding.EncodeToString(sum[:])[:8]
}

// gitlabRoutable builds a GitLab routable token (gitlabhq
// routable_token.rb): prefix + base64url(random16 + payload + len) + ".01." +
// base36(len(b64)) + base36(crc32(everything before)), 7 characters.
func gitlabRoutable(r *rand.Rand, prefix string, payload map[string]string) string {
	keys := make([]string, 0, len(payload))
	for k := range payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + ":" + payload[k]
	}
	p := strings.Join(lines, "\n")
	enc := append(randBytes(r, 16), p...)
	enc = append(enc, byte(len(p)))
	body := b64url(enc)
	tok := prefix + body + ".01." + base36Encode(uint64(len(body)), 2)
	return tok + base36Encode(uint64(crc32.ChecksumIEEE([]byte(tok))), 7)
}

func validGitlabRoutable(tok string) bool {
	if len(tok) < 8 {
		return false
	}
	v, err := strconv.ParseUint(tok[len(tok)-7:], 36, 64)
	return err == nil && uint32(v) == crc32.ChecksumIEEE([]byte(tok[:len(tok)-7]))
}

// awsKeyID builds a 20-character key id whose base32 body encodes a
// 12-digit account id (the account id is recoverable from a key id).
func awsKeyID(r *rand.Rand, prefix string) string {
	for {
		acct := uint64(100000000000 + r.Int64N(900000000000))
		z := r.Uint64N(2)<<47 | acct<<7 | r.Uint64N(128)
		b := make([]byte, 10)
		for i := 0; i < 6; i++ {
			b[i] = byte(z >> (8 * (5 - i)))
		}
		copy(b[6:], randBytes(r, 4))
		id := prefix + base32.StdEncoding.EncodeToString(b)
		if id[4] != 'I' && id[4] != 'J' {
			return id
		}
	}
}

// awsAccountFromKeyID decodes the account id from a key id.
func awsAccountFromKeyID(id string) (uint64, bool) {
	if len(id) != 20 || id[4] == 'I' || id[4] == 'J' {
		return 0, false
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id[4:])
	if err != nil || len(b) != 10 {
		return 0, false
	}
	var z uint64
	for i := 0; i < 6; i++ {
		z = z<<8 | uint64(b[i])
	}
	return (z & 0x7fffffffff80) >> 7, true
}

// jwtToken assembles a JWT from header and claims with a signature of
// sigLen random bytes (or the HMAC-SHA256 under hmacKey when given).
func jwtToken(r *rand.Rand, header, claims map[string]any, sigLen int, hmacKey []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	signing := b64url(h) + "." + b64url(c)
	var sig []byte
	if hmacKey != nil {
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(signing))
		sig = m.Sum(nil)
	} else {
		sig = randBytes(r, sigLen)
	}
	return signing + "." + b64url(sig)
}

// jwtOrdered is like jwtToken but keeps the JSON member order given as
// alternating key/value pairs, which some well-known examples depend on.
func jwtOrdered(header, claims string, key []byte) string {
	signing := b64url([]byte(header)) + "." + b64url([]byte(claims))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + b64url(m.Sum(nil))
}

// pypiToken builds a PyPI API token: "pypi-" + base64url of a v2 macaroon
// whose location is pypi.org (so it starts pypi-AgEIcHlwaS5vcmc).
func pypiToken(r *rand.Rand, location string) string {
	var m []byte
	field := func(typ byte, data []byte) {
		m = append(m, typ)
		m = binary.AppendUvarint(m, uint64(len(data)))
		m = append(m, data...)
	}
	m = append(m, 2) // version
	field(1, []byte(location))
	field(2, []byte(randUUID(r)))
	m = append(m, 0) // end of header
	caveat := fmt.Sprintf(`{"version": 1, "permissions": {"projects": ["%s"]}}`, pick(r, []string{"fhir-utils", "smart-launcher", "hl7-tools", "epic-bulk"}))
	field(2, []byte(caveat))
	m = append(m, 0) // end of caveat
	m = append(m, 0) // end of caveats
	field(6, randBytes(r, 32))
	return "pypi-" + b64url(m)
}

// bech32 encodes data (8-bit groups) with the human-readable part hrp.
func bech32(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	// regroup 8-bit to 5-bit
	var conv []byte
	acc, bits := 0, 0
	for _, b := range data {
		acc = acc<<8 | int(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			conv = append(conv, byte(acc>>bits&31))
		}
	}
	if bits > 0 {
		conv = append(conv, byte(acc<<(5-bits)&31))
	}
	polymod := func(values []byte) uint32 {
		gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
		chk := uint32(1)
		for _, v := range values {
			top := chk >> 25
			chk = (chk&0x1ffffff)<<5 ^ uint32(v)
			for i := 0; i < 5; i++ {
				if top>>i&1 == 1 {
					chk ^= gen[i]
				}
			}
		}
		return chk
	}
	lh := strings.ToLower(hrp)
	var ex []byte
	for i := 0; i < len(lh); i++ {
		ex = append(ex, lh[i]>>5)
	}
	ex = append(ex, 0)
	for i := 0; i < len(lh); i++ {
		ex = append(ex, lh[i]&31)
	}
	ex = append(ex, conv...)
	ex = append(ex, 0, 0, 0, 0, 0, 0)
	mod := polymod(ex) ^ 1
	var sb strings.Builder
	sb.WriteString(lh)
	sb.WriteByte('1')
	for _, v := range conv {
		sb.WriteByte(charset[v])
	}
	for i := 0; i < 6; i++ {
		sb.WriteByte(charset[mod>>(5*(5-i))&31])
	}
	return sb.String()
}

// Held-out password shapes: what people actually type into credential
// files, none of which the tuning templates emit (they use randPassword
// and humanPassword). The credential-file rules were written without
// looking at these generators' output.
var (
	phraseWords  = []string{"amber", "anchor", "battery", "bluebird", "canyon", "copper", "falcon", "forest", "glacier", "harbor", "horse", "lantern", "maple", "meadow", "orbit", "pepper", "quartz", "river", "saddle", "staple", "thunder", "tulip", "velvet", "willow"}
	seasonWords  = []string{"Spring", "Summer", "Autumn", "Winter", "Welcome", "Monday", "Sunshine", "Football", "Dragon", "Hospital", "Clinic", "Nursing", "Radiology", "Pharmacy"}
	productWords = []string{"Keycloak", "Grafana", "Jenkins", "Nexus", "Epic", "Cerner", "Mirth", "Orthanc", "Postgres", "Tomcat", "Kibana", "Sonar", "Gitlab", "Zabbix", "Nagios", "Wordpress"}
	shortWords   = []string{"hunter", "swordfish", "testpass", "letmein", "monkey", "dragon", "shadow", "pass", "sunshine", "qwerty", "trustno", "master"}
)

// passphrase is two to four lower-case dictionary words, joined by a
// hyphen, a dot or nothing (bluefalcon, copper-river-tulip).
func passphrase(r *rand.Rand) string {
	n := 2 + r.IntN(3)
	sep := pick(r, []string{"-", ".", "", "_"})
	words := make([]string, n)
	for i := range words {
		words[i] = pick(r, phraseWords)
	}
	return strings.Join(words, sep)
}

// wordYear is a capitalised word, a year and often a symbol (Summer2024!).
func wordYear(r *rand.Rand) string {
	return pick(r, seasonWords) + strconv.Itoa(2015+r.IntN(12)) + pick(r, []string{"!", "", "#", "@", "$", "."})
}

// productPassword is a product or site name with digits or a year around
// a separator (Keycloak#2023, grafana99admin, Jenkins_7).
func productPassword(r *rand.Rand) string {
	p := pick(r, productWords)
	switch r.IntN(3) {
	case 0:
		return p + pick(r, []string{"#", "@", "!", "_", ""}) + strconv.Itoa(2015+r.IntN(12))
	case 1:
		return strings.ToLower(p) + randDigits(r, 2) + pick(r, []string{"admin", "ops", "prod", "svc"})
	default:
		return p + "_" + randDigits(r, 1+r.IntN(3))
	}
}

// shortPassword is a short dictionary word with a few digits (hunter22,
// swordfish7, pass123).
func shortPassword(r *rand.Rand) string {
	w := pick(r, shortWords)
	if n := r.IntN(4); n > 0 {
		w += randDigits(r, n)
	}
	return w
}

// weakPassword is one of the held-out weak shapes.
func weakPassword(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return passphrase(r)
	case 1:
		return wordYear(r)
	case 2:
		return productPassword(r)
	default:
		return shortPassword(r)
	}
}

const cryptABC = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Password-hash shapes as crypt(3), htpasswd and web frameworks write
// them; the digests are random characters of the right alphabet and length.
func bcryptHash(r *rand.Rand) string {
	return "$2" + pick(r, []string{"a", "b", "y"}) + "$" + pick(r, []string{"10", "11", "12"}) + "$" + randString(r, cryptABC, 53)
}

func md5cryptHash(r *rand.Rand) string {
	return "$1$" + randString(r, cryptABC, 8) + "$" + randString(r, cryptABC, 22)
}

func apr1Hash(r *rand.Rand) string {
	return "$apr1$" + randString(r, cryptABC, 8) + "$" + randString(r, cryptABC, 22)
}

func sha512cryptHash(r *rand.Rand) string {
	return "$6$" + randString(r, cryptABC, 16) + "$" + randString(r, cryptABC, 86)
}

// winscpObfuscate encodes a password the way WinSCP stores it in
// WinSCP.ini without a master password: the plain text is user+host+pass,
// each byte complemented and XORed with 0xA3, preceded by a flag, the
// length and a random-length pad (the shift), then random bytes up to
// 50 encoded bytes.
func winscpObfuscate(r *rand.Rand, key, pw string) string {
	const magic = 0xA3
	enc := func(b byte) string { return fmt.Sprintf("%02X", ^(b^magic)&0xff) }
	plain := key + pw
	var sb strings.Builder
	sb.WriteString(enc(0xFF))
	sb.WriteString(enc(0))
	sb.WriteString(enc(byte(len(plain))))
	const maxLen = 50
	shift := 0
	if len(plain) < maxLen {
		shift = r.IntN(maxLen - len(plain))
	}
	sb.WriteString(enc(byte(shift)))
	for range shift {
		sb.WriteString(enc(byte(r.IntN(256))))
	}
	for i := 0; i < len(plain); i++ {
		sb.WriteString(enc(plain[i]))
	}
	for sb.Len() < 2*maxLen {
		sb.WriteString(enc(byte(r.IntN(256))))
	}
	return sb.String()
}
