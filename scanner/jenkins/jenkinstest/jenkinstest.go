// Package jenkinstest serves a fake Jenkins controller for tests: the
// remote access API's job listing with tree queries and {start,end}
// ranges, each job's config.xml, and the credentials plugin's store API,
// behind HTTP Basic authentication. It follows the documented shapes;
// it is not a Jenkins.
package jenkinstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Cred is a credentials store entry as the API lists it.
type Cred struct {
	ID, TypeName, Description string
}

// Server is a fake controller. Set its fields before the first request.
type Server struct {
	URL         string
	User, Token string
	// Configs maps a job's full name ("team/api") to its config.xml; a
	// folder is a name listed in Folders.
	Configs map[string]string
	Folders map[string]bool
	// Creds maps a store ("system" or a folder's full name) to its global
	// domain's credentials.
	Creds map[string][]Cred
	// Forbidden and Missing map a request path ("/job/team/job/api/config.xml")
	// to a 403 or 404.
	Forbidden, Missing map[string]bool
	// Limited maps a request path to how many 429s (Retry-After: 7) it
	// answers before serving.
	Limited map[string]int

	mu sync.Mutex
	// Requests lists every request path with its query.
	Requests []string
	// NoAuth counts requests without the right Basic credentials.
	NoAuth int
}

// New starts a fake controller, stopped when the test ends.
func New(t testing.TB) *Server {
	s := &Server{User: "scanner", Token: "test-api-token-not-a-secret", Configs: map[string]string{}, Folders: map[string]bool{},
		Creds: map[string][]Cred{}, Forbidden: map[string]bool{}, Missing: map[string]bool{}, Limited: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Paths returns the requests seen so far.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Requests...)
}

var rangeRE = regexp.MustCompile(`\{(\d+),(\d+)\}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.Requests = append(s.Requests, r.URL.RequestURI())
	u, p, ok := r.BasicAuth()
	if !ok || u != s.User || p != s.Token {
		s.NoAuth++
		s.mu.Unlock()
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	path := r.URL.Path
	if s.Limited[path] > 0 {
		s.Limited[path]--
		s.mu.Unlock()
		w.Header().Set("Retry-After", "7")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	s.mu.Unlock()
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if s.Forbidden[path] {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if s.Missing[path] {
		http.NotFound(w, r)
		return
	}
	// /job/a/job/b/<rest>
	var names []string
	rest := path
	for strings.HasPrefix(rest, "/job/") {
		rest = rest[len("/job/"):]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			i = len(rest)
		}
		names = append(names, rest[:i])
		rest = rest[i:]
	}
	full := strings.Join(names, "/")
	switch {
	case rest == "/api/json" && (full == "" || s.Folders[full]):
		s.list(w, r, full)
	case rest == "/config.xml":
		c, ok := s.Configs[full]
		if !ok && !s.Folders[full] {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(c))
	case full == "" && rest == "/credentials/store/system/domain/_/api/json",
		full != "" && s.Folders[full] && rest == "/credentials/store/folder/domain/_/api/json":
		store := full
		if store == "" {
			store = "system"
		}
		cs, ok := s.Creds[store]
		if !ok && full != "" {
			http.NotFound(w, r) // a folder without a store of its own
			return
		}
		type wrapper struct {
			Class       string `json:"_class"`
			ID          string `json:"id"`
			TypeName    string `json:"typeName"`
			Description string `json:"description"`
			DisplayName string `json:"displayName"`
			FullName    string `json:"fullName"`
		}
		out := struct {
			Class       string    `json:"_class"`
			Credentials []wrapper `json:"credentials"`
		}{Class: "com.cloudbees.plugins.credentials.CredentialsStoreAction$DomainWrapper", Credentials: []wrapper{}}
		for _, c := range cs {
			out.Credentials = append(out.Credentials, wrapper{Class: "com.cloudbees.plugins.credentials.CredentialsStoreAction$CredentialsWrapper",
				ID: c.ID, TypeName: c.TypeName, Description: c.Description, DisplayName: c.ID + "/****", FullName: store + "/_/" + c.ID})
		}
		writeJSON(w, out)
	default:
		http.NotFound(w, r)
	}
}

// list answers a tree query on a folder's jobs, honouring a {start,end}
// range on the outer jobs property; the inner jobs[name]{0,1} shows
// folders a jobs array.
func (s *Server) list(w http.ResponseWriter, r *http.Request, folder string) {
	tree := r.URL.Query().Get("tree")
	if !strings.HasPrefix(tree, "jobs[") {
		http.Error(w, "tree query expected", http.StatusBadRequest)
		return
	}
	var children []string
	seen := map[string]bool{}
	add := func(full string) {
		if folder == "" && !strings.Contains(full, "/") {
			seen[full] = true
		} else if rest, ok := strings.CutPrefix(full, folder+"/"); ok && folder != "" && !strings.Contains(rest, "/") {
			seen[rest] = true
		}
	}
	for n := range s.Configs {
		add(n)
	}
	for n := range s.Folders {
		add(n)
	}
	for n := range seen {
		children = append(children, n)
	}
	sort.Strings(children)
	start, end := 0, len(children)
	if m := rangeRE.FindStringSubmatch(tree); m != nil {
		start, _ = strconv.Atoi(m[1])
		end, _ = strconv.Atoi(m[2])
	}
	start, end = min(start, len(children)), min(end, len(children))
	type job struct {
		Class string           `json:"_class"`
		Name  string           `json:"name"`
		Jobs  []map[string]any `json:"jobs,omitempty"`
	}
	type folderJob struct {
		Class string           `json:"_class"`
		Name  string           `json:"name"`
		Jobs  []map[string]any `json:"jobs"`
	}
	var out []any
	for _, n := range children[start:end] {
		full := n
		if folder != "" {
			full = folder + "/" + n
		}
		if s.Folders[full] {
			out = append(out, folderJob{Class: "com.cloudbees.hudson.plugins.folder.Folder", Name: n, Jobs: []map[string]any{}})
		} else {
			out = append(out, job{Class: "hudson.model.FreeStyleProject", Name: n})
		}
	}
	if out == nil {
		out = []any{}
	}
	writeJSON(w, map[string]any{"_class": "hudson.model.Hudson", "jobs": out})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
