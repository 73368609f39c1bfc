package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GitLab lists a group's projects and CI/CD variables through the REST
// API (v4), following rel="next" Link headers.
type GitLab struct {
	base  string // "https://gitlab.example.com"
	token string
	hc    *http.Client
}

// NewGitLab returns a client for the GitLab instance at baseURL (default
// https://gitlab.com), authenticated with token (PRIVATE-TOKEN), sending
// requests through rt (nil: NewTransport's defaults). The token goes only
// to baseURL's scheme and host, over https (plain http only to a loopback
// address); redirects that leave that origin are refused.
func NewGitLab(baseURL, token string, rt http.RoundTripper) (*GitLab, error) {
	if baseURL == "" {
		baseURL = "https://gitlab.com"
	}
	if rt == nil {
		rt = defaultTransport
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("GitLab URL %q: want e.g. https://gitlab.example.com", baseURL)
	}
	if err := checkTokenOrigin("GitLab URL", baseURL, u, token); err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(strings.TrimSuffix(u.String(), "/"), "/api/v4")
	hc := &http.Client{Transport: &authTransport{base: rt, header: "PRIVATE-TOKEN", value: token, origin: originOf(u)}, CheckRedirect: sameOrigin(originOf(u))}
	return &GitLab{base: base, token: token, hc: hc}, nil
}

// get fetches every page starting at path and decodes each page's JSON
// array into a fresh *[]T, handing its elements to fn.
func glList[T any](ctx context.Context, g *GitLab, what, path string, fn func(T)) error {
	next := g.base + "/api/v4/" + path
	for next != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := g.hc.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if resp.StatusCode != http.StatusOK {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusNotFound:
				return fmt.Errorf("%s: %w (HTTP 404)", what, ErrNotFound)
			case http.StatusUnauthorized, http.StatusForbidden:
				return fmt.Errorf("%s: %w (HTTP %d)", what, ErrForbidden, resp.StatusCode)
			}
			return fmt.Errorf("%s: HTTP %d", what, resp.StatusCode)
		}
		var page []T
		// The transport bounds the body (Limits): an endless page fails
		// with ErrResponseTooLarge rather than being cut into bad JSON.
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: bad response: %w", what, err)
		}
		for _, x := range page {
			fn(x)
		}
		next = nextLink(resp.Header.Get("Link"))
		if next != "" && !strings.HasPrefix(next, g.base+"/") {
			// Never send the token to another host a Link header names.
			return fmt.Errorf("%s: next page %q is not on %s", what, next, g.base)
		}
	}
	return nil
}

// nextLink returns the rel="next" target of an RFC 8288 Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		target := strings.Trim(strings.TrimSpace(seg[0]), "<>")
		for _, p := range seg[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "rel" && strings.Trim(v, `"`) == "next" {
				return target
			}
		}
	}
	return ""
}

type glProject struct {
	ID                int64           `json:"id"`
	PathWithNamespace string          `json:"path_with_namespace"`
	WebURL            string          `json:"web_url"`
	HTTPURLToRepo     string          `json:"http_url_to_repo"`
	Archived          bool            `json:"archived"`
	EmptyRepo         bool            `json:"empty_repo"`
	ForkedFrom        json.RawMessage `json:"forked_from_project"`
}

// GroupProjects lists a group's projects, subgroups included.
func (g *GitLab) GroupProjects(ctx context.Context, group string) ([]Repo, error) {
	var out []Repo
	err := glList(ctx, g, "projects of group "+group, "groups/"+url.PathEscape(group)+"/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc",
		func(p glProject) {
			fork := len(p.ForkedFrom) > 0 && string(p.ForkedFrom) != "null"
			out = append(out, Repo{ID: p.ID, FullName: p.PathWithNamespace, WebURL: p.WebURL, CloneURL: p.HTTPURLToRepo,
				Archived: p.Archived, Empty: p.EmptyRepo, Fork: fork})
		})
	return out, err
}

type glVariable struct {
	Key              string `json:"key"`
	Value            string `json:"value"`
	VariableType     string `json:"variable_type"`
	Protected        bool   `json:"protected"`
	Masked           bool   `json:"masked"`
	Hidden           bool   `json:"hidden"`
	EnvironmentScope string `json:"environment_scope"`
}

func (g *GitLab) variables(ctx context.Context, what, path string, tmpl Variable) ([]Variable, error) {
	var out []Variable
	err := glList(ctx, g, what, path+"?per_page=100", func(v glVariable) {
		x := tmpl
		x.Name, x.Value = v.Key, v.Value
		x.Masked, x.Protected, x.Hidden, x.File = v.Masked, v.Protected, v.Hidden, v.VariableType == "file"
		x.Environment = v.EnvironmentScope
		out = append(out, x)
	})
	return out, err
}

// GroupVariables lists a group's CI/CD variables with values (hidden
// variables come without one).
func (g *GitLab) GroupVariables(ctx context.Context, group string) ([]Variable, error) {
	return g.variables(ctx, "CI/CD variables of group "+group, "groups/"+url.PathEscape(group)+"/variables", Variable{Scope: "group", Owner: group})
}

// ProjectVariables lists a project's CI/CD variables with values.
func (g *GitLab) ProjectVariables(ctx context.Context, group string, p Repo) ([]Variable, error) {
	return g.variables(ctx, "CI/CD variables of project "+p.FullName, "projects/"+strconv.FormatInt(p.ID, 10)+"/variables",
		Variable{Scope: "project", Owner: group, Repo: p.FullName})
}
