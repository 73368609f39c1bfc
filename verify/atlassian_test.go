package verify

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// atlassianPAT returns a synthetic Data Center token of the documented
// shape (base64 of "<id>:<random>"), made at run time.
func atlassianPAT(t testing.TB) string {
	t.Helper()
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(big.NewInt(0).Add(id, big.NewInt(1e11)).String() + ":")
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, alnum[n.Int64()])
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Synthetic Data Center instances.
const (
	jiraHost       = "jira.corp.example"
	contextHost    = "tools.corp.example" // Jira at /jira, Confluence at /confluence
	confluenceHost = "wiki.corp.example"
	anonHost       = "open-wiki.corp.example"
	busyHost       = "busy-jira.corp.example"
	captchaHost    = "captcha-jira.corp.example"
	ssoHost        = "sso-jira.corp.example"
)

// fakeAtlassianDC plays Jira's GET /rest/api/2/myself and Confluence's GET
// /rest/api/user/current as documented for personal access tokens: 200
// with the token owner for a known bearer token, 401 for any other; a
// Confluence that lets anonymous users in answers 200 "anonymous" to a
// request it does not authenticate. busyHost answers 503, captchaHost
// 403 (Jira's CAPTCHA challenge), ssoHost a redirect to its login page
// elsewhere. It keeps each host's Authorization headers.
type fakeAtlassianDC struct {
	tokens map[string]string // token → owner

	mu   sync.Mutex
	auth map[string][]string
}

func (f *fakeAtlassianDC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.auth == nil {
		f.auth = map[string][]string{}
	}
	f.auth[r.Host] = append(f.auth[r.Host], r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	owner, known := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	jira := map[string]bool{jiraHost + "/rest/api/2/myself": true, contextHost + "/jira/rest/api/2/myself": true,
		busyHost + "/rest/api/2/myself": true, captchaHost + "/rest/api/2/myself": true, ssoHost + "/rest/api/2/myself": true}
	confluence := map[string]bool{confluenceHost + "/rest/api/user/current": true, contextHost + "/confluence/rest/api/user/current": true,
		anonHost + "/rest/api/user/current": true}
	at := r.Host + r.URL.Path
	switch {
	case r.Method != http.MethodGet || (!jira[at] && !confluence[at]):
		w.WriteHeader(404)
	case r.Host == busyHost:
		w.WriteHeader(503)
	case r.Host == captchaHost:
		w.Header().Set("X-Authentication-Denied-Reason", "CAPTCHA_CHALLENGE; login-url=https://"+captchaHost+"/login.jsp")
		w.WriteHeader(403)
	case r.Host == ssoHost:
		http.Redirect(w, r, "https://login.sso.example/saml?relay=jira", http.StatusFound)
	case r.Host == anonHost:
		json.NewEncoder(w).Encode(map[string]any{"type": "anonymous", "displayName": "Anonymous"})
	case !known:
		w.Header().Set("WWW-Authenticate", "Bearer realm=\"instance\"")
		w.WriteHeader(401)
	case jira[at]:
		json.NewEncoder(w).Encode(map[string]any{"self": "https://" + r.Host + "/rest/api/2/user?username=" + owner, "key": "JIRAUSER10100",
			"name": owner, "emailAddress": owner + "@corp.example", "displayName": "Synthetic Owner", "active": true})
	default:
		json.NewEncoder(w).Encode(map[string]any{"type": "known", "username": owner, "userKey": "ff8080817", "displayName": "Synthetic Owner"})
	}
}

func (f *fakeAtlassianDC) sent(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auth[host]...)
}

func TestAtlassianDataCenterPAT(t *testing.T) {
	rule := builtinRules(t)["atlassian-datacenter-pat"]
	tok, gone := atlassianPAT(t), atlassianPAT(t)
	fake := &fakeAtlassianDC{tokens: map[string]string{tok: "jdoe"}}
	srv, pool := testcert.Server(t, fake, jiraHost, contextHost, confluenceHost, anonHost, busyHost, captchaHost, ssoHost)
	all := []string{jiraHost, contextHost, confluenceHost, anonHost, busyHost, captchaHost, ssoHost}
	jira := func(u string) map[string]string { return map[string]string{"atlassian_product": "JIRA", "jira_url": u} }
	conf := func(u string) map[string]string {
		return map[string]string{"atlassian_product": "confluence", "confluence_url": u}
	}
	cases := []struct {
		name     string
		secret   string
		captures map[string]string
		hosts    []string
		want     scanner.Verification
		asked    string // the host that must have received the token, if any
	}{
		{"jira live", tok, jira("https://" + jiraHost), all,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": jiraHost, "login": "jdoe"}}, jiraHost},
		{"jira live, bare host", tok, jira(jiraHost + "/"), all,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": jiraHost, "login": "jdoe"}}, jiraHost},
		{"jira live under a context path", tok, jira("https://" + contextHost + "/jira"), all,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": contextHost, "login": "jdoe"}}, contextHost},
		{"jira revoked", gone, jira("https://" + jiraHost), all, scanner.Verification{Status: scanner.VerifyRevoked}, jiraHost},
		{"confluence live", tok, conf("https://" + confluenceHost), all,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": confluenceHost, "login": "jdoe"}}, confluenceHost},
		{"confluence live under a context path", tok, conf("https://" + contextHost + "/confluence/"), all,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": contextHost, "login": "jdoe"}}, contextHost},
		{"confluence revoked", gone, conf("https://" + confluenceHost), all, scanner.Verification{Status: scanner.VerifyRevoked}, confluenceHost},
		{"confluence answers anonymously", tok, conf("https://" + anonHost), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "the instance answered as to an anonymous user"}, anonHost},
		{"server error", tok, jira("https://" + busyHost), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503"}, busyHost},
		{"captcha", tok, jira("https://" + captchaHost), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 403"}, captchaHost},
		{"redirect to single sign-on", tok, jira("https://" + ssoHost), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 302"}, ssoHost},
		// Never revoked, nothing sent: the instance is not named, or not allowed.
		{"not in --verify-hosts", tok, jira("https://" + jiraHost), []string{confluenceHost},
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira Data Center instance " + jiraHost + ": add it to --verify-hosts to ask it"}, ""},
		{"no --verify-hosts", gone, jira("https://" + jiraHost), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira Data Center instance " + jiraHost + ": add it to --verify-hosts to ask it"}, ""},
		{"no instance beside the token", tok, map[string]string{"atlassian_product": "jira"}, all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "no jira URL found beside the token: Data Center is self-managed, its instance must be named"}, ""},
		{"jira token beside a Confluence URL only", tok, map[string]string{"atlassian_product": "jira", "confluence_url": "https://" + confluenceHost}, all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "no jira URL found beside the token: Data Center is self-managed, its instance must be named"}, ""},
		{"product unknown", tok, map[string]string{"jira_url": "https://" + jiraHost}, all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "not known whether the token is Jira's or Confluence's"}, ""},
		{"port", tok, jira("https://" + jiraHost + ":8443"), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira URL is not a plain URL without port or user info: not asked"}, ""},
		{"user info", tok, jira("https://admin@" + jiraHost), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira URL is not a plain URL without port or user info: not asked"}, ""},
		{"address", tok, jira("https://10.0.0.7"), append(all, "10.0.0.7"),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira URL 10.0.0.7 is not a DNS name and plain path: not asked"}, ""},
		{"path climbs", tok, jira("https://" + jiraHost + "/../admin"), all,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "jira URL " + jiraHost + " is not a DNS name and plain path: not asked"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]int{}
			for _, h := range all {
				before[h] = len(fake.sent(h))
			}
			v := testVerifier(srv, pool, Options{Hosts: tc.hosts})
			got := v.Verify(context.Background(), Candidate{Rule: rule, Secret: tc.secret, Captures: tc.captures})
			got.CheckedAt = time.Time{}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			var asked []string
			for _, h := range all {
				s := fake.sent(h)[before[h]:]
				if len(s) > 0 {
					asked = append(asked, h)
					if len(s) != 1 || s[0] != "Bearer "+tc.secret {
						t.Errorf("%s got %d requests, want one with the token as bearer", h, len(s))
					}
				}
			}
			want := []string(nil)
			if tc.asked != "" {
				want = []string{tc.asked}
			}
			if d := cmp.Diff(want, asked); d != "" {
				t.Errorf("hosts asked (-want +got)\n%s", d)
			}
		})
	}
}

// TestScannedAtlassianDataCenterPAT: a .env holding a Jira and a
// Confluence token, each beside the other's URL on the next line: each
// token goes to its own product's instance only, and without
// --verify-hosts nothing is sent and both read unknown.
func TestScannedAtlassianDataCenterPAT(t *testing.T) {
	jiraTok, confTok := atlassianPAT(t), atlassianPAT(t)
	fs := scanFiles(t, map[string]string{
		"ops/.env": "JIRA_URL=https://" + jiraHost + "\nJIRA_PAT=" + jiraTok + "\nCONFLUENCE_PAT=" + confTok +
			"\nCONFLUENCE_URL=https://" + contextHost + "/confluence\n",
	})
	got := func(fs []scanner.Finding) []string {
		var out []string
		for _, f := range fs {
			if f.RuleID == "atlassian-datacenter-pat" && f.Verification != nil {
				out = append(out, f.Verification.Status+" "+f.Verification.Reason)
			}
		}
		sort.Strings(out)
		return out
	}
	fake := &fakeAtlassianDC{tokens: map[string]string{jiraTok: "jira-bot", confTok: "wiki-bot"}}
	srv, pool := testcert.Server(t, fake, jiraHost, contextHost)

	testVerifier(srv, pool, Options{}).Findings(context.Background(), builtinRules(t), fs, 2)
	want := []string{
		"unknown confluence Data Center instance " + contextHost + ": add it to --verify-hosts to ask it",
		"unknown jira Data Center instance " + jiraHost + ": add it to --verify-hosts to ask it",
	}
	if d := cmp.Diff(want, got(fs)); d != "" {
		t.Errorf("without --verify-hosts (-want +got)\n%s", d)
	}
	if n := len(fake.sent(jiraHost)) + len(fake.sent(contextHost)); n != 0 {
		t.Fatalf("%d requests without --verify-hosts", n)
	}

	for i := range fs {
		fs[i].Verification = nil
	}
	testVerifier(srv, pool, Options{Hosts: []string{jiraHost, contextHost}}).Findings(context.Background(), builtinRules(t), fs, 2)
	if d := cmp.Diff([]string{"live ", "live "}, got(fs)); d != "" {
		t.Errorf("with --verify-hosts (-want +got)\n%s", d)
	}
	if d := cmp.Diff([]string{"Bearer " + jiraTok}, fake.sent(jiraHost)); d != "" {
		t.Errorf("Jira received (-want +got)\n%s", d)
	}
	if d := cmp.Diff([]string{"Bearer " + confTok}, fake.sent(contextHost)); d != "" {
		t.Errorf("Confluence received (-want +got)\n%s", d)
	}
}
