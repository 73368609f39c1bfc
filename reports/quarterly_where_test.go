package reports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// TestPlaceOf covers every location form the sources write.
func TestPlaceOf(t *testing.T) {
	yes, no := true, false
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		loc  inventory.Location
		want string
	}{
		{"git at tip", inventory.Location{Source: "git", Path: "config/app.env", Commit: "c0ffee", AtTip: &yes}, "git-tip"},
		{"git deleted since", inventory.Location{Source: "git", Path: "config/app.env", Commit: "c0ffee", AtTip: &no}, "git-history"},
		{"git tip unknown", inventory.Location{Source: "git", Path: "config/app.env", Commit: "c0ffee"}, "git-history"},
		{"commit message", inventory.Location{Source: "git", Path: "commit-message", Commit: "c0ffee"}, "commit-message"},
		{"commit message source", inventory.Location{Source: "commit-message", Path: "commit-message", Commit: "c0ffee"}, "commit-message"},
		{"a file named commit-message at the tip", inventory.Location{Source: "dir", Path: "commit-message", AtTip: &yes}, "directory"},
		{"staged", inventory.Location{Source: "staged", Path: "app.env", AtTip: &yes}, "git-staged"},
		{"directory", inventory.Location{Source: "dir", Path: "app.env", AtTip: &yes}, "directory"},
		{"stdin", inventory.Location{Source: "stdin", Path: "-", AtTip: &yes}, "stdin"},
		{"github org variable", inventory.Location{Source: "github-actions", Path: "github:acme/vars/DEPLOY_URL"}, "github-actions"},
		{"github repo variable", inventory.Location{Source: "github-actions", Path: "github:acme/api/vars/DB_URL"}, "github-actions"},
		{"github env variable", inventory.Location{Source: "github-actions", Path: "github:acme/api/env/production/vars/DB_URL"}, "github-actions"},
		{"gitlab variable", inventory.Location{Source: "gitlab-ci", Path: "gitlab:acme/api/vars/DB_PASSWORD[production]{unmasked}"}, "gitlab-ci"},
		{"azure variable group", inventory.Location{Source: "azure-pipelines", Path: "azure-devops:contoso/ehr/vargroup/shared-db/DB_PASSWORD"}, "azure-variable-group"},
		{"azure variable group named pipeline", inventory.Location{Source: "azure-pipelines", Path: "azure-devops:contoso/ehr/vargroup/pipeline/vars"}, "azure-variable-group"},
		{"azure pipeline variable", inventory.Location{Source: "azure-pipelines", Path: "azure-devops:contoso/ehr/pipeline/deploy/vars/DB_PASSWORD"}, "azure-pipeline"},
		{"bitbucket workspace variable", inventory.Location{Source: "bitbucket-pipelines", Path: "bitbucket:acme/vars/TOKEN"}, "bitbucket-pipelines"},
		{"bitbucket repository variable", inventory.Location{Source: "bitbucket-pipelines", Path: "bitbucket:acme/api/vars/TOKEN"}, "bitbucket-pipelines"},
		{"bitbucket deployment variable", inventory.Location{Source: "bitbucket-pipelines", Path: "bitbucket:acme/api/env/production/Prod/vars/TOKEN"}, "bitbucket-pipelines"},
		{"jenkins job", inventory.Location{Source: "jenkins", Path: "jenkins:ci.acme.test/job/api/config.xml"}, "jenkins-job"},
		{"jenkins job in folders", inventory.Location{Source: "jenkins", Path: "jenkins:ci.acme.test:8443/job/team/job/sub/job/api/config.xml"}, "jenkins-job"},
		{"configmap", inventory.Location{Source: "kubernetes", Path: "k8s:prod/payments/configmap/app-config/DB_URL"}, "k8s-configmap"},
		{"configmap, context with slashes", inventory.Location{Source: "kubernetes", Path: "k8s:arn:aws:eks:eu-west-1:111122223333:cluster/prod/payments/configmap/app/application.yaml"}, "k8s-configmap"},
		{"deployment env", inventory.Location{Source: "kubernetes", Path: "k8s:prod/payments/deployment/api/app/env/DB_PASSWORD"}, "k8s-env"},
		{"env var named configmap", inventory.Location{Source: "kubernetes", Path: "k8s:prod/payments/deployment/configmap/app/env/KEY"}, "k8s-env"},
		{"pod env", inventory.Location{Source: "kubernetes", Path: "k8s:prod/default/pod/debug/shell/env/TOKEN"}, "k8s-env"},
		{"cronjob env", inventory.Location{Source: "kubernetes", Path: "k8s:arn:aws:eks:eu-west-1:1:cluster/prod/batch/cronjob/backup/run/env/KEY"}, "k8s-env"},
		{"image layer file", inventory.Location{Source: "image", Path: "image:registry.acme.test:5000/ehr/api:1.4@" + digest + "/layer/3/app/.env", AtTip: &yes}, "image-layer"},
		{"image layer file deleted later", inventory.Location{Source: "image", Path: "image:ehr/api:1.4@" + digest + "/layer/0/root/.aws/credentials", AtTip: &no}, "image-layer"},
		{"image layer path naming config", inventory.Location{Source: "image", Path: "image:ehr/api@" + digest + "/layer/2/srv/config/app@" + digest + "/config/x"}, "image-layer"},
		{"image by digest", inventory.Location{Source: "image", Path: "image:ehr/api@" + digest + "@" + digest + "/layer/1/etc/app.conf"}, "image-layer"},
		{"image archive", inventory.Location{Source: "image", Path: "image:/tmp/build/image.tar@" + digest + "/layer/0/app/settings.py"}, "image-layer"},
		{"image config env", inventory.Location{Source: "image", Path: "image:ehr/api:1.4@" + digest + "/config/env/DB_PASSWORD"}, "image-config"},
		{"image config cmd", inventory.Location{Source: "image", Path: "image:ehr/api:1.4@" + digest + "/config/cmd"}, "image-config"},
		{"image config label", inventory.Location{Source: "image", Path: "image:ehr/api:1.4@" + digest + "/config/label/build.token"}, "image-config"},
		{"image history", inventory.Location{Source: "image", Path: "image:ehr/api:1.4@" + digest + "/config/history/4"}, "image-config"},
		{"no source, k8s path", inventory.Location{Path: "k8s:prod/ns/configmap/app/KEY"}, "k8s-configmap"},
		{"no source, image path", inventory.Location{Path: "image:ehr/api@" + digest + "/config/env/K"}, "image-config"},
		{"no source, jenkins path", inventory.Location{Path: "jenkins:ci/job/api/config.xml"}, "jenkins-job"},
		{"no source, azure path", inventory.Location{Path: "azure-devops:o/p/vargroup/g/V"}, "azure-variable-group"},
		{"no source, bitbucket path", inventory.Location{Path: "bitbucket:acme/vars/T"}, "bitbucket-pipelines"},
		{"no source, github path", inventory.Location{Path: "github:acme/vars/T"}, "github-actions"},
		{"no source, gitlab path", inventory.Location{Path: "gitlab:acme/vars/T[*]{}"}, "gitlab-ci"},
		{"unknown source", inventory.Location{Source: "s3", Path: "bucket/key"}, "other"},
		{"no source, plain path", inventory.Location{Path: "app.env"}, "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlaceOf(tc.loc); got.ID != tc.want {
				t.Errorf("PlaceOf(%s %s) = %q, want %q", tc.loc.Source, tc.loc.Path, got.ID, tc.want)
			}
		})
	}
	if got := PlaceOf(inventory.Location{Source: "s3"}); got.Label != "Other (s3)" {
		t.Errorf("unknown source labelled %q", got.Label)
	}
}

// whereFixture is an inventory whose secrets live in many kinds of
// place: one database password in a repository's current files and its
// history, a Jenkins job, a ConfigMap, a deployment's env and an image
// layer; a token in a commit message and an image's env; a rotated key
// in an Azure DevOps variable group (not counted: not open); a webhook
// gone from a ConfigMap (not counted: not present); and store secret
// objects of four providers.
func whereFixture(t *testing.T) inventory.Store {
	t.Helper()
	ctx := context.Background()
	s, err := inventory.OpenSQLite(ctx, filepath.Join(t.TempDir(), "inventory.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key := []byte("where-key-0123456789abcdef")
	digest := "sha256:" + strings.Repeat("cd", 32)
	db, tok, old, hook := fixtureSecret("where-db"), fixtureSecret("where-token"), fixtureSecret("where-old"), fixtureSecret("where-hook")
	at := time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)
	find := func(secret, path string, extra ...func(*scanner.Finding)) scanner.Finding {
		f := scanner.Finding{RuleID: "password-assignment", RuleName: "Password", Severity: detectors.SeverityHigh, Secret: secret, File: path, Line: 1}
		for _, x := range extra {
			x(&f)
		}
		return f
	}
	inCommit := func(c string) func(*scanner.Finding) { return func(f *scanner.Finding) { f.Commit, f.Blob = c, "b"+c } }
	ingest := func(src, repo string, tip func(scanner.Finding) (bool, bool), fs ...scanner.Finding) {
		t.Helper()
		at = at.Add(time.Hour)
		if _, err := inventory.Ingest(ctx, s, key, inventory.Scan{Source: src, Repository: repo, Started: at.Add(-time.Minute), Finished: at,
			Complete: true, Actor: "ci", AtTip: tip}, fs); err != nil {
			t.Fatal(err)
		}
	}
	atTip := func(f scanner.Finding) (bool, bool) { return f.Commit == "c1", true }
	ingest("git", "https://github.com/acme/api", atTip,
		find(db, "config/app.env", inCommit("c1")),
		find(db, "config/old.env", inCommit("c0")),
		find(tok, "commit-message", func(f *scanner.Finding) { f.Commit = "c2" }))
	ingest("jenkins", "https://ci.acme.test", nil, find(db, "jenkins:ci.acme.test/job/team/job/api/config.xml"))
	ingest("kubernetes", "k8s://prod", nil,
		find(db, "k8s:prod/payments/configmap/api/DB_PASSWORD"),
		find(db, "k8s:prod/payments/deployment/api/app/env/DB_PASSWORD"),
		find(hook, "k8s:prod/payments/configmap/hooks/URL"))
	ingest("kubernetes", "k8s://prod", nil,
		find(db, "k8s:prod/payments/configmap/api/DB_PASSWORD"),
		find(db, "k8s:prod/payments/deployment/api/app/env/DB_PASSWORD"))
	ingest("image", "image:registry.acme.test/ehr/api:1.4", nil,
		find(db, "image:registry.acme.test/ehr/api:1.4@"+digest+"/layer/2/app/.env"),
		find(tok, "image:registry.acme.test/ehr/api:1.4@"+digest+"/config/env/TOKEN"))
	ingest("azure-pipelines", "https://dev.azure.com/contoso", nil, find(old, "azure-devops:contoso/ehr/vargroup/shared/OLD_KEY"))
	if _, err := s.SetStatus(ctx, scanner.Fingerprint(key, old), inventory.StatusChange{To: inventory.StatusRotated, Actor: "alice", Reason: "rotated", At: at}); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, b := range []inventory.CISecretBatch{
		{Provider: "kubernetes", Owner: "prod", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "secret", Scope: inventory.ScopeEnvironment, Repository: "prod", Environment: "payments", Name: "db", Kind: "Opaque", UsedBy: []string{"deployment/api"}, CreatedAt: created},
			{Store: "secret", Scope: inventory.ScopeEnvironment, Repository: "prod", Environment: "staging", Name: "db", Kind: "Opaque", CreatedAt: created},
		}},
		{Provider: "jenkins", Owner: "ci.acme.test", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "credentials", Scope: inventory.ScopeOrg, Name: "deploy-key", Kind: "SSH Username with private key"},
		}},
		{Provider: "azure-devops", Owner: "contoso", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "service-connection", Scope: inventory.ScopeRepo, Repository: "ehr", Name: "prod-arm", Kind: "azurerm (ServicePrincipal)", UsedBy: []string{"pipeline deploy"}},
			{Store: "variable-group", Scope: inventory.ScopeRepo, Repository: "ehr", Name: "shared/DB_PASSWORD", Kind: "secret variable", UpdatedAt: created},
		}},
		{Provider: "github", Owner: "acme", Complete: true, Secrets: []inventory.CISecretRecord{
			{Store: "actions", Scope: inventory.ScopeOrg, Name: "NPM_TOKEN", UpdatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		}},
	} {
		b.Seen, b.Actor = at, "ci"
		if _, err := s.RecordCISecrets(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestInventoryReportWhereSecretsLive: the figure counts present
// locations of open secrets by kind of place, each secret once per kind,
// and the store secret objects by store; every format draws it.
func TestInventoryReportWhereSecretsLive(t *testing.T) {
	s := whereFixture(t)
	r, err := BuildInventoryReport(context.Background(), s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt})
	if err != nil {
		t.Fatal(err)
	}
	want := WhereSection{
		Places: []PlaceCount{
			{Place: "git-tip", Label: "Git: in current files", Locations: 1, Secrets: 1},
			{Place: "git-history", Label: "Git: history only", Locations: 1, Secrets: 1},
			{Place: "commit-message", Label: "Git commit message", Locations: 1, Secrets: 1},
			{Place: "jenkins-job", Label: "Jenkins job config", Locations: 1, Secrets: 1},
			{Place: "k8s-configmap", Label: "Kubernetes ConfigMap", Locations: 1, Secrets: 1},
			{Place: "k8s-env", Label: "Kubernetes workload env", Locations: 1, Secrets: 1},
			{Place: "image-layer", Label: "Container image layer", Locations: 1, Secrets: 1},
			{Place: "image-config", Label: "Container image config", Locations: 1, Secrets: 1},
		},
		Stores: []StoreObjectCount{
			{Provider: "github", Store: "actions", Label: "GitHub Actions secrets", Objects: 1},
			{Provider: "azure-devops", Store: "service-connection", Label: "Azure DevOps service connections", Objects: 1},
			{Provider: "azure-devops", Store: "variable-group", Label: "Azure DevOps variable group secrets", Objects: 1, Overdue: 1},
			{Provider: "jenkins", Store: "credentials", Label: "Jenkins credentials", Objects: 1},
			{Provider: "kubernetes", Store: "secret", Label: "Kubernetes Secrets", Objects: 2, Overdue: 2, SameName: 2},
		},
	}
	if diff := cmp.Diff(want, r.Where); diff != "" {
		t.Errorf("where secrets live (-want +got):\n%s", diff)
	}

	// Two secrets share a kind of place: each counts once there.
	r2 := *r
	r2.Where.Places = wherePlaces([]inventory.Entry{
		{Secret: inventory.Secret{Status: inventory.StatusOpen, Locations: []inventory.Location{{Source: "jenkins", Path: "jenkins:h/job/a/config.xml"}, {Source: "jenkins", Path: "jenkins:h/job/b/config.xml"}}}},
		{Secret: inventory.Secret{Status: inventory.StatusOpen, Locations: []inventory.Location{{Source: "jenkins", Path: "jenkins:h/job/c/config.xml"}, {Source: "s3", Path: "x"}}}},
	})
	if diff := cmp.Diff([]PlaceCount{
		{Place: "jenkins-job", Label: "Jenkins job config", Locations: 3, Secrets: 2},
		{Place: "other:s3", Label: "Other (s3)", Locations: 1, Secrets: 1},
	}, r2.Where.Places); diff != "" {
		t.Errorf("places of two secrets (-want +got):\n%s", diff)
	}

	for _, format := range []string{"html", "markdown", "table"} {
		out := strings.ReplaceAll(string(render(t, r, format)), "<wbr>", "")
		i := strings.Index(out, "Where secrets live")
		if i < 0 {
			t.Fatalf("%s: no where-secrets-live section", format)
		}
		for _, w := range []string{"Kubernetes ConfigMap", "Container image layer", "Jenkins job config", "Git commit message",
			"Azure DevOps service connections", "Kubernetes Secrets"} {
			if !strings.Contains(out[i:], w) {
				t.Errorf("%s: %q missing from the section", format, w)
			}
		}
		if strings.Contains(out[i:], "Azure DevOps variable group</") || strings.Contains(out[i:], "| Azure DevOps variable group |") {
			t.Errorf("%s: the rotated secret's variable group counted", format)
		}
	}
	html := string(render(t, r, "html"))
	for _, w := range []string{`id="t-where"`, `id="t-where-stores"`, `aria-label="Present locations of open secrets by kind of place"`,
		`aria-label="Store secret objects by provider and store"`, `<title>Kubernetes Secrets: 2</title>`} {
		if !strings.Contains(html, w) {
			t.Errorf("html: %q missing", w)
		}
	}

	// CSV: each location names its kind of place; store objects say so.
	recs, err := csv.NewReader(strings.NewReader(string(render(t, r, "csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	places := map[string]string{}
	for _, rec := range recs[1:] {
		places[rec[col["path"]]] = rec[col["place"]]
	}
	for path, want := range map[string]string{
		"config/app.env": "git-tip", "config/old.env": "git-history", "commit-message": "commit-message", "jenkins:ci.acme.test/job/team/job/api/config.xml": "jenkins-job",
		"k8s:prod/payments/configmap/hooks/URL": "k8s-configmap", "azure-devops:contoso/ehr/vargroup/shared/OLD_KEY": "azure-variable-group",
		"env prod/payments db": "store-object",
	} {
		if places[path] != want {
			t.Errorf("csv: %s has place %q, want %q", path, places[path], want)
		}
	}

	// JSON carries the figure.
	var doc struct {
		Where WhereSection `json:"where_secrets_live"`
	}
	if err := json.Unmarshal(render(t, r, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Where, doc.Where); diff != "" {
		t.Errorf("json where_secrets_live (-report +json):\n%s", diff)
	}
}

// TestInventoryReportWhereScope: a report narrowed to repositories counts
// only their locations and the store objects in scope.
func TestInventoryReportWhereScope(t *testing.T) {
	s := whereFixture(t)
	r, err := BuildInventoryReport(context.Background(), s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt, Repository: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var stores []string
	for _, st := range r.Where.Stores {
		stores = append(stores, st.Label)
	}
	// The database password's repository matches: all its places count.
	if len(r.Where.Places) == 0 || r.Where.Places[0].Place != "git-tip" {
		t.Errorf("places in scope: %+v", r.Where.Places)
	}
	if diff := cmp.Diff([]string{"GitHub Actions secrets", "Jenkins credentials"}, stores); diff != "" {
		t.Errorf("stores in scope (-want +got):\n%s", diff)
	}
}

// TestWhereChartsInChromium: the figure's bar charts draw in Chromium with
// every label inside its chart, long store names included.
func TestWhereChartsInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	r, err := BuildInventoryReport(context.Background(), whereFixture(t), PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt})
	if err != nil {
		t.Fatal(err)
	}
	page := string(render(t, r, "html"))
	// Measure each bar label against its chart's left edge.
	probe := `<script>document.addEventListener("DOMContentLoaded", function () {
  var clipped = [], n = 0;
  document.querySelectorAll("#where svg.chart.bars text.lbl").forEach(function (t) {
    n++;
    if (t.getBBox().x < 0) clipped.push(t.textContent);
  });
  document.documentElement.setAttribute("data-labels", String(n));
  document.documentElement.setAttribute("data-clipped", clipped.join("|"));
});</script>`
	page = strings.Replace(page, "</body>", probe+"</body>", 1)
	file := filepath.Join(t.TempDir(), "where.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, reqs := headless(t, file, "--dump-dom", "--virtual-time-budget=2000")
	if len(reqs) > 0 {
		t.Errorf("the report made network requests: %q", reqs)
	}
	d := string(dom)
	// 8 places twice, 5 stores.
	if !strings.Contains(d, `data-labels="21"`) {
		t.Errorf("want 21 bar labels in the where section; page root: %.300s", d[strings.Index(d, "<html"):])
	}
	if !strings.Contains(d, `data-clipped=""`) {
		i := strings.Index(d, "data-clipped=")
		t.Errorf("bar labels cut at the chart's edge: %.200s", d[i:])
	}
}
