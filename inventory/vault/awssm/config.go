package awssm

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resolve finds what New needs the way the AWS SDKs and CLI do
// (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html):
//
//   - region: the argument, else AWS_REGION, AWS_DEFAULT_REGION, else the
//     profile's region in the shared config file;
//   - endpoint: AWS_ENDPOINT_URL_SECRETS_MANAGER, the profile's services
//     section (secretsmanager.endpoint_url), AWS_ENDPOINT_URL, the
//     profile's endpoint_url (none of them when
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else
//     https://secretsmanager.<region>.amazonaws.com (.com.cn in cn-*);
//   - attempts per call: AWS_MAX_ATTEMPTS, the profile's max_attempts, else 3;
//   - extra trusted CAs (a TLS-inspecting proxy's): the PEM file
//     AWS_CA_BUNDLE or the profile's ca_bundle;
//   - credentials: see chain.
//
// The profile is AWS_PROFILE (or AWS_DEFAULT_PROFILE), else "default", read
// from AWS_CONFIG_FILE (~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
// (~/.aws/credentials).
func Resolve(ctx context.Context, region string) (ClientConfig, error) {
	sc, err := loadShared()
	if err != nil {
		return ClientConfig{}, err
	}
	prof := sc.profile(sc.name)
	if region == "" {
		region = firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = prof["region"]
	}
	if region == "" {
		return ClientConfig{}, errors.New("aws: no region (set AWS_REGION or --region)")
	}
	if bundle := firstNonEmpty(firstEnv("AWS_CA_BUNDLE"), prof["ca_bundle"]); bundle != "" {
		if sc.hc, err = caBundleClient(bundle); err != nil {
			return ClientConfig{}, err
		}
	}
	cfg := ClientConfig{Region: region, Endpoint: sc.endpoint("secretsmanager", "SECRETS_MANAGER", region), HTTPClient: sc.hc}
	if v := firstEnv("AWS_MAX_ATTEMPTS"); v != "" {
		cfg.MaxAttempts, _ = strconv.Atoi(v)
	} else if v := prof["max_attempts"]; v != "" {
		cfg.MaxAttempts, _ = strconv.Atoi(v)
	}
	creds, err := chain(sc, region)
	if err != nil {
		return ClientConfig{}, err
	}
	cfg.Credentials = creds
	return cfg, nil
}

// caBundleClient is DefaultHTTPClient trusting the PEM file's CAs beside
// the system's.
func caBundleClient(path string) (*http.Client, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("aws: CA bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("aws: CA bundle %s: no PEM certificate", path)
	}
	d := DefaultHTTPClient()
	t := d.Transport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, Timeout: d.Timeout}, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// section is one INI section's keys (lower case). A nested block
// ("secretsmanager =" then indented "endpoint_url = …") is kept as
// "secretsmanager.endpoint_url".
type section map[string]string

// shared is the shared config and credentials files.
type shared struct {
	name     string // the profile in use
	explicit bool   // named by AWS_PROFILE
	config   map[string]section
	creds    map[string]section
	sso      map[string]section
	services map[string]section
	hc       *http.Client // for Secrets Manager, STS and SSO
}

func loadShared() (*shared, error) {
	sc := &shared{name: firstEnv("AWS_PROFILE", "AWS_DEFAULT_PROFILE"), config: map[string]section{}, creds: map[string]section{},
		sso: map[string]section{}, services: map[string]section{}, hc: DefaultHTTPClient()}
	sc.explicit = sc.name != ""
	if sc.name == "" {
		sc.name = "default"
	}
	home, _ := os.UserHomeDir()
	cfgPath := firstEnv("AWS_CONFIG_FILE")
	if cfgPath == "" && home != "" {
		cfgPath = filepath.Join(home, ".aws", "config")
	}
	credPath := firstEnv("AWS_SHARED_CREDENTIALS_FILE")
	if credPath == "" && home != "" {
		credPath = filepath.Join(home, ".aws", "credentials")
	}
	if cfgPath != "" {
		secs, err := parseINI(cfgPath)
		if err != nil {
			return nil, err
		}
		for name, s := range secs {
			switch {
			case name == "default":
				sc.config["default"] = s
			case strings.HasPrefix(name, "profile "):
				sc.config[strings.TrimSpace(strings.TrimPrefix(name, "profile "))] = s
			case strings.HasPrefix(name, "sso-session "):
				sc.sso[strings.TrimSpace(strings.TrimPrefix(name, "sso-session "))] = s
			case strings.HasPrefix(name, "services "):
				sc.services[strings.TrimSpace(strings.TrimPrefix(name, "services "))] = s
			}
		}
	}
	if credPath != "" {
		secs, err := parseINI(credPath)
		if err != nil {
			return nil, err
		}
		sc.creds = secs
	}
	if sc.explicit && !sc.exists(sc.name) {
		return nil, fmt.Errorf("aws: profile %q (AWS_PROFILE) is in neither %s nor %s", sc.name, cfgPath, credPath)
	}
	return sc, nil
}

func (sc *shared) exists(name string) bool {
	_, a := sc.config[name]
	_, b := sc.creds[name]
	return a || b
}

// profile merges a profile's config-file keys with its credentials-file
// keys, which take precedence.
func (sc *shared) profile(name string) section {
	out := section{}
	for k, v := range sc.config[name] {
		out[k] = v
	}
	for k, v := range sc.creds[name] {
		out[k] = v
	}
	return out
}

// endpoint is a service's configured endpoint, else the regional one.
func (sc *shared) endpoint(service, envSuffix, region string) string {
	prof := sc.profile(sc.name)
	if !strings.EqualFold(firstEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") && !strings.EqualFold(prof["ignore_configured_endpoint_urls"], "true") {
		if v := firstEnv("AWS_ENDPOINT_URL_" + envSuffix); v != "" {
			return v
		}
		if s := sc.services[prof["services"]]; s != nil && s[service+".endpoint_url"] != "" {
			return s[service+".endpoint_url"]
		}
		if v := firstEnv("AWS_ENDPOINT_URL"); v != "" {
			return v
		}
		if v := prof["endpoint_url"]; v != "" {
			return v
		}
	}
	return regionalEndpoint(service, region)
}

func regionalEndpoint(service, region string) string {
	dns := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		dns = "amazonaws.com.cn"
	}
	return "https://" + service + "." + region + "." + dns
}

// parseINI reads an AWS shared config or credentials file; a missing file
// is empty.
func parseINI(path string) (map[string]section, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]section{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aws: %w", err)
	}
	defer f.Close()
	out := map[string]section{}
	var cur section
	parent := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				cur = nil
				continue
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if cur = out[name]; cur == nil {
				cur = section{}
				out[name] = cur
			}
			parent = ""
			continue
		}
		if cur == nil {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		// An inline comment needs whitespace before it.
		for _, c := range []string{" #", "\t#", " ;", "\t;"} {
			if i := strings.Index(v, c); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		if (raw[0] == ' ' || raw[0] == '\t') && parent != "" {
			cur[parent+"."+k] = v
			continue
		}
		parent = ""
		if v == "" {
			parent = k
		}
		cur[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("aws: %s: %w", path, err)
	}
	return out, nil
}
