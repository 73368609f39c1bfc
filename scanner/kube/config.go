package kube

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
)

// Connect opens the cluster a kubeconfig names: path (empty: $KUBECONFIG,
// else ~/.kube/config) and context (empty: the current context). It
// returns the client and the context's name, for locations. client-go
// waits out 429s as the server's Retry-After says.
func Connect(path, context string) (API, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, "", fmt.Errorf("kubeconfig: no current context; give --context")
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, "", fmt.Errorf("kubeconfig: no context %q", name)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 20, 40
	cfg.UserAgent = "sprawl"
	c, err := newRESTAPI(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes client: %w", err)
	}
	return c, name, nil
}
