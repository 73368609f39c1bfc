package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/browsertest"
)

// TestBuild checks the story the demo tells, whatever the random values:
// every planted secret found, one password shared by three environments
// and repositories, several scans in the period, the decisions standing
// with their reasons, leaked secrets a vault holds, CI secrets to flag.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds git repositories")
	}
	ctx := context.Background()
	r, err := Build(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Report(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, s := range rep.Secrets {
		rules = append(rules, s.RuleID)
	}
	slices.Sort(rules)
	want := []string{"aws-access-key-id", "aws-access-key-id", "aws-secret-access-key", "aws-secret-access-key", "github-pat",
		"postgres-uri-password", "postgres-uri-password", "private-key-rsa", "slack-bot-token", "stripe-live-secret-key"}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("secrets found (-want +got):\n%s", diff)
	}
	if len(rep.SharedEnvironments) != 1 || len(rep.MultiRepository) != 1 || rep.SharedEnvironments[0].Repositories != 3 {
		t.Errorf("shared %+v, multi-repository %+v: want the billing password in three repositories", rep.SharedEnvironments, rep.MultiRepository)
	}
	if len(rep.Trend) < 4 || len(rep.Scans) < 12 {
		t.Errorf("trend %d points, %d scans: want four scan days in the period", len(rep.Trend), len(rep.Scans))
	}
	var decided []string
	for _, d := range rep.Decisions {
		decided = append(decided, d.Status+": "+d.Reason)
	}
	slices.Sort(decided)
	if len(decided) != 3 || !strings.HasPrefix(decided[0], "accepted-risk: throwaway") || !strings.HasPrefix(decided[2], "false-positive: moto") {
		t.Errorf("decisions %q: want two false positives and an accepted risk, with reasons", decided)
	}
	if len(rep.Rotations) != 1 || rep.Rotations[0].RuleID != "stripe-live-secret-key" || rep.Rotations[0].Reason == "" {
		t.Errorf("rotations %+v", rep.Rotations)
	}
	if len(rep.LeakedManaged) != 2 || len(rep.CISecrets) == 0 || rep.Managed.Previous == nil || len(rep.Overdue) == 0 {
		t.Errorf("leaked managed %d, CI secrets %d, managed before the period %v, overdue %d: want each",
			len(rep.LeakedManaged), len(rep.CISecrets), rep.Managed.Previous, len(rep.Overdue))
	}
	if !rep.Audit.Verified {
		t.Errorf("audit %+v", rep.Audit)
	}
}

// TestDemoReportInChromium builds the demo exactly as `make demo` does
// (Build, then WriteReport) and renders its HTML report in headless
// Chromium: no section may show its empty-state text, the trend has
// several points, every table is there, previews stay on one line, tables
// fit a 1280-pixel window and paths break only after a separator.
//
// SPRAWL_DEMO_REPORT=path checks an existing report instead (a report
// from an older `make demo`, to see this test fail on it).
func TestDemoReportInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("builds git repositories and starts a browser")
	}
	bin := chromium(t)
	page := os.Getenv("SPRAWL_DEMO_REPORT")
	if page == "" {
		dir := t.TempDir()
		ctx := context.Background()
		r, err := Build(ctx, Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		page = filepath.Join(dir, "report.html")
		if err := WriteReport(ctx, r, "html", page); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(r.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("fingerprint key %v %v: want mode 0600", fi.Mode(), err)
		}
	}
	if abs, err := filepath.Abs(page); err == nil {
		page = abs
	}
	// A copy of the page with a probe that measures the laid-out text and
	// writes its verdicts into the DOM Chromium dumps.
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(probe, bytes.Replace(html, []byte("</body>"), []byte(layoutProbe+"</body>"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	dom := dumpDOM(t, bin, probe)

	if !strings.Contains(dom, `data-sortable="ready"`) {
		t.Fatal("the report's script did not run")
	}
	for _, m := range emptyState.FindAllStringSubmatch(dom, -1) {
		t.Errorf("a section is empty: %q", m[1])
	}
	for _, id := range []string{"t-overdue", "t-managed", "t-ci-secrets", "t-managed-stores", "t-managed-change", "t-managed-overdue",
		"t-managed-never", "t-new", "t-rotations", "t-decisions", "t-shared", "t-spread", "t-repositories", "t-scans"} {
		if !strings.Contains(dom, `id="`+id+`"`) {
			t.Errorf("table %s missing", id)
		}
	}
	if n := strings.Count(dom, `<circle class="pt"`); n < 3 {
		t.Errorf("the trend has %d points, want several", n)
	}
	for _, want := range []string{"accepted-risk", "false-positive", "throwaway warehouse container", "moto S3 mock credentials", "rolled in the Stripe dashboard"} {
		if !strings.Contains(dom, want) {
			t.Errorf("%q missing: decisions and their reasons must show", want)
		}
	}
	if m := probeResult.FindStringSubmatch(dom); m == nil {
		t.Error("the layout probe did not run")
	} else if m[1] != "" {
		t.Errorf("layout problems: %s", m[1])
	}
}

// emptyState matches an element showing a section's empty-state text.
var emptyState = regexp.MustCompile(`class="empty"[^>]*>([^<]*)`)

var probeResult = regexp.MustCompile(`data-layout-problems="([^"]*)"`)

// layoutProbe checks, on the laid-out page, that no table is wider than
// the page (tables clip what overflows), that no preview cell spans two
// lines and that every line break inside a path-bearing cell falls after a
// separator, a hyphen or a space (the breaks a reader expects in a name).
const layoutProbe = `<script>
(function () {
  var problems = [];
  function lines(el) {
    var r = document.createRange(); r.selectNodeContents(el);
    var tops = {}; Array.prototype.forEach.call(r.getClientRects(), function (x) { tops[Math.round(x.top)] = 1; });
    return Object.keys(tops).length;
  }
  document.querySelectorAll("td.preview, td.date").forEach(function (td) {
    if (lines(td) > 1) problems.push(td.className + " wraps: " + td.textContent.slice(0, 24));
  });
  document.querySelectorAll("td").forEach(function (td) {
    if (!td.querySelector("wbr")) return;
    var walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), node, prevTop = null, prevChar = "";
    while ((node = walker.nextNode())) {
      for (var i = 0; i < node.data.length; i++) {
        var r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
        var rect = r.getClientRects()[0];
        if (!rect) continue;
        var top = Math.round(rect.top);
        if (prevTop !== null && top > prevTop + 2 && "/\\#:,- ".indexOf(prevChar) < 0 && node.data[i] !== " ") {
          problems.push("breaks inside a name: " + td.textContent.slice(0, 60));
        }
        prevTop = top; prevChar = node.data[i];
      }
    }
  });
  var avail = document.querySelector("h2").getBoundingClientRect().width;
  document.querySelectorAll("table").forEach(function (t) {
    var w = t.getBoundingClientRect().width;
    if (w > avail + 1) problems.push("table " + t.id + " is " + Math.round(w) + "px wide, the page " + Math.round(avail) + "px: its last columns are cut off");
  });
  document.documentElement.setAttribute("data-layout-problems", problems.join("; ").replace(/"/g, "'"));
})();
</script>`

func chromium(t *testing.T) string { return browsertest.Chromium(t) }

// dumpDOM renders page at a laptop's width and returns the DOM after its
// scripts ran.
func dumpDOM(t *testing.T, bin, page string) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1280,900",
		"--dump-dom", "--virtual-time-budget=2000", "file://"+page)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.Bytes())
	}
	return out.String()
}
