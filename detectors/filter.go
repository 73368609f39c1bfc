package detectors

import (
	"strings"
)

// knownPublic holds values published in vendor documentation or shipped
// in emulators. They are not leaks wherever they appear.
var knownPublic = map[string]string{
	"AKIAIOSFODNN7EXAMPLE":                     "AWS documentation example key id",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": "AWS documentation example secret key",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY": "AWS documentation example secret key",
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==": "Azurite storage emulator key",
	"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==": "Cosmos DB emulator key",
	"e3073934-68c1-4ca7-9b59-3d8b934187f1":                                                     "Epic sandbox sample client id",
	"ec2458f2-1e24-41c8-b71b-0e701af7583d":                                                     "Cerner public sandbox tenant",
	"QWxhZGRpbjpvcGVuIHNlc2FtZQ==":                                                             "RFC 7617 basic-auth example (Aladdin:open sesame)",
	"YWxhZGRpbjpvcGVuc2VzYW1l":                                                                 "basic-auth example (aladdin:opensesame)",
	"dXNlcm5hbWU6cGFzc3dvcmQ=":                                                                 "basic-auth example (username:password)",
	"dXNlcjpwYXNzd29yZA==":                                                                     "basic-auth example (user:password)",
	"dXNlcjpwYXNz":                                                                             "basic-auth example (user:pass)",
}

// placeholderWords are fragments that mark a value as a stand-in for a
// real secret. They are long enough that random tokens do not contain them
// by chance.
var placeholderWords = []string{
	"xxxx", "****", "••", "....", "####",
	"your-", "your_", "yourkey", "yoursecret", "yourtoken", "yourpass", "your key", "your api", "your secret", "your token", "your password",
	"example", "placeholder", "changeme", "change_me", "change-me", "changethis", "redacted", "replace_me", "replace-me", "replaceme",
	"insert_", "insert-", "dummy", "fake_", "fake-", "sample_", "secret_here", "key_here", "token_here", "password_here",
	"notreal", "not_real", "not-a-real", "not_a_real", "lorem", "ipsum", "foobar", "<token>", "<secret>", "<password>",
	"put_your", "put-your", "enter_your", "enter-your", "mysecret", "my_secret", "my-secret", "mypassword", "my_password",
	"supersecret", "super_secret", "topsecret", "s3cr3t_here", "todo", "tbd_", "fixme", "abcdefgh", "12345678", "01234567",
}

// templatePairs are the openings and closings of template and
// interpolation syntax; a value holding an opening followed later by its
// closing is filled in elsewhere. Both halves are required: a random
// secret contains "}}" or "%(" alone now and then.
var templatePairs = [][2]string{
	{"${", "}"}, {"{{", "}}"}, {"$(", ")"}, {"#{", "}"}, {"<%", "%>"}, {"[[", "]]"}, {"@@", "@@"},
}

func templated(s string) bool {
	for _, p := range templatePairs {
		if i := strings.Index(s, p[0]); i >= 0 && strings.Contains(s[i+len(p[0]):], p[1]) {
			return true
		}
	}
	// Python %-format: %(name)s
	if i := strings.Index(s, "%("); i >= 0 {
		if j := strings.IndexByte(s[i:], ')'); j > 2 && i+j+1 < len(s) && strings.IndexByte("sdr", s[i+j+1]) >= 0 {
			return true
		}
	}
	return false
}

// envLookups are prefixes of code that reads a value at run time.
var envLookups = []string{
	"process.env", "os.environ", "os.getenv", "getenv(", "env(", "env.", "env[", "environ[", "system.getenv",
	"environment.getenvironmentvariable", "secrets.", "vars.", "var.", "local.", "data.", "config.", "settings.",
	"vault:", "ssm:", "secretsmanager:", "arn:aws:", "ref+", "valuefrom", "secretkeyref", "!vault", "!secret",
}

// FalsePositive reports why a candidate secret is not a leak, or "" if it
// may be one. It is applied after a rule's pattern, entropy and checksum.
// verified says the value passed a checksum, so word lists are skipped.
func FalsePositive(secret string, verified bool) string {
	if why, ok := knownPublic[secret]; ok {
		return why
	}
	if secret == "" {
		return "empty value"
	}
	low := strings.ToLower(secret)
	if templated(secret) {
		return "template placeholder"
	}
	if secret[0] == '$' && !cryptHash(secret) || secret[0] == '%' && strings.HasSuffix(secret, "%") {
		return "variable reference"
	}
	for _, p := range envLookups {
		if strings.HasPrefix(low, p) {
			return "environment or config lookup"
		}
	}
	if verified {
		return ""
	}
	if secret[0] == '<' && secret[len(secret)-1] == '>' {
		return "placeholder"
	}
	for _, w := range placeholderWords {
		if placeholderIn(low, w) {
			return "placeholder"
		}
	}
	if repetitive(secret) {
		return "repeated characters"
	}
	return ""
}

// placeholderIn reports whether the placeholder word w occurs in low. In a
// long value (a PEM body, a JWT) a short alphanumeric word turns up by
// chance: "todo" is in about one random 2048-bit RSA key in 600. There it
// counts only as a word of its own, with no letter or digit beside it.
func placeholderIn(low, w string) bool {
	if len(low) <= 64 || len(w) > 5 || !alnum(w) {
		return strings.Contains(low, w)
	}
	for i := 0; ; {
		j := strings.Index(low[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !alnumByte(low[start-1])) && (end == len(low) || !alnumByte(low[end])) {
			return true
		}
		i = start + 1
	}
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !alnumByte(s[i]) {
			return false
		}
	}
	return true
}

func alnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// repetitive reports whether s is one character repeated, or a short
// sequence repeated, like "abcabcabc".
func repetitive(s string) bool {
	if len(s) < 4 {
		return false
	}
	for period := 1; period <= 4 && period*2 <= len(s); period++ {
		same := true
		for i := period; i < len(s); i++ {
			if s[i] != s[i-period] {
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

// identifierLike reports whether a generic rule's value reads as code, a
// field name or a word rather than a secret: snake_case, camelCase or
// dotted member access without digits.
func identifierLike(s string) bool {
	if len(s) == 0 {
		return true
	}
	hasDigit, hasUpper, hasLower, hasOther := false, false, false, false
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			hasDigit = true
		case c >= 'a' && c <= 'z':
			hasLower = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		case c == '_' || c == '-':
		case c == '.':
			dots++
		default:
			hasOther = true
		}
	}
	if hasOther || hasDigit {
		return false
	}
	if dots > 0 && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") {
		return true // config.database.password
	}
	if !hasUpper || !hasLower {
		return true // snake_case, SCREAMING_CASE or a plain word
	}
	// camelCase / PascalCase: upper-case letters only at word starts.
	upperRun := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			upperRun++
			if upperRun > 1 {
				return false
			}
		} else {
			upperRun = 0
		}
	}
	return true
}

// numberLike reports whether s is a number: decimal, hex or float,
// optionally signed, such as a constant's value.
func numberLike(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if t == "" {
		return false
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		t = t[2:]
		for i := 0; i < len(t); i++ {
			if !isHex(t[i]) && t[i] != '_' {
				return false
			}
		}
		return len(t) > 0
	}
	dot := false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9', c == '_':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// codeIdentifier reports whether s could name a variable or constant:
// letters, digits and underscores, starting with a letter or underscore,
// made of word-like runs (camelCase, snake_case, acronyms), unlike a
// random token whose case changes every character or two.
func codeIdentifier(s string) bool {
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	runs, prev := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		var class byte
		switch {
		case c >= 'a' && c <= 'z':
			class = 'a'
		case c >= 'A' && c <= 'Z':
			class = 'A'
		case c >= '0' && c <= '9':
			class = '0'
		case c == '_' || c == '.':
			class = '_'
		default:
			return false
		}
		// "Ab" continues a word that started with a capital.
		if class != prev && !(prev == 'A' && class == 'a') {
			runs++
		}
		prev = class
	}
	return len(s) >= 3*runs
}

// echoesKey reports whether the value repeats a word of the name it is
// assigned to ("encryptionKey": "encryptionKey1024", password: password1):
// a label or a default, not a generated secret.
func echoesKey(key, value string) bool {
	lk, lv := strings.ToLower(key), strings.ToLower(value)
	start := -1
	for i := 0; i <= len(lk); i++ {
		letter := i < len(lk) && lk[i] >= 'a' && lk[i] <= 'z'
		if letter && start < 0 {
			start = i
		}
		if !letter && start >= 0 {
			if w := lk[start:i]; len(w) >= 5 && strings.Contains(lv, w) {
				return true
			}
			start = -1
		}
	}
	return false
}
