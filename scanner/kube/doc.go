// Package kube reads what sprawl scans in a Kubernetes cluster through
// the API server's REST API over net/http, as a kubeconfig's context says
// (tokens, token files, client certificates, basic auth, exec credential
// plugins, impersonation, proxy-url; client-go is not linked into sprawl,
// and kubeclientset adapts a clientset where a caller has one): ConfigMap
// data and the literal env values of pods (those no
// controller owns), deployments, statefulsets, daemonsets and cronjobs are
// content, scanned for secrets like files; Secrets are metadata (name,
// type, creation and last change, the workloads that mount them or refer
// to them by env, envFrom, volume or imagePullSecrets, and the other
// namespaces holding a Secret of the same name).
//
// Secret values are not read unless Options.ReadSecretValues: without it
// Secrets are listed in the API server's Table form with object metadata
// only (Accept: as=Table, includeObject=Metadata), so no value crosses the
// wire. With it each value is passed to Options.Fingerprint at once and
// only the fingerprint is kept.
//
// Lists are paged (limit/continue, Options.PageSize per page). A
// namespace or resource the credentials may not list (403) or that is
// gone (404) is a Problem with its reason, and the scan goes on; a
// failure to list namespaces at all is an error.
//
// A Scanner is safe for concurrent use; it starts no goroutines.
package kube
