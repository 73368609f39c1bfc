package forgetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Bitbucket is a fake Bitbucket Cloud API (2.0) under /2.0, serving one
// workspace.
type Bitbucket struct {
	*httptest.Server
	faults

	Workspace string
	// Token is the access token it accepts (Bearer); User and Password
	// the app password or API token pair (Basic). Empty: no check.
	Token, User, Password string
	// PageLen is how many values a page holds (default 2), whatever
	// pagelen asks.
	PageLen int
	Vars    []BBVar // workspace variables
	Repos   []*BBRepo
}

// BBRepo is a repository with its Pipelines variables and deployment
// environments; CloneURL is the https clone link the API gives (a local
// bare repository's file:// URL in tests).
type BBRepo struct {
	Slug, CloneURL string
	Fork           bool
	Vars           []BBVar
	Envs           []BBEnv
}

// BBEnv is a deployment environment; Type is "Test", "Staging" or
// "Production".
type BBEnv struct {
	Name, Type string
	Vars       []BBVar
}

// BBVar is a Pipelines variable; a secured one is served without its
// value.
type BBVar struct {
	Key, Value string
	Secured    bool
}

// NewBitbucket starts a fake workspace; it is closed with the test.
func NewBitbucket(t testing.TB, workspace string) *Bitbucket {
	f := &Bitbucket{Workspace: workspace}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// APIURL is the API base to give a client.
func (f *Bitbucket) APIURL() string { return f.URL + "/2.0" }

func bbMessage(code int) any {
	msgs := map[int]string{
		401: "Access token expired or invalid.",
		403: "Your credentials lack one or more required privilege scopes.",
		404: "Repository not found",
		429: "Rate limit for this resource has been exceeded",
	}
	return map[string]any{"type": "error", "error": map[string]any{"message": msgs[code]}}
}

func (f *Bitbucket) authOK(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	switch {
	case f.Token == "" && f.User == "":
		return true
	case f.Token != "" && h == "Bearer "+f.Token:
		return true
	case f.User != "" && strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		return err == nil && string(raw) == f.User+":"+f.Password
	}
	return false
}

func (f *Bitbucket) serve(w http.ResponseWriter, r *http.Request) {
	if f.fault(w, r, f.authOK(r), bbMessage) {
		return
	}
	w.Header().Set("X-RateLimit-Limit", "1000")
	w.Header().Set("X-RateLimit-Resource", "api-authenticated")
	w.Header().Set("X-RateLimit-NearLimit", "false")
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/2.0"), "/"), "/")
	notFound := func() { writeJSON(w, http.StatusNotFound, bbMessage(404)) }
	switch {
	case len(parts) == 4 && parts[0] == "workspaces" && parts[1] == f.Workspace && parts[2] == "pipelines-config" && parts[3] == "variables":
		f.paged(w, r, varsBB(f.Vars))
	case len(parts) == 2 && parts[0] == "repositories" && parts[1] == f.Workspace:
		var all []map[string]any
		for _, rp := range f.Repos {
			full := f.Workspace + "/" + rp.Slug
			m := map[string]any{"type": "repository", "uuid": "{" + rp.Slug + "}", "full_name": full, "slug": rp.Slug, "name": rp.Slug,
				"is_private": true, "scm": "git", "mainbranch": map[string]any{"type": "branch", "name": "main"},
				"links": map[string]any{
					"html":  map[string]any{"href": f.URL + "/" + full},
					"clone": []map[string]any{{"name": "https", "href": rp.CloneURL}, {"name": "ssh", "href": "git@bitbucket.org:" + full + ".git"}},
				}}
			if rp.Fork {
				m["parent"] = map[string]any{"type": "repository", "full_name": f.Workspace + "/upstream"}
			}
			all = append(all, m)
		}
		f.paged(w, r, all)
	case len(parts) >= 4 && parts[0] == "repositories" && parts[1] == f.Workspace:
		rp := f.repo(parts[2])
		if rp == nil {
			notFound()
			return
		}
		rest := strings.Join(parts[3:], "/")
		switch {
		case rest == "pipelines_config/variables":
			f.paged(w, r, varsBB(rp.Vars))
		case rest == "environments":
			var all []map[string]any
			for i, e := range rp.Envs {
				all = append(all, map[string]any{"type": "deployment_environment", "uuid": envUUID(i), "name": e.Name,
					"slug": strings.ToLower(e.Name), "environment_type": map[string]any{"type": "deployment_environment_type", "name": e.Type, "rank": i}})
			}
			f.paged(w, r, all)
		case len(parts) == 7 && parts[3] == "deployments_config" && parts[4] == "environments" && parts[6] == "variables":
			for i, e := range rp.Envs {
				if envUUID(i) == parts[5] {
					f.paged(w, r, varsBB(e.Vars))
					return
				}
			}
			notFound()
		default:
			notFound()
		}
	default:
		notFound()
	}
}

func envUUID(i int) string { return fmt.Sprintf("{00000000-0000-4000-8000-%012d}", i+1) }

func (f *Bitbucket) repo(slug string) *BBRepo {
	for _, r := range f.Repos {
		if r.Slug == slug {
			return r
		}
	}
	return nil
}

func varsBB(vs []BBVar) []map[string]any {
	var out []map[string]any
	for i, v := range vs {
		m := map[string]any{"type": "pipeline_variable", "uuid": fmt.Sprintf("{%08d-0000-4000-8000-000000000000}", i+1), "key": v.Key, "secured": v.Secured}
		if !v.Secured {
			m["value"] = v.Value
		}
		out = append(out, m)
	}
	return out
}

// paged answers one page (page=N, from 1) with "next" linking the
// following one, as an absolute URL on this server.
func (f *Bitbucket) paged(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	p := 1
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"type": "error", "error": map[string]any{"message": "Invalid page"}})
			return
		}
		p = n
	}
	size := f.PageLen
	if size <= 0 {
		size = 2
	}
	out, more := page(items, p-1, size)
	body := map[string]any{"pagelen": size, "size": len(items), "page": p, "values": out}
	if more {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p+1))
		body["next"] = f.URL + r.URL.Path + "?" + q.Encode()
	}
	if p > 1 {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p-1))
		body["previous"] = f.URL + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}
