package scanner

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
)

// plainFiller is how many of stagedFiller's first lines hold no keyword.
const plainFiller = 9

// stagedFiller is code around the staged secrets: full of the words
// rules key on (key, token, secret, password, auth) without a secret, as
// a large source file is.
var stagedFiller = []string{
	"	n := len(buf)",
	"	for i := 0; i < n; i++ {",
	"		sum += int(buf[i])",
	"	}",
	"	return sum, nil",
	"	if err != nil {",
	"		return fmt.Errorf(\"read %s: %w\", name, err)",
	"	}",
	"",
	"func (s *Server) handle(w http.ResponseWriter, r *http.Request) {",
	"	key := r.Header.Get(\"X-Api-Key\") // the caller's key, checked below",
	"	if token == \"\" || len(token) < 8 {",
	"		return errors.New(\"missing token\")",
	"	}",
	"	// password rotation is handled by the vault adapter",
	"	secret, err := s.store.Secret(ctx, name)",
	"	auth := base64.StdEncoding.EncodeToString([]byte(user + \":\" + pass))",
	"	cfg.ClientSecret = os.Getenv(\"CLIENT_SECRET\")",
	"	log.Printf(\"authenticated %s with %d scopes\", user, len(scopes))",
	"}",
	"",
	"// Package-level docs mention api keys, access tokens and private keys.",
	"var defaultTimeout = 30 * time.Second",
}

// TestStagedRegionsMatchWholeFiles stages the catalogue's own examples,
// added whole, beside added lines, with only their first, last or a
// middle line added (a PEM key split across the edge of an added range),
// amid code full of keywords, and checks that matching the regions
// around the added lines gives exactly the findings matching the whole
// staged files gives, while reading much less of them.
func TestStagedRegionsMatchWholeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("catalogue-wide sweep")
	}
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(17))
	filler := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			// Mostly plain code, one line in five with keywords.
			j := rng.Intn(len(stagedFiller))
			if rng.Intn(5) > 0 {
				j %= plainFiller
			}
			out[i] = stagedFiller[j]
		}
		return out
	}
	type file struct{ base, staged []string }
	files := map[string]*file{}
	// Examples holding a keyword of a rule that reads further than most
	// go to files of their own ("far"), so that the regions around the
	// others ("near") are as narrow as the near rules allow, and cut
	// close to them.
	var farKeywords []string
	for _, k := range newReachPlan(rules).keys {
		if k.reach.Window > detectors.DefaultWindow || k.reach.Lines > 20 {
			farKeywords = append(farKeywords, string(k.kw))
		}
	}
	isFar := func(ex string) bool {
		low := strings.ToLower(ex)
		for _, k := range farKeywords {
			if strings.Contains(low, k) {
				return true
			}
		}
		return false
	}
	var names, nearNames, farNames []string
	for _, n := range []string{"server.go", "config/app.yaml", "deploy/values.json", "notes.md"} {
		for i := 0; i < 2; i++ {
			nearNames = append(nearNames, fmt.Sprintf("near%d/%s", i, n))
			farNames = append(farNames, fmt.Sprintf("far%d/%s", i, n))
		}
	}
	names = append(append(names, nearNames...), farNames...)
	for _, n := range names {
		f := &file{}
		head := filler(200)
		f.base, f.staged = append(f.base, head...), append(f.staged, head...)
		files[n] = f
	}
	k, near, pos := 0, 0, 0
	for _, r := range rules {
		// Negative examples give candidates the matcher rejects; an
		// allow comment on some examples, matches it silences.
		for i, ex := range append(slices.Clip(r.Examples), r.NegativeExamples...) {
			if i < len(r.Examples) {
				pos++
				if k%11 == 5 && !strings.Contains(ex, "\n") {
					ex += " # sprawl:allow"
				}
			}
			f := files[farNames[k%len(farNames)]]
			if !isFar(ex) {
				f = files[nearNames[k%len(nearNames)]]
				near++
			}
			lines := strings.Split(ex, "\n")
			mode := k % 7
			if len(lines) < 3 && mode >= 4 {
				mode %= 4
			}
			k++
			gap := filler(rng.Intn(40))
			if k%3 == 0 {
				// Far enough from the last example that its region ends
				// before this one's starts.
				gap = filler(150 + rng.Intn(100))
			}
			f.base, f.staged = append(f.base, gap...), append(f.staged, gap...)
			switch mode {
			case 0, 1: // added whole
				f.staged = append(f.staged, lines...)
			case 2: // unchanged, an added line right after it
				f.base = append(f.base, lines...)
				f.staged = append(f.staged, lines...)
				f.staged = append(f.staged, "// touched after")
			case 3: // unchanged, an added line right before it
				f.base = append(f.base, lines...)
				f.staged = append(f.staged, "// touched before")
				f.staged = append(f.staged, lines...)
			case 4: // only the last line added
				f.base = append(f.base, lines[:len(lines)-1]...)
				f.staged = append(f.staged, lines...)
			case 5: // only the first line added
				f.base = append(f.base, lines[1:]...)
				f.staged = append(f.staged, lines...)
			case 6: // a middle line changed
				mid := len(lines) / 2
				f.base = append(f.base, lines[:mid]...)
				f.base = append(f.base, lines[mid]+" // before the edit")
				f.base = append(f.base, lines[mid+1:]...)
				f.staged = append(f.staged, lines...)
			}
		}
	}
	// A key whose BEGIN line sits far above the one line added inside it,
	// beyond every near rule's reach.
	pem := privateKeyExample(t, rules)
	f := files[farNames[0]]
	body := make([]string, 0, 200)
	for i := 0; i < 200; i++ {
		body = append(body, pem[1])
	}
	f.base = append(f.base, pem[0])
	f.base = append(f.base, body...)
	f.base = append(f.base, pem[len(pem)-1])
	f.staged = append(f.staged, pem[0])
	f.staged = append(f.staged, body[:190]...)
	f.staged = append(f.staged, pem[2])
	f.staged = append(f.staged, body[190:]...)
	f.staged = append(f.staged, pem[len(pem)-1])
	// A kubeconfig whose context (kind: Config) is 70 lines above the
	// one password line added, beyond every near rule's reach.
	kube := &file{base: []string{"apiVersion: v1", "kind: Config"}}
	for i := 0; i < 70; i++ {
		kube.base = append(kube.base, "# padding padding padding padding padding padding padding padding")
	}
	kube.base = append(kube.base, "users:", "- name: admin", "  user:", "    username: admin")
	kube.staged = append(append([]string{}, kube.base...), "    password: "+testToken(701)[5:])
	files["kube/config"] = kube
	names = append(names, "kube/config")
	for _, n := range names {
		tail := filler(300)
		files[n].base = append(files[n].base, tail...)
		files[n].staged = append(files[n].staged, tail...)
	}
	if pos < 300 || near < k/3 {
		t.Fatalf("%d catalogue examples, %d of them near: too few", k, near)
	}

	r := newGitRepo(t)
	for _, n := range names {
		r.write(n, strings.Join(files[n].base, "\n")+"\n")
	}
	r.commit("base")
	for _, n := range names {
		r.write(n, strings.Join(files[n].staged, "\n")+"\n")
	}
	r.git("add", "-A")

	whole, wholeSup, wholeBytes := stagedScan(t, r.dir, false)
	regions, regionSup, regionBytes := stagedScan(t, r.dir, true)
	if d := cmp.Diff(wholeSup, regionSup); d != "" {
		t.Errorf("suppressed candidates: regions differ from whole files (-whole +regions):\n%s", d)
	}
	if len(wholeSup) == 0 {
		t.Error("whole files: no suppressed candidates on added lines to compare")
	}
	if !hasRule(whole, "private-key-rsa", farNames[0]) {
		t.Error("whole files: the key with a line added inside is not found")
	}
	if !hasRule(whole, "kubeconfig-user-password", "kube/config") {
		t.Error("whole files: the kubeconfig password is not found")
	}
	if len(whole) < pos/2 {
		t.Fatalf("whole files: %d findings for %d staged examples", len(whole), pos)
	}
	if d := cmp.Diff(whole, regions); d != "" {
		t.Errorf("regions differ from whole files (-whole +regions):\n%s", d)
	}
	if regionBytes >= wholeBytes {
		t.Errorf("regions matched %d bytes, whole files %d: want fewer", regionBytes, wholeBytes)
	}
	t.Logf("%d examples staged (%d positive, %d near), %d findings, %d suppressed; matched %d bytes of %d", k, pos, near, len(whole), len(wholeSup), regionBytes, wholeBytes)
}

// TestStagedRegionsOneLineInLargeFile: one line added to a large file
// and a long block pasted into it are matched with the text around them,
// and their findings are those of the whole file, at the same lines and
// columns; so are those of a file that is new (matched whole) and of a
// file where only a line far from a secret changed (nothing).
func TestStagedRegionsOneLineInLargeFile(t *testing.T) {
	big := httpServerSource(t)
	r := newGitRepo(t)
	r.write("server.go", string(big))
	r.write("old.env", "A=1\nTOKEN="+testToken(601)+"\n"+strings.Repeat("x=1\n", 50))
	r.commit("base")
	lines := strings.Split(string(big), "\n")
	at := len(lines) / 2
	edited := append(append(append([]string{}, lines[:at]...), "\tapiToken := \""+testToken(602)+"\""), lines[at:]...)
	// A long block pasted in, a secret on its first line: a long range.
	block := append([]string{"\tpasted := \"" + testToken(604) + "\""}, lines[100:300]...)
	edited = append(append(append([]string{}, edited[:at+400]...), block...), edited[at+400:]...)
	r.write("server.go", strings.Join(edited, "\n"))
	r.write("old.env", "A=1\nTOKEN="+testToken(601)+"\n"+strings.Repeat("x=1\n", 50)+"y=2\n")
	r.write("new.env", "NEW="+testToken(603)+"\n")
	r.git("add", "-A")

	whole, _, wholeBytes := stagedScan(t, r.dir, false)
	regions, _, regionBytes := stagedScan(t, r.dir, true)
	if d := cmp.Diff(whole, regions); d != "" {
		t.Errorf("regions differ from whole files (-whole +regions):\n%s", d)
	}
	var got []string
	for _, f := range regions {
		got = append(got, fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column))
	}
	want := []string{"new.env:1:5", fmt.Sprintf("server.go:%d:15", at+1), fmt.Sprintf("server.go:%d:13", at+401)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if regionBytes > wholeBytes*3/4 {
		t.Errorf("regions matched %d bytes of %d: want the text around the added lines only", regionBytes, wholeBytes)
	}
}

// stagedScan scans the staged changes of dir with whole files or with
// regions, and returns the findings, the candidates inline allow
// comments silenced and the matcher rejected (on added lines, as a gate
// lists them), and the bytes matched.
func stagedScan(t *testing.T, dir string, regions bool) (findings, suppressed []Finding, matched int64) {
	t.Helper()
	e := testEngine(t)
	e.KeepAllowed, e.KeepDropped = true, true
	// Regions however many edits a file has: the sweep's files have
	// hundreds.
	src := &StagedSource{GitSource: GitSource{Path: dir}, maxRanges: 1 << 30}
	if regions {
		src.Rules = e.Matcher.Rules()
	}
	res, err := e.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Count(strings.TrimSpace(newGitRepoAt(t, dir).git("diff", "--cached", "--name-only")), "\n") + 1
	if res.Stats.Items != int64(files) {
		t.Errorf("regions %v: %d files counted as scanned, want %d", regions, res.Stats.Items, files)
	}
	for _, f := range src.Finish(res.Allowed) {
		f.Suppressed = "allowed inline"
		suppressed = append(suppressed, f)
	}
	suppressed = append(suppressed, src.Finish(res.Dropped)...)
	sort.SliceStable(suppressed, func(i, j int) bool {
		a, b := suppressed[i], suppressed[j]
		return fmt.Sprint(a.File, a.Line, a.Column, a.RuleID, a.Suppressed, a.Fingerprint) <
			fmt.Sprint(b.File, b.Line, b.Column, b.RuleID, b.Suppressed, b.Fingerprint)
	})
	return res.Findings, suppressed, res.Stats.Bytes
}

// httpServerSource returns Go's net/http/server.go, about 130 KB: a
// large source file full of the words rules key on. The test is skipped
// without it.
func httpServerSource(t testing.TB) []byte {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("go env GOROOT:", err)
	}
	big, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "server.go"))
	if err != nil {
		t.Skip("no Go source to stage:", err)
	}
	return big
}

func newGitRepoAt(t *testing.T, dir string) *gitRepo { return &gitRepo{t: t, dir: dir} }

func hasRule(fs []Finding, rule, file string) bool {
	for _, f := range fs {
		if f.RuleID == rule && f.File == file {
			return true
		}
	}
	return false
}

// privateKeyExample returns the lines of the catalogue's first PEM RSA
// key example.
func privateKeyExample(t *testing.T, rules []*detectors.Rule) []string {
	t.Helper()
	for _, r := range rules {
		if r.ID != "private-key-rsa" {
			continue
		}
		for _, ex := range r.Examples {
			if strings.HasPrefix(ex, "-----BEGIN") {
				return strings.Split(ex, "\n")
			}
		}
	}
	t.Fatal("no private-key-rsa PEM example in the catalogue")
	return nil
}

// TestStagedRegionsKeywordWindow: a custom rule whose match starts lines
// above its keyword, which sits lines above the value it reports (all
// within its window), finds the value on an added line when neither the
// keyword's line nor the match's first line was added: the region takes
// in the keyword's whole window, the rule's own (a user's rule file may
// set a wide one).
func TestStagedRegionsKeywordWindow(t *testing.T) {
	rule := &detectors.Rule{ID: "test-vault-block", Name: "test", Keywords: []string{"vaultcfg"},
		Pattern: `(?s)block \{\n(?:[^\n]*\n){0,40}?\s*vaultcfg = true\n(?:[^\n]*\n){0,40}?\s*value = "(?P<secret>[A-Za-z0-9_]{30,50})"`,
		Window:  2048}
	m, err := detectors.NewMatcher([]*detectors.Rule{rule}, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	r := newGitRepo(t)
	pad := func(n int) string { return strings.Repeat("  # padding padding padding padding padding padding\n", n) }
	base := "block {\n" + pad(8) + "  vaultcfg = true\n" + pad(20)
	r.write("a.hcl", base+"}\n")
	r.commit("base")
	r.write("a.hcl", base+"  value = \""+testToken(801)+"\"\n}\n")
	r.git("add", "-A")
	var got [2][]string
	for i, regions := range []bool{false, true} {
		src := &StagedSource{GitSource: GitSource{Path: r.dir}}
		if regions {
			src.Rules = m.Rules()
		}
		res, err := (&Engine{Matcher: m, Workers: 2}).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			got[i] = append(got[i], fmt.Sprintf("%s %s:%d:%d", f.RuleID, f.File, f.Line, f.Column))
		}
	}
	want := []string{"test-vault-block a.hcl:31:12"}
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("whole file (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, got[1]); d != "" {
		t.Errorf("regions (-want +got):\n%s", d)
	}
}

// TestStagedIsNotBulk: a staged change is matched as a small scan, a
// full history as a large one, a range or --since as a small one
// (detectors.Memo.Bulk).
func TestStagedIsNotBulk(t *testing.T) {
	var src Source = &StagedSource{GitSource: GitSource{Path: "."}}
	if b, ok := src.(Bulker); !ok || b.Bulk() {
		t.Error("a staged scan is bulk")
	}
	for i, g := range []*GitSource{{}, {Since: "main"}, {Range: "a..b"}, {After: time.Unix(1, 0)}} {
		if want := i == 0; g.Bulk() != want {
			t.Errorf("%+v: bulk %t, want %t", g, g.Bulk(), want)
		}
	}
}
