package detectors

import (
	"fmt"
	"net"
	"net/url"
	"regexp/syntax"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Verify declares how to ask a provider whether a matched secret still
// works: one HTTPS request built from the secret and the pattern's other
// named captures, the only hosts that request may reach, and how the
// response reads. It is data; the verify package runs it, and only when
// the user asks (detectors itself does no I/O).
type Verify struct {
	// Docs is the provider documentation the request follows.
	Docs    string        `yaml:"docs" json:"docs"`
	Request VerifyRequest `yaml:"request" json:"request"`
	// Hosts are the fixed host names the request may contact. The URL's
	// host must be one of them, unless it is exactly ${InstanceHost}.
	Hosts []string `yaml:"hosts" json:"hosts"`
	// InstanceHost names a capture of the pattern that holds the host the
	// secret belongs to (a self-managed GitLab, a customer's EHR), for
	// formats that carry their own host. Only then may the URL's host come
	// from the match; the scheme stays https.
	InstanceHost string `yaml:"instance_host,omitempty" json:"instance_host,omitempty"`
	// Instance, if set, sends the request to the provider's other
	// instance (a self-managed GitLab, GitHub Enterprise Server, a Datadog
	// region) when the text beside the secret names one; see
	// VerifyInstance.
	Instance *VerifyInstance `yaml:"instance,omitempty" json:"instance,omitempty"`
	// Live and Revoked are tried in that order; a response neither
	// matches is unknown, and so is any error.
	Live    []ResponseMatch `yaml:"live" json:"live"`
	Revoked []ResponseMatch `yaml:"revoked" json:"revoked"`
	// Identity names safe fields of a live response to show: who or what
	// the secret is (login, account, key id, scopes, expiry), never data.
	Identity []IdentityField `yaml:"identity,omitempty" json:"identity,omitempty"`
}

// VerifyInstance describes the provider's other instances: a token issued
// by one is unknown to the public service, which would call it revoked.
// When Capture (a group of the pattern or of the rule's Nearby block)
// names a host, the request goes to URL with that host instead, only
// under https and only when the host matches Domains or the user named
// it (--verify-hosts); a host that is neither, or not a DNS name, makes
// the result unknown and no request is sent. A captured host in Public
// (or the request's own host) is the public service: the request is the
// default one.
type VerifyInstance struct {
	// Capture holds the instance: a host name or a URL, whose host is read.
	Capture string `yaml:"capture" json:"capture"`
	// URL is the request URL for an instance. Its host is ${Capture},
	// possibly under fixed labels ("api.${dd_site}"); path and query are
	// fixed or use other captures. Empty: the request URL with its host
	// replaced by ${Capture}.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Domains are the instance hosts the provider runs, asked without the
	// user naming them: exact names, or "*.example.com" for any name
	// under example.com.
	Domains []string `yaml:"domains,omitempty" json:"domains,omitempty"`
	// Public are captured values that name the public service itself.
	Public []string `yaml:"public,omitempty" json:"public,omitempty"`
}

// HostTemplate returns the host part of the instance URL (with its
// placeholder) and the URL's rest from the first "/".
func (in *VerifyInstance) HostTemplate(requestURL string) (host, rest string) {
	raw := in.URL
	if raw == "" {
		_, after, _ := strings.Cut(strings.TrimPrefix(requestURL, "https://"), "/")
		raw = "https://${" + in.Capture + "}/" + after
	}
	host, rest, _ = strings.Cut(strings.TrimPrefix(raw, "https://"), "/")
	return host, "/" + rest
}

// MatchDomain reports whether host is one of domains (exact, or under a
// "*.suffix" entry).
func MatchDomain(host string, domains []string) bool {
	for _, d := range domains {
		if suffix, ok := strings.CutPrefix(d, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

// VerifyRequest is a request template. ${secret} and ${NAME}, for any
// other named group NAME of the rule's pattern, are replaced in URL,
// header values, basic-auth fields and body.
type VerifyRequest struct {
	Method  string `yaml:"method" json:"method"`
	URL     string `yaml:"url" json:"url"`
	Headers Pairs  `yaml:"headers,omitempty" json:"headers,omitempty"`
	// BasicAuth, when set, is sent as an Authorization: Basic header.
	BasicAuth *BasicAuth `yaml:"basic_auth,omitempty" json:"basic_auth,omitempty"`
	Body      string     `yaml:"body,omitempty" json:"body,omitempty"`
}

// BasicAuth is an HTTP basic-auth pair (RFC 7617).
type BasicAuth struct {
	Username string `yaml:"username" json:"username"`
	Password string `yaml:"password" json:"password"`
}

// ResponseMatch matches a response when every condition it sets holds.
type ResponseMatch struct {
	// Status lists accepted status codes (any, if empty).
	Status []int `yaml:"status,omitempty" json:"status,omitempty"`
	// BodyContains is a substring of the body.
	BodyContains string `yaml:"body_contains,omitempty" json:"body_contains,omitempty"`
	// JSON maps dotted paths in a JSON body to the scalar each must equal
	// (compared as text: true, 42, "name").
	JSON Pairs `yaml:"json,omitempty" json:"json,omitempty"`
	// Header maps header names to a substring of its value ("" for
	// present).
	Header Pairs `yaml:"header,omitempty" json:"header,omitempty"`
}

// Pair is one entry of a YAML mapping whose order matters.
type Pair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Pairs is a YAML mapping of scalars kept in file order, so that the
// encoded catalogue is the same on every run (a Go map's order is not).
type Pairs []Pair

// UnmarshalYAML reads a mapping of scalars.
func (p *Pairs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	out := make(Pairs, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: want scalar keys and values", k.Line)
		}
		out = append(out, Pair{Name: k.Value, Value: v.Value})
	}
	*p = out
	return nil
}

// IdentityField is one safe field of a live response.
type IdentityField struct {
	// Name is one of IdentityNames.
	Name string `yaml:"name" json:"name"`
	// JSON is a dotted path into the body (a list joins its elements with
	// ","); Header names a response header. Exactly one is set.
	JSON   string `yaml:"json,omitempty" json:"json,omitempty"`
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
}

// IdentityNames are the identity fields a validator may show. The list is
// closed so that a validator cannot be made to print the data the secret
// guards.
var IdentityNames = []string{"account", "login", "user", "key_id", "key_name", "scopes", "expiry", "organization", "team", "type"}

// placeholderRe finds ${name} in templates.
var placeholderRe = lazyRegexp(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

var hostnameRe = lazyRegexp(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// Placeholders returns the names used in the request template, sorted.
func (v *Verify) Placeholders() []string {
	seen := map[string]bool{}
	add := func(s string) {
		for _, m := range placeholderRe().FindAllStringSubmatch(s, -1) {
			seen[m[1]] = true
		}
	}
	add(v.Request.URL)
	add(v.Request.Body)
	for _, h := range v.Request.Headers {
		add(h.Value)
	}
	if v.Request.BasicAuth != nil {
		add(v.Request.BasicAuth.Username)
		add(v.Request.BasicAuth.Password)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UsesCaptures reports whether the template needs captures other than
// the secret.
func (v *Verify) UsesCaptures() bool {
	for _, n := range v.Placeholders() {
		if n != SecretGroup {
			return true
		}
	}
	return false
}

// groupNames returns the named groups of an RE2 pattern.
func groupNames(pattern string) map[string]bool {
	groups := map[string]bool{}
	if re, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		var walk func(*syntax.Regexp)
		walk = func(r *syntax.Regexp) {
			if r.Op == syntax.OpCapture && r.Name != "" {
				groups[r.Name] = true
			}
			for _, s := range r.Sub {
				walk(s)
			}
		}
		walk(re)
	}
	return groups
}

// validate checks the block against the rule's pattern and its Nearby
// block, whose named groups are the template's inputs.
func (v *Verify) validate(pattern string, nearby []string) []string {
	var problems []string
	groups := groupNames(pattern)
	for _, n := range nearby {
		groups[n] = true
	}
	bad := func(format string, a ...any) { problems = append(problems, "verify: "+fmt.Sprintf(format, a...)) }
	if !strings.HasPrefix(v.Docs, "https://") {
		bad("docs must be the https URL of the documentation the request follows")
	}
	switch v.Request.Method {
	case "GET", "POST", "HEAD":
	default:
		bad("method %q: want GET, POST or HEAD", v.Request.Method)
	}
	for _, n := range v.Placeholders() {
		if !groups[n] {
			bad("${%s} is not a named group of the pattern", n)
		}
	}
	if in := v.Instance; in != nil {
		problems = append(problems, in.validate(v.Request.URL, groups)...)
	}
	if v.InstanceHost != "" && !groups[v.InstanceHost] {
		bad("instance_host %q is not a named group of the pattern", v.InstanceHost)
	}
	hosts := map[string]bool{}
	for _, h := range v.Hosts {
		if !hostnameRe().MatchString(h) || net.ParseIP(h) != nil {
			bad("host %q is not a lower-case DNS name", h)
		}
		hosts[h] = true
	}
	if len(v.Hosts) == 0 && v.InstanceHost == "" {
		bad("no hosts declared")
	}
	// The URL with an instance host stands in as a literal so that url.Parse
	// sees a host.
	raw := v.Request.URL
	instance := v.InstanceHost != "" && strings.HasPrefix(raw, "https://${"+v.InstanceHost+"}/")
	if instance {
		raw = "https://instance.invalid/" + strings.TrimPrefix(raw, "https://${"+v.InstanceHost+"}/")
	}
	hostPart, _, _ := strings.Cut(strings.TrimPrefix(raw, "https://"), "/")
	u, err := url.Parse(raw)
	switch {
	case !instance && strings.Contains(hostPart, "${"):
		bad("url %q: the host may come from a capture only when it is the rule's instance_host", v.Request.URL)
	case err != nil:
		bad("url: %v", err)
	case u.Scheme != "https":
		bad("url %q: only https is allowed", v.Request.URL)
	case u.User != nil:
		bad("url %q: no user info; use basic_auth", v.Request.URL)
	case u.Port() != "":
		bad("url %q: no port", v.Request.URL)
	case !instance && !hosts[u.Hostname()]:
		bad("url host %q is not among hosts %v", u.Hostname(), v.Hosts)
	}
	if len(v.Live) == 0 {
		bad("no live matcher")
	}
	if len(v.Revoked) == 0 {
		bad("no revoked matcher")
	}
	for i, m := range append(append([]ResponseMatch{}, v.Live...), v.Revoked...) {
		if len(m.Status) == 0 && m.BodyContains == "" && len(m.JSON) == 0 && len(m.Header) == 0 {
			bad("response matcher %d sets no condition", i+1)
		}
	}
	for _, f := range v.Identity {
		known := false
		for _, n := range IdentityNames {
			known = known || n == f.Name
		}
		if !known {
			bad("identity %q: want one of %s", f.Name, strings.Join(IdentityNames, ", "))
		}
		if (f.JSON == "") == (f.Header == "") {
			bad("identity %q: set exactly one of json and header", f.Name)
		}
	}
	return problems
}

var instanceHostTmplRe = lazyRegexp(`^(?:[a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

func (in *VerifyInstance) validate(requestURL string, groups map[string]bool) []string {
	var problems []string
	bad := func(format string, a ...any) {
		problems = append(problems, "verify: instance: "+fmt.Sprintf(format, a...))
	}
	if !groups[in.Capture] {
		bad("capture %q is not a named group of the pattern or of nearby", in.Capture)
	}
	if in.URL != "" && !strings.HasPrefix(in.URL, "https://") {
		bad("url %q: only https is allowed", in.URL)
	}
	host, rest := in.HostTemplate(requestURL)
	if m := instanceHostTmplRe().FindStringSubmatch(host); m == nil || m[2] != in.Capture {
		bad("url host %q must be ${%s}, possibly under fixed labels", host, in.Capture)
	}
	for _, m := range placeholderRe().FindAllStringSubmatch(rest, -1) {
		if !groups[m[1]] && m[1] != SecretGroup {
			bad("${%s} is not a named group", m[1])
		}
	}
	for _, d := range append(append([]string{}, in.Domains...), in.Public...) {
		h := strings.TrimPrefix(d, "*.")
		if !hostnameRe().MatchString(h) || net.ParseIP(h) != nil {
			bad("domain %q is not a lower-case DNS name", d)
		}
	}
	for _, d := range in.Public {
		if strings.HasPrefix(d, "*.") {
			bad("public %q: name hosts, not a wildcard", d)
		}
	}
	return problems
}
