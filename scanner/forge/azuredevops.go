package forge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// AzureDevOps lists an Azure DevOps organisation's projects, Git
// repositories and pipeline stores through its REST API (7.1), following
// continuation tokens (the x-ms-continuationtoken header, or a
// continuationToken field in the body).
type AzureDevOps struct {
	base string // "https://dev.azure.com"
	org  string
	hc   *http.Client
}

// Azure DevOps stores whose secrets are recorded as metadata.
const (
	StoreVariableGroup     = "variable-group"
	StorePipeline          = "pipeline"
	StoreServiceConnection = "service-connection"
)

const (
	adoAPIVersion = "7.1"
	// Pipeline permissions are a preview API in 7.1.
	adoPermissionsVersion = "7.1-preview.1"
	adoPage               = 100
)

// NewAzureDevOps returns a client for the organisation org at baseURL
// (default https://dev.azure.com; Azure DevOps Server: the collection's
// address, e.g. https://ado.example.com/tfs), authenticated with a
// personal access token (HTTP Basic with an empty user name, as Azure
// DevOps documents), sending requests through rt (nil: NewTransport's
// defaults). The token goes only to baseURL's scheme and host, over https
// (plain http only to a loopback address); redirects that leave that
// origin are refused.
func NewAzureDevOps(baseURL, org, token string, rt http.RoundTripper) (*AzureDevOps, error) {
	if baseURL == "" {
		baseURL = "https://dev.azure.com"
	}
	if rt == nil {
		rt = defaultTransport
	}
	if org == "" || strings.ContainsAny(org, "/\\?#") {
		return nil, fmt.Errorf("organisation %q: want an Azure DevOps organisation name, as in https://dev.azure.com/NAME", org)
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("the Azure DevOps URL %q: want e.g. https://dev.azure.com", baseURL)
	}
	if err := checkTokenOrigin("Azure DevOps URL", baseURL, u, token); err != nil {
		return nil, err
	}
	value := ""
	if token != "" {
		value = "Basic " + base64.StdEncoding.EncodeToString([]byte(":"+token))
	}
	hc := &http.Client{Transport: &authTransport{base: rt, header: "Authorization", value: value, origin: originOf(u)}, CheckRedirect: sameOrigin(originOf(u))}
	return &AzureDevOps{base: strings.TrimSuffix(u.String(), "/"), org: org, hc: hc}, nil
}

// Org is the organisation's name.
func (a *AzureDevOps) Org() string { return a.org }

// WebURL is the organisation's address ("https://dev.azure.com/acme"),
// the repository its CI variables are recorded under.
func (a *AzureDevOps) WebURL() string { return a.base + "/" + url.PathEscape(a.org) }

// adoList fetches every page of an Azure DevOps list at path (relative to
// the organisation, query included), handing each element to fn. A
// continuation token comes back in the x-ms-continuationtoken header (or
// a continuationToken field) and is sent back as continuationToken until
// none comes; a token seen before ends the listing with an error instead
// of looping.
func adoList[T any](ctx context.Context, a *AzureDevOps, what, path string, fn func(T)) error {
	first := a.base + "/" + url.PathEscape(a.org) + "/" + path
	sep := "?"
	if strings.Contains(first, "?") {
		sep = "&"
	}
	first += sep + "api-version=" + adoAPIVersion
	seen := map[string]bool{}
	next := first
	for {
		var page struct {
			Value             []T    `json:"value"`
			ContinuationToken string `json:"continuationToken"`
		}
		h, err := getJSON(ctx, a.hc, what, next, &page)
		if err != nil {
			return err
		}
		for _, x := range page.Value {
			fn(x)
		}
		token := h.Get("X-Ms-Continuationtoken")
		if token == "" {
			token = page.ContinuationToken
		}
		if token == "" {
			return nil
		}
		if seen[token] {
			return fmt.Errorf("%s: the server repeated continuation token %q; stopping", what, token)
		}
		seen[token] = true
		next = first + "&continuationToken=" + url.QueryEscape(token)
	}
}

// AzureProject is one project of an organisation.
type AzureProject struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

// Projects lists the organisation's projects.
func (a *AzureDevOps) Projects(ctx context.Context) ([]AzureProject, error) {
	var out []AzureProject
	err := adoList(ctx, a, "projects of "+a.org, "_apis/projects?$top="+strconv.Itoa(adoPage), func(p AzureProject) {
		out = append(out, p)
	})
	return out, err
}

// Project looks up one project by name or ID.
func (a *AzureDevOps) Project(ctx context.Context, name string) (AzureProject, error) {
	var p AzureProject
	_, err := getJSON(ctx, a.hc, "project "+name, a.base+"/"+url.PathEscape(a.org)+"/_apis/projects/"+url.PathEscape(name)+"?api-version="+adoAPIVersion, &p)
	return p, err
}

type adoRepo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultBranch string `json:"defaultBranch"`
	Size          int64  `json:"size"`
	RemoteURL     string `json:"remoteUrl"`
	WebURL        string `json:"webUrl"`
	IsDisabled    bool   `json:"isDisabled"`
	IsFork        bool   `json:"isFork"`
	Project       struct {
		Name string `json:"name"`
	} `json:"project"`
}

// ProjectRepos lists a project's Git repositories. FullName is
// "PROJECT/REPO". A disabled repository (which nobody can read) is
// listed as archived; one without a default branch and of size 0 as
// empty.
func (a *AzureDevOps) ProjectRepos(ctx context.Context, project string) ([]Repo, error) {
	var out []Repo
	err := adoList(ctx, a, "Git repositories of project "+project, url.PathEscape(project)+"/_apis/git/repositories", func(r adoRepo) {
		proj := r.Project.Name
		if proj == "" {
			proj = project
		}
		web := r.WebURL
		if web == "" {
			web = a.WebURL() + "/" + url.PathEscape(proj) + "/_git/" + url.PathEscape(r.Name)
		}
		out = append(out, Repo{FullName: proj + "/" + r.Name, WebURL: web, CloneURL: stripUserinfo(r.RemoteURL),
			Fork: r.IsFork, Archived: r.IsDisabled, Empty: r.Size == 0 && r.DefaultBranch == ""})
	})
	return out, err
}

// adoVariable is a variable of a group or a pipeline definition. Secret
// variables come without a value.
type adoVariable struct {
	Value    *string `json:"value"`
	IsSecret bool    `json:"isSecret"`
	// Pipeline definitions: the value may be set when a run is queued.
	AllowOverride bool `json:"allowOverride"`
}

// AzureVariableGroup is a library variable group.
type AzureVariableGroup struct {
	ID          int                    `json:"id"`
	Type        string                 `json:"type"` // "Vsts"; "AzureKeyVault" for a Key Vault-linked group
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Variables   map[string]adoVariable `json:"variables"`
	// ProviderData names the Key Vault of a linked group and the service
	// connection that reads it.
	ProviderData struct {
		ServiceEndpointID string `json:"serviceEndpointId"`
		Vault             string `json:"vault"`
	} `json:"providerData"`
	CreatedOn  time.Time `json:"createdOn"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

// KeyVault reports whether the group's variables are secrets of an Azure
// Key Vault (values never in Azure DevOps).
func (g AzureVariableGroup) KeyVault() bool { return strings.EqualFold(g.Type, "AzureKeyVault") }

// VariableGroups lists a project's variable groups with their variables
// (values of secret ones are not returned).
func (a *AzureDevOps) VariableGroups(ctx context.Context, project string) ([]AzureVariableGroup, error) {
	var out []AzureVariableGroup
	err := adoList(ctx, a, "variable groups of project "+project,
		url.PathEscape(project)+"/_apis/distributedtask/variablegroups?queryOrder=IdAscending&$top="+strconv.Itoa(adoPage),
		func(g AzureVariableGroup) { out = append(out, g) })
	return out, err
}

// AzurePipeline is a build (pipeline) definition with its variables.
type AzurePipeline struct {
	ID        int                    `json:"id"`
	Name      string                 `json:"name"`
	Path      string                 `json:"path"` // folder, "\\"
	Variables map[string]adoVariable `json:"variables"`
	// CreatedDate is when this revision of the definition was saved: the
	// last change to it, variables included.
	CreatedDate time.Time `json:"createdDate"`
}

// Pipelines lists a project's pipeline definitions in full (their
// variables are only in the full representation).
func (a *AzureDevOps) Pipelines(ctx context.Context, project string) ([]AzurePipeline, error) {
	var out []AzurePipeline
	err := adoList(ctx, a, "pipeline definitions of project "+project,
		url.PathEscape(project)+"/_apis/build/definitions?includeAllProperties=true&queryOrder=definitionNameAscending&$top="+strconv.Itoa(adoPage),
		func(p AzurePipeline) { out = append(out, p) })
	return out, err
}

// AzureServiceConnection is a service endpoint: its credentials stay in
// Azure DevOps, the API names their type and scheme only.
type AzureServiceConnection struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	Description   string `json:"description"`
	IsShared      bool   `json:"isShared"`
	Authorization struct {
		Scheme string `json:"scheme"`
	} `json:"authorization"`
}

// ServiceConnections lists a project's service connections.
func (a *AzureDevOps) ServiceConnections(ctx context.Context, project string) ([]AzureServiceConnection, error) {
	var out []AzureServiceConnection
	err := adoList(ctx, a, "service connections of project "+project, url.PathEscape(project)+"/_apis/serviceendpoint/endpoints",
		func(e AzureServiceConnection) { out = append(out, e) })
	return out, err
}

// Resource types of pipeline permissions.
const (
	ResourceEndpoint      = "endpoint"
	ResourceVariableGroup = "variablegroup"
)

// PipelinePermissions says which pipelines may use a protected resource.
type PipelinePermissions struct {
	All       bool  // every pipeline of the project
	Pipelines []int // definition IDs, when not All
}

// Permissions reads which pipelines may use a resource (a service
// connection, ResourceEndpoint, or a variable group).
func (a *AzureDevOps) Permissions(ctx context.Context, project, resourceType, id string) (PipelinePermissions, error) {
	var body struct {
		Pipelines []struct {
			ID         int  `json:"id"`
			Authorized bool `json:"authorized"`
		} `json:"pipelines"`
		AllPipelines *struct {
			Authorized bool `json:"authorized"`
		} `json:"allPipelines"`
	}
	u := a.base + "/" + url.PathEscape(a.org) + "/" + url.PathEscape(project) + "/_apis/pipelines/pipelinepermissions/" +
		url.PathEscape(resourceType) + "/" + url.PathEscape(id) + "?api-version=" + adoPermissionsVersion
	if _, err := getJSON(ctx, a.hc, "pipeline permissions of "+resourceType+" "+id+" in project "+project, u, &body); err != nil {
		return PipelinePermissions{}, err
	}
	var p PipelinePermissions
	p.All = body.AllPipelines != nil && body.AllPipelines.Authorized
	for _, x := range body.Pipelines {
		if x.Authorized {
			p.Pipelines = append(p.Pipelines, x.ID)
		}
	}
	sort.Ints(p.Pipelines)
	return p, nil
}

// usedBy names the pipelines a permission lets use a resource.
func (p PipelinePermissions) usedBy(names map[int]string) []string {
	if p.All {
		return []string{"all pipelines"}
	}
	out := make([]string, 0, len(p.Pipelines))
	for _, id := range p.Pipelines {
		if n := names[id]; n != "" {
			out = append(out, "pipeline "+n)
		} else {
			out = append(out, "pipeline #"+strconv.Itoa(id))
		}
	}
	return out
}

// ProjectCI lists one project's CI stores: the non-secret variables of
// its variable groups and pipeline definitions, scanned as content at
// azure-devops:ORG/PROJECT/vargroup/GROUP/VAR and
// azure-devops:ORG/PROJECT/pipeline/PIPELINE/vars/VAR; and as metadata,
// their secret variables, the variables of Key Vault-linked groups and
// the service connections, with the pipelines allowed to use each. A store
// that cannot be read is a problem of the listing, not an error; the
// error is for a cancelled context only.
func (a *AzureDevOps) ProjectCI(ctx context.Context, project string) (CIListing, error) {
	var l CIListing
	keep := func(err error) bool {
		if err == nil {
			return true
		}
		if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			l.problem(err)
		}
		return false
	}
	prefix := "azure-devops:" + a.org + "/" + project + "/"
	names := map[int]string{}
	if pipes, err := a.Pipelines(ctx, project); keep(err) {
		for _, p := range pipes {
			names[p.ID] = p.Name
			for _, name := range sortedKeys(p.Variables) {
				v := p.Variables[name]
				if v.IsSecret {
					l.Secrets = append(l.Secrets, SecretMeta{Store: StorePipeline, Scope: "repo", Repo: project, Name: p.Name + "/" + name,
						Kind: "secret variable", Description: "variable of pipeline " + p.Name, UsedBy: []string{"pipeline " + p.Name}, Updated: p.CreatedDate})
					continue
				}
				if v.Value == nil || *v.Value == "" {
					continue
				}
				note := "pipeline variable, not secret: anyone who can view the pipeline reads it and logs show it; make it a secret variable (or move it to a Key Vault-linked group), and rotate it"
				if v.AllowOverride {
					note = "pipeline variable, not secret, settable at queue time: anyone who can view the pipeline reads it and logs show it; make it a secret variable, and rotate it"
				}
				l.Vars = append(l.Vars, scanner.CIVariable{Path: prefix + "pipeline/" + p.Name + "/vars/" + name, Name: name, Value: *v.Value,
					Note: note, Tags: []string{"ci-variable"}})
			}
		}
	}
	if ctx.Err() != nil {
		return l, ctx.Err()
	}
	if groups, err := a.VariableGroups(ctx, project); keep(err) {
		for _, g := range groups {
			var secrets []SecretMeta
			for _, name := range sortedKeys(g.Variables) {
				v := g.Variables[name]
				switch {
				case g.KeyVault():
					secrets = append(secrets, SecretMeta{Store: StoreVariableGroup, Scope: "repo", Repo: project, Name: g.Name + "/" + name,
						Kind: "azure-key-vault", Description: keyVaultDescription(g), Created: g.CreatedOn, Updated: g.ModifiedOn})
				case v.IsSecret:
					secrets = append(secrets, SecretMeta{Store: StoreVariableGroup, Scope: "repo", Repo: project, Name: g.Name + "/" + name,
						Kind: "secret variable", Description: g.Description, Created: g.CreatedOn, Updated: g.ModifiedOn})
				case v.Value != nil && *v.Value != "":
					l.Vars = append(l.Vars, scanner.CIVariable{Path: prefix + "vargroup/" + g.Name + "/" + name, Name: name, Value: *v.Value,
						Note: "variable group " + g.Name + ", variable not secret: anyone who can view the library reads it and logs show it; make it secret (or link the group to a Key Vault), and rotate it",
						Tags: []string{"ci-variable"}})
				}
			}
			if g.KeyVault() && len(g.Variables) == 0 {
				secrets = append(secrets, SecretMeta{Store: StoreVariableGroup, Scope: "repo", Repo: project, Name: g.Name,
					Kind: "azure-key-vault", Description: keyVaultDescription(g), Created: g.CreatedOn, Updated: g.ModifiedOn})
			}
			if len(secrets) > 0 {
				if perm, err := a.Permissions(ctx, project, ResourceVariableGroup, strconv.Itoa(g.ID)); keep(err) {
					for i := range secrets {
						secrets[i].UsedBy = perm.usedBy(names)
					}
				}
			}
			l.Secrets = append(l.Secrets, secrets...)
		}
	}
	if ctx.Err() != nil {
		return l, ctx.Err()
	}
	if eps, err := a.ServiceConnections(ctx, project); keep(err) {
		for _, e := range eps {
			kind := e.Type
			if e.Authorization.Scheme != "" {
				kind += " (" + e.Authorization.Scheme + ")"
			}
			m := SecretMeta{Store: StoreServiceConnection, Scope: "repo", Repo: project, Name: e.Name, Kind: kind, Description: e.Description}
			if e.IsShared {
				m.Visibility = "shared"
			}
			if perm, err := a.Permissions(ctx, project, ResourceEndpoint, e.ID); keep(err) {
				m.UsedBy = perm.usedBy(names)
			}
			l.Secrets = append(l.Secrets, m)
		}
	}
	return l, ctx.Err()
}

func keyVaultDescription(g AzureVariableGroup) string {
	d := "linked to Azure Key Vault " + g.ProviderData.Vault
	if g.Description != "" {
		d = g.Description + " (" + d + ")"
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
