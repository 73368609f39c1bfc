// Package jenkins reads what sprawl scans on a Jenkins controller through
// its remote access API: every job's config.xml (folders, organisation
// folders and multibranch projects recursively), which is scanned as
// content because build steps, parameters and SCM URLs hold typed-in
// passwords and hudson.util.Secret values ({AQAAAB…}, encrypted with the
// controller's key but secrets nonetheless), and the credentials plugin's
// stores (the system store and every folder's store), of which only
// metadata is read: id, type, description, the store and domain. The
// credentials API never returns values and this package asks for none.
//
// Jobs are listed with tree queries (api/json?tree=jobs[…]{start,end}),
// one folder at a time, a page of PageSize jobs per request. A job or
// folder the user may not read (403), or that vanished (404), is a Problem
// with its reason, and the listing goes on. Requests carry HTTP Basic
// authentication (user and API token); GETs need no CSRF crumb. Rate
// limits (429 with Retry-After) are the transport's to honour
// (forge.RateLimiter).
//
// A Client is safe for concurrent use; it starts no goroutines.
package jenkins
