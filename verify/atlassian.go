package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// Jira and Confluence Data Center (and Server) personal access tokens: a
// bearer token to the instance's REST API, asked who it belongs to.
//
//	Jira:       GET https://{base}/rest/api/2/myself        → 200 {"name": …}; 401 for a bad token
//	Confluence: GET https://{base}/rest/api/user/current    → 200 {"type": "known", "username": …}; 401
//
// Data Center is self-managed: Atlassian runs no instance that would know
// the token, so there is no public service to ask and no fixed host. The
// instance is the Jira or Confluence URL written beside the token, asked
// only if the user named its host in --verify-hosts; otherwise, or when
// the text names no instance, the result is unknown and nothing is sent
// (never revoked: no service that did not issue the token is asked). The
// product is the one the token's own key names (JIRA_PAT, confluence_token),
// so a Jira token is never sent to a Confluence server beside it.
//
// https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html
// https://developer.atlassian.com/server/jira/platform/personal-access-token/
// https://docs.atlassian.com/software/jira/docs/api/REST/latest/#api/2/myself
// https://docs.atlassian.com/ConfluenceServer/rest/latest/#api/user-getCurrent
const (
	// atlassianProductCapture is the token's key name from its own match
	// (JIRA_PAT=, confluence_token:), read for the product it names.
	atlassianProductCapture = "atlassian_product"
	jiraURLCapture          = "jira_url"
	confluenceURLCapture    = "confluence_url"
)

var atlassianDataCenter = &program{
	// No fixed host: only instances the user names in --verify-hosts.
	docs: "https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html",
	run:  runAtlassianDC,
}

// atlassianPathRe accepts a context path (/jira, /confluence, /wiki):
// plain segments, nothing that could climb or add a query.
var atlassianPathRe = lazyRegexp(`^(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,63}){0,3}$`)

func runAtlassianDC(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	product := strings.ToLower(c.Captures[atlassianProductCapture])
	var capture, path string
	switch {
	case strings.HasPrefix(product, "jira"):
		capture, path = jiraURLCapture, "/rest/api/2/myself"
	case strings.HasPrefix(product, "confluence"):
		capture, path = confluenceURLCapture, "/rest/api/user/current"
	default:
		return unknown("not known whether the token is Jira's or Confluence's")
	}
	name := strings.SplitN(capture, "_", 2)[0]
	raw := strings.TrimSpace(c.Captures[capture])
	if raw == "" {
		return unknown("no %s URL found beside the token: Data Center is self-managed, its instance must be named", name)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Port() != "" || u.RawQuery != "" || u.Fragment != "" {
		return unknown("%s URL is not a plain URL without port or user info: not asked", name)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	base := strings.TrimSuffix(u.EscapedPath(), "/")
	if !instanceHostOK(host) || !atlassianPathRe().MatchString(base) {
		return unknown("%s URL %s is not a DNS name and plain path: not asked", name, clean(host))
	}
	named := false
	for _, h := range v.o.Hosts {
		named = named || strings.EqualFold(h, host)
	}
	if !named {
		return unknown("%s Data Center instance %s: add it to --verify-hosts to ask it", name, host)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+base+path, nil)
	if err != nil {
		return unknown("build request: %s", redactErr(err, c.Secret))
	}
	req.Header.Set("Authorization", "Bearer "+c.Secret)
	req.Header.Set("Accept", "application/json")
	r, fail := v.send(ctx, host, req, c.Secret)
	if fail != nil {
		return *fail
	}
	var body struct {
		Name     string `json:"name"`
		Username string `json:"username"`
		Type     string `json:"type"`
	}
	jsonErr := json.Unmarshal(r.body, &body)
	switch {
	case r.status == http.StatusOK && jsonErr == nil && capture == jiraURLCapture && body.Name != "":
		return scanner.Verification{Status: scanner.VerifyLive, Identity: atlassianIdentity(host, body.Name, c.Secret)}
	case r.status == http.StatusOK && jsonErr == nil && capture == confluenceURLCapture && body.Type == "known" && body.Username != "":
		return scanner.Verification{Status: scanner.VerifyLive, Identity: atlassianIdentity(host, body.Username, c.Secret)}
	case r.status == http.StatusUnauthorized:
		return scanner.Verification{Status: scanner.VerifyRevoked}
	case r.status == http.StatusOK && body.Type == "anonymous":
		return unknown("the instance answered as to an anonymous user")
	}
	return unknown("unexpected response: status %d", r.status)
}

func atlassianIdentity(host, login, secret string) map[string]string {
	id := map[string]string{"account": host}
	if l := clean(login); l != "" && !strings.Contains(l, secret) {
		id["login"] = l
	}
	return id
}
