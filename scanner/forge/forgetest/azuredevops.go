package forgetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// AzureDevOps is a fake Azure DevOps Services organisation (REST 7.1).
type AzureDevOps struct {
	*httptest.Server
	faults

	// Org is the organisation's name; Token the personal access token
	// it accepts (HTTP Basic, any user name). A request without
	// credentials gets the sign-in page (203), as the service answers.
	Org, Token string
	// PageSize is how many projects, groups or definitions a page holds
	// (default 2), whatever $top asks: the service may return fewer.
	PageSize int
	Projects []*ADOProject
	// DelayFirst makes the first successful answer carry Retry-After: 3
	// and X-RateLimit-Remaining: 0, as the service does when it delays
	// a heavy user.
	DelayFirst bool
	delayed    bool
}

// ADOProject is a project with its repositories and pipeline stores.
type ADOProject struct {
	ID, Name  string
	Repos     []ADORepo
	Groups    []ADOGroup
	Pipelines []ADOPipeline
	Endpoints []ADOEndpoint
}

// ADORepo is a Git repository; CloneURL is what the API gives as
// remoteUrl (a local bare repository's file:// URL in tests).
type ADORepo struct {
	Name, CloneURL string
	Disabled       bool
	Empty          bool
}

// ADOVar is a variable; a secret one is served without its value.
type ADOVar struct {
	Name, Value string
	Secret      bool
}

// ADOGroup is a library variable group; KeyVault names the vault of a
// linked group (whose variables are secrets).
type ADOGroup struct {
	ID                int
	Name, Description string
	KeyVault          string
	Vars              []ADOVar
	Created, Modified time.Time
	Permit            Permit
}

// Permit says which pipelines may use a resource.
type Permit struct {
	All       bool
	Pipelines []int
}

// ADOPipeline is a build definition with its variables.
type ADOPipeline struct {
	ID      int
	Name    string
	Vars    []ADOVar
	Created time.Time // the revision's date
}

// ADOEndpoint is a service connection.
type ADOEndpoint struct {
	ID, Name, Type, Scheme, Description string
	Shared                              bool
	Permit                              Permit
}

// NewAzureDevOps starts a fake organisation; it is closed with the test.
func NewAzureDevOps(t testing.TB, org, token string) *AzureDevOps {
	f := &AzureDevOps{Org: org, Token: token}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func adoMessage(code int) any {
	msgs := map[int]string{
		401: "TF400813: The user is not authorized to access this resource.",
		403: "TF401027: You need the Git 'GenericRead' permission to perform this action.",
		404: "TF200016: The following project does not exist.",
		429: "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource.",
	}
	return map[string]any{"$id": "1", "message": msgs[code], "typeKey": "FakeException", "errorCode": 0}
}

func (f *AzureDevOps) authOK(r *http.Request) (ok, signIn bool) {
	if f.Token == "" {
		return true, false
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return false, true
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
	if !strings.HasPrefix(h, "Basic ") || err != nil {
		return false, false
	}
	_, pass, _ := strings.Cut(string(raw), ":")
	return pass == f.Token, false
}

func (f *AzureDevOps) serve(w http.ResponseWriter, r *http.Request) {
	ok, signIn := f.authOK(r)
	if signIn {
		f.mu.Lock()
		f.log = append(f.log, r.URL.Path)
		f.badAuth++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNonAuthoritativeInfo)
		fmt.Fprint(w, "<html><head><title>Azure DevOps Services | Sign In</title></head></html>")
		return
	}
	if f.fault(w, r, ok, adoMessage) {
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "VS800075: The project name is required, or no api-version was supplied."})
		return
	}
	f.mu.Lock()
	if f.DelayFirst && !f.delayed {
		f.delayed = true
		w.Header().Set("Retry-After", "3")
		w.Header().Set("X-RateLimit-Resource", "ATCPU")
		w.Header().Set("X-RateLimit-Delay", "0.5")
		w.Header().Set("X-RateLimit-Limit", "200")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10))
	}
	f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != f.Org {
		writeJSON(w, http.StatusNotFound, adoMessage(404))
		return
	}
	if parts[1] == "_apis" {
		switch {
		case len(parts) == 3 && parts[2] == "projects":
			var all []map[string]any
			for _, p := range f.Projects {
				all = append(all, f.projectJSON(p))
			}
			f.paged(w, r, all)
			return
		case len(parts) == 4 && parts[2] == "projects":
			if p := f.project(parts[3]); p != nil {
				writeJSON(w, http.StatusOK, f.projectJSON(p))
				return
			}
		}
		writeJSON(w, http.StatusNotFound, adoMessage(404))
		return
	}
	p := f.project(parts[1])
	if p == nil {
		writeJSON(w, http.StatusNotFound, adoMessage(404))
		return
	}
	api := strings.Join(parts[2:], "/")
	switch {
	case api == "_apis/git/repositories":
		var out []map[string]any
		for _, rp := range p.Repos {
			size, branch := 1024, "refs/heads/main"
			if rp.Empty {
				size, branch = 0, ""
			}
			m := map[string]any{"id": fmt.Sprintf("%08x-0000-4000-8000-%012x", len(out)+1, len(p.Name)), "name": rp.Name,
				"url":       f.URL + "/" + f.Org + "/" + p.Name + "/_apis/git/repositories/" + rp.Name,
				"project":   map[string]any{"id": p.ID, "name": p.Name, "state": "wellFormed", "visibility": "private"},
				"size":      size,
				"remoteUrl": rp.CloneURL, "sshUrl": "git@ssh.dev.azure.com:v3/" + f.Org + "/" + p.Name + "/" + rp.Name,
				"webUrl": f.URL + "/" + f.Org + "/" + p.Name + "/_git/" + rp.Name, "isDisabled": rp.Disabled, "isInMaintenance": false}
			if branch != "" {
				m["defaultBranch"] = branch
			}
			out = append(out, m)
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "value": out})
	case api == "_apis/distributedtask/variablegroups":
		var all []map[string]any
		for _, g := range p.Groups {
			all = append(all, f.groupJSON(p, g))
		}
		f.paged(w, r, all)
	case api == "_apis/build/definitions":
		full := r.URL.Query().Get("includeAllProperties") == "true"
		var all []map[string]any
		for _, d := range p.Pipelines {
			m := map[string]any{"id": d.ID, "name": d.Name, "path": "\\", "revision": 3, "type": "build", "queueStatus": "enabled",
				"createdDate": d.Created.UTC().Format("2006-01-02T15:04:05.999Z"), "project": map[string]any{"id": p.ID, "name": p.Name}}
			if full {
				m["variables"] = varsJSON(d.Vars, false, true)
				m["process"] = map[string]any{"yamlFilename": "azure-pipelines.yml", "type": 2}
			}
			all = append(all, m)
		}
		f.paged(w, r, all)
	case api == "_apis/serviceendpoint/endpoints":
		var out []map[string]any
		for _, e := range p.Endpoints {
			out = append(out, map[string]any{"id": e.ID, "name": e.Name, "type": e.Type, "url": "https://management.azure.com/",
				"description": e.Description, "isShared": e.Shared, "isReady": true, "owner": "Library", "data": map[string]any{},
				"authorization":                    map[string]any{"scheme": e.Scheme, "parameters": map[string]any{"tenantid": "00000000-0000-0000-0000-000000000000", "serviceprincipalkey": nil}},
				"createdBy":                        map[string]any{"displayName": "Fake Admin"},
				"serviceEndpointProjectReferences": []map[string]any{{"projectReference": map[string]any{"id": p.ID, "name": p.Name}, "name": e.Name}}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "value": out})
	case len(parts) == 7 && api == "_apis/pipelines/pipelinepermissions/"+parts[5]+"/"+parts[6]:
		var permit *Permit
		for _, e := range p.Endpoints {
			if parts[5] == "endpoint" && e.ID == parts[6] {
				permit = &e.Permit
			}
		}
		for _, g := range p.Groups {
			if parts[5] == "variablegroup" && strconv.Itoa(g.ID) == parts[6] {
				permit = &g.Permit
			}
		}
		if permit == nil {
			writeJSON(w, http.StatusNotFound, adoMessage(404))
			return
		}
		pipes := []map[string]any{}
		for _, id := range permit.Pipelines {
			pipes = append(pipes, map[string]any{"id": id, "authorized": true, "authorizedOn": "2026-01-02T08:59:48.77Z"})
		}
		out := map[string]any{"resource": map[string]any{"type": parts[5], "id": parts[6]}, "pipelines": pipes}
		if permit.All {
			out["allPipelines"] = map[string]any{"authorized": true, "authorizedOn": "2026-01-02T08:59:48.77Z"}
		}
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusNotFound, adoMessage(404))
	}
}

func (f *AzureDevOps) project(name string) *ADOProject {
	for _, p := range f.Projects {
		if p.Name == name || p.ID == name {
			return p
		}
	}
	return nil
}

func (f *AzureDevOps) projectJSON(p *ADOProject) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "url": f.URL + "/" + f.Org + "/_apis/projects/" + p.ID, "state": "wellFormed", "visibility": "private", "revision": 7}
}

func (f *AzureDevOps) groupJSON(p *ADOProject, g ADOGroup) map[string]any {
	m := map[string]any{"id": g.ID, "type": "Vsts", "name": g.Name, "description": g.Description,
		"createdBy": map[string]any{"displayName": "Fake Admin"}, "createdOn": g.Created.UTC().Format("2006-01-02T15:04:05.9999999Z"),
		"modifiedBy": map[string]any{"displayName": "Fake Admin"}, "modifiedOn": g.Modified.UTC().Format("2006-01-02T15:04:05.9999999Z"),
		"isShared": false, "variables": varsJSON(g.Vars, g.KeyVault != "", false),
		"variableGroupProjectReferences": []map[string]any{{"name": g.Name, "projectReference": map[string]any{"id": p.ID, "name": p.Name}}}}
	if g.KeyVault != "" {
		m["type"] = "AzureKeyVault"
		m["providerData"] = map[string]any{"serviceEndpointId": "5e47a0d8-c745-44f8-8f93-784f18ff31c4", "vault": g.KeyVault}
	}
	return m
}

func varsJSON(vs []ADOVar, keyVault, definition bool) map[string]any {
	out := map[string]any{}
	for _, v := range vs {
		switch {
		case keyVault:
			out[v.Name] = map[string]any{"enabled": true, "contentType": "", "value": nil, "isSecret": true, "expires": "2027-06-01T00:00:00Z"}
		case v.Secret:
			out[v.Name] = map[string]any{"value": nil, "isSecret": true}
		case definition:
			out[v.Name] = map[string]any{"value": v.Value, "allowOverride": true}
		default:
			out[v.Name] = map[string]any{"value": v.Value}
		}
	}
	return out
}

// paged answers one page of items, PageSize at a time, with the next
// page's continuation token in x-ms-continuationtoken.
func (f *AzureDevOps) paged(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	start := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad continuation token"})
			return
		}
		start = n
	}
	size := f.PageSize
	if size <= 0 {
		size = 2
	}
	if start%size != 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad continuation token"})
		return
	}
	out, more := page(items, start/size, size)
	if more {
		w.Header().Set("x-ms-continuationtoken", strconv.Itoa(start+size))
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "value": out})
}
