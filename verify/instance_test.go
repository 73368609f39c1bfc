package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// Synthetic tokens, each issued by one instance (its home host).
var (
	glTokenSelfManaged = "glpat-" + "Xq7vB2mN9pL4kR8tW3zY"
	glTokenPublic      = "glpat-" + "Hc4nT8wQ2xZ6vB1mK9rP"
	ddKeyEU            = "9f3a1c7e5b2d8f60" + "4a1e3c9b7d5f2a8e"
	ghTokenGHES        = "ghp_" + "R7tY2uI9oP4aS6dF1gH8jK3lZ5xC0vB7nM2q"
)

// instanceFakes plays GitLab's personal_access_tokens/self, Datadog's
// validate and GitHub's /user as documented, each token accepted only at
// its home host; any other host answers as the public service does for
// a token it never issued (401, 403, 401). It records the hosts asked.
type instanceFakes struct {
	mu    sync.Mutex
	hosts []string
}

func (f *instanceFakes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hosts = append(f.hosts, r.Host)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/v4/personal_access_tokens/self":
		home := map[string]string{glTokenSelfManaged: "gitlab.example.org", glTokenPublic: "gitlab.com"}[r.Header.Get("PRIVATE-TOKEN")]
		if home == "" || home != r.Host {
			w.WriteHeader(401)
			w.Write([]byte(`{"message":"401 Unauthorized"}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": 4, "name": "ci", "active": true, "scopes": []string{"read_api"}})
	case "/api/v1/validate":
		if r.Header.Get("DD-API-KEY") != ddKeyEU || r.Host != "api.datadoghq.eu" {
			w.WriteHeader(403)
			w.Write([]byte(`{"errors":["Forbidden"]}`))
			return
		}
		w.Write([]byte(`{"valid":true}`))
	case "/api/v3/user", "/user":
		if r.Header.Get("Authorization") != "Bearer "+ghTokenGHES || r.Host != "github.example.com" || r.URL.Path != "/api/v3/user" {
			w.WriteHeader(401)
			w.Write([]byte(`{"message":"Bad credentials"}`))
			return
		}
		w.Header().Set("X-OAuth-Scopes", "repo")
		json.NewEncoder(w).Encode(map[string]any{"login": "octocat"})
	default:
		w.WriteHeader(404)
	}
}

func (f *instanceFakes) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.hosts...)
}

var instanceHosts = []string{"gitlab.com", "gitlab.example.org", "tenant.gitlab-dedicated.com", "api.datadoghq.com", "api.datadoghq.eu",
	"api.github.com", "github.example.com", "evil.example", "api.eu.mailgun.net", "api.eu1.honeycomb.io", "app.eu.terraform.io", "tfe.example.org"}

// TestInstanceNamedBesideToken: a token whose instance is named beside it
// is asked at that instance when the host is the provider's (or the user
// named it), and is unknown, with no request, otherwise; never revoked
// by the public service that did not issue it.
func TestInstanceNamedBesideToken(t *testing.T) {
	rules := builtinRules(t)
	type want struct {
		status, reason string
		asked          []string
	}
	cases := []struct {
		name, rule, secret string
		captures           map[string]string
		userHosts          []string
		want               want
	}{
		{"gitlab self-managed, not named", "gitlab-pat", glTokenSelfManaged, map[string]string{"gitlab_host": "https://gitlab.example.org"}, nil,
			want{scanner.VerifyUnknown, "issued by another instance (gitlab.example.org), not the provider's: add it to --verify-hosts to ask it", nil}},
		{"gitlab self-managed, named by the user", "gitlab-pat", glTokenSelfManaged, map[string]string{"gitlab_host": "gitlab.example.org"}, []string{"gitlab.example.org"},
			want{scanner.VerifyLive, "", []string{"gitlab.example.org"}}},
		{"gitlab http URL still asked over https", "gitlab-pat", glTokenSelfManaged, map[string]string{"gitlab_host": "http://gitlab.example.org/group"}, []string{"gitlab.example.org"},
			want{scanner.VerifyLive, "", []string{"gitlab.example.org"}}},
		{"gitlab.com named", "gitlab-pat", glTokenPublic, map[string]string{"gitlab_host": "gitlab.com"}, nil,
			want{scanner.VerifyLive, "", []string{"gitlab.com"}}},
		{"no instance named", "gitlab-pat", glTokenPublic, nil, nil,
			want{scanner.VerifyLive, "", []string{"gitlab.com"}}},
		{"gitlab dedicated domain", "gitlab-pat", glTokenPublic, map[string]string{"gitlab_host": "tenant.gitlab-dedicated.com"}, nil,
			want{scanner.VerifyRevoked, "", []string{"tenant.gitlab-dedicated.com"}}},
		{"an address", "gitlab-pat", glTokenSelfManaged, map[string]string{"gitlab_host": "10.0.0.7"}, []string{"10.0.0.7"},
			want{scanner.VerifyUnknown, "instance host 10.0.0.7 is not a DNS name: not asked", nil}},
		{"a port", "gitlab-pat", glTokenSelfManaged, map[string]string{"gitlab_host": "gitlab.example.org:8443"}, []string{"gitlab.example.org"},
			want{scanner.VerifyUnknown, "instance gitlab.example.org:8443 has user info or a port: not asked", nil}},
		{"datadog EU site", "datadog-api-key", ddKeyEU, map[string]string{"dd_site": "datadoghq.eu"}, nil,
			want{scanner.VerifyLive, "", []string{"api.datadoghq.eu"}}},
		{"datadog US1 site", "datadog-api-key", ddKeyEU, map[string]string{"dd_site": "datadoghq.com"}, nil,
			want{scanner.VerifyRevoked, "", []string{"api.datadoghq.com"}}},
		{"datadog site outside Datadog", "datadog-api-key", ddKeyEU, map[string]string{"dd_site": "evil.example"}, nil,
			want{scanner.VerifyUnknown, "issued by another instance (api.evil.example), not the provider's: add it to --verify-hosts to ask it", nil}},
		{"github enterprise server, named", "github-pat", ghTokenGHES, map[string]string{"github_host": "github.example.com"}, []string{"github.example.com"},
			want{scanner.VerifyLive, "", []string{"github.example.com"}}},
		{"github enterprise server, not named", "github-pat", ghTokenGHES, map[string]string{"github_host": "github.example.com"}, nil,
			want{scanner.VerifyUnknown, "issued by another instance (github.example.com), not the provider's: add it to --verify-hosts to ask it", nil}},
		// The other regional validators go to the instance named (the fake
		// does not play their APIs: 404 is unknown).
		{"mailgun EU", "mailgun-api-key", "key-" + strings.Repeat("a1b2", 8), map[string]string{"mailgun_host": "api.eu.mailgun.net"}, nil,
			want{scanner.VerifyUnknown, "unexpected response: status 404", []string{"api.eu.mailgun.net"}}},
		{"honeycomb EU", "honeycomb-configuration-key", strings.Repeat("k3Y", 7) + "x", map[string]string{"honeycomb_host": "api.eu1.honeycomb.io"}, nil,
			want{scanner.VerifyUnknown, "unexpected response: status 404", []string{"api.eu1.honeycomb.io"}}},
		{"HCP Terraform Europe", "terraform-cloud-api-token", "t0ken", map[string]string{"tfe_host": "app.eu.terraform.io"}, nil,
			want{scanner.VerifyUnknown, "unexpected response: status 404", []string{"app.eu.terraform.io"}}},
		{"Terraform Enterprise, not named", "terraform-cloud-api-token", "t0ken", map[string]string{"tfe_host": "tfe.example.org"}, nil,
			want{scanner.VerifyUnknown, "issued by another instance (tfe.example.org), not the provider's: add it to --verify-hosts to ask it", nil}},
		{"Terraform Enterprise, named", "terraform-cloud-api-token", "t0ken", map[string]string{"tfe_host": "tfe.example.org"}, []string{"tfe.example.org"},
			want{scanner.VerifyUnknown, "unexpected response: status 404", []string{"tfe.example.org"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &instanceFakes{}
			srv, pool := testcert.Server(t, f, instanceHosts...)
			v := testVerifier(srv, pool, Options{Hosts: tc.userHosts})
			got := v.Verify(context.Background(), Candidate{Rule: rules[tc.rule], Secret: tc.secret, Captures: tc.captures})
			if got.Status != tc.want.status || got.Reason != tc.want.reason {
				t.Errorf("got %s (%s), want %s (%s)", got.Status, got.Reason, tc.want.status, tc.want.reason)
			}
			if d := cmp.Diff(tc.want.asked, f.asked()); d != "" {
				t.Errorf("hosts asked (-want +got)\n%s", d)
			}
		})
	}
}

// TestScannedSelfManagedGitLab: a scanned token with its self-managed
// instance's URL beside it is unknown (not revoked by gitlab.com, which
// is not asked), and live when the user names the instance.
func TestScannedSelfManagedGitLab(t *testing.T) {
	fs := scanFiles(t, map[string]string{
		"ci/.env":        "CI_SERVER_URL=https://gitlab.example.org\nGITLAB_TOKEN=" + glTokenSelfManaged + "\n",
		"dd/values.yaml": "datadog:\n  site: datadoghq.eu\n  apiKey: " + ddKeyEU + "\n",
	})
	for _, hosts := range [][]string{nil, {"gitlab.example.org", "api.datadoghq.eu"}} {
		f := &instanceFakes{}
		srv, pool := testcert.Server(t, f, instanceHosts...)
		v := testVerifier(srv, pool, Options{Hosts: hosts, Now: func() time.Time { return time.Unix(1e9, 0) }})
		v.Findings(context.Background(), builtinRules(t), fs, 2)
		got := map[string]string{}
		for k, s := range statusOf(fs, "gitlab-pat") {
			got[k] = s
		}
		for k, s := range statusOf(fs, "datadog-api-key") {
			got[k] = s
		}
		want := map[string]string{
			"ci/.env":        "unknown: issued by another instance (gitlab.example.org), not the provider's: add it to --verify-hosts to ask it",
			"dd/values.yaml": "live",
		}
		if hosts != nil {
			want["ci/.env"] = "live"
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("--verify-hosts %v: (-want +got)\n%s", hosts, d)
		}
		for _, h := range f.asked() {
			if h == "gitlab.com" || h == "api.datadoghq.com" {
				t.Errorf("--verify-hosts %v: the public service %s was asked about another instance's token", hosts, h)
			}
		}
	}
}
