// Package kubeclientset adapts a client-go kubernetes.Interface (a real
// clientset, or client-go's fake clientset in tests) to kube.API, by way
// of each list's JSON: the same shapes the API server sends. The sprawl
// binary does not use it (client-go is not linked into sprawl; see
// kube.API).
package kubeclientset

import (
	"context"
	"encoding/json"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sprawlsec/sprawl/scanner/kube"
)

type api struct{ c kubernetes.Interface }

// New returns c as a kube.API. Secrets are listed in full
// (SecretTable is kube.ErrNoTable); the scan keeps nothing of the values
// unless asked to fingerprint them.
func New(c kubernetes.Interface) kube.API { return api{c} }

func opts(o kube.ListOptions) metav1.ListOptions {
	return metav1.ListOptions{Limit: o.Limit, Continue: o.Continue}
}

// convert re-reads a client-go list as kube's type through its JSON, and
// an API error as a kube.StatusError.
func convert[T any](in any, err error) (*T, error) {
	if err != nil {
		var st apierrors.APIStatus
		if errors.As(err, &st) {
			s := st.Status()
			return nil, &kube.StatusError{Code: int(s.Code), Reason: string(s.Reason), Message: s.Message}
		}
		return nil, err
	}
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (a api) Namespaces(ctx context.Context, o kube.ListOptions) (*kube.NamespaceList, error) {
	return convert[kube.NamespaceList](a.c.CoreV1().Namespaces().List(ctx, opts(o)))
}

func (a api) ConfigMaps(ctx context.Context, ns string, o kube.ListOptions) (*kube.ConfigMapList, error) {
	return convert[kube.ConfigMapList](a.c.CoreV1().ConfigMaps(ns).List(ctx, opts(o)))
}

func (a api) Secrets(ctx context.Context, ns string, o kube.ListOptions) (*kube.SecretList, error) {
	return convert[kube.SecretList](a.c.CoreV1().Secrets(ns).List(ctx, opts(o)))
}

func (a api) SecretTable(context.Context, string, kube.ListOptions) (*kube.Table, error) {
	return nil, kube.ErrNoTable
}

func (a api) Pods(ctx context.Context, ns string, o kube.ListOptions) (*kube.PodList, error) {
	return convert[kube.PodList](a.c.CoreV1().Pods(ns).List(ctx, opts(o)))
}

func (a api) Deployments(ctx context.Context, ns string, o kube.ListOptions) (*kube.WorkloadList, error) {
	return convert[kube.WorkloadList](a.c.AppsV1().Deployments(ns).List(ctx, opts(o)))
}

func (a api) StatefulSets(ctx context.Context, ns string, o kube.ListOptions) (*kube.WorkloadList, error) {
	return convert[kube.WorkloadList](a.c.AppsV1().StatefulSets(ns).List(ctx, opts(o)))
}

func (a api) DaemonSets(ctx context.Context, ns string, o kube.ListOptions) (*kube.WorkloadList, error) {
	return convert[kube.WorkloadList](a.c.AppsV1().DaemonSets(ns).List(ctx, opts(o)))
}

func (a api) CronJobs(ctx context.Context, ns string, o kube.ListOptions) (*kube.CronJobList, error) {
	return convert[kube.CronJobList](a.c.BatchV1().CronJobs(ns).List(ctx, opts(o)))
}

func (a api) Jobs(ctx context.Context, ns string, o kube.ListOptions) (*kube.WorkloadList, error) {
	return convert[kube.WorkloadList](a.c.BatchV1().Jobs(ns).List(ctx, opts(o)))
}
