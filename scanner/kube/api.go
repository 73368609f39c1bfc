package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ErrNoTable is returned by an API that cannot list Secrets in Table form;
// the scan then lists them in full and keeps nothing of their values.
var ErrNoTable = errors.New("kube: Secrets cannot be listed as a Table here")

// API is the list calls a scan makes. Connect's implementation speaks
// the API server's REST API over net/http (client-go is not linked into
// sprawl: its types and their registration would cost every sprawl
// command, a pre-commit hook included, several milliseconds at start);
// kubeclientset adapts a client-go kubernetes.Interface, such as
// client-go's fake clientset, for tests.
type API interface {
	Namespaces(ctx context.Context, o ListOptions) (*NamespaceList, error)
	ConfigMaps(ctx context.Context, ns string, o ListOptions) (*ConfigMapList, error)
	// Secrets lists Secrets with their values.
	Secrets(ctx context.Context, ns string, o ListOptions) (*SecretList, error)
	// SecretTable lists Secrets as the API server's Table with object
	// metadata only: no values (ErrNoTable where it cannot).
	SecretTable(ctx context.Context, ns string, o ListOptions) (*Table, error)
	Pods(ctx context.Context, ns string, o ListOptions) (*PodList, error)
	Deployments(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error)
	StatefulSets(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error)
	DaemonSets(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error)
	CronJobs(ctx context.Context, ns string, o ListOptions) (*CronJobList, error)
	Jobs(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error)
}

// StatusError is the API server's answer to a request that failed: the
// HTTP status and the Status object's reason and message.
type StatusError struct {
	Code    int
	Reason  string
	Message string
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Reason
	}
	if msg == "" {
		msg = http.StatusText(e.Code)
	}
	return fmt.Sprintf("the API server answered %d: %s", e.Code, msg)
}

func statusIs(err error, code int, reason string) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == code || se.Reason == reason)
}

// IsForbidden reports a 403: the credentials may not do it.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden, "Forbidden") }

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound, "NotFound") }

// IsMethodNotSupported reports a 405.
func IsMethodNotSupported(err error) bool {
	return statusIs(err, http.StatusMethodNotAllowed, "MethodNotAllowed")
}
