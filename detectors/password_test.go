package detectors

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlaceholderIsNarrow: only stand-ins are placeholders; words,
// however common, are weak passwords.
func TestPlaceholderIsNarrow(t *testing.T) {
	for _, s := range []string{"", "  ", "changeme", "CHANGE_ME", "<password>", "${DB_PASSWORD}", "$DB_PASSWORD",
		"{{ vault_db_password }}", "xxxx", "********", "your-password-here", "password", "`pass show db`", "!vault"} {
		if Placeholder(s) == "" {
			t.Errorf("Placeholder(%q) = \"\", want a reason", s)
		}
	}
	for _, s := range []string{"bluefalcon", "hunter22", "pass123", "testpass", "swordfish", "Welcome2024!",
		"correct-horse-battery-staple", "admin", "example1", "demo", "test", "12345678", "$2y$10$Zq8vN3mK5pR2tW7xL4bH6e"} {
		if why := Placeholder(s); why != "" {
			t.Errorf("Placeholder(%q) = %q, want \"\" (a password, weak or not)", s, why)
		}
	}
}

func TestWeak(t *testing.T) {
	for s, want := range map[string]bool{
		"correct-horse-battery-staple": true, // the best-known passphrase
		"bluefalcon":                   true, // short
		"Welcome2024!":                 true, // word + year
		"Epic2024!":                    true,
		"Keycloak#2023":                true,
		"hospital99admin":              true, // two kinds of character, under 16
		"hunter22":                     true,
		"tulip-copper-harbor-maple":    false,
		"Jx7#qP2v!Lm9$wZ4":             false,
		"q8Vn2LmT5xRk9WcB":             false,
	} {
		if got := Weak(s); got != want {
			t.Errorf("Weak(%q) = %v, want %v", s, got, want)
		}
	}
}

func matchAll(t *testing.T, text string) []Match {
	t.Helper()
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Match([]byte(text))
}

type got struct {
	Rule, Secret, Severity, Encoding string
	Weak                             bool
}

func summarize(ms []Match) []got {
	var out []got
	for _, m := range ms {
		out = append(out, got{m.Rule.ID, m.Secret, m.Rule.Severity.String(), m.Encoding, slices.Contains(m.Rule.Tags, TagWeak)})
	}
	return out
}

// TestWeakProbePasswordsInEnvFile: the probe passwords as DB_PASSWORD
// values of a .env are all reported, tagged weak at a lower severity, and
// the placeholders beside them are not.
func TestWeakProbePasswordsInEnvFile(t *testing.T) {
	name := "DB_" + "PASSWORD="
	probes := []string{"correct-horse-battery-staple", "bluefalcon", "Welcome2024!", "Epic2024!", "Keycloak#2023", "hospital99admin"}
	text := ""
	var want []got
	for _, p := range probes {
		text += name + p + "\n"
		want = append(want, got{"dotenv-password", p, "low", "", true})
	}
	for _, p := range []string{"", "changeme", "<password>", "${DB_PASSWORD}", "xxxx", "your-password-here"} {
		text += name + p + "\n"
	}
	if diff := cmp.Diff(want, summarize(matchAll(t, text))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestCredentialFileDecoders: FileZilla's base64 and WinSCP's obfuscation
// are undone, so the finding's secret (and fingerprint) is the password.
func TestCredentialFileDecoders(t *testing.T) {
	filezilla := "<Server>\n<Host>ftp.example.org</Host>\n<User>web</User>\n<Pass encoding=\"base64\">" +
		"TGFudGVybl8yMDE5" + "</Pass>\n</Server>\n"
	winscp := "[Sessions\\ops@files.example.net]\nHostName=files.example.net\nUserName=ops\nPassword=" +
		"A35C7D56119644796CE741314F70332C2F3A3530392F7239243D312C303972323928082932382E3D7F103D312C6B6B828A7F\n"
	for _, tc := range []struct {
		name, text string
		want       []got
	}{
		{"filezilla", filezilla, []got{{"filezilla-password", "Lantern_2019", "medium", "base64", true}}},
		{"winscp", winscp, []got{{"winscp-password", "Tundra#Lamp77", "high", "winscp", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarize(matchAll(t, tc.text))); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPasswordHashesAreTheirOwnClass: shadow and htpasswd lines and SQL
// user rows report hashes as class password-hash at low severity.
func TestPasswordHashesAreTheirOwnClass(t *testing.T) {
	bcrypt := "$2y$10$" + "Zq8vN3mK5pR2tW7xL4bH6eO1sD9fG0jA3cE5iU8yT2nM4kQ6wV7rS"
	text := "reports:" + bcrypt + "\n" +
		"INSERT INTO `users` VALUES (1,'admin','a@example.org','" + bcrypt + "');\n" +
		"hash := \"" + bcrypt + "\"\n"
	ms := matchAll(t, text)
	if len(ms) != 2 {
		t.Fatalf("got %d findings, want 2 (the code line is not a user table): %+v", len(ms), summarize(ms))
	}
	for _, m := range ms {
		if m.Rule.Class != "password-hash" || m.Rule.Severity != SeverityLow || m.Line == 3 {
			t.Errorf("line %d: rule %s class %q severity %s", m.Line, m.Rule.ID, m.Rule.Class, m.Rule.Severity)
		}
	}
}

// TestDecodersRejectMalformed: truncated, odd-length or non-hex WinSCP
// values and undecodable base64 are refused, never a panic.
func TestDecodersRejectMalformed(t *testing.T) {
	for _, s := range []string{"", "A", "A3", "A35C", "A35C5C", "A35CFF5CZZ", "A35C5D5C" + "FF"} {
		if got, ok := decodeWinSCP(s, ""); ok {
			t.Errorf("decodeWinSCP(%q) = %q, true; want false", s, got)
		}
	}
	for _, s := range []string{"", "!!!!", "AAEC"} { // the last decodes to control bytes
		if got, ok := Decoders["base64"](s, ""); ok {
			t.Errorf("base64(%q) = %q, true; want false", s, got)
		}
	}
	if got, ok := Decoders["docker-auth"]("ZGVwbG95", ""); ok { // "deploy", no colon
		t.Errorf("docker-auth without a colon = %q, true", got)
	}
}
