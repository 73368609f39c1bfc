package kube

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// kubeconfig is the part of a kubeconfig file (kind: Config) a scan
// uses: clusters, users, contexts and the current context.
type kubeconfig struct {
	CurrentContext string         `yaml:"current-context"`
	Clusters       []namedCluster `yaml:"clusters"`
	Users          []namedUser    `yaml:"users"`
	Contexts       []namedContext `yaml:"contexts"`
}

type namedCluster struct {
	Name    string  `yaml:"name"`
	Cluster cluster `yaml:"cluster"`
}

type cluster struct {
	Server                   string `yaml:"server"`
	TLSServerName            string `yaml:"tls-server-name"`
	InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
	CertificateAuthority     string `yaml:"certificate-authority"`
	CertificateAuthorityData string `yaml:"certificate-authority-data"`
	ProxyURL                 string `yaml:"proxy-url"`
}

type namedUser struct {
	Name string   `yaml:"name"`
	User authInfo `yaml:"user"`
}

type authInfo struct {
	ClientCertificate     string        `yaml:"client-certificate"`
	ClientCertificateData string        `yaml:"client-certificate-data"`
	ClientKey             string        `yaml:"client-key"`
	ClientKeyData         string        `yaml:"client-key-data"`
	Token                 string        `yaml:"token"`
	TokenFile             string        `yaml:"tokenFile"`
	Username              string        `yaml:"username"`
	Password              string        `yaml:"password"`
	Exec                  *execConfig   `yaml:"exec"`
	AuthProvider          *authProvider `yaml:"auth-provider"`
	Impersonate           string        `yaml:"as"`
}

type authProvider struct {
	Name string `yaml:"name"`
}

// execConfig runs a credential plugin (client.authentication.k8s.io).
type execConfig struct {
	Command            string    `yaml:"command"`
	Args               []string  `yaml:"args"`
	Env                []execEnv `yaml:"env"`
	APIVersion         string    `yaml:"apiVersion"`
	InstallHint        string    `yaml:"installHint"`
	ProvideClusterInfo bool      `yaml:"provideClusterInfo"`
	InteractiveMode    string    `yaml:"interactiveMode"`
}

type execEnv struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type namedContext struct {
	Name    string     `yaml:"name"`
	Context contextRef `yaml:"context"`
}

type contextRef struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user"`
}

// endpoint is one context resolved: the cluster to call and the user to
// call it as, with file paths made absolute.
type endpoint struct {
	context string
	cluster cluster
	user    authInfo
}

// kubeconfigPaths returns the files to read: path, else $KUBECONFIG's
// list, else ~/.kube/config.
func kubeconfigPaths(path string) ([]string, error) {
	if path != "" {
		return []string{path}, nil
	}
	if env := os.Getenv("KUBECONFIG"); env != "" {
		var out []string
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("no kubeconfig: give --kubeconfig or set KUBECONFIG (%v)", err)
	}
	return []string{filepath.Join(home, ".kube", "config")}, nil
}

// loadKubeconfig reads the files as kubectl merges them: the first file
// to name a cluster, user or context, or to set the current context,
// wins. A file named by path must exist; in a $KUBECONFIG list, missing
// files are skipped, as kubectl does.
func loadKubeconfig(path string) (*kubeconfig, error) {
	paths, err := kubeconfigPaths(path)
	if err != nil {
		return nil, err
	}
	merged := &kubeconfig{}
	seen := map[string]bool{}
	read := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && len(paths) > 1 {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		read++
		var f kubeconfig
		if err := yaml.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: not a kubeconfig: %s", p, yamlReason(err))
		}
		dir := filepath.Dir(p)
		abs := func(s string) string {
			if s == "" || filepath.IsAbs(s) {
				return s
			}
			return filepath.Join(dir, s)
		}
		if merged.CurrentContext == "" {
			merged.CurrentContext = f.CurrentContext
		}
		for _, c := range f.Clusters {
			if k := "c/" + c.Name; !seen[k] {
				seen[k] = true
				c.Cluster.CertificateAuthority = abs(c.Cluster.CertificateAuthority)
				merged.Clusters = append(merged.Clusters, c)
			}
		}
		for _, u := range f.Users {
			if k := "u/" + u.Name; !seen[k] {
				seen[k] = true
				u.User.ClientCertificate = abs(u.User.ClientCertificate)
				u.User.ClientKey = abs(u.User.ClientKey)
				u.User.TokenFile = abs(u.User.TokenFile)
				if e := u.User.Exec; e != nil && strings.ContainsRune(e.Command, filepath.Separator) {
					// A relative command with a slash is relative to the
					// file, as kubectl resolves it; a bare name is looked
					// up in PATH.
					e.Command = abs(e.Command)
				}
				merged.Users = append(merged.Users, u)
			}
		}
		for _, c := range f.Contexts {
			if k := "x/" + c.Name; !seen[k] {
				seen[k] = true
				merged.Contexts = append(merged.Contexts, c)
			}
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("no kubeconfig found (looked at %s)", strings.Join(paths, ", "))
	}
	return merged, nil
}

// yamlReason keeps a YAML error's position and kind but none of the
// file's text (a kubeconfig holds tokens and keys).
func yamlReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := strings.IndexByte(msg[i:], ':')
		if end > 0 {
			return "YAML error at " + msg[i:i+end]
		}
	}
	return "invalid YAML"
}

// resolve returns the endpoint of the context name (empty: the current
// context).
func (k *kubeconfig) resolve(name string) (*endpoint, error) {
	if name == "" {
		name = k.CurrentContext
	}
	if name == "" {
		return nil, errors.New("no current context; give --context")
	}
	var ctx *contextRef
	for i := range k.Contexts {
		if k.Contexts[i].Name == name {
			ctx = &k.Contexts[i].Context
			break
		}
	}
	if ctx == nil {
		return nil, fmt.Errorf("no context %q", name)
	}
	ep := &endpoint{context: name}
	found := false
	for _, c := range k.Clusters {
		if c.Name == ctx.Cluster {
			ep.cluster, found = c.Cluster, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("context %q: no cluster %q", name, ctx.Cluster)
	}
	if ep.cluster.Server == "" {
		return nil, fmt.Errorf("context %q: cluster %q has no server", name, ctx.Cluster)
	}
	if ctx.User != "" {
		found = false
		for _, u := range k.Users {
			if u.Name == ctx.User {
				ep.user, found = u.User, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("context %q: no user %q", name, ctx.User)
		}
	}
	if ap := ep.user.AuthProvider; ap != nil {
		return nil, fmt.Errorf("context %q: the %q auth-provider is not supported (kubectl dropped it too); use its exec credential plugin", name, ap.Name)
	}
	return ep, nil
}

// Connect opens the cluster a kubeconfig names: path (empty: $KUBECONFIG,
// else ~/.kube/config) and context (empty: the current context). It
// returns the client and the context's name, for locations. The client
// waits out 429s as the server's Retry-After says.
func Connect(path, context string) (API, string, error) {
	cfg, err := loadKubeconfig(path)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	ep, err := cfg.resolve(context)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	c, err := newRESTAPI(ep)
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes client: %w", err)
	}
	return c, ep.context, nil
}
