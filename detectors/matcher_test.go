package detectors

import (
	"hash/crc32"
	"strings"
	"testing"
)

func testMatcher(t testing.TB) *Matcher {
	t.Helper()
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExamplesInContext embeds every positive example in a larger file,
// at several offsets and between long lines, and checks the match is
// still found with the right line: windowing must not lose matches.
func TestExamplesInContext(t *testing.T) {
	if testing.Short() {
		t.Skip("slow under -race; `make test` runs it without -short")
	}
	m := testMatcher(t)
	pad := strings.Repeat("filler text without credentials ", 40) // 1280 bytes, no newline
	for _, r := range m.Rules() {
		if r.Container {
			continue // gives way to the decoded secret; Check covers it
		}
		for i, ex := range r.Examples {
			for _, pre := range []string{"", "x\n", pad + "\n" + pad + "\n", strings.Repeat("line\n", 100)} {
				data := pre + ex + "\n" + pad + "\n"
				line := strings.Count(pre, "\n") + 1
				found := false
				for _, mt := range m.Match([]byte(data)) {
					if mt.Rule.ID == r.ID && mt.Line >= line && mt.Line <= line+strings.Count(ex, "\n") {
						found = true
						if mt.Encoding == "" && data[mt.Start:mt.End] != mt.Secret {
							t.Errorf("%s: Secret %q is not data[Start:End]", r.ID, mt.Secret)
						}
					}
				}
				if !found {
					t.Errorf("%s example %d not found after %d bytes of prefix", r.ID, i+1, len(pre))
				}
			}
		}
	}
}

func TestFalsePositiveFilters(t *testing.T) {
	for _, tc := range []struct {
		value, why string
	}{
		{"AKIAIOSFODNN7EXAMPLE", "AWS documentation example key id"},
		{"${DB_PASSWORD}", "template placeholder"},
		{"{{ .Values.db.password }}", "template placeholder"},
		{"${{ secrets.GITHUB_TOKEN }}", "template placeholder"},
		{"$DB_PASSWORD", "variable reference"},
		{"%DB_PASSWORD%", "variable reference"},
		{"process.env.API_KEY", "environment or config lookup"},
		{"os.getenv(\"X\")", "environment or config lookup"},
		{"<your-api-key>", "placeholder"},
		{"your-api-key-here", "placeholder"},
		{"xxxxxxxxxxxxxxxxxxxx", "placeholder"},
		{"********", "placeholder"},
		{"changeme", "placeholder"},
		{"aaaaaaaaaaaaaaaa", "repeated characters"},
		{"abcabcabcabc", "repeated characters"},
		{"%(db_password)s", "template placeholder"},
		{"#{vault_secret}", "template placeholder"},
	} {
		if got := FalsePositive(tc.value, false); got != tc.why {
			t.Errorf("FalsePositive(%q) = %q, want %q", tc.value, got, tc.why)
		}
	}
	// Real secrets that hold half of a template mark: a WordPress salt
	// with "}}", a Django key with "%(", a password ending ".*".
	for _, real := range []string{"q8Zr4vT2pLw9sKm7Xc3N", "S3cure!Pass#2026", "hunter2xyz", "k}}7Qz!pL2#x9@Wm", "j%(8a$kq2!m3zv", "xK9#V.*"} {
		if got := FalsePositive(real, false); got != "" {
			t.Errorf("FalsePositive(%q) = %q, want \"\"", real, got)
		}
	}
}

func TestIdentifierLike(t *testing.T) {
	for s, want := range map[string]bool{
		"get_password":       true,
		"PASSWORD_FIELD":     true,
		"getPassword":        true,
		"config.db.password": true,
		"password":           true,
		"q8Zr4vT2pLw9":       false,
		"S3cure!Pass":        false,
		"HTTPBasicAuth":      false,
	} {
		if got := identifierLike(s); got != want {
			t.Errorf("identifierLike(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestChecksums(t *testing.T) {
	// A valid classic token is built, not written down.
	body := "Zk9Qx2Lm4Np6Rt8Vw0Yb3Dc5Fg7Hj1"
	tok := "ghp_" + body + crc62(body)
	if !Checksums["github-crc32"](tok) {
		t.Errorf("valid checksum rejected: %s", tok)
	}
	bad := tok[:len(tok)-1] + string(rune(tok[len(tok)-1])^1)
	if Checksums["github-crc32"](bad) {
		t.Error("corrupted checksum accepted")
	}
	if !Checksums["basic-auth"]("dXNlcjpzM2NyM3Q=") || Checksums["basic-auth"]("jpvcGVuc2VzYW1lYWxhZGRpb") {
		t.Error("basic-auth: want user:s3cr3t accepted and shifted base64 garbage rejected")
	}
	if !Checksums["jwt"]("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln") {
		t.Error("jwt structure rejected")
	}
	if Checksums["jwt"]("eyJub3RqdXN0.eyJ4.c2ln") {
		t.Error("jwt without alg accepted")
	}
}

// FuzzMatch: arbitrary input never panics, and every match's secret is
// the text at its offsets.
func FuzzMatch(f *testing.F) {
	if testing.Short() {
		f.Skip("its seed corpus is every rule example: slow under -race")
	}
	m := testMatcher(f)
	for _, r := range m.Rules() {
		for _, ex := range r.Examples {
			f.Add([]byte(ex))
		}
	}
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mt := range m.Match(data) {
			if mt.Start < 0 || mt.End > len(data) || mt.Start > mt.End || mt.Encoding == "" && string(data[mt.Start:mt.End]) != mt.Secret {
				t.Fatalf("bad match %+v", mt)
			}
			if mt.Line < 1 || mt.Column < 1 {
				t.Fatalf("bad position %+v", mt)
			}
		}
	})
}

// crc62 encodes CRC32 of body as GitHub's six base62 characters.
func crc62(body string) string {
	sum := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = base62Alphabet[sum%62]
		sum /= 62
	}
	return string(out)
}

// TestGenericNoise names each false positive the generic-rule filters
// remove (seen on Go's source tree) and a real secret each must keep.
func TestGenericNoise(t *testing.T) {
	for _, tc := range []struct {
		name, line, secret string
		noise              bool
	}{
		{"unquoted variable", "\tPrivateKey:  testRSAPrivateKey,", "testRSAPrivateKey", true},
		{"negative hex constant", "\tSIOCGLIFTOKEN = -0x3f879678", "-0x3f879678", true},
		{"decimal constant", "TOKEN_TTL = 3600", "3600", true},
		{"concatenation", `cmd.Env = append(cmd.Env, "PWD="+cmd.Dir)`, "+cmd.Dir", true},
		{"value echoes its name", `"encryptionKey": "encryptionKey1024"`, "encryptionKey1024", true},
		{"regex", "--- PASS: TestVerboseSkip.*", "TestVerboseSkip.*", true},
		{"lower-case path", "//	--- PASS: very/nested/s/u/b/t/e/s/t", "very/nested/s/u/b/t/e/s/t", true},
		{"password ending in .*", `PGPASSWORD='p9Qx#2mV.*'`, "p9Qx#2mV.*", false},                        // sprawl:allow synthetic
		{"base64 with slashes", `password: "aB3d/E5fG7/hJ9kL1/mN3pQ"`, "aB3d/E5fG7/hJ9kL1/mN3pQ", false}, // sprawl:allow synthetic
		{"quoted real secret", `"encryptionKey": "q8Zr4vT2pLw9sKm7Xc3N"`, "q8Zr4vT2pLw9sKm7Xc3N", false}, // sprawl:allow synthetic
		{"unquoted .env secret", "DB_PASSWORD=SuperSecretPassw0rd", "SuperSecretPassw0rd", false},        // sprawl:allow synthetic
		{"unquoted random token", "api_key = aB3dE5fG7hJ9kL1mN3pQ,", "aB3dE5fG7hJ9kL1mN3pQ", false},      // sprawl:allow synthetic
	} {
		data := []byte(tc.line)
		start := strings.Index(tc.line, tc.secret)
		c := &Match{Start: start, End: start + len(tc.secret), MatchStart: 0, Secret: tc.secret}
		if got := genericNoise(data, c); got != tc.noise {
			t.Errorf("%s: genericNoise(%q) = %v, want %v", tc.name, tc.line, got, tc.noise)
		}
	}
}

// A provider rule shaped like an assignment (the Epic client-secret rule)
// must not take a qualified constant passed by name for a secret; the same
// value quoted still counts.
func TestCodeReferenceAnyRule(t *testing.T) {
	m := testMatcher(t)
	code := "base := \"https://fhir.epic.com/interconnect-fhir-oauth\"\nclasses := map[string]inventory.Class{\n\t\"epic-client-secret\": inventory.ClassClientSecret,\n}\n"
	if got := m.Match([]byte(code)); len(got) != 0 {
		t.Errorf("qualified constant reported: %+v", got[0].Rule.ID)
	}
	quoted := "base := \"https://fhir.epic.com/interconnect-fhir-oauth\"\nclient_secret: \"Zq8.Wv3rT6yU9iO2pA5sD7fG\"\n" // sprawl:allow synthetic
	if got := m.Match([]byte(quoted)); len(got) == 0 {
		t.Error("a quoted dotted secret beside an Epic endpoint was dropped")
	}
}

func TestSimplifyRepeats(t *testing.T) {
	for in, want := range map[string]string{
		`(?P<secret>ghp_[A-Za-z0-9]{36})`:        `(?P<secret>ghp_[A-Za-z0-9]{36})`, // unchanged
		`(?P<secret>[a-z]{20,1000})`:             `(?P<secret>[a-z]{20,})`,
		`(?i)key:(?:[ \t]+[^\n]*\n){0,10}?x`:     `(?i:KEY:(?:[\t ]+[^\n]*\n)*?X)`,
		`(?i)(?P<secret>sk_[a-z]{8})`:            `(?i)(?P<secret>sk_[a-z]{8})`,
		`(?i)tok(?:en)?[:=](?P<s>[\s\S]{1,900})`: `(?i:TOK(?:EN)?[:=](?P<s>[\x00-\xff]{1,}))`,
	} {
		if got := simplifyRepeats(in); got != want {
			t.Errorf("simplifyRepeats(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryContinuation(t *testing.T) {
	for s, want := range map[string]int{
		"s3cr&t!x":          -1, // & inside a password
		"s3cret&user=bob":   6,
		"Tg6&yU8*iO2p":      -1,
		"abc&x1=2&y=3":      3,
		"trailing&":         -1,
		"p4ss&&other=value": 5,
	} {
		if got := queryContinuation(s); got != want {
			t.Errorf("queryContinuation(%q) = %d, want %d", s, got, want)
		}
	}
}

// Columns: bytes for Column/EndColumn, UTF-16 code units (exclusive end)
// for Column16/EndColumn16, which SARIF and editors use.
func TestSetLinesUTF16Columns(t *testing.T) {
	line2 := "café 😀 key=" // é: 2 bytes, 1 unit; 😀: 4 bytes, 2 units
	data := []byte("first line\n" + line2 + "SECRETü\n")
	start := strings.Index(string(data), "SECRET")
	end := start + len("SECRETü")
	ms := []Match{{Start: start, End: end}}
	setLines(data, ms)
	m := ms[0]
	if m.Line != 2 || m.Column != len(line2)+1 || m.EndColumn != len(line2)+len("SECRETü") {
		t.Errorf("byte columns: line %d col %d end %d", m.Line, m.Column, m.EndColumn)
	}
	// UTF-16: "café " 5, emoji 2, " key=" 5 → the secret starts at 13;
	// "SECRETü" is 7 units, so the exclusive end is 20.
	if m.Column16 != 13 || m.EndColumn16 != 20 {
		t.Errorf("UTF-16 columns %d..%d, want 13..20", m.Column16, m.EndColumn16)
	}
}
