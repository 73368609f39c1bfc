package detectors

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const verifyRuleHead = `provider: x
rules:
  - id: x-token
    name: X token
    keywords: [xtok_]
    pattern: '\b(?P<host>[a-z.]+)/(?P<secret>xtok_[a-z0-9]{20})'
    severity: high
    references: [https://example.com]
    verify:
      docs: https://example.com/docs
`

func TestVerifyBlockValidation(t *testing.T) {
	tests := []struct {
		name, block, want string
	}{
		{"ok", `
      request: {method: GET, url: 'https://api.x.test/me', headers: {Authorization: 'Bearer ${secret}'}}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
      identity: [{name: login, json: user.login}]
`, ""},
		{"http", `
      request: {method: GET, url: 'http://api.x.test/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "only https"},
		{"undeclared host", `
      request: {method: GET, url: 'https://evil.test/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "not among hosts"},
		{"host from capture without instance_host", `
      request: {method: GET, url: 'https://${host}/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "instance_host"},
		{"instance host", `
      request: {method: GET, url: 'https://${host}/api/me', headers: {Authorization: 'Bearer ${secret}'}}
      instance_host: host
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, ""},
		{"unknown capture", `
      request: {method: GET, url: 'https://api.x.test/me', headers: {X-Key: '${nope}'}}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "${nope} is not a named group"},
		{"ip host", `
      request: {method: GET, url: 'https://10.0.0.1/me'}
      hosts: [10.0.0.1]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "not a lower-case DNS name"},
		{"port", `
      request: {method: GET, url: 'https://api.x.test:8443/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`, "no port"},
		{"identity outside the closed list", `
      request: {method: GET, url: 'https://api.x.test/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
      revoked: [{status: [401]}]
      identity: [{name: balance, json: available}]
`, `identity "balance"`},
		{"no revoked matcher", `
      request: {method: DELETE, url: 'https://api.x.test/me'}
      hosts: [api.x.test]
      live: [{status: [200]}]
`, "method \"DELETE\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseRules([]byte(verifyRuleHead+strings.TrimPrefix(tt.block, "\n")), "x.yaml")
			if err != nil {
				t.Fatal(err)
			}
			err = rules[0].Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
		})
	}
}

func TestRuleCapturesForValidator(t *testing.T) {
	rules, err := ParseRules([]byte(verifyRuleHead+`      request: {method: GET, url: 'https://${host}/api/me', headers: {Authorization: 'Bearer ${secret}'}}
      instance_host: host
      live: [{status: [200]}]
      revoked: [{status: [401]}]
`), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := rules[0].Captures([]byte("git.example.org/xtok_" + strings.Repeat("a1", 10)))
	if diff := cmp.Diff(map[string]string{"host": "git.example.org"}, got); diff != "" {
		t.Fatal(diff)
	}
}

// TestVerifyBlocksDeclareTheirHosts checks every built-in validator: its
// URL's host is declared, and it follows https.
func TestBuiltinValidatorsValid(t *testing.T) {
	rules, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules {
		if r.Verify == nil {
			continue
		}
		n++
		if p := r.Verify.validate(r.Pattern, r.Nearby.Names()); len(p) > 0 {
			t.Errorf("%s: %v", r.ID, p)
		}
	}
	if n == 0 {
		t.Fatal("no built-in validators")
	}
}
