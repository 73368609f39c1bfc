// Package kubeclientset adapts a client-go kubernetes.Interface (a real
// clientset, or client-go's fake clientset in tests) to kube.API. The
// sprawl binary does not use it: client-go's clientset registers every
// API group when the program starts (see kube.API).
package kubeclientset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sprawlsec/sprawl/scanner/kube"
)

type api struct{ c kubernetes.Interface }

// New returns c as a kube.API. Secrets are listed in full
// (SecretTable is kube.ErrNoTable); the scan keeps nothing of the values
// unless asked to fingerprint them.
func New(c kubernetes.Interface) kube.API { return api{c} }

func (a api) Namespaces(ctx context.Context, o metav1.ListOptions) (*corev1.NamespaceList, error) {
	return a.c.CoreV1().Namespaces().List(ctx, o)
}

func (a api) ConfigMaps(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.ConfigMapList, error) {
	return a.c.CoreV1().ConfigMaps(ns).List(ctx, o)
}

func (a api) Secrets(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.SecretList, error) {
	return a.c.CoreV1().Secrets(ns).List(ctx, o)
}

func (a api) SecretTable(context.Context, string, metav1.ListOptions) (*metav1.Table, error) {
	return nil, kube.ErrNoTable
}

func (a api) Pods(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.PodList, error) {
	return a.c.CoreV1().Pods(ns).List(ctx, o)
}

func (a api) Deployments(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DeploymentList, error) {
	return a.c.AppsV1().Deployments(ns).List(ctx, o)
}

func (a api) StatefulSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.StatefulSetList, error) {
	return a.c.AppsV1().StatefulSets(ns).List(ctx, o)
}

func (a api) DaemonSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DaemonSetList, error) {
	return a.c.AppsV1().DaemonSets(ns).List(ctx, o)
}

func (a api) CronJobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.CronJobList, error) {
	return a.c.BatchV1().CronJobs(ns).List(ctx, o)
}

func (a api) Jobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.JobList, error) {
	return a.c.BatchV1().Jobs(ns).List(ctx, o)
}
