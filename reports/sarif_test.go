package reports

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

// The types below are the test's own view of the SARIF wire format, kept
// apart from the reporter's types so that a renamed field shows up here.
// Pointers distinguish "absent" from zero.

type sarifDoc struct {
	Schema  *string `json:"$schema"`
	Version *string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					FullDescription struct {
						Text string `json:"text"`
					} `json:"fullDescription"`
					Help struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					HelpURI              *string `json:"helpUri"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties struct {
						Tags             []string `json:"tags"`
						Precision        string   `json:"precision"`
						SecuritySeverity *string  `json:"security-severity"`
					} `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		OriginalURIBaseIDs map[string]struct {
			URI string `json:"uri"`
		} `json:"originalUriBaseIds"`
		Results []sarifDocResult `json:"results"`
	} `json:"runs"`
}

type sarifDocResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine   *int `json:"startLine"`
				StartColumn *int `json:"startColumn"`
				EndLine     *int `json:"endLine"`
				EndColumn   *int `json:"endColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]string `json:"properties"`
}

// sarif runs the SARIF reporter and decodes its output.
func sarif(t *testing.T, opts Options, findings []scanner.Finding) (sarifDoc, string) {
	t.Helper()
	out := report(t, "sarif", opts, findings)
	var doc sarifDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("SARIF output is not JSON: %v\n%s", err, out)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(doc.Runs))
	}
	return doc, out
}

func TestSARIFStructure(t *testing.T) {
	findings := testFindings()
	doc, _ := sarif(t, testOptions(), findings)

	if doc.Schema == nil || *doc.Schema != "https://json.schemastore.org/sarif-2.1.0.json" {
		t.Errorf("$schema = %v", doc.Schema)
	}
	if doc.Version == nil || *doc.Version != "2.1.0" {
		t.Errorf("version = %v", doc.Version)
	}
	run := doc.Runs[0]
	driver := run.Tool.Driver
	if driver.Name != "sprawl" || driver.Version != "1.2.3-test" || driver.InformationURI != "https://example.invalid/sprawl" {
		t.Errorf("driver = %q %q %q", driver.Name, driver.Version, driver.InformationURI)
	}
	if got, want := run.OriginalURIBaseIDs["%SRCROOT%"].URI, "file:///src/project/"; got != want {
		t.Errorf("originalUriBaseIds[%%SRCROOT%%] = %q, want %q", got, want)
	}

	// Rules: only those with findings, sorted by id, fully described.
	var ids []string
	for _, r := range driver.Rules {
		ids = append(ids, r.ID)
		if r.Name == "" || strings.ContainsAny(r.Name, " -") {
			t.Errorf("rule %s: name %q is not an identifier", r.ID, r.Name)
		}
		if r.ShortDescription.Text == "" || r.FullDescription.Text == "" {
			t.Errorf("rule %s: empty description", r.ID)
		}
		for _, help := range []string{r.Help.Text, r.Help.Markdown} {
			for _, want := range []string{"Why it matters", "otate", "history", "vault"} {
				if !strings.Contains(help, want) {
					t.Errorf("rule %s: help lacks %q:\n%s", r.ID, want, help)
				}
			}
		}
		if tags := r.Properties.Tags; len(tags) == 0 || tags[len(tags)-1] != "security" {
			t.Errorf("rule %s: tags %q do not end with security", r.ID, tags)
		}
	}
	wantIDs := []string{"synthetic-ci-token", "synthetic-cloud-key", "synthetic-generic-password", "synthetic-webhook-url"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Fatalf("rule ids (-want +got):\n%s", diff)
	}
	type ruleMeta struct {
		Name, Level, Precision, SecuritySeverity, HelpURI string
		Tags                                              []string
	}
	var gotMeta []ruleMeta
	for _, r := range driver.Rules {
		m := ruleMeta{Name: r.Name, Level: r.DefaultConfiguration.Level, Precision: r.Properties.Precision, Tags: r.Properties.Tags}
		if r.Properties.SecuritySeverity != nil {
			m.SecuritySeverity = *r.Properties.SecuritySeverity
		}
		if r.HelpURI != nil {
			m.HelpURI = *r.HelpURI
		}
		gotMeta = append(gotMeta, m)
	}
	wantMeta := []ruleMeta{
		{"SyntheticCIToken", "error", "very-high", "7.0", "https://example.invalid/docs/ci-tokens", []string{"ci", "security"}},
		{"SyntheticCloudKey", "error", "high", "9.0", "https://example.invalid/docs/cloud-keys", []string{"cloud", "key", "security"}},
		{"GenericPassword", "note", "medium", "3.0", "https://example.invalid/docs/passwords", []string{"password", "security"}},
		{"SyntheticWebhookURL", "warning", "medium", "5.0", "", []string{"security"}},
	}
	if diff := cmp.Diff(wantMeta, gotMeta); diff != "" {
		t.Errorf("rule metadata (-want +got):\n%s", diff)
	}
	if !strings.Contains(driver.Rules[1].Help.Markdown, "https://example.invalid/docs/rotate") {
		t.Errorf("cloud key help lacks its second reference:\n%s", driver.Rules[1].Help.Markdown)
	}

	// Results: one per finding, each pointing at its own rule.
	if len(run.Results) != len(findings) {
		t.Fatalf("got %d results, want %d", len(run.Results), len(findings))
	}
	byRule := make(map[string]sarifDocResult)
	for _, res := range run.Results {
		if res.RuleIndex == nil {
			t.Fatalf("result %s has no ruleIndex", res.RuleID)
		}
		if got := driver.Rules[*res.RuleIndex].ID; got != res.RuleID {
			t.Errorf("result %s: ruleIndex %d points at %s", res.RuleID, *res.RuleIndex, got)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %s: %d locations, want 1", res.RuleID, len(res.Locations))
		}
		if !strings.HasSuffix(res.PartialFingerprints["primaryLocationLineHash"], ":1") {
			t.Errorf("result %s: primaryLocationLineHash = %q, want suffix :1", res.RuleID, res.PartialFingerprints["primaryLocationLineHash"])
		}
		byRule[res.RuleID] = res
	}
	for _, f := range findings {
		res := byRule[f.RuleID]
		if strings.Contains(res.Message.Text, f.Secret) {
			t.Errorf("result %s: message %q holds the secret", f.RuleID, res.Message.Text)
		}
		if want := ruleTitle(&f) + " in " + location(&f); res.Message.Text != want {
			t.Errorf("result %s: message %q, want %q", f.RuleID, res.Message.Text, want)
		}
		if want := sarifLevel(f.Severity); res.Level != want {
			t.Errorf("result %s: level %q, want %q", f.RuleID, res.Level, want)
		}
	}

	webhook := byRule["synthetic-webhook-url"].Locations[0].PhysicalLocation
	if got, want := webhook.ArtifactLocation.URI, "docs/my%20notes%7Cdraft.md"; got != want {
		t.Errorf("uri = %q, want %q", got, want)
	}
	if webhook.ArtifactLocation.URIBaseID != "%SRCROOT%" {
		t.Errorf("uriBaseId = %q, want %%SRCROOT%%", webhook.ArtifactLocation.URIBaseID)
	}
	if r := webhook.Region; r == nil || r.StartLine == nil || *r.StartLine != 7 || r.StartColumn != nil || r.EndLine != nil || r.EndColumn != nil {
		t.Errorf("region with unknown columns = %+v, want startLine 7 only", r)
	}
	cloud := byRule["synthetic-cloud-key"].Locations[0].PhysicalLocation.Region
	if cloud == nil || cloud.StartColumn == nil || *cloud.StartColumn != 8 || cloud.EndColumn == nil || *cloud.EndColumn != 35 {
		t.Errorf("cloud key region = %+v, want columns 8 to 35 (SARIF's end column is exclusive)", cloud)
	}

	wantProps := map[string]string{
		"commit": "0123456789abcdef0123456789abcdef01234567",
		"author": "Test Author",
		"date":   "2026-01-02T03:04:05+02:00",
	}
	if diff := cmp.Diff(wantProps, byRule["synthetic-ci-token"].Properties); diff != "" {
		t.Errorf("history result properties (-want +got):\n%s", diff)
	}
	if props := byRule["synthetic-cloud-key"].Properties; props != nil {
		t.Errorf("dir result has properties %v, want none", props)
	}
}

func TestSARIFShowSecrets(t *testing.T) {
	opts := testOptions()
	opts.ShowSecrets = true
	doc, _ := sarif(t, opts, testFindings()[:1])
	if msg := doc.Runs[0].Results[0].Message.Text; !strings.Contains(msg, "synthetic-test-secret-0004") {
		t.Errorf("with ShowSecrets, message %q lacks the secret", msg)
	}
}

func TestSARIFLineHash(t *testing.T) {
	base := testFindings()[1] // the cloud key in config/app.env
	hash := func(t *testing.T, findings ...scanner.Finding) []string {
		t.Helper()
		doc, _ := sarif(t, testOptions(), findings)
		var hashes []string
		for _, r := range doc.Runs[0].Results {
			hashes = append(hashes, r.PartialFingerprints["primaryLocationLineHash"])
		}
		return hashes
	}
	want := hash(t, base)[0]

	moved := base
	moved.Line += 30
	moved.EndLine += 30
	moved.Column = 1
	if got := hash(t, moved)[0]; got != want {
		t.Errorf("moving the secret changed the hash: %q, was %q", got, want)
	}

	for _, change := range []struct {
		name string
		edit func(*scanner.Finding)
	}{
		{"fingerprint", func(f *scanner.Finding) { f.Fingerprint = "fp-other" }},
		{"file", func(f *scanner.Finding) { f.File = "config/other.env" }},
		{"rule", func(f *scanner.Finding) { f.RuleID = "synthetic-ci-token" }},
	} {
		other := base
		change.edit(&other)
		if got := hash(t, other)[0]; got == want {
			t.Errorf("another %s kept the hash %q", change.name, got)
		}
	}

	// The same secret twice in one file: same stem, counted suffixes, in
	// line order whatever the input order.
	second := moved
	got := hash(t, second, base)
	stem := strings.TrimSuffix(want, ":1")
	if diff := cmp.Diff([]string{stem + ":1", stem + ":2"}, got); diff != "" {
		t.Errorf("repeated fingerprint hashes (-want +got):\n%s", diff)
	}
	if len(stem) != 16 {
		t.Errorf("hash stem %q is not 16 hex digits", stem)
	}
}

func TestSARIFEmpty(t *testing.T) {
	opts := testOptions()
	opts.Root = "relative/dir"
	doc, out := sarif(t, opts, nil)
	for _, want := range []string{`"results": []`, `"rules": []`} {
		if !strings.Contains(out, want) {
			t.Errorf("empty SARIF lacks %s:\n%s", want, out)
		}
	}
	if doc.Runs[0].OriginalURIBaseIDs != nil {
		t.Errorf("relative root produced originalUriBaseIds %v", doc.Runs[0].OriginalURIBaseIDs)
	}
}

func TestArtifactURI(t *testing.T) {
	tests := []struct {
		file         string
		want         string
		wantRelative bool
	}{
		{"src/main.go", "src/main.go", true},
		{"./src/main.go", "src/main.go", true},
		{"docs/my notes|draft.md", "docs/my%20notes%7Cdraft.md", true},
		{"dir/#x?.go", "dir/%23x%3F.go", true},
		{"100%.txt", "100%25.txt", true},
		{"c:notes.txt", "./c:notes.txt", true},
		{"naïve.txt", "na%C3%AFve.txt", true},
		{"/abs/a b.txt", "file:///abs/a%20b.txt", false},
	}
	for _, tt := range tests {
		got, relative := artifactURI(tt.file)
		if got != tt.want || relative != tt.wantRelative {
			t.Errorf("artifactURI(%q) = %q, %v; want %q, %v", tt.file, got, relative, tt.want, tt.wantRelative)
		}
	}
}

func TestRootURI(t *testing.T) {
	tests := []struct {
		root   string
		want   string
		wantOK bool
	}{
		{"/src/project", "file:///src/project/", true},
		{"/src/project/", "file:///src/project/", true},
		{"/src/my project", "file:///src/my%20project/", true},
		{"/", "file:///", true},
		{"", "", false},
		{".", "", false},
		{"relative/dir", "", false},
		{"https://github.com/acme/repo", "", false},
	}
	for _, tt := range tests {
		got, ok := rootURI(tt.root)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("rootURI(%q) = %q, %v; want %q, %v", tt.root, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPascalName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Synthetic cloud key", "SyntheticCloudKey"},
		{"GitHub personal access token", "GitHubPersonalAccessToken"},
		{"synthetic-webhook-url", "SyntheticWebhookUrl"},
		{"AWS  (legacy) key_v2", "AWSLegacyKeyV2"},
		{"", "Secret"},
		{"---", "Secret"},
	}
	for _, tt := range tests {
		if got := pascalName(tt.in); got != tt.want {
			t.Errorf("pascalName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
