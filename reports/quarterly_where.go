package reports

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
)

// WhereSection is "Where secrets live": the places active secrets are
// still found, counted by kind of place, and beside them the secret
// objects the stores themselves hold (names and dates only), counted by
// provider and store.
type WhereSection struct {
	// Places are the kinds of place holding a present location of an
	// active secret, in PlaceKinds order (kinds with none left out).
	Places []PlaceCount `json:"places"`
	// Stores are the store secret objects still listed, by provider and
	// store, in provider order.
	Stores []StoreObjectCount `json:"stores"`
}

// PlaceCount is one kind of place: how many present locations of active
// secrets it holds, and how many active secrets (a secret found at three
// kinds of place counts once for each).
type PlaceCount struct {
	Place     string `json:"place"` // PlaceKind.ID
	Label     string `json:"label"`
	Locations int    `json:"locations"`
	Secrets   int    `json:"secrets"`
}

// StoreObjectCount is one provider's store of secret objects.
type StoreObjectCount struct {
	Provider string `json:"provider"`
	Store    string `json:"store"`
	Label    string `json:"label"`
	Objects  int    `json:"objects"`
	Overdue  int    `json:"overdue"`
	// SameName counts the objects whose name is also set at another
	// place (another scope, or for Kubernetes another namespace).
	SameName int `json:"same_name"`
}

// PlaceKind is a kind of place a secret can live.
type PlaceKind struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// PlaceKinds are the kinds PlaceOf returns, in the order the report
// shows them; a location of a source sprawl does not know is "other".
var PlaceKinds = []PlaceKind{
	{"git-tip", "Git: in current files"},
	{"git-history", "Git: history only"},
	{"commit-message", "Git commit message"},
	{"git-staged", "Git staged changes"},
	{"directory", "Directory or working tree"},
	{"stdin", "Standard input"},
	{"github-actions", "GitHub Actions variable"},
	{"gitlab-ci", "GitLab CI/CD variable"},
	{"azure-variable-group", "Azure DevOps variable group"},
	{"azure-pipeline", "Azure DevOps pipeline variable"},
	{"bitbucket-pipelines", "Bitbucket Pipelines variable"},
	{"jenkins-job", "Jenkins job config"},
	{"k8s-configmap", "Kubernetes ConfigMap"},
	{"k8s-env", "Kubernetes workload env"},
	{"image-layer", "Container image layer"},
	{"image-config", "Container image config"},
	{"other", "Other"},
}

// imagePart finds what follows an image's REF@DIGEST in its locations
// ("image:REF@DIGEST/layer/N/path", "image:REF@DIGEST/config/env/K"):
// the reference and the file path may both hold slashes and '@', the
// digest neither.
var imagePart = lazyRegexp(`@[A-Za-z0-9_+.-]+:[0-9A-Fa-f]{32,}/(layer|config)(/|$)`)

// PlaceOf says what kind of place a location is, from its source kind
// and the location forms the sources write (the path's prefix stands in
// for an unknown source): a git location is in the current files when
// the last scan found it at the tip, else history only (unknown counts
// as history: it was found in a commit); a commit message is the path
// "commit-message" with a commit; a Kubernetes ConfigMap value is
// k8s:CONTEXT/NS/configmap/NAME/KEY (the context may hold slashes),
// anything else from Kubernetes a workload's env value.
func PlaceOf(l inventory.Location) PlaceKind {
	kind := func(id string) PlaceKind {
		for _, k := range PlaceKinds {
			if k.ID == id {
				return k
			}
		}
		panic("reports: unknown place kind " + id)
	}
	src := l.Source
	if src == "" || src == "other" {
		switch prefix, _, _ := strings.Cut(l.Path, ":"); prefix {
		case "github":
			src = "github-actions"
		case "gitlab":
			src = "gitlab-ci"
		case "azure-devops":
			src = "azure-pipelines"
		case "bitbucket":
			src = "bitbucket-pipelines"
		case "jenkins", "image":
			src = prefix
		case "k8s":
			src = "kubernetes"
		}
	}
	switch src {
	case "git":
		switch {
		case l.Path == "commit-message" && l.Commit != "":
			return kind("commit-message")
		case l.AtTip != nil && *l.AtTip:
			return kind("git-tip")
		}
		return kind("git-history")
	case "commit-message":
		return kind("commit-message")
	case "staged":
		return kind("git-staged")
	case "dir":
		return kind("directory")
	case "stdin":
		return kind("stdin")
	case "github-actions", "gitlab-ci", "bitbucket-pipelines":
		return kind(src)
	case "azure-pipelines":
		// azure-devops:ORG/PROJECT/vargroup/GROUP/VAR or
		// azure-devops:ORG/PROJECT/pipeline/PIPELINE/vars/VAR.
		parts := strings.SplitN(strings.TrimPrefix(l.Path, "azure-devops:"), "/", 4)
		if len(parts) > 2 && parts[2] == "vargroup" {
			return kind("azure-variable-group")
		}
		return kind("azure-pipeline")
	case "jenkins":
		return kind("jenkins-job")
	case "kubernetes":
		parts := strings.Split(l.Path, "/")
		if n := len(parts); n >= 4 && parts[n-3] == "configmap" {
			return kind("k8s-configmap")
		}
		return kind("k8s-env")
	case "image":
		if m := imagePart().FindStringSubmatch(l.Path); m != nil && m[1] == "config" {
			return kind("image-config")
		}
		return kind("image-layer")
	}
	other := kind("other")
	if l.Source != "" {
		other.Label += " (" + l.Source + ")"
	}
	return other
}

// placeID is the id a location carries in the report (LocationRow.Place).
func placeID(l inventory.Location) string {
	k := PlaceOf(l)
	if k.ID == "other" && l.Source != "" {
		return "other:" + l.Source
	}
	return k.ID
}

// wherePlaces counts the active secrets' present locations by kind of
// place.
func wherePlaces(entries []inventory.Entry) []PlaceCount {
	rank := map[string]int{}
	for i, k := range PlaceKinds {
		rank[k.ID] = i
	}
	counts := map[string]*PlaceCount{}
	for _, e := range entries {
		if !e.Status.Active() {
			continue
		}
		seen := map[string]bool{}
		for _, l := range e.Locations {
			if !l.Present() {
				continue
			}
			id, k := placeID(l), PlaceOf(l)
			c := counts[id]
			if c == nil {
				c = &PlaceCount{Place: id, Label: k.Label}
				counts[id] = c
			}
			c.Locations++
			if !seen[id] {
				seen[id] = true
				c.Secrets++
			}
		}
	}
	out := make([]PlaceCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b PlaceCount) int {
		ka, _, _ := strings.Cut(a.Place, ":")
		kb, _, _ := strings.Cut(b.Place, ":")
		return cmp.Or(cmp.Compare(rank[ka], rank[kb]), cmp.Compare(a.Place, b.Place))
	})
	return out
}

// providerOrder and providerNames show the store providers in the order
// and spelling people know them by.
var (
	providerOrder = []string{"github", "gitlab", "azure-devops", "bitbucket", "jenkins", "kubernetes"}
	providerNames = map[string]string{
		"github": "GitHub", "gitlab": "GitLab", "azure-devops": "Azure DevOps", "bitbucket": "Bitbucket",
		"jenkins": "Jenkins", "kubernetes": "Kubernetes",
	}
	storeNames = map[string]string{
		"github actions": "Actions secrets", "github dependabot": "Dependabot secrets", "github codespaces": "Codespaces secrets",
		"azure-devops variable-group": "variable group secrets", "azure-devops pipeline": "pipeline secret variables",
		"azure-devops service-connection": "service connections", "bitbucket pipelines": "secured Pipelines variables",
		"jenkins credentials": "credentials", "kubernetes secret": "Secrets",
	}
)

// storeLabel names a store for people: "GitHub Actions secrets".
func storeLabel(provider, store string) string {
	p := providerNames[provider]
	if p == "" {
		p = provider
	}
	s := storeNames[provider+" "+store]
	if s == "" {
		s = store
	}
	return p + " " + s
}

// addStoreObject counts one present store secret object.
func (w *WhereSection) addStoreObject(e inventory.CISecretEntry) {
	i := slices.IndexFunc(w.Stores, func(s StoreObjectCount) bool { return s.Provider == e.Provider && s.Store == e.Store })
	if i < 0 {
		w.Stores = append(w.Stores, StoreObjectCount{Provider: e.Provider, Store: e.Store, Label: storeLabel(e.Provider, e.Store)})
		i = len(w.Stores) - 1
	}
	s := &w.Stores[i]
	s.Objects++
	if e.Overdue {
		s.Overdue++
	}
	if len(e.SameName) > 0 {
		s.SameName++
	}
}

func (w *WhereSection) sortStores() {
	rank := func(p string) int {
		if i := slices.Index(providerOrder, p); i >= 0 {
			return i
		}
		return len(providerOrder)
	}
	slices.SortFunc(w.Stores, func(a, b StoreObjectCount) int {
		return cmp.Or(cmp.Compare(rank(a.Provider), rank(b.Provider)), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Store, b.Store))
	})
}

// ---- shared by the renderers ----

var (
	wherePlaceHeader = []string{"Place", "Locations", "Secrets"}
	whereStoreHeader = []string{"Store", "Objects", "Overdue", "Same name elsewhere"}
)

const (
	wherePlacesEmpty = "No open secret is still present anywhere."
	whereStoresEmpty = "No store secret object has been recorded (sprawl scan github, gitlab, azure-devops, bitbucket, jenkins or kubernetes with --inventory)."
	// whereNote says how to read the figure.
	whereNote = "Present locations of open secrets by kind of place; a secret found at several kinds of place counts once for each. Store secret objects are the secrets the stores themselves hold, names and dates only."
)

func wherePlaceRows(r *InventoryReport) [][]string {
	rows := make([][]string, 0, len(r.Where.Places))
	for _, p := range r.Where.Places {
		rows = append(rows, []string{p.Label, strconv.Itoa(p.Locations), strconv.Itoa(p.Secrets)})
	}
	return rows
}

func whereStoreRows(r *InventoryReport) [][]string {
	rows := make([][]string, 0, len(r.Where.Stores))
	for _, s := range r.Where.Stores {
		rows = append(rows, []string{s.Label, strconv.Itoa(s.Objects), strconv.Itoa(s.Overdue), strconv.Itoa(s.SameName)})
	}
	return rows
}

// whereLocations, whereSecrets and whereStores are the figure's bars:
// locations or secrets per place, or
// objects per store.
func whereLocations(r *InventoryReport) []Count {
	out := make([]Count, 0, len(r.Where.Places))
	for _, p := range r.Where.Places {
		out = append(out, Count{p.Label, p.Locations})
	}
	return out
}

func whereSecrets(r *InventoryReport) []Count {
	out := make([]Count, 0, len(r.Where.Places))
	for _, p := range r.Where.Places {
		out = append(out, Count{p.Label, p.Secrets})
	}
	return out
}

func whereStores(r *InventoryReport) []Count {
	out := make([]Count, 0, len(r.Where.Stores))
	for _, s := range r.Where.Stores {
		out = append(out, Count{s.Label, s.Objects})
	}
	return out
}

// whereTotals is the section's heading figures: "7 present locations in
// 2 kinds of place; 3 store secret objects".
func whereTotals(r *InventoryReport) string {
	locs, objs := 0, 0
	for _, p := range r.Where.Places {
		locs += p.Locations
	}
	for _, s := range r.Where.Stores {
		objs += s.Objects
	}
	return plural.Count(locs, "present location") + " in " + plural.Count(len(r.Where.Places), "kind") + " of place; " + plural.Count(objs, "store secret object")
}
