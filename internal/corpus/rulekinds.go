package corpus

import (
	"path"
	"strings"
	"sync"

	"github.com/sprawlsec/sprawl/detectors"
)

// A finding counts for a label only when its rule is of the label's kind:
// a provider's secret found only by a variable-name rule was not
// recognised as that provider's, and a generic password claimed by a
// vendor's rule was misnamed. Such hits are reported apart (Report.Misfits)
// rather than scored as true positives.

// RuleKinds tells Score whether a rule may count for a label.
type RuleKinds interface {
	// Accepts reports whether a finding of ruleID counts for l.
	Accepts(l Label, ruleID string) bool
	// Neutral reports whether ruleID matches a format rather than a
	// provider (a generic or credential-file rule, a URL or connection
	// string, an Authorization header): a hit of such a rule on a provider
	// label is a "generic hit".
	Neutral(ruleID string) bool
}

// providerFamilies are the families whose labels need a provider's rule.
// Labels of any other family (generic, credential-file, password-hash …)
// accept neutral rules, and the rules their kind names below.
var providerFamilies = map[string]bool{
	"ai": true, "aws": true, "azure": true, "gcp": true, "github": true, "gitlab": true, "slack": true,
	"stripe": true, "messaging": true, "devtools": true, "observability": true, "healthcare": true,
	"kubernetes": true, "private-key": true, "database": true,
}

// neutralProviders are rule files that describe a format, not a vendor.
var neutralProviders = map[string]bool{
	"Generic": true, "HTTP Authorization": true, "curl": true, "URLs": true, "Databases": true, "JWT": true, "netrc": true,
}

// familyRules are rule-id patterns (path.Match syntax) every label of a
// family accepts.
var familyRules = map[string][]string{
	// A connection string or URL carries the database's password: the
	// format rules are the provider's rules here.
	"database":    {"*-uri-password", "database-*", "ado-net-*", "url-basic-auth", "credentials-in-url-query", "oracle-credentials", "sql-user-password"},
	"private-key": {"private-key-*", "jwk-private-key", "age-secret-key"},
	"gcp":         {"gcp-*", "google-*"},
	"kubernetes":  {"kubernetes-*", "kubeconfig-*"},
}

// kindRules are further rule-id patterns a kind accepts, beyond the ones
// that start with the kind's first word ("aws-secret-access-key" accepts
// "aws-*") and its family's.
var kindRules = map[string][]string{
	"dockerhub-pat":         {"docker-hub-*"},
	"npm-auth":              {"npmrc-*"},
	"gcp-service-account":   {"private-key-pkcs8", "private-key-rsa"},
	"azure-cache-redis-key": {"ado-net-connection-string-password", "redis-*"},
	"k8s-secret-data":       {"kubernetes-secret-manifest-data"},
	// SMART on FHIR is how Epic and Oracle Health hand out tokens and
	// client secrets; a vendor-neutral FHIR secret is found by the SMART
	// and EHR endpoint rules.
	"epic-access-token":         {"smart-*"},
	"epic-client-secret":        {"smart-client-secret-fhir-context"},
	"cerner-client-secret":      {"smart-client-secret-fhir-context"},
	"fhir-client-secret":        {"smart-*", "*-client-secret-endpoint", "ehr-*", "health-*"},
	"oneup-client-secret":       {"oneup-health-*"},
	"redox-api-secret":          {"redox-*"},
	"mirth-connector-password":  {"mirth-*"},
	"supabase-service-role-key": {"supabase-*"},
	"nuget-password":            {"nuget-config-cleartext-password"},
	"base64-private-key":        {"private-key-*"},
	// Docker's config.json holds registry passwords as base64 user:pass;
	// Firefox keeps saved logins encrypted in logins.json.
	"credfile-password":       {"docker-config-auth"},
	"firefox-encrypted-login": {"firefox-saved-login"},
}

type catalogueKinds struct {
	neutral map[string]bool
}

var builtinKinds = sync.OnceValue(func() RuleKinds {
	k := catalogueKinds{neutral: map[string]bool{}}
	rules, err := detectors.Builtin()
	if err != nil {
		// The catalogue is embedded and tested; without it every rule
		// is taken for a provider's.
		return k
	}
	for _, r := range rules {
		if r.Generic || neutralProviders[r.Provider] || credentialFileRule(r) {
			k.neutral[r.ID] = true
		}
	}
	return k
})

// BuiltinRuleKinds classifies the embedded catalogue's rules.
func BuiltinRuleKinds() RuleKinds { return builtinKinds() }

// credentialFileRule reports whether r describes a credential file's
// format (or a password hash in one) rather than a vendor's credential.
func credentialFileRule(r *detectors.Rule) bool {
	return r.CredentialFile || r.Class == "password-hash"
}

func (k catalogueKinds) Neutral(ruleID string) bool { return k.neutral[ruleID] }

func (k catalogueKinds) Accepts(l Label, ruleID string) bool {
	for _, p := range labelPatterns(l) {
		if ok, _ := path.Match(p, ruleID); ok {
			return true
		}
	}
	return !providerFamilies[l.Family] && k.neutral[ruleID]
}

// labelPatterns returns the rule-id patterns l accepts by name.
func labelPatterns(l Label) []string {
	ps := append([]string{l.Kind}, kindRules[l.Kind]...)
	if word, _, ok := strings.Cut(l.Kind, "-"); ok && providerFamilies[l.Family] {
		ps = append(ps, word+"-*")
	}
	return append(ps, familyRules[l.Family]...)
}
