package kube

import (
	"encoding/json"
	"time"
)

// The API objects a scan reads, with the fields it uses: the shapes of
// the Kubernetes API's JSON (core/v1, apps/v1, batch/v1, meta/v1), not
// Go's client types. Fields a scan does not use are not decoded.

// ListOptions page a list request (limit and continue).
type ListOptions struct {
	Limit    int64
	Continue string
}

// ListMeta is a list's metadata: the token of its next page.
type ListMeta struct {
	Continue string `json:"continue,omitempty"`
}

// ObjectMeta is an object's metadata.
type ObjectMeta struct {
	Name              string               `json:"name,omitempty"`
	Namespace         string               `json:"namespace,omitempty"`
	CreationTimestamp time.Time            `json:"creationTimestamp"`
	OwnerReferences   []OwnerReference     `json:"ownerReferences,omitempty"`
	ManagedFields     []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// OwnerReference names an object's owner; Controller marks the one
// that manages it.
type OwnerReference struct {
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	Controller *bool  `json:"controller,omitempty"`
}

// ManagedFieldsEntry is one manager's record of the fields it set, and
// when.
type ManagedFieldsEntry struct {
	Time *time.Time `json:"time,omitempty"`
}

// controlled reports whether a controller owns the object.
func controlled(m ObjectMeta) bool {
	for _, o := range m.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}

// Namespace is a namespace (its name is all a scan uses).
type Namespace struct {
	ObjectMeta `json:"metadata"`
}

// NamespaceList is one page of namespaces.
type NamespaceList struct {
	ListMeta `json:"metadata"`
	Items    []Namespace `json:"items"`
}

// ConfigMap holds configuration values; BinaryData's are base64 on the
// wire.
type ConfigMap struct {
	ObjectMeta `json:"metadata"`
	Data       map[string]string `json:"data,omitempty"`
	BinaryData map[string][]byte `json:"binaryData,omitempty"`
}

// ConfigMapList is one page of ConfigMaps.
type ConfigMapList struct {
	ListMeta `json:"metadata"`
	Items    []ConfigMap `json:"items"`
}

// SecretObject is a Secret as the API serves it, with its values when
// listed in full.
type SecretObject struct {
	ObjectMeta `json:"metadata"`
	Type       string            `json:"type,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
}

// SecretList is one page of Secrets.
type SecretList struct {
	ListMeta `json:"metadata"`
	Items    []SecretObject `json:"items"`
}

// PodSpec is what a pod runs, and the Secrets it draws on.
type PodSpec struct {
	Volumes             []Volume               `json:"volumes,omitempty"`
	InitContainers      []Container            `json:"initContainers,omitempty"`
	Containers          []Container            `json:"containers,omitempty"`
	EphemeralContainers []Container            `json:"ephemeralContainers,omitempty"`
	ImagePullSecrets    []LocalObjectReference `json:"imagePullSecrets,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	Name string `json:"name,omitempty"`
}

// Volume is a pod volume; a scan reads its Secret sources.
type Volume struct {
	Name      string                 `json:"name"`
	Secret    *SecretVolumeSource    `json:"secret,omitempty"`
	Projected *ProjectedVolumeSource `json:"projected,omitempty"`
}

// SecretVolumeSource mounts a Secret.
type SecretVolumeSource struct {
	SecretName string `json:"secretName,omitempty"`
}

// ProjectedVolumeSource mounts several sources in one volume.
type ProjectedVolumeSource struct {
	Sources []VolumeProjection `json:"sources"`
}

// VolumeProjection is one source of a projected volume.
type VolumeProjection struct {
	Secret *LocalObjectReference `json:"secret,omitempty"`
}

// Container is a container's name and environment.
type Container struct {
	Name    string          `json:"name"`
	Env     []EnvVar        `json:"env,omitempty"`
	EnvFrom []EnvFromSource `json:"envFrom,omitempty"`
}

// EnvVar is a literal value or a reference.
type EnvVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource is where a variable's value comes from.
type EnvVarSource struct {
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// SecretKeySelector is one key of a Secret.
type SecretKeySelector struct {
	Name string `json:"name,omitempty"`
	Key  string `json:"key"`
}

// EnvFromSource imports every key of a source.
type EnvFromSource struct {
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
}

// PodTemplateSpec is a controller's pod template.
type PodTemplateSpec struct {
	Spec PodSpec `json:"spec"`
}

// Pod is a pod.
type Pod struct {
	ObjectMeta `json:"metadata"`
	Spec       PodSpec `json:"spec"`
}

// PodList is one page of pods.
type PodList struct {
	ListMeta `json:"metadata"`
	Items    []Pod `json:"items"`
}

// WorkloadSpec is the spec of a Deployment, StatefulSet, DaemonSet or
// Job: its pod template.
type WorkloadSpec struct {
	Template PodTemplateSpec `json:"template"`
}

// Workload is a Deployment, StatefulSet, DaemonSet or Job.
type Workload struct {
	ObjectMeta `json:"metadata"`
	Spec       WorkloadSpec `json:"spec"`
}

// WorkloadList is one page of workloads of one kind.
type WorkloadList struct {
	ListMeta `json:"metadata"`
	Items    []Workload `json:"items"`
}

// CronJob runs a Job template on a schedule.
type CronJob struct {
	ObjectMeta `json:"metadata"`
	Spec       struct {
		JobTemplate struct {
			Spec WorkloadSpec `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// CronJobList is one page of CronJobs.
type CronJobList struct {
	ListMeta `json:"metadata"`
	Items    []CronJob `json:"items"`
}

// Table is the API server's table form of a list (meta.k8s.io/v1).
type Table struct {
	Kind              string `json:"kind,omitempty"`
	ListMeta          `json:"metadata"`
	ColumnDefinitions []TableColumnDefinition `json:"columnDefinitions"`
	Rows              []TableRow              `json:"rows"`
}

// TableColumnDefinition names one column.
type TableColumnDefinition struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TableRow is one object: its cells, and its object (with
// includeObject=Metadata, a PartialObjectMetadata).
type TableRow struct {
	Cells  []any           `json:"cells"`
	Object json.RawMessage `json:"object,omitempty"`
}

// PartialObjectMetadata is an object's metadata alone.
type PartialObjectMetadata struct {
	ObjectMeta `json:"metadata"`
}
