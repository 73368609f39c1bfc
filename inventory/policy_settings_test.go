package inventory

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func days(n int) Duration { return Duration(time.Duration(n) * day) }

// SetMaxAge and AddEnvironmentRule, applied in order as 'inventory policy
// set' applies its flags: each kind of key lands in its part of the
// policy, a path rule set again keeps its place, and a malformed setting
// is named in the error.
func TestPolicySettings(t *testing.T) {
	for _, tc := range []struct {
		name             string
		maxAges, envs    []string
		start, want      Policy
		wantErr          string
		wantErrIsInvalid bool
	}{
		{name: "every kind of key",
			maxAges: []string{"token=2h", "rule:github-pat=30d", "path:secret/epic/*#client-secret=90d", "path:prod/*=5d", "unused=60d"},
			envs:    []string{"^acme=production", "a=b=staging"},
			want: Policy{
				MaxAge:       map[Class]Duration{ClassToken: Duration(2 * time.Hour)},
				RuleMaxAge:   map[string]Duration{"github-pat": days(30)},
				PathMaxAge:   []PathRule{{Pattern: "secret/epic/*", Class: ClassClientSecret, MaxAge: days(90)}, {Pattern: "prod/*", MaxAge: days(5)}},
				UnusedAfter:  days(60),
				Environments: []EnvironmentRule{{Pattern: "^acme", Env: EnvProduction}, {Pattern: "a=b", Env: EnvStaging}},
			}},
		{name: "a path rule set again keeps its place",
			start:   Policy{PathMaxAge: []PathRule{{Pattern: "a/*", MaxAge: days(1)}, {Pattern: "a/*", Class: ClassPassword, MaxAge: days(2)}, {Pattern: "b/*", MaxAge: days(3)}}},
			maxAges: []string{"path:a/*#password=20d", "path:a/*=10d"},
			want:    Policy{PathMaxAge: []PathRule{{Pattern: "a/*", MaxAge: days(10)}, {Pattern: "a/*", Class: ClassPassword, MaxAge: days(20)}, {Pattern: "b/*", MaxAge: days(3)}}}},
		{name: "the class is after the last #",
			maxAges: []string{"path:a#b#password=3d"},
			want:    Policy{PathMaxAge: []PathRule{{Pattern: "a#b", Class: ClassPassword, MaxAge: days(3)}}}},
		{name: "the last setting of a class wins",
			start:   Policy{MaxAge: map[Class]Duration{ClassAPIKey: days(1)}},
			maxAges: []string{"password=1min", "password=3w"},
			want:    Policy{MaxAge: map[Class]Duration{ClassAPIKey: days(1), ClassPassword: days(21)}}},
		{name: "an unknown class is left for Validate",
			maxAges: []string{"bogus=1d"},
			want:    Policy{MaxAge: map[Class]Duration{"bogus": days(1)}}},
		{name: "no =", maxAges: []string{"foo"}, wantErr: `"foo": want CLASS=DURATION or rule:ID=DURATION`},
		{name: "bad duration", maxAges: []string{"token=soon"}, wantErr: `token: invalid argument: duration "soon": want e.g. 1h, 90d, 52w, 1y`, wantErrIsInvalid: true},
		{name: "bad unused", maxAges: []string{"unused=zz"}, wantErr: `unused: invalid argument: duration "zz": want e.g. 1h, 90d, 52w, 1y`, wantErrIsInvalid: true},
		{name: "empty path pattern", maxAges: []string{"path:#password=1d"}, wantErr: "path:#password: empty path pattern"},
		{name: "empty path", maxAges: []string{"path:=1d"}, wantErr: "path:: empty path pattern"},
		{name: "environment without =", envs: []string{"noequals"}, wantErr: `"noequals": want PATTERN=ENV`},
		{name: "environment without a pattern", envs: []string{"=prod"}, wantErr: `"=prod": want PATTERN=ENV`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.start
			var err error
			for _, s := range tc.maxAges {
				if err = p.SetMaxAge(s); err != nil {
					break
				}
			}
			for _, s := range tc.envs {
				if err != nil {
					break
				}
				err = p.AddEnvironmentRule(s)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if errors.Is(err, ErrInvalid) != tc.wantErrIsInvalid {
					t.Errorf("errors.Is(%v, ErrInvalid) = %t, want %t", err, !tc.wantErrIsInvalid, tc.wantErrIsInvalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p); d != "" {
				t.Errorf("policy (-want +got):\n%s", d)
			}
		})
	}
}

// The config file's inventory section, as YAML, becomes the policy it
// describes; a duration that does not parse is named by its key.
func TestPolicyConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Policy
		wantErr    string
	}{
		{name: "every key", yaml: `
environments:
  - {pattern: '^acme-payments', env: production, field: repository}
  - {pattern: '(^|/)qa/', env: sandbox}
max-age: {token: 2h, api-key: 180d}
rule-max-age: {github-pat: 30d}
path-max-age:
  - {pattern: 'secret/epic/*', class: client-secret, max-age: 90d}
  - {pattern: 'prod/*', max-age: 30d}
unused-after: 60d
`, want: Policy{
			Environments: []EnvironmentRule{{Pattern: "^acme-payments", Env: EnvProduction, Field: "repository"}, {Pattern: "(^|/)qa/", Env: EnvSandbox}},
			MaxAge:       map[Class]Duration{ClassToken: Duration(2 * time.Hour), ClassAPIKey: days(180)},
			RuleMaxAge:   map[string]Duration{"github-pat": days(30)},
			PathMaxAge:   []PathRule{{Pattern: "secret/epic/*", Class: ClassClientSecret, MaxAge: days(90)}, {Pattern: "prod/*", MaxAge: days(30)}},
			UnusedAfter:  days(60),
		}},
		{name: "empty", yaml: `{}`, want: Policy{}},
		{name: "an unknown class is left for Validate", yaml: `path-max-age: [{pattern: 'a/*', class: nonsense, max-age: 1d}]`,
			want: Policy{PathMaxAge: []PathRule{{Pattern: "a/*", Class: "nonsense", MaxAge: days(1)}}}},
		{name: "bad class age", yaml: `max-age: {token: soon}`, wantErr: `max-age.token: invalid argument: duration "soon": want e.g. 1h, 90d, 52w, 1y`},
		{name: "of several bad class ages, the first by name", yaml: `max-age: {token: soon, api-key: later, password: never}`,
			wantErr: `max-age.api-key: invalid argument: duration "later": want e.g. 1h, 90d, 52w, 1y`},
		{name: "of several bad rule ages, the first by name", yaml: `rule-max-age: {zeta: 0d, alpha: 0d, mid: 0d}`,
			wantErr: `rule-max-age.alpha: invalid argument: duration "0d": want a positive number before "d"`},
		{name: "bad rule age", yaml: `rule-max-age: {x: 0d}`, wantErr: `rule-max-age.x: invalid argument: duration "0d": want a positive number before "d"`},
		{name: "bad path age", yaml: `path-max-age: [{pattern: a, max-age: 1d}, {pattern: b, max-age: never}]`,
			wantErr: `path-max-age[1]: invalid argument: duration "never": want e.g. 1h, 90d, 52w, 1y`},
		{name: "bad unused-after", yaml: `unused-after: -5d`, wantErr: `unused-after: invalid argument: duration "-5d": want a positive number before "d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c PolicyConfig
			if err := yaml.Unmarshal([]byte(tc.yaml), &c); err != nil {
				t.Fatal(err)
			}
			p, err := c.Policy()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error = %v, want %q wrapping ErrInvalid", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p); d != "" {
				t.Errorf("policy (-want +got):\n%s", d)
			}
		})
	}
}

// ConfigPolicy reads the inventory section out of a whole config file:
// a file without one is no policy (ok false), a section is decoded with
// unknown keys refused and validated, and each error reads as it follows
// "config PATH: ".
func TestConfigPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       Policy
		wantOK     bool
		wantErr    string
	}{
		{name: "no file content", file: ``},
		{name: "no section", file: "allowlist:\n  paths: [a]\n"},
		{name: "a null section is an empty one", file: "inventory: ~\n", wantOK: true},
		{name: "an empty section", file: "inventory:\n", wantOK: true},
		{name: "beside other sections", file: "allowlist:\n  paths: [a]\ninventory:\n  max-age: {token: 2h}\n  rule-max-age: {github-pat: 30d}\n",
			want: Policy{MaxAge: map[Class]Duration{ClassToken: Duration(2 * time.Hour)}, RuleMaxAge: map[string]Duration{"github-pat": days(30)}}, wantOK: true},
		{name: "the file does not parse", file: "foo: [\n", wantErr: "yaml: line 1: did not find expected node content"},
		{name: "a section given twice, on one line", file: "inventory:\n  a: 1\ninventory:\n  b: 2\n",
			wantErr: `yaml: unmarshal errors: line 3: mapping key "inventory" already defined at line 1`},
		{name: "the section is a list", file: "inventory: []\n", wantErr: "inventory: yaml: unmarshal errors: line 1: cannot unmarshal !!seq into inventory.PolicyConfig"},
		{name: "an unknown key, without the Go type's name, on one line", file: "inventory:\n  maxage: {token: 1h}\n  environments: 3\n",
			wantErr: `inventory: yaml: unmarshal errors: line 1: field maxage not found line 2: cannot unmarshal !!int ` + "`3`" + ` into []struct { Pattern string "yaml:\"pattern\""; Env string "yaml:\"env\""; Field string "yaml:\"field\"" }`},
		{name: "a bad duration, by its key", file: "inventory:\n  max-age: {token: soon}\n", wantErr: `inventory.max-age.token: invalid argument: duration "soon": want e.g. 1h, 90d, 52w, 1y`},
		{name: "an invalid policy", file: "inventory:\n  max-age: {bogus: 1d}\n",
			wantErr: `inventory: invalid argument: unknown rotation class "bogus" (want one of api-key, client-secret, connection-string, password, password-hash, private-key, signing-key, token, webhook)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok, err := ConfigPolicy([]byte(tc.file))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if ok {
					t.Error("ok with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK {
				t.Errorf("ok = %t, want %t", ok, tc.wantOK)
			}
			if d := cmp.Diff(tc.want, p); d != "" {
				t.Errorf("policy (-want +got):\n%s", d)
			}
		})
	}
}
