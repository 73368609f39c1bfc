package orgscan

import (
	"context"
	"encoding/base64"
	"net/url"

	"github.com/sprawlsec/sprawl/scanner"
)

// Provider is a source-code host whose repositories and CI stores an
// organisation scan covers: GitHub and GitLab here; every provider
// implements the same five calls. A Provider holds its token in the
// process; nothing it returns carries it, except GitAuth, which goes to
// git's environment only (scanner.SyncMirror) and is never serialised.
type Provider interface {
	// Name is the provider's name ("github", "gitlab"): Repo.Provider,
	// the mirror cache's first directory and CI secrets' provider.
	Name() string
	// Owner is the organisation, user or group the scan covers ("" for
	// a list of named repositories).
	Owner() string
	// Repositories lists the repositories to scan; those named but not
	// found (or not readable) come back as skipped Outcomes, not errors.
	Repositories(ctx context.Context) (repos []Repo, missing []Outcome, err error)
	// CIStores says whose CI stores to list for repos; nil when the
	// provider cannot read them (no token).
	CIStores(repos []Repo) []CIStore
	// ListCI lists one CIStore's variables (with values) and managed
	// secrets (metadata), conc requests at a time. A store that cannot
	// be read is a problem in the listing, which is then incomplete;
	// only cancellation is an error.
	ListCI(ctx context.Context, st CIStore, conc int) (CIListing, error)
	// GitAuth is the header git sends, only to the provider's web host
	// over HTTPS.
	GitAuth() scanner.GitAuth
}

// GitOrigin names the one place git may send a provider's token: the
// provider's web host (https://github.com for api.github.com, the
// instance itself for GitHub Enterprise Server and GitLab), scheme and
// host of web. A clone URL the API lists on any other host, or over plain
// http, is fetched without it (scanner.GitAuth).
func GitOrigin(web string) string {
	if u, err := url.Parse(web); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return ""
}

// BasicAuth is the git authentication of token (sent as user:token, HTTP
// Basic) to web's origin; none without a token.
func BasicAuth(user, token, web string) scanner.GitAuth {
	a := scanner.GitAuth{Origin: GitOrigin(web)}
	if token != "" {
		a.Header = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	}
	return a
}
