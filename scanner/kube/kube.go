package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// DefaultPageSize is the limit of one list request.
const DefaultPageSize = 500

// Options say what to scan.
type Options struct {
	// Context names the cluster in locations (the kubeconfig context).
	Context string
	// Namespaces to scan; empty: every namespace the API lists.
	Namespaces []string
	// PageSize is the limit per list request (default DefaultPageSize).
	PageSize int64
	// ReadSecretValues reads Secret values to fingerprint them; never
	// without Fingerprint.
	ReadSecretValues bool
	// Fingerprint turns a Secret value into its keyed fingerprint.
	Fingerprint func(value string) string
}

// Item is one value scanned as content.
type Item struct {
	// Path is the location: "k8s:CONTEXT/NS/configmap/NAME/KEY",
	// "k8s:CONTEXT/NS/deployment/NAME/CONTAINER/env/VAR".
	Path string
	Data []byte
	Note string
}

// Secret is one Secret's metadata.
type Secret struct {
	Namespace, Name string
	// Type is the Secret's type ("Opaque", "kubernetes.io/tls", …).
	Type    string
	Created time.Time
	// Updated is the latest change its managed fields record (zero when
	// the API server keeps none).
	Updated time.Time
	// UsedBy names the workloads that mount it or refer to it:
	// "deployment/api", "cronjob/backup", "pod/debug".
	UsedBy []string
	// SameName lists the other namespaces holding a Secret of this name.
	SameName []string
	// Fields are its keys' fingerprints (ReadSecretValues only).
	Fields []Field
}

// Field is one key of a Secret, fingerprinted.
type Field struct {
	Key, Fingerprint string
}

// Problem is a part of the cluster that was skipped, and why.
type Problem struct {
	What, Reason string
}

func (p Problem) String() string { return p.What + ": " + p.Reason }

// Result is what a scan read.
type Result struct {
	Namespaces []string
	Items      []Item
	Secrets    []Secret
	Problems   []Problem
}

// Complete reports whether everything asked for was read.
func (r *Result) Complete() bool { return len(r.Problems) == 0 }

// Scanner reads one cluster.
type Scanner struct {
	Client API
	Opts   Options
}

func (s *Scanner) pageSize() int64 {
	if s.Opts.PageSize > 0 {
		return s.Opts.PageSize
	}
	return DefaultPageSize
}

// skippable reports whether err concerns one namespace or resource only.
func skippable(err error) bool {
	return IsForbidden(err) || IsNotFound(err) || IsMethodNotSupported(err)
}

func reason(err error) string {
	switch {
	case IsForbidden(err):
		return "forbidden (HTTP 403): the credentials may not list it"
	case IsNotFound(err):
		return "not found (HTTP 404)"
	}
	return err.Error()
}

// pages calls list with limit and continue until the server has no more.
func pages(ctx context.Context, limit int64, list func(context.Context, ListOptions) (string, error)) error {
	opts := ListOptions{Limit: limit}
	for {
		cont, err := list(ctx, opts)
		if err != nil {
			return err
		}
		if cont == "" {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		opts.Continue = cont
	}
}

// Scan reads every namespace asked for. Only a failure to list the
// namespaces, or a cancelled context, is an error.
func (s *Scanner) Scan(ctx context.Context) (*Result, error) {
	if s.Opts.ReadSecretValues && s.Opts.Fingerprint == nil {
		return nil, errors.New("kube: ReadSecretValues without a Fingerprint")
	}
	res := &Result{}
	nss := s.Opts.Namespaces
	if len(nss) == 0 {
		err := pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
			l, err := s.Client.Namespaces(ctx, o)
			if err != nil {
				return "", err
			}
			for _, n := range l.Items {
				nss = append(nss, n.Name)
			}
			return l.Continue, nil
		})
		if err != nil {
			if IsForbidden(err) {
				return nil, fmt.Errorf("list namespaces: %w (name the namespaces to scan instead)", err)
			}
			return nil, fmt.Errorf("list namespaces: %w", err)
		}
	}
	sort.Strings(nss)
	res.Namespaces = nss
	for _, ns := range nss {
		if err := s.namespace(ctx, ns, res); err != nil {
			return res, err
		}
	}
	s.linkSameName(res)
	return res, nil
}

// namespace reads one namespace into res; a resource it may not list is
// a Problem.
func (s *Scanner) namespace(ctx context.Context, ns string, res *Result) error {
	try := func(what string, f func() error) error {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if skippable(err) {
			res.Problems = append(res.Problems, Problem{What: "namespace " + ns + " " + what, Reason: reason(err)})
			return nil
		}
		return fmt.Errorf("namespace %s %s: %w", ns, what, err)
	}
	var uses []use
	steps := []struct {
		what string
		f    func() error
	}{
		{"configmaps", func() error { return s.configMaps(ctx, ns, res) }},
		{"pods", func() error { return s.pods(ctx, ns, res, &uses) }},
		{"deployments", func() error { return s.deployments(ctx, ns, res, &uses) }},
		{"statefulsets", func() error { return s.statefulSets(ctx, ns, res, &uses) }},
		{"daemonsets", func() error { return s.daemonSets(ctx, ns, res, &uses) }},
		{"cronjobs", func() error { return s.cronJobs(ctx, ns, res, &uses) }},
		{"jobs", func() error { return s.jobs(ctx, ns, res, &uses) }},
	}
	for _, st := range steps {
		if err := try(st.what, st.f); err != nil {
			return err
		}
	}
	var secrets []Secret
	if err := try("secrets", func() error {
		var err error
		secrets, err = s.secrets(ctx, ns)
		return err
	}); err != nil {
		return err
	}
	users := map[string][]string{}
	for _, u := range uses {
		users[u.secret] = append(users[u.secret], u.by)
	}
	for i := range secrets {
		secrets[i].UsedBy = dedupe(users[secrets[i].Name])
	}
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })
	res.Secrets = append(res.Secrets, secrets...)
	return nil
}

func (s *Scanner) loc(ns, kind, name string, rest ...string) string {
	return "k8s:" + s.Opts.Context + "/" + strings.Join(append([]string{ns, kind, name}, rest...), "/")
}

func (s *Scanner) configMaps(ctx context.Context, ns string, res *Result) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.ConfigMaps(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for _, cm := range l.Items {
			for _, k := range sortedKeys(cm.Data) {
				res.Items = append(res.Items, Item{Path: s.loc(ns, "configmap", cm.Name, k), Data: valueChunk(k, []byte(cm.Data[k])), Note: "ConfigMap value"})
			}
			for _, k := range sortedKeys(cm.BinaryData) {
				res.Items = append(res.Items, Item{Path: s.loc(ns, "configmap", cm.Name, k), Data: cm.BinaryData[k], Note: "ConfigMap binary value"})
			}
		}
		return l.Continue, nil
	})
}

// valueChunk is what is scanned of a key's value: "KEY=value" for a
// one-line value (so rules that look for an assignment see the name), the
// value itself for a file.
func valueChunk(key string, v []byte) []byte {
	if len(v) < 4096 && !strings.ContainsAny(string(v), "\n\r") {
		return []byte(key + "=" + string(v) + "\n")
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// use is one reference of a workload to a Secret.
type use struct{ secret, by string }

// podSpec scans a pod template's literal env values and notes the Secrets
// it uses.
func (s *Scanner) podSpec(ns, kind, name string, spec *PodSpec, res *Result, uses *[]use) {
	by := kind + "/" + name
	add := func(secret string) {
		if secret != "" {
			*uses = append(*uses, use{secret, by})
		}
	}
	for _, ps := range spec.ImagePullSecrets {
		add(ps.Name)
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			add(v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					add(src.Secret.Name)
				}
			}
		}
	}
	var containers []Container
	containers = append(containers, spec.InitContainers...)
	containers = append(containers, spec.Containers...)
	for _, c := range containers {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				add(e.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name)
			}
			if e.Value != "" {
				res.Items = append(res.Items, Item{Path: s.loc(ns, kind, name, c.Name, "env", e.Name),
					Data: []byte(e.Name + "=" + e.Value + "\n"), Note: "literal env value of " + by})
			}
		}
	}
	for _, c := range spec.EphemeralContainers {
		for _, e := range c.Env {
			if e.Value != "" {
				res.Items = append(res.Items, Item{Path: s.loc(ns, kind, name, c.Name, "env", e.Name),
					Data: []byte(e.Name + "=" + e.Value + "\n"), Note: "literal env value of " + by})
			}
		}
	}
}

// pods scans pods no controller owns: a controller's pods (a
// ReplicaSet's, a StatefulSet's, a DaemonSet's, a Job's) repeat its
// template, which is scanned once, at the deployment, statefulset,
// daemonset, job or cronjob.
func (s *Scanner) pods(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.Pods(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			p := &l.Items[i]
			if controlled(p.ObjectMeta) {
				continue
			}
			s.podSpec(ns, "pod", p.Name, &p.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

func (s *Scanner) deployments(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.Deployments(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			s.podSpec(ns, "deployment", l.Items[i].Name, &l.Items[i].Spec.Template.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

func (s *Scanner) statefulSets(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.StatefulSets(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			s.podSpec(ns, "statefulset", l.Items[i].Name, &l.Items[i].Spec.Template.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

func (s *Scanner) daemonSets(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.DaemonSets(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			s.podSpec(ns, "daemonset", l.Items[i].Name, &l.Items[i].Spec.Template.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

func (s *Scanner) cronJobs(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.CronJobs(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			s.podSpec(ns, "cronjob", l.Items[i].Name, &l.Items[i].Spec.JobTemplate.Spec.Template.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

// jobs scans Jobs no CronJob owns (a CronJob's Jobs repeat its
// template, scanned at the CronJob).
func (s *Scanner) jobs(ctx context.Context, ns string, res *Result, uses *[]use) error {
	return pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.Jobs(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			if controlled(l.Items[i].ObjectMeta) {
				continue
			}
			s.podSpec(ns, "job", l.Items[i].Name, &l.Items[i].Spec.Template.Spec, res, uses)
		}
		return l.Continue, nil
	})
}

// lastChange is the latest time a Secret's managed fields record.
func lastChange(m ObjectMeta) time.Time {
	var t time.Time
	for _, f := range m.ManagedFields {
		if f.Time != nil && f.Time.After(t) {
			t = *f.Time
		}
	}
	return t.UTC()
}

// secrets lists a namespace's Secrets: in Table form without their
// values, or in full (each value fingerprinted at once) when asked to.
func (s *Scanner) secrets(ctx context.Context, ns string) ([]Secret, error) {
	if !s.Opts.ReadSecretValues {
		out, err := s.secretTable(ctx, ns)
		if !errors.Is(err, ErrNoTable) {
			return out, err
		}
		// An API without the Table form (client-go's fake clientset):
		// list in full and keep nothing of the values.
	}
	var out []Secret
	err := pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		l, err := s.Client.Secrets(ctx, ns, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			sec := &l.Items[i]
			x := Secret{Namespace: ns, Name: sec.Name, Type: sec.Type, Created: sec.CreationTimestamp.UTC(), Updated: lastChange(sec.ObjectMeta)}
			if s.Opts.ReadSecretValues {
				for _, k := range sortedKeys(sec.Data) {
					x.Fields = append(x.Fields, Field{Key: k, Fingerprint: s.Opts.Fingerprint(string(sec.Data[k]))})
				}
			}
			clear(sec.Data)
			clear(sec.StringData)
			out = append(out, x)
		}
		return l.Continue, nil
	})
	return out, err
}

// secretTable lists Secrets as the API server's Table with object
// metadata only: names, types and times, never data.
func (s *Scanner) secretTable(ctx context.Context, ns string) ([]Secret, error) {
	var out []Secret
	err := pages(ctx, s.pageSize(), func(ctx context.Context, o ListOptions) (string, error) {
		t, err := s.Client.SecretTable(ctx, ns, o)
		if err != nil {
			return "", err
		}
		typeCol := -1
		for i, c := range t.ColumnDefinitions {
			if strings.EqualFold(c.Name, "Type") {
				typeCol = i
			}
		}
		for _, row := range t.Rows {
			var m PartialObjectMetadata
			if len(row.Object) == 0 || json.Unmarshal(row.Object, &m) != nil || m.Name == "" {
				continue
			}
			x := Secret{Namespace: ns, Name: m.Name, Created: m.CreationTimestamp.UTC(), Updated: lastChange(m.ObjectMeta)}
			if typeCol >= 0 && typeCol < len(row.Cells) {
				x.Type, _ = row.Cells[typeCol].(string)
			}
			out = append(out, x)
		}
		return t.Continue, nil
	})
	return out, err
}

// linkSameName notes, for each Secret, the other namespaces holding one
// of the same name.
func (s *Scanner) linkSameName(res *Result) {
	byName := map[string][]string{}
	for _, x := range res.Secrets {
		byName[x.Name] = append(byName[x.Name], x.Namespace)
	}
	for i := range res.Secrets {
		for _, ns := range byName[res.Secrets[i].Name] {
			if ns != res.Secrets[i].Namespace {
				res.Secrets[i].SameName = append(res.Secrets[i].SameName, ns)
			}
		}
		res.Secrets[i].SameName = dedupe(res.Secrets[i].SameName)
	}
}

func dedupe(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// Source scans the items of a Result as content.
type Source struct {
	// Context names the cluster; Root is "k8s://CONTEXT".
	Context string
	Items   []Item
	// Incomplete: some namespaces were left out or skipped, so the
	// inventory must not take what this scan did not find for gone.
	Incomplete bool
}

// Partial reports whether the scan covered part of the cluster only.
func (s *Source) Partial() bool { return s.Incomplete }

// Kind implements scanner.Source.
func (s *Source) Kind() string { return "kubernetes" }

// Root implements scanner.Source.
func (s *Source) Root() string { return "k8s://" + s.Context }

// Chunks implements scanner.Source.
func (s *Source) Chunks(ctx context.Context, fn func(scanner.Chunk) error) error {
	for _, it := range s.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(scanner.Chunk{Data: it.Data, Path: it.Path, Line: 1, Message: it.Note}); err != nil {
			return err
		}
	}
	return nil
}
