package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// restAPI lists through client-go REST clients for the three groups a
// scan reads.
type restAPI struct {
	core, apps, batch *rest.RESTClient
}

func newRESTAPI(cfg *rest.Config) (*restAPI, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	codecs := serializer.NewCodecFactory(scheme)
	client := func(gv schema.GroupVersion, apiPath string) (*rest.RESTClient, error) {
		c := rest.CopyConfig(cfg)
		c.GroupVersion, c.APIPath = &gv, apiPath
		c.ContentType, c.AcceptContentTypes = "application/json", "application/json"
		c.NegotiatedSerializer = codecs.WithoutConversion()
		return rest.RESTClientFor(c)
	}
	var a restAPI
	var err error
	if a.core, err = client(corev1.SchemeGroupVersion, "/api"); err != nil {
		return nil, err
	}
	if a.apps, err = client(appsv1.SchemeGroupVersion, "/apis"); err != nil {
		return nil, err
	}
	if a.batch, err = client(batchv1.SchemeGroupVersion, "/apis"); err != nil {
		return nil, err
	}
	return &a, nil
}

// list GETs resource (in ns, "" for a cluster-wide resource) one page
// into out.
func list(ctx context.Context, c *rest.RESTClient, ns, resource string, o metav1.ListOptions, out runtime.Object) error {
	req := c.Get().Resource(resource)
	if ns != "" {
		req = req.Namespace(ns)
	}
	if o.Limit > 0 {
		req = req.Param("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.Continue != "" {
		req = req.Param("continue", o.Continue)
	}
	return req.Do(ctx).Into(out)
}

func (a *restAPI) Namespaces(ctx context.Context, o metav1.ListOptions) (*corev1.NamespaceList, error) {
	out := &corev1.NamespaceList{}
	return out, list(ctx, a.core, "", "namespaces", o, out)
}

func (a *restAPI) ConfigMaps(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.ConfigMapList, error) {
	out := &corev1.ConfigMapList{}
	return out, list(ctx, a.core, ns, "configmaps", o, out)
}

func (a *restAPI) Secrets(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.SecretList, error) {
	out := &corev1.SecretList{}
	return out, list(ctx, a.core, ns, "secrets", o, out)
}

func (a *restAPI) Pods(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.PodList, error) {
	out := &corev1.PodList{}
	return out, list(ctx, a.core, ns, "pods", o, out)
}

func (a *restAPI) Deployments(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DeploymentList, error) {
	out := &appsv1.DeploymentList{}
	return out, list(ctx, a.apps, ns, "deployments", o, out)
}

func (a *restAPI) StatefulSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.StatefulSetList, error) {
	out := &appsv1.StatefulSetList{}
	return out, list(ctx, a.apps, ns, "statefulsets", o, out)
}

func (a *restAPI) DaemonSets(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.DaemonSetList, error) {
	out := &appsv1.DaemonSetList{}
	return out, list(ctx, a.apps, ns, "daemonsets", o, out)
}

func (a *restAPI) CronJobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.CronJobList, error) {
	out := &batchv1.CronJobList{}
	return out, list(ctx, a.batch, ns, "cronjobs", o, out)
}

func (a *restAPI) Jobs(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.JobList, error) {
	out := &batchv1.JobList{}
	return out, list(ctx, a.batch, ns, "jobs", o, out)
}

// SecretTable asks for the Table form with object metadata only
// (Accept: as=Table, includeObject=Metadata): names, types and times,
// never data.
func (a *restAPI) SecretTable(ctx context.Context, ns string, o metav1.ListOptions) (*metav1.Table, error) {
	req := a.core.Get().Namespace(ns).Resource("secrets").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Param("includeObject", "Metadata")
	if o.Limit > 0 {
		req = req.Param("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.Continue != "" {
		req = req.Param("continue", o.Continue)
	}
	body, err := req.DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var t metav1.Table
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("decode secrets table: %w", err)
	}
	if t.Kind != "" && t.Kind != "Table" {
		return nil, fmt.Errorf("secrets: the API server answered a %s, not a Table", t.Kind)
	}
	return &t, nil
}
