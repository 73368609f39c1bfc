package detectors

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testJWT builds an unsigned-looking synthetic JWT with the given payload.
func testJWT(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "." + "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
}

func TestJWTExpiry(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   time.Time
		wantOK bool
	}{
		{"exp", testJWT(`{"sub":"demo","exp":1767225600}`), time.Unix(1767225600, 0).UTC(), true},
		{"float exp", testJWT(`{"exp":1767225600.5}`), time.Unix(1767225600, 0).UTC(), true},
		{"no exp", testJWT(`{"sub":"demo"}`), time.Time{}, false},
		{"exp not a date", testJWT(`{"exp":12}`), time.Time{}, false},
		{"exp a string", testJWT(`{"exp":"soon"}`), time.Time{}, false},
		{"not a JWT", "ghp_" + strings.Repeat("a", 36), time.Time{}, false},
		{"header without alg", base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1767225600}`)) + ".x", time.Time{}, false},
		{"garbage parts", "eyJ!!!.eyJ???.zzz", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := JWTExpiry(tt.in)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("JWTExpiry = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStatedExpiryNearby(t *testing.T) {
	short := &Rule{ID: "aws-session-token", Class: "token"}
	long := &Rule{ID: "github-pat", Class: "api-key"}
	sess := strings.Repeat("Fw0G", 30)
	doc := `{"Credentials": {"SessionToken": "` + sess + `", "Expiration": "2026-03-04T05:06:07+00:00"}}`
	start := strings.Index(doc, sess)
	end := start + len(sess)
	want := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

	if got, ok := StatedExpiry(short, sess, []byte(doc), start, end); !ok || !got.Equal(want) {
		t.Errorf("STS JSON: got %v, %v; want %v", got, ok, want)
	}
	ini := "[default]\naws_session_token = " + sess + "\nx_security_token_expires = 2026-03-04T05:06:07Z\n"
	start = strings.Index(ini, sess)
	if got, ok := StatedExpiry(short, sess, []byte(ini), start, start+len(sess)); !ok || !got.Equal(want) {
		t.Errorf("credentials file: got %v, %v; want %v", got, ok, want)
	}
	// A long-lived key does not borrow a neighbour's expiry.
	start = strings.Index(doc, sess)
	if got, ok := StatedExpiry(long, sess, []byte(doc), start, end); ok {
		t.Errorf("long-lived rule took nearby expiry %v", got)
	}
	// Too far away: another object's expiry.
	far := sess + strings.Repeat(" ", 2*expiryNear) + `"expires": "2026-03-04T05:06:07Z"`
	if got, ok := StatedExpiry(short, sess, []byte(far), 0, len(sess)); ok {
		t.Errorf("far expiry taken: %v", got)
	}
	// A JWT's own exp wins over anything nearby, whatever its rule.
	jwt := testJWT(`{"exp":1767225600}`)
	if got, ok := StatedExpiry(long, jwt, []byte(jwt), 0, len(jwt)); !ok || !got.Equal(time.Unix(1767225600, 0).UTC()) {
		t.Errorf("JWT: got %v, %v", got, ok)
	}
}

// TestLongLivedTokensAreNotShortLived guards the rotation classes: class
// "token" means short-lived (judged against an hour), so a personal access
// token, refresh token, bot token or API token must never carry it.
func TestLongLivedTokensAreNotShortLived(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	longLived := regexp.MustCompile(`(?i)personal access|personal token|refresh token|bot token|api token|\bPAT\b`)
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
		// Auth0's Management API token is a JWT access token (24 h by
		// default), whatever its name says.
		if r.Class == "token" && longLived.MatchString(r.Name) && r.ID != "auth0-management-api-token" {
			t.Errorf("rule %s (%s) is class token (short-lived)", r.ID, r.Name)
		}
	}
	for id, want := range map[string]string{
		"github-pat": "api-key", "slack-bot-token": "api-key", "github-refresh-token": "api-key",
		"aws-session-token": "token", "jwt": "token", "github-app-installation-token": "token",
		"gitlab-ci-job-token": "token", "epic-access-token": "token",
	} {
		if r := byID[id]; r == nil || r.Class != want {
			t.Errorf("rule %s: class %v, want %s", id, r, want)
		}
	}
}

func TestStatedExpirySAS(t *testing.T) {
	sas := &Rule{ID: "azure-sas-token", Class: "api-key"}
	sig := strings.Repeat("Zm9v", 11) + "%3D"
	for _, tt := range []struct {
		name, line string
		want       time.Time
		ok         bool
	}{
		{"URL", "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2027-05-06T07:08:09Z&sp=r&sig=" + sig, time.Date(2027, 5, 6, 7, 8, 9, 0, time.UTC), true},
		{"encoded colons", "BlobEndpoint=https://x/;SharedAccessSignature=sv=2022-11-02&se=2027-05-06T07%3A08%3A09Z&sig=" + sig, time.Date(2027, 5, 6, 7, 8, 9, 0, time.UTC), true},
		{"date only", "?sv=2022-11-02&sig=" + sig + "&se=2027-05-06", time.Date(2027, 5, 6, 0, 0, 0, 0, time.UTC), true},
		{"none", "?sv=2022-11-02&sp=r&sig=" + sig, time.Time{}, false},
		{"next line is another URL", "?sv=2022-11-02&sig=" + sig + "\n?se=2027-05-06", time.Time{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := strings.Index(tt.line, sig)
			got, ok := StatedExpiry(sas, sig, []byte(tt.line), start, start+len(sig))
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// BenchmarkStatedExpiry: the cost added to each finding, for a JWT (both
// parts decoded) and for a short-lived token read beside its neighbours.
func BenchmarkStatedExpiry(b *testing.B) {
	jwt := testJWT(`{"sub":"demo","exp":1767225600}`)
	sess := strings.Repeat("Fw0G", 30)
	doc := []byte(strings.Repeat("x", 400) + `"SessionToken": "` + sess + `", "Expiration": "2026-03-04T05:06:07Z"` + strings.Repeat("y", 400))
	start := strings.Index(string(doc), sess)
	short := &Rule{ID: "aws-session-token", Class: "token"}
	b.Run("jwt", func(b *testing.B) {
		for b.Loop() {
			StatedExpiry(nil, jwt, []byte(jwt), 0, len(jwt))
		}
	})
	b.Run("nearby", func(b *testing.B) {
		for b.Loop() {
			StatedExpiry(short, sess, doc, start, start+len(sess))
		}
	})
	sasLine := []byte("https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2027-05-06T07%3A08%3A09Z&sp=r&sig=" + sess)
	sasStart := len(sasLine) - len(sess)
	b.Run("sas", func(b *testing.B) {
		for b.Loop() {
			StatedExpiry(&Rule{ID: "azure-sas-token"}, sess, sasLine, sasStart, len(sasLine))
		}
	})
	b.Run("long-lived", func(b *testing.B) {
		for b.Loop() {
			StatedExpiry(&Rule{Class: "api-key"}, sess, doc, start, start+len(sess))
		}
	})
}
