package verify

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/scanner"
)

// TestLiveProgramValidators is opt-in: it calls the real providers with
// the programmatic validators. Each variable expects live; its _REVOKED
// twin expects revoked:
//
//	SPRAWL_LIVE_VERIFY_AWS=<access key id>:<secret access key>
//	SPRAWL_LIVE_VERIFY_AZURE=<tenant>:<client id>:<client secret>
//	SPRAWL_LIVE_VERIFY_AZURE_CERT=<tenant>:<client id>:<path of a PEM file with the private key and its certificate>
//	SPRAWL_LIVE_VERIFY_ATLASSIAN_DC=<jira or confluence>,<base URL>,<personal access token>
//	SPRAWL_LIVE_VERIFY_GCP_SA=<path of a service-account JSON key file>
//	SPRAWL_LIVE_VERIFY_SMART=<client id>,<token endpoint>,<path of the PEM private key>
//	SPRAWL_LIVE_VERIFY_SMART_SECRET=<client id>,<token endpoint>,<client secret>
//
// (A SMART token endpoint outside the EHR vendors' domains is allowed for
// the test, as --verify-hosts would.)
// Nothing is printed of the values.
func TestLiveProgramValidators(t *testing.T) {
	rules := builtinRules(t)
	build := map[string]func(string) (Candidate, bool){
		"AWS": func(v string) (Candidate, bool) {
			id, secret, ok := strings.Cut(v, ":")
			return Candidate{Rule: rules["aws-secret-access-key"], Secret: secret, Captures: map[string]string{awsKeyIDCapture: id}}, ok
		},
		"AZURE": func(v string) (Candidate, bool) {
			parts := strings.SplitN(v, ":", 3)
			if len(parts) != 3 {
				return Candidate{}, false
			}
			return Candidate{Rule: rules["azure-entra-client-secret"], Secret: parts[2],
				Captures: map[string]string{azureTenantCapture: parts[0], azureClientCapture: parts[1]}}, true
		},
		"AZURE_CERT": func(v string) (Candidate, bool) {
			parts := strings.SplitN(v, ":", 3)
			if len(parts) != 3 {
				return Candidate{}, false
			}
			data, err := os.ReadFile(parts[2])
			if err != nil {
				return Candidate{}, false
			}
			var key, cert string
			for rest := data; ; {
				var b *pem.Block
				b, rest = pem.Decode(rest)
				if b == nil {
					break
				}
				if b.Type == "CERTIFICATE" && cert == "" {
					cert = string(pem.EncodeToMemory(b))
				} else if strings.HasSuffix(b.Type, "PRIVATE KEY") {
					key = string(pem.EncodeToMemory(b))
				}
			}
			return Candidate{Rule: rules["private-key-pkcs8"], Secret: key, Captures: map[string]string{
				azureTenantCapture: parts[0], azureClientCapture: parts[1], azureCertCapture: cert}}, key != "" && cert != ""
		},
		"ATLASSIAN_DC": func(v string) (Candidate, bool) {
			parts := strings.SplitN(v, ",", 3)
			if len(parts) != 3 || (parts[0] != "jira" && parts[0] != "confluence") {
				return Candidate{}, false
			}
			return Candidate{Rule: rules["atlassian-datacenter-pat"], Secret: parts[2],
				Captures: map[string]string{atlassianProductCapture: parts[0], parts[0] + "_url": parts[1]}}, true
		},
		"GCP_SA": func(path string) (Candidate, bool) {
			data, err := os.ReadFile(path)
			if err != nil {
				return Candidate{}, false
			}
			var f struct {
				KeyID      string `json:"private_key_id"`
				PrivateKey string `json:"private_key"`
				Email      string `json:"client_email"`
			}
			if json.Unmarshal(data, &f) != nil {
				return Candidate{}, false
			}
			return Candidate{Rule: rules["gcp-service-account-key"], Secret: f.KeyID,
				Captures: map[string]string{googleEmailCapture: f.Email, googleKeyCapture: f.PrivateKey}}, true
		},
		"SMART": func(v string) (Candidate, bool) {
			parts := strings.SplitN(v, ",", 3)
			if len(parts) != 3 {
				return Candidate{}, false
			}
			key, err := os.ReadFile(parts[2])
			if err != nil {
				return Candidate{}, false
			}
			return Candidate{Rule: rules["private-key-pkcs8"], Secret: string(key),
				Captures: map[string]string{smartClientCapture: parts[0], smartEndpointCapture: parts[1]}}, true
		},
		"SMART_SECRET": func(v string) (Candidate, bool) {
			parts := strings.SplitN(v, ",", 3)
			if len(parts) != 3 {
				return Candidate{}, false
			}
			return Candidate{Rule: rules["smart-client-secret-fhir-context"], Secret: parts[2],
				Captures: map[string]string{smartClientCapture: parts[0], smartEndpointCapture: parts[1]}}, true
		},
	}
	ran := 0
	for name, mk := range build {
		for suffix, want := range map[string]string{"": scanner.VerifyLive, "_REVOKED": scanner.VerifyRevoked} {
			env := "SPRAWL_LIVE_VERIFY_" + name + suffix
			val := os.Getenv(env)
			if val == "" {
				continue
			}
			ran++
			t.Run(env, func(t *testing.T) {
				c, ok := mk(val)
				if !ok {
					t.Fatalf("%s: malformed value", env)
				}
				var o Options
				for _, n := range []string{smartEndpointCapture, jiraURLCapture, confluenceURLCapture} {
					if u, err := url.Parse(c.Captures[n]); err == nil && u.Hostname() != "" {
						o.Hosts = []string{u.Hostname()}
					}
				}
				got := New(o).Verify(context.Background(), c)
				if got.Status != want {
					t.Fatalf("%s: %s (%s), want %s", env, got.Status, got.Reason, want)
				}
				t.Logf("%s: %s, identity %v", env, got.Status, got.Identity)
			})
		}
	}
	if ran == 0 {
		t.Skip("set SPRAWL_LIVE_VERIFY_AWS, _AZURE, _AZURE_CERT, _ATLASSIAN_DC, _GCP_SA, _SMART or _SMART_SECRET to run against the real providers (see docs/verification.md)")
	}
}
