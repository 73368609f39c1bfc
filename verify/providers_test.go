package verify

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// reply is one canned response.
type reply struct {
	status int
	body   string
	header map[string]string
}

// documented holds, per validator URL (as written in the rule), the
// provider's documented answer to a working key and to a revoked or
// invalid one (bodies abbreviated, values synthetic), and the identity a
// live answer yields.
var documented = map[string]struct {
	live, revoked reply
	identity      map[string]string
}{
	"https://api.github.com/user": {
		live:     reply{200, `{"login":"octocat","id":1,"type":"User"}`, map[string]string{"X-OAuth-Scopes": "repo, gist"}},
		revoked:  reply{401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`, nil},
		identity: map[string]string{"login": "octocat", "scopes": "repo, gist"},
	},
	"https://api.github.com/installation/repositories?per_page=1": {
		live:    reply{200, `{"total_count":1,"repositories":[]}`, nil},
		revoked: reply{401, `{"message":"Bad credentials","status":"401"}`, nil},
	},
	"https://gitlab.com/api/v4/personal_access_tokens/self": {
		live:     reply{200, `{"id":42,"name":"ci-token","revoked":false,"created_at":"2024-01-01T00:00:00.000Z","scopes":["api","read_repository"],"user_id":3,"active":true,"expires_at":"2026-12-31"}`, nil},
		revoked:  reply{401, `{"message":"401 Unauthorized"}`, nil},
		identity: map[string]string{"key_name": "ci-token", "scopes": "api,read_repository", "expiry": "2026-12-31"},
	},
	"https://slack.com/api/auth.test": {
		live:     reply{200, `{"ok":true,"url":"https://example-team.slack.com/","team":"Example Team","user":"ci-bot","team_id":"T12345","user_id":"U12345"}`, nil},
		revoked:  reply{200, `{"ok":false,"error":"invalid_auth"}`, nil},
		identity: map[string]string{"team": "Example Team", "login": "ci-bot"},
	},
	"https://api.stripe.com/v1/balance": {
		live:    reply{200, `{"object":"balance","available":[{"amount":0,"currency":"usd"}],"livemode":false}`, nil},
		revoked: reply{401, `{"error":{"message":"Invalid API Key provided: sk_test_****","type":"invalid_request_error"}}`, nil},
	},
	"https://api.sendgrid.com/v3/scopes": {
		live:     reply{200, `{"scopes":["mail.send","alerts.read"]}`, nil},
		revoked:  reply{401, `{"errors":[{"field":null,"message":"authorization required"}]}`, nil},
		identity: map[string]string{"scopes": "mail.send,alerts.read"},
	},
	"https://api.openai.com/v1/models": {
		live:    reply{200, `{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}`, nil},
		revoked: reply{401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`, nil},
	},
	"https://api.openai.com/v1/organization/projects?limit=1": {
		live:    reply{200, `{"object":"list","data":[],"has_more":false}`, nil},
		revoked: reply{401, `{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}`, nil},
	},
	"https://api.anthropic.com/v1/models": {
		live:    reply{200, `{"data":[{"type":"model","id":"claude-x"}],"has_more":false}`, nil},
		revoked: reply{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, nil},
	},
	"https://api.anthropic.com/v1/organizations/api_keys?limit=1": {
		live:    reply{200, `{"data":[],"has_more":false}`, nil},
		revoked: reply{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, nil},
	},
	"https://huggingface.co/api/whoami-v2": {
		live:     reply{200, `{"type":"user","name":"example-user","auth":{"type":"access_token","accessToken":{"displayName":"ci","role":"read"}}}`, nil},
		revoked:  reply{401, `{"error":"Invalid credentials in Authorization header"}`, nil},
		identity: map[string]string{"login": "example-user", "type": "user", "scopes": "read"},
	},
	"https://registry.npmjs.org/-/whoami": {
		live:     reply{200, `{"username":"example-user"}`, nil},
		revoked:  reply{401, `{"error":"Unauthorized"}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.datadoghq.com/api/v1/validate": {
		live:    reply{200, `{"valid":true}`, nil},
		revoked: reply{403, `{"errors":["Forbidden"]}`, nil},
	},
	"https://api.pagerduty.com/abilities": {
		live:    reply{200, `{"abilities":["sso","teams"]}`, nil},
		revoked: reply{401, `{"error":{"message":"Unauthorized","code":2006}}`, nil},
	},
	"https://api.twilio.com/2010-04-01/Accounts/${account_sid}.json": {
		live:     reply{200, `{"sid":"AC00000000000000000000000000000000","friendly_name":"Example","status":"active","type":"Full"}`, nil},
		revoked:  reply{401, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`, nil},
		identity: map[string]string{"account": "AC00000000000000000000000000000000", "type": "Full"},
	},
	"https://api.mailgun.net/v3/domains?limit=1": {
		live:    reply{200, `{"total_count":1,"items":[]}`, nil},
		revoked: reply{401, `Forbidden`, nil},
	},
	"https://api.digitalocean.com/v2/account": {
		live:     reply{200, `{"account":{"uuid":"b6fr89dbf6d9156cace5f3c78dc9851d957381ef","status":"active","email_verified":true}}`, nil},
		revoked:  reply{401, `{"id":"Unauthorized","message":"Unable to authenticate you."}`, nil},
		identity: map[string]string{"account": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef"},
	},
	"https://api.heroku.com/account": {
		live:     reply{200, `{"id":"01234567-89ab-cdef-0123-456789abcdef","email":"someone@example.com"}`, nil},
		revoked:  reply{401, `{"id":"unauthorized","message":"Invalid credentials provided."}`, nil},
		identity: map[string]string{"account": "01234567-89ab-cdef-0123-456789abcdef"},
	},
	"https://api.cloudflare.com/client/v4/user/tokens/verify": {
		live:     reply{200, `{"success":true,"errors":[],"messages":[{"code":10000,"message":"This API Token is valid and active"}],"result":{"id":"ed17574386854bf78a67040be0a770b0","status":"active","expires_on":"2027-01-01T00:00:00Z"}}`, nil},
		revoked:  reply{401, `{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}],"messages":[],"result":null}`, nil},
		identity: map[string]string{"key_id": "ed17574386854bf78a67040be0a770b0", "expiry": "2027-01-01T00:00:00Z"},
	},
	"https://api.notion.com/v1/users/me": {
		live:     reply{200, `{"object":"user","id":"16d84278-ab0e-484c-9bdd-b35da3bd8905","type":"bot","name":"CI integration","bot":{}}`, nil},
		revoked:  reply{401, `{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}`, nil},
		identity: map[string]string{"key_name": "CI integration", "type": "bot"},
	},
	"https://api.getpostman.com/me": {
		live:     reply{200, `{"user":{"id":12345678,"username":"example-user"}}`, nil},
		revoked:  reply{401, `{"error":{"name":"AuthenticationError","message":"Invalid API Key. Every request requires a valid API Key to be sent."}}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.vercel.com/v2/user": {
		live:     reply{200, `{"user":{"id":"AEIIDYVk59zbFF2Sxfyxxmua","username":"example-user"}}`, nil},
		revoked:  reply{403, `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.netlify.com/api/v1/user": {
		live:     reply{200, `{"id":"5c1c1c1c","slug":"example-user"}`, nil},
		revoked:  reply{401, `{"code":401,"message":"Access Denied: Invalid token supplied"}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.figma.com/v1/me": {
		live:     reply{200, `{"id":"1234","handle":"Example User","img_url":"https://example.com/a.png"}`, nil},
		revoked:  reply{403, `{"status":403,"err":"Invalid token"}`, nil},
		identity: map[string]string{"login": "Example User"},
	},
	"https://api.groq.com/openai/v1/models": {
		live:    reply{200, `{"object":"list","data":[{"id":"llama","object":"model"}]}`, nil},
		revoked: reply{401, `{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}`, nil},
	},
	"https://api.mistral.ai/v1/models": {
		live:    reply{200, `{"object":"list","data":[{"id":"mistral-small","object":"model"}]}`, nil},
		revoked: reply{401, `{"message":"Unauthorized","request_id":"x"}`, nil},
	},
	"https://api.deepseek.com/models": {
		live:    reply{200, `{"object":"list","data":[{"id":"deepseek-chat","object":"model"}]}`, nil},
		revoked: reply{401, `{"error":{"message":"Authentication Fails (no such user)","type":"authentication_error"}}`, nil},
	},
	"https://api.x.ai/v1/api-key": {
		live:     reply{200, `{"api_key_id":"key-123","name":"ci","api_key_blocked":false,"api_key_disabled":false}`, nil},
		revoked:  reply{401, `{"code":"Client specified an invalid argument","error":"Incorrect API key provided"}`, nil},
		identity: map[string]string{"key_id": "key-123", "key_name": "ci"},
	},
	"https://api.cohere.com/v1/check-api-key": {
		live:     reply{200, `{"valid":true,"organization_id":"org-123","owner_id":"u-1"}`, nil},
		revoked:  reply{401, `{"message":"invalid api token"}`, nil},
		identity: map[string]string{"organization": "org-123"},
	},
	"https://api.replicate.com/v1/account": {
		live:     reply{200, `{"type":"user","username":"example-user","name":"Example"}`, nil},
		revoked:  reply{401, `{"title":"Unauthenticated","detail":"You did not pass a valid authentication token","status":401}`, nil},
		identity: map[string]string{"login": "example-user", "type": "user"},
	},
	"https://app.asana.com/api/1.0/users/me": {
		live:     reply{200, `{"data":{"gid":"12345","resource_type":"user","name":"Example"}}`, nil},
		revoked:  reply{401, `{"errors":[{"message":"Not Authorized"}]}`, nil},
		identity: map[string]string{"account": "12345"},
	},
	"https://api.airtable.com/v0/meta/whoami": {
		live:     reply{200, `{"id":"usrABC","scopes":["data.records:read"]}`, nil},
		revoked:  reply{401, `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`, nil},
		identity: map[string]string{"account": "usrABC", "scopes": "data.records:read"},
	},
	"https://api.doppler.com/v3/me": {
		live:     reply{200, `{"name":"ci","type_":"service_token","workplace":{"name":"Example Co"},"success":true}`, nil},
		revoked:  reply{401, `{"messages":["Invalid Auth token"],"success":false}`, nil},
		identity: map[string]string{"key_name": "ci", "type": "service_token", "organization": "Example Co"},
	},
	"https://api.render.com/v1/owners?limit=1": {
		live:    reply{200, `[{"owner":{"id":"usr-1","type":"user"},"cursor":"c"}]`, nil},
		revoked: reply{401, `{"message":"unauthorized"}`, nil},
	},
	"https://api.snyk.io/rest/self?version=2024-10-15": {
		live:     reply{200, `{"data":{"type":"user","id":"55a348e2","attributes":{"username":"example-user"}},"jsonapi":{"version":"1.0"}}`, nil},
		revoked:  reply{401, `{"errors":[{"status":"401","detail":"Unauthorized"}]}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.buildkite.com/v2/access-token": {
		live:     reply{200, `{"uuid":"b63254c0-3271-4a98-8270-7cfbd6c2f14e","scopes":["read_builds"]}`, nil},
		revoked:  reply{401, `{"message":"Authentication required. Please supply a valid API Access Token"}`, nil},
		identity: map[string]string{"key_id": "b63254c0-3271-4a98-8270-7cfbd6c2f14e", "scopes": "read_builds"},
	},
	"https://circleci.com/api/v2/me": {
		live:     reply{200, `{"id":"1","login":"example-user","name":"Example"}`, nil},
		revoked:  reply{401, `{"message":"You must log in first."}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.telegram.org/bot${secret}/getMe": {
		live:     reply{200, `{"ok":true,"result":{"id":123,"is_bot":true,"first_name":"Example","username":"example_bot"}}`, nil},
		revoked:  reply{401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, nil},
		identity: map[string]string{"login": "example_bot"},
	},
	"https://discord.com/api/v10/users/@me": {
		live:     reply{200, `{"id":"80351110224678912","username":"example-bot","bot":true}`, nil},
		revoked:  reply{401, `{"message":"401: Unauthorized","code":0}`, nil},
		identity: map[string]string{"login": "example-bot", "account": "80351110224678912"},
	},
	"https://api.mapbox.com/tokens/v2?access_token=${secret}": {
		live:     reply{200, `{"code":"TokenValid","token":{"usage":"sk","user":"example-user","scopes":["styles:read","fonts:read"]}}`, nil},
		revoked:  reply{401, `{"code":"TokenInvalid","token":{}}`, nil},
		identity: map[string]string{"account": "example-user", "scopes": "styles:read,fonts:read"},
	},
	"https://api.pulumi.com/api/user": {
		live:     reply{200, `{"name":"Example","githubLogin":"example-user"}`, nil},
		revoked:  reply{401, `{"code":401,"message":"Unauthorized: No credentials provided or are invalid."}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.typeform.com/me": {
		live:     reply{200, `{"alias":"example-user","language":"en"}`, nil},
		revoked:  reply{401, `{"code":"AUTHENTICATION_FAILED","description":"Authentication credentials not found on the Request Headers"}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.hubapi.com/account-info/v3/details": {
		live:     reply{200, `{"portalId":62515,"timeZone":"US/Eastern","accountType":"STANDARD"}`, nil},
		revoked:  reply{401, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`, nil},
		identity: map[string]string{"account": "62515"},
	},
	"https://api.easypost.com/v2/users": {
		live:     reply{200, `{"id":"user_123","object":"User"}`, nil},
		revoked:  reply{401, `{"error":{"code":"APIKEY.INACTIVE","message":"This api key is no longer active."}}`, nil},
		identity: map[string]string{"account": "user_123"},
	},
	"https://api.goshippo.com/addresses?results=1": {
		live:    reply{200, `{"next":null,"previous":null,"results":[]}`, nil},
		revoked: reply{401, `{"detail":"Invalid token."}`, nil},
	},
	"https://api.lob.com/v1/addresses?limit=1": {
		live:    reply{200, `{"data":[],"object":"list","count":0}`, nil},
		revoked: reply{401, `{"error":{"message":"Your API key is not valid.","status_code":401,"code":"unauthorized"}}`, nil},
	},
	"https://api.postmarkapp.com/server": {
		live:     reply{200, `{"ID":1,"Name":"Staging Testing"}`, nil},
		revoked:  reply{401, `{"ErrorCode":10,"Message":"No Account or Server API tokens were supplied in the HTTP headers."}`, nil},
		identity: map[string]string{"key_name": "Staging Testing", "account": "1"},
	},
	"https://api.postmarkapp.com/servers?count=1&offset=0": {
		live:    reply{200, `{"TotalCount":1,"Servers":[]}`, nil},
		revoked: reply{401, `{"ErrorCode":10,"Message":"Bad or missing API token"}`, nil},
	},
	"https://api.intercom.io/me": {
		live:     reply{200, `{"type":"admin","id":"1","app":{"type":"app","id_code":"abc123"}}`, nil},
		revoked:  reply{401, `{"type":"error.list","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}`, nil},
		identity: map[string]string{"account": "abc123"},
	},
	"https://app.launchdarkly.com/api/v2/caller-identity": {
		live:     reply{200, `{"accountId":"acc1","tokenName":"ci-token","tokenKind":"personal"}`, nil},
		revoked:  reply{401, `{"code":"unauthorized","message":"Invalid access token"}`, nil},
		identity: map[string]string{"key_name": "ci-token", "account": "acc1"},
	},
	"https://api.supabase.com/v1/projects": {
		live:    reply{200, `[]`, nil},
		revoked: reply{401, `{"message":"Unauthorized"}`, nil},
	},
	"https://api.linode.com/v4/profile": {
		live:     reply{200, `{"username":"example-user","uid":1}`, nil},
		revoked:  reply{401, `{"errors":[{"reason":"Invalid Token"}]}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.brevo.com/v3/account": {
		live:    reply{200, `{"companyName":"Example"}`, nil},
		revoked: reply{401, `{"message":"Key not found","code":"unauthorized"}`, nil},
	},
	"https://connect.squareup.com/v2/merchants/me": {
		live:     reply{200, `{"merchant":{"id":"MLJ123","status":"ACTIVE"}}`, nil},
		revoked:  reply{401, `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}`, nil},
		identity: map[string]string{"account": "MLJ123"},
	},
	"https://api.contentful.com/users/me": {
		live:     reply{200, `{"sys":{"type":"User","id":"7BslKh9TdKGOK41VmLDjFZ"}}`, nil},
		revoked:  reply{401, `{"sys":{"type":"Error","id":"AccessTokenInvalid"},"message":"The access token you sent could not be found or is invalid."}`, nil},
		identity: map[string]string{"account": "7BslKh9TdKGOK41VmLDjFZ"},
	},
	"https://api.segmentapis.com/": {
		live:     reply{200, `{"data":{"workspace":{"id":"9aQ1Lj62S4bomZKLF4DPqW","name":"Example","slug":"example-workspace"}}}`, nil},
		revoked:  reply{401, `{"errors":[{"type":"unauthorized","message":"Unauthorized"}]}`, nil},
		identity: map[string]string{"organization": "example-workspace"},
	},
	"https://app.terraform.io/api/v2/account/details": {
		live:     reply{200, `{"data":{"id":"user-V3R563qtJNcExAkN","type":"users","attributes":{"username":"example-user"}}}`, nil},
		revoked:  reply{401, `{"errors":[{"status":"401","title":"unauthorized"}]}`, nil},
		identity: map[string]string{"login": "example-user"},
	},
	"https://api.dropboxapi.com/2/users/get_current_account": {
		live:     reply{200, `{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","name":{"display_name":"Example"},"account_type":{".tag":"basic"}}`, nil},
		revoked:  reply{401, `{"error_summary":"invalid_access_token/...","error":{".tag":"invalid_access_token"}}`, nil},
		identity: map[string]string{"account": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"},
	},
	"https://mandrillapp.com/api/1.0/users/ping": {
		live:    reply{200, `"PONG!"`, nil},
		revoked: reply{500, `{"status":"error","code":-1,"name":"Invalid_Key","message":"Invalid API key"}`, nil},
	},
	"https://api.clerk.com/v1/users?limit=1": {
		live:    reply{200, `[]`, nil},
		revoked: reply{401, `{"errors":[{"message":"Invalid authentication","long_message":"The provided secret key is invalid","code":"authentication_invalid"}]}`, nil},
	},
	"https://api.elastic-cloud.com/api/v1/account": {
		live:     reply{200, `{"id":"1234567890","trust":{}}`, nil},
		revoked:  reply{401, `{"errors":[{"code":"root.unauthenticated","message":"The supplied authentication is invalid"}]}`, nil},
		identity: map[string]string{"account": "1234567890"},
	},
	"https://api.honeycomb.io/1/auth": {
		live:     reply{200, `{"id":"hcaik_01","type":"configuration","team":{"name":"Example","slug":"example-team"},"environment":{"name":"prod","slug":"prod"}}`, nil},
		revoked:  reply{401, `{"error":"unknown API key - check your credentials"}`, nil},
		identity: map[string]string{"key_id": "hcaik_01", "type": "configuration", "team": "example-team"},
	},
	"https://api.linear.app/graphql": {
		live:     reply{200, `{"data":{"viewer":{"id":"5b2b5a1e-0000-4000-8000-000000000000"}}}`, nil},
		revoked:  reply{400, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR"}}]}`, nil},
		identity: map[string]string{"account": "5b2b5a1e-0000-4000-8000-000000000000"},
	},
	"https://generativelanguage.googleapis.com/v1beta/models?pageSize=1": {
		live:    reply{200, `{"models":[{"name":"models/gemini-x"}],"nextPageToken":"x"}`, nil},
		revoked: reply{400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`, nil},
	},
}

// seen is one request as the fake provider received it.
type seen struct {
	host, method, uri string
	header            http.Header
	body              string
}

// provider is a fake that answers with whatever reply is set.
type provider struct {
	mu    sync.Mutex
	reply reply
	got   []seen
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.got = append(p.got, seen{r.Host, r.Method, r.RequestURI, r.Header.Clone(), string(body)})
	rep := p.reply
	p.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (p *provider) set(r reply) {
	p.mu.Lock()
	p.reply, p.got = r, nil
	p.mu.Unlock()
}

// exampleCandidate runs the rule's examples through the matcher and
// returns the first match as a candidate, captures included.
func exampleCandidate(t *testing.T, r *detectors.Rule) Candidate {
	t.Helper()
	m, err := detectors.NewMatcher([]*detectors.Rule{r}, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range r.Examples {
		for _, mt := range m.Match([]byte(ex)) {
			if mt.Rule.ID != r.ID || mt.Encoding != "" {
				continue
			}
			return Candidate{Rule: r, Secret: mt.Secret, Captures: r.Captures([]byte(ex)[mt.MatchStart:mt.MatchEnd])}
		}
	}
	t.Fatalf("%s: no example yields a match", r.ID)
	return Candidate{}
}

// TestBuiltinValidators runs every built-in validator against a fake of
// its provider playing the documented live, revoked and error answers.
func TestBuiltinValidators(t *testing.T) {
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, r := range rules {
		if r.Verify != nil {
			hosts = append(hosts, r.Verify.Hosts...)
		}
	}
	p := &provider{}
	srv, pool := testcert.Server(t, p, hosts...)
	providers := map[string]bool{}
	n := 0
	for _, r := range rules {
		if r.Verify == nil {
			continue
		}
		n++
		providers[r.Provider] = true
		t.Run(r.ID, func(t *testing.T) {
			doc, ok := documented[r.Verify.Request.URL]
			if !ok {
				t.Fatalf("no documented responses for %s", r.Verify.Request.URL)
			}
			c := exampleCandidate(t, r)
			for _, tc := range []struct {
				name  string
				reply reply
				want  string
			}{
				{"live", doc.live, scanner.VerifyLive},
				{"revoked", doc.revoked, scanner.VerifyRevoked},
				{"server error", reply{503, `{"message":"Service Unavailable"}`, nil}, scanner.VerifyUnknown},
				{"rate limited", reply{429, `{"message":"rate limited"}`, map[string]string{"Retry-After": "60"}}, scanner.VerifyUnknown},
			} {
				p.set(tc.reply)
				v := testVerifier(srv, pool, Options{})
				got := v.Verify(context.Background(), c)
				if got.Status != tc.want {
					t.Errorf("%s: status %s (%s), want %s", tc.name, got.Status, got.Reason, tc.want)
				}
				if tc.name == "live" {
					if diff := cmp.Diff(doc.identity, got.Identity); diff != "" {
						t.Errorf("identity (-want +got):\n%s", diff)
					}
				}
				if len(p.got) != 1 {
					t.Fatalf("%s: provider saw %d requests, want 1", tc.name, len(p.got))
				}
				req := p.got[0]
				u, _ := url.Parse(r.Verify.Request.URL)
				if req.host != u.Hostname() || req.method != r.Verify.Request.Method {
					t.Errorf("request %s %s, want %s to %s", req.method, req.host, r.Verify.Request.Method, u.Hostname())
				}
				wantPath := strings.SplitN(u.EscapedPath(), "$", 2)[0]
				if !strings.HasPrefix(req.uri, wantPath) {
					t.Errorf("request URI %s, want it to start %s", req.uri, wantPath)
				}
				if r.Verify.Request.Body != "" && req.body == "" {
					t.Errorf("the request has no body")
				}
				if !carries(req, c.Secret) {
					t.Errorf("the request does not carry the secret")
				}
			}
		})
	}
	t.Logf("%d validators, %d providers", n, len(providers))
}

// carries reports whether the secret went in the URI, a header (basic
// auth decoded) or the body.
func carries(s seen, secret string) bool {
	if strings.Contains(s.uri, secret) || strings.Contains(s.body, secret) {
		return true
	}
	for k, vs := range s.header {
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return true
			}
			if k == "Authorization" && strings.HasPrefix(v, "Basic ") {
				r := &http.Request{Header: http.Header{"Authorization": {v}}}
				u, pw, _ := r.BasicAuth()
				if u == secret || pw == secret {
					return true
				}
			}
		}
	}
	return false
}
