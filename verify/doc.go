// Package verify asks providers whether leaked secrets still work, by
// running the validators declared beside the rules (detectors.Verify) and,
// where one templated request cannot express the protocol, programmatic
// validators registered by rule id (program.go: AWS SigV4
// sts:GetCallerIdentity, the Entra ID client-credentials grant with a
// client secret or a certificate's signed assertion, Google's
// service-account JWT grant, SMART on FHIR backend services, Jira and
// Confluence Data Center tokens at instances the user names, database
// logins). Those run through the same client and limits, to hosts fixed
// in code: a SMART token endpoint only within EHR vendors' domains or
// the user's --verify-hosts, a database only at a server the user named
// (Options.DBHosts), connecting and authenticating and nothing more. The
// values they need apart from the secret come from the rule's Nearby
// block (Finding.Captures). A declarative validator's Instance block
// sends a token to the self-managed or regional instance named beside
// it only within the provider's domains or the user's --verify-hosts;
// otherwise the result is unknown, never revoked by a public service
// that did not issue the token.
//
// Safety is by construction, not by the validators' good behaviour:
//
//   - A request leaves only over https to the host its validator
//     declared (or, for a rule that marks a capture as its instance host,
//     to that captured DNS name), checked twice: by the client's
//     RoundTripper before anything is sent, and by its dialer before a
//     connection opens (the only other host it dials is the proxy
//     http.ProxyFromEnvironment names).
//   - Redirects are never followed: a 3xx is an answer, read as unknown.
//   - TLS is always verified (Options.RootCAs only replaces the roots).
//   - Each host has a concurrency limit and a rate limit; each request a
//     timeout; any error, timeout or unexpected answer is unknown, never
//     revoked.
//   - Results are cached by rule, keyed fingerprint and a hash of the
//     captures, never by secret, for a TTL, so a rescan does not ask again.
//   - Identity fields come from a closed list (login, account, scopes …),
//     control characters stripped and length capped; a value holding the
//     secret is dropped.
//
// Nothing here runs unless a command is given --verify (or runs 'sprawl
// verify'). A Verifier is safe for concurrent use; Findings starts a
// bounded number of goroutines and waits for them.
package verify
