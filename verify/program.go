package verify

import (
	"context"
	"sort"

	"github.com/sprawlsec/sprawl/scanner"
)

// program is a validator written in Go, for a protocol a declarative
// request cannot express (a signature over the request, a grant built from
// several values). It is registered by rule id and runs through the same
// client as the declarative ones: only its fixed hosts, https, no
// redirects, verified TLS, per-host limits, any error unknown.
type program struct {
	// hosts are the only hosts run may reach, fixed here in code.
	hosts []string
	// docs is the provider documentation the protocol follows.
	docs string
	run  func(ctx context.Context, v *Verifier, c Candidate) scanner.Verification
	// applies, if set, says whether the validator can serve a candidate
	// of its rules at all (a private key serves SMART only beside a token
	// endpoint); one it cannot serve has no validator.
	applies func(c Candidate) bool
}

// programs maps rule ids to their programmatic validators. A rule with a
// declarative validator keeps it; these serve rules without one.
var programs = map[string]*program{
	// An AWS key pair: the secret with the key id found beside it.
	"aws-secret-access-key":             awsSTS,
	"aws-access-key-id":                 awsSTS,
	"aws-terraform-provider-secret-key": awsSTS,
	"aws-healthlake-secret-access-key":  awsSTS,
	// A Microsoft Entra ID (Azure AD) application's client secret, with
	// the tenant and client id its rule captures.
	"azure-entra-client-secret":     azureClientCredentials,
	"azure-ahds-fhir-client-secret": azureClientCredentials,
	// A Google service-account key, by its private_key_id, with the
	// client e-mail and private key its rule captures.
	"gcp-service-account-key": googleServiceAccount,
	// A PEM private key: an Entra ID application's certificate credential
	// (beside a tenant, client id and the certificate or its thumbprint),
	// or a SMART on FHIR backend client's key (beside a client id and
	// token endpoint).
	"private-key-rsa":   keyCredential,
	"private-key-ec":    keyCredential,
	"private-key-pkcs8": keyCredential,
	// SMART on FHIR backend services: a JWK or a client secret with the
	// client id and token endpoint written beside it.
	"jwk-private-key":                  smartBackend,
	"smart-client-secret-fhir-context": smartBackend,
	"epic-client-secret":               smartBackend,
	"epic-client-secret-endpoint":      smartBackend,
	"cerner-client-secret":             smartBackend,
	"cerner-system-account-secret":     smartBackend,
	"cerner-client-secret-endpoint":    smartBackend,
	"athena-client-secret":             smartBackend,
	"athena-client-secret-endpoint":    smartBackend,
	// A Jira or Confluence Data Center personal access token, only at
	// the instance named beside it and in --verify-hosts.
	"atlassian-datacenter-pat": atlassianDataCenter,
	// A database URI's password, only at servers the user named.
	"postgres-uri-password": databaseURI,
	"mysql-uri-password":    databaseURI,
}

// programFor returns the programmatic validator of a rule id, if any.
func programFor(id string) *program { return programs[id] }

// ProgramHosts lists, sorted, every host the programmatic validators may
// contact (for the documented egress list).
func ProgramHosts() []string {
	seen := map[string]bool{}
	for _, p := range programs {
		for _, h := range p.hosts {
			seen[h] = true
		}
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// ProgramRules lists, sorted, the rule ids with a programmatic validator.
func ProgramRules() []string {
	out := make([]string, 0, len(programs))
	for id := range programs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
