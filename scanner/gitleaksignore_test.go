package scanner

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGitleaksIgnore(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	in := strings.Join([]string{
		"# comment",
		"",
		"app.env:github-pat:2",
		`win\path.env:aws-access-token:3`,
		commit + ":hist.env:team_token:4",
		"scan-root/deep/x.env:github-pat:1",
		"broken:entry",
		"a:b:notanumber",
	}, "\n")
	g, err := ReadGitleaksIgnore(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 4 || len(g.Invalid) != 2 {
		t.Fatalf("read %d entries, invalid %q; want 4 and 2", g.Len(), g.Invalid)
	}
	known := map[string]bool{"github-pat": true, "gitleaks-team-token": true, "other": true}
	fs := []Finding{
		{RuleID: "github-pat", File: "app.env", Line: 2},                           // dropped
		{RuleID: "other", File: "app.env", Line: 2},                                // kept: rule known and differs
		{RuleID: "github-pat", File: "app.env", Line: 3},                           // kept: line
		{RuleID: "aws-key-id", File: "win/path.env", Line: 3},                      // dropped: unknown rule matches any
		{RuleID: "gitleaks-team-token", File: "hist.env", Line: 4, Commit: commit}, // dropped: imported id
		{RuleID: "gitleaks-team-token", File: "hist.env", Line: 4, Commit: "ffff"}, // kept: other commit
		{RuleID: "github-pat", File: "deep/x.env", Line: 1},                        // dropped: gitleaks's dir prefix
	}
	kept, rep := g.Filter(fs, "gitleaks-", func(id string) bool { return known[id] })
	want := []Finding{fs[1], fs[2], fs[5]}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if rep.Ignored != 4 || !cmp.Equal(rep.UnknownRules, []string{"aws-access-token"}) || rep.CommitOnly != 0 {
		t.Errorf("report = %+v", rep)
	}
	// Without commits in the findings (a directory scan), a commit entry
	// cannot apply, and the report says so.
	_, rep = g.Filter(fs[:1], "gitleaks-", func(id string) bool { return known[id] })
	if rep.CommitOnly != 1 {
		t.Errorf("CommitOnly = %d, want 1", rep.CommitOnly)
	}
}

func TestImportBaselineRedacted(t *testing.T) {
	sec := "ghp_" + strings.Repeat("q7", 18)
	report := `[{"RuleID":"github-pat","File":"./a.env","StartLine":2,"Secret":"` + sec + `"},
	 {"RuleID":"github-pat","File":"b.env","StartLine":1,"Secret":"REDACTED"},
	 {"RuleID":"github-pat","File":"c.env","StartLine":1,"Secret":"ghp_q7q7..."}]`
	b, sum, err := ImportBaseline([]byte(report), nil, "", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Format != "gitleaks" || sum.Read != 3 || len(sum.Skipped) != 2 || len(b.Entries) != 1 {
		t.Fatalf("summary %+v, %d entries", sum, len(b.Entries))
	}
	if e := b.Entries[0]; e.File != "a.env" || e.Fingerprint != Fingerprint(nil, sec) {
		t.Errorf("entry %+v", e)
	}
	// An older TruffleHog report holds Raw as base64.
	th := `[{"SourceMetadata":{"Data":{"Filesystem":{"file":"/src/a.env","line":2}}},"DetectorName":"Github","Raw":"` +
		base64Std(sec) + `","Redacted":"ghp_"}]`
	b, sum, err = ImportBaseline([]byte(th), nil, "/src", fixedNow)
	if err != nil || sum.Format != "trufflehog" || len(b.Entries) != 1 || b.Entries[0].Fingerprint != Fingerprint(nil, sec) || b.Entries[0].File != "a.env" {
		t.Errorf("trufflehog array: %v %+v %+v", err, sum, b)
	}
}

var fixedNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
