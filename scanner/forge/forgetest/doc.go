// Package forgetest provides httptest servers that follow the documented
// REST APIs of the code-hosting services scanner/forge lists — Azure
// DevOps (7.1: projects, Git repositories, variable groups, build
// definitions, service endpoints, pipeline permissions; continuation
// tokens in x-ms-continuationtoken) and Bitbucket Cloud (2.0:
// repositories, Pipelines variables of workspaces, repositories and
// deployment environments; pages linked by "next") — so tests exercise
// the clients and the org scans built on them without a real provider.
//
// Each server holds its data in memory, pages it a few items at a time so
// paging is always exercised, checks the credentials the provider
// documents, can refuse (403) or forget (404) chosen paths and throttle
// (429 with Retry-After) chosen requests, and keeps a log of the paths it
// served. Servers are safe for concurrent use once started; set their
// data before the first request.
package forgetest
