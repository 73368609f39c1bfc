package main

import (
	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/storescan"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/kube"
)

func newScanKubernetesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:     "kubernetes [--context C] [--namespace N]",
		Aliases: []string{"k8s"},
		Short:   "Scan a Kubernetes cluster's ConfigMaps and workload env values, and record its Secrets' metadata",
		Long: `Scan a Kubernetes cluster for secrets where they do not belong: every
ConfigMap value, and the literal env values of deployments, statefulsets,
daemonsets, cronjobs, and of jobs and pods no controller owns. A password
in a ConfigMap is a finding, located at
k8s:CONTEXT/NAMESPACE/configmap/NAME/KEY
(k8s:CONTEXT/NAMESPACE/deployment/NAME/CONTAINER/env/VAR for env values);
the namespace names the environment (prod, staging, …), so with
--inventory the same secret in a repository and in ConfigMaps of two
environments is one entry, shared across environments.

Secrets are recorded with --inventory as metadata: type, creation and last
change, the workloads that mount them or refer to them (env, envFrom,
volumes, imagePullSecrets), and other namespaces holding a Secret of the
same name ('sprawl inventory ci-secrets', SAME NAME). Their values are not
read: Secrets are listed in the API server's Table form, which carries no
data. With --read-secret-values (and --inventory) they are read and each
value is fingerprinted at once with the inventory key, never stored or
printed, so that a leak of the same value elsewhere is known to be a live
cluster secret ('sprawl inventory managed').

The cluster is the kubeconfig's (--kubeconfig, else $KUBECONFIG, else
~/.kube/config) current context or --context. A namespace or resource the
credentials may not list (403) is skipped with its reason and the scan goes
on. See docs/org-scans.md for a least-privilege ClusterRole.`,
		Args: cobra.NoArgs,
		RunE: runScanKubernetes,
	}
	addScanFlags(c)
	c.Flags().String("kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config)")
	c.Flags().String("context", "", "kubeconfig context (default the current context)")
	c.Flags().StringArrayP("namespace", "n", nil, "namespace to scan (repeatable; default every namespace)")
	c.Flags().Bool("read-secret-values", false, "read Secret values to fingerprint them into the inventory (needs --inventory; values are never stored or printed)")
	c.Flags().Int64("page-size", kube.DefaultPageSize, "objects per list request")
	return c
}

func runScanKubernetes(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	st, err := newStoreScan(cmd, "kubernetes")
	if err != nil {
		return err
	}
	kubeconfig, _ := cmd.Flags().GetString("kubeconfig")
	kctx, _ := cmd.Flags().GetString("context")
	var opts kube.Options
	opts.Namespaces, _ = cmd.Flags().GetStringArray("namespace")
	opts.ReadSecretValues, _ = cmd.Flags().GetBool("read-secret-values")
	opts.PageSize, _ = cmd.Flags().GetInt64("page-size")
	if opts.PageSize < 1 {
		return usageErr("--page-size must be at least 1")
	}
	var key []byte
	if opts.ReadSecretValues {
		if st.dsn == "" {
			return usageErr("--read-secret-values needs --inventory: the values are only fingerprinted into it")
		}
		if key, err = inventoryKey(); err != nil {
			return err
		}
		opts.Fingerprint = func(v string) string { return scanner.Fingerprint(key, v) }
	}
	client, name, err := kube.Connect(kubeconfig, kctx)
	if err != nil {
		return usageErr("%v", err)
	}
	opts.Context = name
	res, err := (&kube.Scanner{Client: client, Opts: opts}).Scan(ctx)
	if err != nil {
		return failure(err)
	}
	for _, pr := range res.Problems {
		st.skipped(pr.What, pr.Reason)
	}
	complete := res.Complete() && len(opts.Namespaces) == 0
	keyCheck := ""
	if opts.ReadSecretValues {
		keyCheck = inventory.KeyCheck(key)
	}
	secrets := storescan.Kubernetes(name, res, complete, keyCheck)
	return st.run(&kube.Source{Context: name, Items: res.Items, Incomplete: !complete}, &secrets)
}
