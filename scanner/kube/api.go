package kube

import (
	"context"
	"errors"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrNoTable is returned by an API that cannot list Secrets in Table form;
// the scan then lists them in full and keeps nothing of their values.
var ErrNoTable = errors.New("kube: Secrets cannot be listed as a Table here")

// API is the list calls a scan makes. Connect's implementation is
// client-go's REST client with a scheme of the core, apps and batch groups
// only (client-go's full clientset registers every API group at start,
// which would cost every sprawl command, a pre-commit hook included,
// about 10 ms and 50 MB of binary); kubeclientset adapts a
// kubernetes.Interface, such as client-go's fake clientset.
type API interface {
	Namespaces(ctx context.Context, o metav1.ListOptions) (*corev1.NamespaceList, error)
	ConfigMaps(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.ConfigMapList, error)
	// Secrets lists Secrets with their values.
	Secrets(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.SecretList, error)
	// SecretTable lists Secrets as the API server's Table with object
	// metadata only: no values (ErrNoTable where it cannot).
	SecretTable(ctx context.Context, ns string, o metav1.ListOptions) (*metav1.Table, error)
	Pods(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.PodList, error)
	Deployments(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DeploymentList, error)
	StatefulSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.StatefulSetList, error)
	DaemonSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DaemonSetList, error)
	CronJobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.CronJobList, error)
	Jobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.JobList, error)
}
