package detectors

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// probePasswords are weak but real passwords: no identifier filter may
// take them for code.
var probePasswords = []string{
	"correct-horse-battery-staple", "bluefalcon", "Welcome2024!", "Epic2024!", "Keycloak#2023", "hospital99admin",
	"hunter22", "pass123", "swordfish", "root:toor", "Summer.Winter", "admin",
}

// randomish is a secret-shaped value, built here so the file itself scans
// clean.
var randomish = "zQ7xK9pL" + "2mN8vB4cX1"

func TestHeaderName(t *testing.T) {
	yes := []string{"x-amz-s3session-token", "X-Amz-Security-Token", "x-api-key", "Api-Key", "X-Auth-Token", "api-key", "auth-token", "x-goog-api-key", "Proxy-Authorization"}
	no := append([]string{"zQ7x-K9pL-2mN8", "blue-falcon-99", "my-token", "2fa-token", "Api-KEY", "Ab3c-Xy9z-Qw1e", "X-aB3c9-zQ"}, probePasswords...)
	for _, s := range yes {
		if !headerName(s) {
			t.Errorf("headerName(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if headerName(s) {
			t.Errorf("headerName(%q) = true, want false", s)
		}
	}
}

func TestNamespacedIdentifier(t *testing.T) {
	yes := []string{"smithy.api#httpApiKeyAuth", "river:unique_nonce", "hostConfig.NetworkMode", "com.amazonaws#sigv", "config.database.host"}
	no := append([]string{"user:" + randomish, "smithy.api#httpApiKeyAuth2", "a..b", ":unique_nonce", "river:", "sk.live"}, probePasswords...)
	for _, s := range yes {
		if !namespacedIdentifier(s) {
			t.Errorf("namespacedIdentifier(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if namespacedIdentifier(s) {
			t.Errorf("namespacedIdentifier(%q) = true, want false", s)
		}
	}
}

func TestKeyFromName(t *testing.T) {
	for _, tc := range []struct {
		before, value, name string
		key                 bool
	}{
		{`	s3DisableExpressSessionAuthKey = "`, "s3_disable_express_session_auth", "s3DisableExpressSessionAuthKey", true},
		{`  "sessionTokenHeader": "`, "session-token", "sessionTokenHeader", true},
		{`ENV_DB_PASSWORD_V2 := '`, "db_password_v2", "ENV_DB_PASSWORD_V2", true},
		{`APIKeyName => "`, "api.key.name", "APIKeyName", true},
		{`apiKey => "`, "api_key_" + randomish, "apiKey", false},
		{`adminPassword = "`, "admin", "adminPassword", false}, // one word: a weak password
		{`rootPassword = "`, "root_pass", "rootPassword", false},
		{`DB_PASSWORD=`, "hospital99admin", "DB_PASSWORD", false},
		{`fmt.Println("`, "password_reset", "", false},
	} {
		name := assignedName([]byte(tc.before))
		if name != tc.name {
			t.Errorf("assignedName(%q) = %q, want %q", tc.before, name, tc.name)
		}
		if got := name != "" && keyFromName(name, tc.value); got != tc.key {
			t.Errorf("keyFromName(%q, %q) = %v, want %v", name, tc.value, got, tc.key)
		}
	}
	if diff := cmp.Diff([]string{"s3", "disable", "api", "key", "v2"}, words("s3DisableAPIKey_V2")); diff != "" {
		t.Errorf("words (-want +got):\n%s", diff)
	}
}

func TestFormatString(t *testing.T) {
	yes := []string{"token:%s@", "key-%s-prod", "pw_%d_%s_x", "%-10s:", "tok-%v", "%[1]s:%[2]s", "{0}:{1}", "user:{}@host", "%w"}
	no := append([]string{"%9T_V1j#FK", "p%2Fq%3D" + randomish, "100%", "%5sK" + randomish, "{name}", "%zz", "%T", "a/%%d:", "q?{}NC" + randomish, "h<T%s.)(*&^!~" + randomish}, probePasswords...)
	for _, s := range yes {
		if !formatString(s) {
			t.Errorf("formatString(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if formatString(s) {
			t.Errorf("formatString(%q) = true, want false", s)
		}
	}
}

func TestCommentExample(t *testing.T) {
	yes := []string{
		`// Put inserts a key-value secret (e.g. {"password": "`,
		`# for example: token = "`,
		` * Such as api_key="`,
		`-- the value looks like `,
	}
	no := []string{
		`# PASSWORD=`,            // commented-out configuration still leaks
		`// password := "`,       // commented-out code
		`password = "`,           // not a comment
		`url = "http://e.g.com/`, // not a comment
	}
	for _, s := range yes {
		if !commentExample([]byte(s)) {
			t.Errorf("commentExample(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if commentExample([]byte(s)) {
			t.Errorf("commentExample(%q) = true, want false", s)
		}
	}
	if !abbreviated("9cbaf023786cd7...") || !abbreviated("ghp_ab…") || abbreviated(randomish) {
		t.Error("abbreviated misreads an ellipsis")
	}
}

func TestImageData(t *testing.T) {
	png := "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8"
	for _, tc := range []struct {
		before, value string
		image         bool
	}{
		{`"token": "`, png, true},
		{`icon_token = "`, "R0lGODlhAQABAIAAAAAAAP", true},
		{`"secret": "`, "data:image/png", true},
		{`<img src="data:image/svg+xml;base64,`, "PHN2ZyB4bWxucz0i" + randomish, true},
		{`<path id="secret" d="`, "M12.5 3.2L4.1 9.9C3.3 10.5", true},
		{`<path token="`, "M12.5,3.2L4.1,9.9C3.3,10.5,2.9,11.4", true},
		{`<path id="secret" d="`, randomish, false},
		{`"token": "`, randomish, false},
	} {
		if got := imageData([]byte(tc.before), tc.value); got != tc.image {
			t.Errorf("imageData(%q, %q) = %v, want %v", tc.before, tc.value, got, tc.image)
		}
	}
}

func TestNonText(t *testing.T) {
	ctl := "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
	for _, tc := range []struct {
		pre, post string
		binary    bool
	}{
		{`api_token = "`, `" ` + ctl, true},
		{"\x00\x01api_token = \"", "\"", true},
		{"api_token = \"", "\" \xff\xfe\xfd\xfc\xfa\xfb\xfc\xfd\xfe\xff\xfa\xfb\xfc", true},
		{`api_token = "`, `" # café, naïve, 東京`, false},
		{"api_token = \"", "\"\r", false},
	} {
		data := []byte(tc.pre + randomish + tc.post + "\nnext line\n")
		if got := nonText(data, len(tc.pre), len(tc.pre)+len(randomish)); got != tc.binary {
			t.Errorf("nonText(%q) = %v, want %v", data, got, tc.binary)
		}
	}
}

// TestIdentifierFiltersThroughMatcher runs code that the built-in rules
// reported before these filters (each from third-party modules or the
// shapes they stand for) through the whole matcher, and checks that real
// secrets next to the same shapes are still found.
func TestIdentifierFiltersThroughMatcher(t *testing.T) {
	m := testMatcher(t)
	png := "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAABHNCSVQICAgI"
	code := map[string]string{
		"config key":      "const (\n\ts3DisableExpressSessionAuthKey = \"s3_disable_express_session_auth\"\n)\n",
		"header name":     "const (\n\theaderAmzSessionToken  = \"x-amz-s3session-token\"\n)\n",
		"hash namespace":  "const (\n\tSchemeIDHTTPAPIKey = \"smithy.api#httpApiKeyAuth\"\n)\n",
		"colon namespace": "const UniqueInsertMetadataKey = \"river:unique_nonce\"\n",
		"dotted name":     "\t// migrated to the primary interface, identified by 'hostConfig.NetworkMode'.\n",
		"format verbs":    "\tapiKey := \"key-%s-prod\"\n\tpassword = \"pw_%d_%s_x\"\n",
		"comment example": "// Put inserts a key-value secret (e.g. {\"password\": \"Hashi123\"}) into the\n", // sprawl:allow
		"ellipsis":        "      \"identitytoken\": \"9cbaf023786cd7...\"\n",
		"data URI":        "  \"secret\": \"data:image/png;base64," + png + "\",\n",
		"base64 image":    "  \"token\": \"" + png + "\",\n",
		"non-text":        "\x00\x01api_token = \"" + randomish + "\"\x00\x00\n",
	}
	for name, src := range code {
		var got []string
		for _, mt := range m.Match([]byte(src)) {
			got = append(got, mt.Rule.ID+" "+mt.Secret)
		}
		if len(got) > 0 {
			t.Errorf("%s: reported %q", name, got)
		}
	}
	secrets := map[string]string{
		"assignment":           "api_token = \"" + randomish + "\"\n",
		"commented-out":        "# API_TOKEN=\"" + randomish + "\"\n",
		"comment without e.g.": "// password: \"" + randomish + "\"\n",
		"key with its name":    "apiKey = \"api_key_" + randomish + "\"\n",
		"in a .env":            "DB_PASSWORD=" + randomish + "\n",
	}
	for name, src := range secrets {
		if len(m.Match([]byte(src))) == 0 {
			t.Errorf("%s: %q not reported", name, src)
		}
	}
}

// TestIdentifierNoiseKeepsProbePasswords checks the filters alone, as a
// .env value, whatever the password rules decide about them.
func TestIdentifierNoiseKeepsProbePasswords(t *testing.T) {
	var got []string
	for _, pw := range probePasswords {
		data := []byte("DB_PASSWORD=" + pw + "\n")
		c := &Match{Start: 12, End: 12 + len(pw), Secret: pw}
		if why := identifierNoise(data, c, false); why != "" {
			got = append(got, pw+": "+why)
		}
	}
	if diff := cmp.Diff([]string(nil), got); diff != "" {
		t.Errorf("probe passwords filtered (-want +got):\n%s", diff)
	}
}

// TestIdentifierNoiseSparesRandomSecrets: generated secrets of the usual
// alphabets, assigned in code or in a comment, are never taken for an
// identifier, a format string or an image.
func TestIdentifierNoiseSparesRandomSecrets(t *testing.T) {
	const (
		alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		b64url = alnum + "-_"
		b64    = alnum + "+/"
		sym    = alnum + "!#$%&()*+,-./:;<=>?@[]^_{|}~"
	)
	r := rand.New(rand.NewPCG(1, 2))
	var got []string
	for _, abc := range []string{alnum, b64url, b64, sym} {
		for i := 0; i < 5000; i++ {
			b := make([]byte, 12+r.IntN(53))
			for j := range b {
				b[j] = abc[r.IntN(len(abc))]
			}
			v := string(b)
			for _, pre := range []string{`api_token = "`, `// token: "`, `sessionTokenHeader: "`} {
				data := []byte(pre + v + "\"\n")
				if why := identifierNoise(data, &Match{Start: len(pre), End: len(pre) + len(v), Secret: v}, false); why != "" {
					got = append(got, v+": "+why)
				}
			}
		}
	}
	if len(got) > 0 {
		t.Errorf("%d random secrets filtered, first %q", len(got), got[:min(5, len(got))])
	}
}
