package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/internal/browsertest"
)

func chromium(t *testing.T) string { return browsertest.Chromium(t) }

// headless runs Chromium on a file:// page with a network log, returning
// stdout and the URLs the page itself asked the network for.
func headless(t *testing.T, page string, args ...string) (stdout []byte, pageRequests []string) {
	t.Helper()
	bin := chromium(t)
	dir := t.TempDir()
	netlog := filepath.Join(dir, "netlog.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, "profile"), "--log-net-log=" + netlog,
	}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.Bytes())
	}
	return out.Bytes(), pageNetworkRequests(t, netlog)
}

// pageNetworkRequests reads a Chromium NetLog and returns the URLs of
// network requests made on behalf of a file:// page (the browser's own
// background requests carry another isolation key and are ignored).
func pageNetworkRequests(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("netlog: %v", err)
	}
	// A log cut short by the browser's exit lacks its closing brackets.
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		raw = append(bytes.TrimSuffix(raw, []byte(",")), []byte("]}")...)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("netlog: %v", err)
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("netlog has no URL_REQUEST_START_JOB event type")
	}
	var urls []string
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		u, _ := e.Params["url"].(string)
		nik, _ := e.Params["network_isolation_key"].(string)
		if strings.Contains(nik, "file://") && !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") {
			urls = append(urls, u)
		}
	}
	return urls
}

// The detector must see a request when a page makes one, or the "no
// request" assertion below would prove nothing.
func TestNetworkDetectorSeesPageRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	page := filepath.Join(t.TempDir(), "probe.html")
	if err := os.WriteFile(page, []byte(`<html><body><img src="http://127.0.0.1:9/probe.png"></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, reqs := headless(t, page, "--dump-dom")
	if len(reqs) != 1 || !strings.Contains(reqs[0], "127.0.0.1:9/probe.png") {
		t.Fatalf("page requests %q: the probe image was not detected", reqs)
	}
}

// TestInventoryReportHTMLInChromium renders the HTML report in headless
// Chromium: the script ran, the charts and tables are in the rendered DOM,
// the page made no network request, and the screenshot is a real image.
// With SPRAWL_REPORT_SCREENSHOT=path it also keeps the screenshot (the
// README's picture: make report-screenshot).
func TestInventoryReportHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	s := fixtureInventory(t)
	r := buildFixtureReport(t, s, q3Since, q3Until)
	html := render(t, r, "html")
	assertNoRemoteReferences(t, html)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}

	dom, reqs := headless(t, page, "--dump-dom", "--virtual-time-budget=2000")
	if len(reqs) > 0 {
		t.Errorf("the report made network requests: %q", reqs)
	}
	// Paths carry <wbr> break points; compare text without them.
	d := strings.ReplaceAll(string(dom), "<wbr>", "")
	if !strings.Contains(d, `data-sortable="ready"`) {
		t.Error("the sorting script did not run")
	}
	if n := strings.Count(d, `<svg class="chart bars"`); n != 7 {
		t.Errorf("%d bar charts rendered, want 7 (status, severity, environment, class; where secrets live: locations, secrets, store objects)", n)
	}
	if !strings.Contains(d, `<svg class="chart trend"`) || strings.Count(d, `<circle class="pt"`) != 3 {
		t.Error("the trend chart with three points is missing")
	}
	for _, id := range []string{"t-live", "t-overdue", "t-managed", "t-ci-secrets", "t-new", "t-rotations", "t-shared", "t-spread", "t-repositories", "t-scans"} {
		if !strings.Contains(d, `id="`+id+`"`) {
			t.Errorf("table %s missing", id)
		}
	}
	// Managed secrets against policy: counts by store, the change since
	// the period began, the overdue and never-rotated lists with ages.
	for _, want := range []string{`id="t-managed-stores"`, `id="t-managed-change"`, `id="t-managed-overdue"`, `id="t-managed-never"`,
		"Managed secrets against policy", "13% rotated automatically", "prod/epic-sftp#password", "430 d", "+6"} {
		if !strings.Contains(d, want) {
			t.Errorf("managed section: %q missing from the rendered page", want)
		}
	}
	if got := strings.Count(d, `tabindex="0"`); got < 30 {
		t.Errorf("%d sortable headers were made keyboard-focusable, want every one", got)
	}
	if !strings.Contains(d, "Audit log verified") {
		t.Error("audit status missing")
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	if _, reqs := headless(t, page, "--screenshot="+shot, "--window-size=1280,1700"); len(reqs) > 0 {
		t.Errorf("the report made network requests while rendering: %q", reqs)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1700 {
		t.Errorf("screenshot is %v", b)
	}
	// A blank page is one colour; the report has many.
	colours := map[uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|b>>12] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot has %d colours: nothing rendered?", len(colours))
	}
	// Print: the print stylesheet must give a real document of a few
	// pages, without requests either.
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	if _, reqs := headless(t, page, "--print-to-pdf="+pdf, "--no-pdf-header-footer"); len(reqs) > 0 {
		t.Errorf("the report made network requests while printing: %q", reqs)
	}
	doc, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if pages := len(pdfPage.FindAll(doc, -1)); !bytes.HasPrefix(doc, []byte("%PDF-")) || pages < 2 || pages > 12 {
		t.Errorf("printed report: %d bytes, %d pages; want a PDF of 2 to 12 pages", len(doc), pages)
	}
	if out := os.Getenv("SPRAWL_REPORT_SCREENSHOT"); out != "" {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pdfPage matches a page object (not the /Pages tree node).
var pdfPage = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

var remoteRef = regexp.MustCompile(`(?i)(\b(?:src|href|action|poster|srcset|xlink:href)\s*=\s*["']?\s*([^"'\s>]+))|url\(\s*["']?([^"')]+)|@import`)

// remoteReferences lists the attributes and CSS url()s or @imports of
// html that point anywhere but the page itself or a data: URL.
func remoteReferences(html []byte) []string {
	var out []string
	for _, m := range remoteRef.FindAllSubmatch(html, -1) {
		target := string(m[2]) + string(m[3])
		if strings.HasPrefix(string(m[0]), "@import") || !(strings.HasPrefix(target, "#") || strings.HasPrefix(target, "data:")) {
			out = append(out, string(m[0]))
		}
	}
	return out
}

func assertNoRemoteReferences(t *testing.T, html []byte) {
	t.Helper()
	if refs := remoteReferences(html); len(refs) > 0 {
		t.Errorf("the report references outside resources: %q", refs)
	}
}

func TestRemoteReferences(t *testing.T) {
	for _, bad := range []string{`<img src="https://x.test/a.png">`, `<link href=//cdn.test/x.css>`, `<style>a{background:url(http://x)}</style>`, `<style>@import "x.css";</style>`, `<script src='a.js'></script>`} {
		if len(remoteReferences([]byte(bad))) != 1 {
			t.Errorf("%s not caught", bad)
		}
	}
	if refs := remoteReferences([]byte(`<a href="#overdue">x</a><img src="data:image/png;base64,AAAA">`)); len(refs) != 0 {
		t.Errorf("local references flagged: %q", refs)
	}
}
