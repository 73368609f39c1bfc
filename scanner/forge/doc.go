// Package forge lists what sprawl scans on code-hosting services: the
// repositories of a GitHub organisation or user and of a GitLab group,
// the CI/CD variables they hold (whose values are scanned as content) and
// the names and dates of their managed CI secrets (whose values the APIs
// never return). GitHub is reached through go-github, GitLab through its
// REST API directly.
//
// Every client shares RateLimiter, an http.RoundTripper that honours
// primary limits (X-RateLimit-Remaining / RateLimit-Remaining with their
// reset times), secondary limits (403 or 429 with Retry-After) and backs
// off exponentially otherwise, each wait capped. Clients are safe for
// concurrent use; they start no goroutines.
package forge
