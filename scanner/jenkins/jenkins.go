package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// DefaultPageSize is how many jobs one tree query asks for.
const DefaultPageSize = 500

// MaxConfigSize caps one config.xml; a larger one is a Problem.
const MaxConfigSize = 16 << 20

// ErrAuth is returned when the controller refuses the credentials (401).
var ErrAuth = errors.New("jenkins refused the user and API token (HTTP 401)")

// StatusError is an HTTP error status from the controller.
type StatusError struct {
	Code int
	URL  string
}

func (e *StatusError) Error() string {
	why := http.StatusText(e.Code)
	switch e.Code {
	case http.StatusForbidden:
		why = "forbidden: the user lacks the permission to read it"
	case http.StatusNotFound:
		why = "not found"
	}
	return fmt.Sprintf("HTTP %d %s", e.Code, why)
}

// Client talks to one Jenkins controller.
type Client struct {
	base        *url.URL
	user, token string
	hc          *http.Client
	// PageSize is the number of jobs per tree query (default
	// DefaultPageSize).
	PageSize int
}

// New returns a client for the controller at base (its root URL, e.g.
// https://ci.example.com or https://example.com/jenkins). rt is the
// transport (nil: http.DefaultTransport); user and token may be empty for
// an anonymous read.
func New(base, user, token string, rt http.RoundTripper) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("jenkins URL %q: want http(s)://host[/path]", base)
	}
	if u.User != nil {
		return nil, fmt.Errorf("jenkins URL: give the user and token in JENKINS_USER and JENKINS_API_TOKEN, not in the URL")
	}
	if u.Scheme == "http" && (user != "" || token != "") && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("jenkins URL %q: the API token is sent over https only (http is allowed for a loopback address)", base)
	}
	u.RawQuery, u.Fragment = "", ""
	if rt == nil {
		rt = http.DefaultTransport
	}
	// No redirects: a redirect to another host would carry the token.
	hc := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Client{base: u, user: user, token: token, hc: hc}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Base is the controller's root URL.
func (c *Client) Base() string { return c.base.String() }

// Host names the controller in locations: host[:port][/path].
func (c *Client) Host() string { return c.base.Host + c.base.EscapedPath() }

// Job is one item of the controller.
type Job struct {
	// Path is the names from the root down ("team", "api").
	Path []string
	// Class is the job's Java class (_class).
	Class string
	// Folder: the item holds jobs (folder, organisation folder,
	// multibranch project).
	Folder bool
}

// FullName is "team/api".
func (j Job) FullName() string { return strings.Join(j.Path, "/") }

// URLPath is the job's path below the root: "/job/team/job/api".
func (j Job) URLPath() string {
	var b strings.Builder
	for _, n := range j.Path {
		b.WriteString("/job/")
		b.WriteString(url.PathEscape(n))
	}
	return b.String()
}

// Problem is a part of the controller that was skipped, and why.
type Problem struct {
	What   string // "job team/api", "folder team", "credentials of team"
	Reason string
}

func (p Problem) String() string { return p.What + ": " + p.Reason }

// get reads path (below the root, with its query) into at most limit
// bytes.
func (c *Client) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	u := c.base.String() + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if c.user != "" || c.token != "" {
		req.SetBasicAuth(c.user, c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, ErrAuth
	case resp.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{Code: resp.StatusCode, URL: u}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response larger than %d bytes", limit)
	}
	return data, nil
}

// skippable reports whether err concerns one item only (403, 404, too
// large, malformed) rather than the whole run.
func skippable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrAuth) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusForbidden || se.Code == http.StatusNotFound || se.Code == http.StatusGone
	}
	var ue *url.Error
	return !errors.As(err, &ue) // transport failures are fatal; the rest is the item's
}

type jobList struct {
	Jobs []struct {
		Name  string            `json:"name"`
		Class string            `json:"_class"`
		Jobs  []json.RawMessage `json:"jobs"`
	} `json:"jobs"`
}

// Jobs lists every job, folders included and descended into. A folder
// that cannot be listed is a Problem; the root's failure is an error.
func (c *Client) Jobs(ctx context.Context) ([]Job, []Problem, error) {
	var jobs []Job
	var problems []Problem
	var walk func(parent []string) error
	walk = func(parent []string) error {
		items, err := c.listFolder(ctx, parent)
		if err != nil {
			if len(parent) == 0 || !skippable(ctx, err) {
				return fmt.Errorf("list jobs of %s: %w", c.describe(parent), err)
			}
			problems = append(problems, Problem{What: "folder " + strings.Join(parent, "/"), Reason: err.Error()})
			return nil
		}
		for _, j := range items {
			jobs = append(jobs, j)
			if j.Folder {
				if err := walk(j.Path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(nil); err != nil {
		return jobs, problems, err
	}
	return jobs, problems, nil
}

func (c *Client) describe(path []string) string {
	if len(path) == 0 {
		return c.Base()
	}
	return "folder " + strings.Join(path, "/")
}

// listFolder pages through one folder's (or the root's) jobs with tree
// queries. jobs[name]{0,1} inside the tree tells a folder (which has a
// jobs property, even if empty) from a job (which has none).
func (c *Client) listFolder(ctx context.Context, parent []string) ([]Job, error) {
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	prefix := Job{Path: parent}.URLPath()
	var out []Job
	for start := 0; ; start += size {
		tree := "jobs[name,_class,jobs[name]{0,1}]{" + strconv.Itoa(start) + "," + strconv.Itoa(start+size) + "}"
		data, err := c.get(ctx, prefix+"/api/json?tree="+url.QueryEscape(tree), 64<<20)
		if err != nil {
			return out, err
		}
		var l jobList
		if err := json.Unmarshal(data, &l); err != nil {
			return out, fmt.Errorf("decode job list: %w", err)
		}
		for _, j := range l.Jobs {
			if j.Name == "" {
				continue
			}
			out = append(out, Job{Path: append(append([]string(nil), parent...), j.Name), Class: j.Class, Folder: j.Jobs != nil})
		}
		if len(l.Jobs) < size {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
}

// Config is one job's config.xml.
type Config struct {
	Job Job
	// Path is the location: "jenkins:HOST/job/team/job/api/config.xml".
	Path string
	Data []byte
}

// Location is the path a job's config.xml gets in findings and the
// inventory.
func (c *Client) Location(j Job) string {
	return "jenkins:" + c.Host() + j.URLPath() + "/config.xml"
}

// Config reads a job's config.xml (Job/ExtendedRead).
func (c *Client) Config(ctx context.Context, j Job) (Config, error) {
	data, err := c.get(ctx, j.URLPath()+"/config.xml", MaxConfigSize)
	if err != nil {
		return Config{}, fmt.Errorf("config.xml of %s: %w", j.FullName(), err)
	}
	return Config{Job: j, Path: c.Location(j), Data: data}, nil
}

// Configs reads every job's config.xml; a job whose config cannot be
// read is a Problem. Only a transport failure, a refused login or a
// cancelled context ends it early.
func (c *Client) Configs(ctx context.Context, jobs []Job) ([]Config, []Problem, error) {
	var out []Config
	var problems []Problem
	for _, j := range jobs {
		cfg, err := c.Config(ctx, j)
		if err != nil {
			if !skippable(ctx, err) {
				return out, problems, err
			}
			problems = append(problems, Problem{What: "job " + j.FullName(), Reason: unwrapStatus(err)})
			continue
		}
		out = append(out, cfg)
	}
	return out, problems, nil
}

func unwrapStatus(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}

// Credential is one entry of a credentials store: what the store says of
// it, never its value.
type Credential struct {
	// Store is "system" or the full name of the folder that holds it.
	Store  string
	Folder bool
	Domain string // "_" for the global domain
	ID     string
	// TypeName is the credential kind ("Username with password",
	// "Secret text", "SSH Username with private key").
	TypeName    string
	Description string
	DisplayName string
}

type domainJSON struct {
	Credentials []struct {
		ID          string `json:"id"`
		TypeName    string `json:"typeName"`
		Description string `json:"description"`
		DisplayName string `json:"displayName"`
	} `json:"credentials"`
}

// Credentials lists the global domain of the system store and of every
// folder's store (Credentials/View). A folder without a store (404) is
// passed over quietly; one the user may not view is a Problem. complete
// reports whether every store was read.
func (c *Client) Credentials(ctx context.Context, jobs []Job) (creds []Credential, problems []Problem, err error) {
	read := func(prefix, store string, folder bool) error {
		kind := "system"
		if folder {
			kind = "folder"
		}
		data, err := c.get(ctx, prefix+"/credentials/store/"+kind+"/domain/_/api/json?depth=1", 16<<20)
		if err != nil {
			var se *StatusError
			if folder && errors.As(err, &se) && se.Code == http.StatusNotFound {
				return nil
			}
			if !skippable(ctx, err) {
				return fmt.Errorf("credentials of %s: %w", store, err)
			}
			problems = append(problems, Problem{What: "credentials of " + store, Reason: unwrapStatus(err)})
			return nil
		}
		var d domainJSON
		if err := json.Unmarshal(data, &d); err != nil {
			problems = append(problems, Problem{What: "credentials of " + store, Reason: "decode: " + err.Error()})
			return nil
		}
		for _, x := range d.Credentials {
			if x.ID == "" {
				continue
			}
			creds = append(creds, Credential{Store: store, Folder: folder, Domain: "_", ID: x.ID, TypeName: x.TypeName,
				Description: x.Description, DisplayName: x.DisplayName})
		}
		return nil
	}
	if err := read("", "system", false); err != nil {
		return creds, problems, err
	}
	for _, j := range jobs {
		if !j.Folder {
			continue
		}
		if err := read(j.URLPath(), j.FullName(), true); err != nil {
			return creds, problems, err
		}
	}
	sort.Slice(creds, func(i, k int) bool {
		if creds[i].Store != creds[k].Store {
			return creds[i].Store < creds[k].Store
		}
		return creds[i].ID < creds[k].ID
	})
	return creds, problems, nil
}

// Source scans job configurations as content: one item per config.xml,
// XML character references decoded (a password typed as p&amp;ss is
// p&ss), line numbers kept.
type Source struct {
	// Store is the controller's root URL, the reports' root.
	Store   string
	Configs []Config
	// Incomplete: some jobs were skipped, so the inventory must not take
	// what this scan did not find for gone.
	Incomplete bool
}

// Partial reports whether the scan covered part of the controller only.
func (s *Source) Partial() bool { return s.Incomplete }

// Kind implements scanner.Source.
func (s *Source) Kind() string { return "jenkins" }

// Root implements scanner.Source.
func (s *Source) Root() string { return s.Store }

// Chunks implements scanner.Source.
func (s *Source) Chunks(ctx context.Context, fn func(scanner.Chunk) error) error {
	for _, c := range s.Configs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(scanner.Chunk{Data: []byte(decodeXMLText(string(c.Data))), Path: c.Path, Line: 1}); err != nil {
			return err
		}
	}
	return nil
}

// decodeXMLText replaces character and entity references with what they
// stand for, except a newline reference (&#10;), which stays as it is so
// that line numbers match the file's.
func decodeXMLText(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, ';')
		if j < 0 || j > 12 {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		ref := s[:j+1]
		dec := html.UnescapeString(ref)
		if dec == ref || strings.ContainsAny(dec, "\r\n") {
			b.WriteString(ref)
		} else {
			b.WriteString(dec)
		}
		s = s[j+1:]
	}
}

// Read is everything one pass over a controller found.
type Read struct {
	// Source yields the job configurations that could be read; it is
	// partial when anything was skipped.
	Source *Source
	// Buildable counts the jobs (folders aside) whose configuration was
	// asked for.
	Buildable int
	// Credentials are the credentials stores' entries (metadata only),
	// when asked for; CredentialsComplete says every store was read.
	Credentials         []Credential
	CredentialsComplete bool
	// Problems are what was skipped and why; the pass went on.
	Problems []Problem
}

// Read lists every job (folders recursively), reads the configuration of
// each job that is not a folder and, with creds, the credentials stores'
// metadata. A job, folder or store that cannot be read is a Problem; an
// error stops the pass (ErrAuth for a refused login).
func (c *Client) Read(ctx context.Context, creds bool) (*Read, error) {
	jobs, problems, err := c.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	var buildable []Job
	for _, j := range jobs {
		if !j.Folder {
			buildable = append(buildable, j)
		}
	}
	cfgs, p2, err := c.Configs(ctx, buildable)
	if err != nil {
		return nil, err
	}
	r := &Read{Buildable: len(buildable), Problems: append(problems, p2...)}
	if creds {
		cs, p3, err := c.Credentials(ctx, jobs)
		if err != nil {
			return nil, err
		}
		r.Credentials, r.CredentialsComplete = cs, len(p3) == 0
		r.Problems = append(r.Problems, p3...)
	}
	r.Source = &Source{Store: c.Base(), Configs: cfgs, Incomplete: len(r.Problems) > 0}
	return r, nil
}
