// Package forge lists what sprawl scans on code-hosting services: the
// repositories of a GitHub organisation or user, a GitLab group, an Azure
// DevOps organisation or a Bitbucket Cloud workspace, the CI/CD variables
// they hold (whose values are scanned as content) and the names, dates
// and users of their own secret objects (whose values the APIs never
// return: Actions secrets, secret and Key Vault-linked pipeline
// variables, service connections, secured Pipelines variables). GitHub is
// reached through go-github, the others through their REST APIs
// directly; forgetest holds httptest servers that follow those APIs.
//
// Every client shares RateLimiter, an http.RoundTripper that honours
// primary limits (X-RateLimit-Remaining / RateLimit-Remaining with their
// reset times), secondary limits (403 or 429 with Retry-After), delays
// (Retry-After on a successful answer) and backs off exponentially
// otherwise, each wait capped. Clients are safe for concurrent use; they
// start no goroutines.
package forge
