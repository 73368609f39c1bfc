package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// imageLayer is a layer holding the files (path → content; a base name
// starting .wh. is a whiteout and has no content).
func imageLayer(t *testing.T, files ...[2]string) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, f[1])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pushImage pushes a random base plus three layers to ref: the secret
// in app/.env (layer 1, deleted by layer 2) and in srv/config.env (layer
// 3), and in the environment.
func pushImage(t *testing.T, ref, secret string) v1.Image {
	t.Helper()
	base, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base,
		imageLayer(t, [2]string{"app/.env", "GITHUB_TOKEN=" + secret + "\n"}),
		imageLayer(t, [2]string{"app/.wh..env", ""}),
		imageLayer(t, [2]string{"srv/config.env", "GITHUB_TOKEN=" + secret + "\n"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Env = []string{"GH_TOKEN=" + secret}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return img
}

func testRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestScanImageInventory: the same secret in a git repository and in an
// image (a layer that a later layer deletes, a later layer, the
// environment) is one inventory entry with one location per place; the
// deleted file's location is not present at the tip; nothing of the
// value reaches the database.
func TestScanImageInventory(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	secret := ghToken(t)
	db := dir + "/inv.db"

	repo := newFakeRepo(t, dir, "app-dev")
	repo.commit(t, "config", map[string]string{"config/app.env": "GITHUB_TOKEN=" + secret + "\n"})
	if code, out, errOut := runSprawl(context.Background(), "scan", "git", repo.work, "--inventory", db, "--quiet"); code != exitFindings {
		t.Fatalf("scan git: exit %d\n%s%s", code, out, errOut)
	}

	host := testRegistry(t, nil)
	ref := host + "/acme/app:prod"
	img := pushImage(t, ref, secret)
	digest, _ := img.Digest()
	code, out, errOut := runSprawl(context.Background(), "scan", "image", ref, "--inventory", db, "--format", "json")
	if code != exitFindings {
		t.Fatalf("scan image: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, secret) {
		t.Fatal("the secret was printed in full")
	}
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	prefix := "image:" + ref + "@" + digest.String() + "/"
	messages := map[string]string{}
	for _, f := range fs {
		file, _ := f["file"].(string)
		msg, _ := f["message"].(string)
		messages[strings.TrimPrefix(file, prefix)] = msg
	}
	want := map[string]string{
		"config/env/GH_TOKEN":    "",
		"layer/1/app/.env":       "not in the final image: deleted in layer 2",
		"layer/3/srv/config.env": "",
	}
	for p, m := range want {
		if got, ok := messages[p]; !ok || got != m {
			t.Errorf("finding at %s: message %q (reported: %v), want %q", p, got, ok, m)
		}
	}

	s := openInv(t, db)
	key, err := inventoryKey()
	if err != nil {
		t.Fatal(err)
	}
	fp := scanner.Fingerprint(key, secret)
	sec, err := s.Secret(context.Background(), fp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	atTip := map[string]bool{}
	for _, l := range sec.Locations {
		p := strings.TrimPrefix(l.Path, prefix)
		got = append(got, l.Source+" "+p)
		if l.AtTip != nil {
			atTip[p] = *l.AtTip
		}
		if l.Source == "image" && l.Repository != "image:"+ref {
			t.Errorf("image location's repository %q, want image:%s", l.Repository, ref)
		}
	}
	sort.Strings(got)
	wantLocs := []string{"git config/app.env", "image config/env/GH_TOKEN", "image layer/1/app/.env", "image layer/3/srv/config.env"}
	if strings.Join(got, "\n") != strings.Join(wantLocs, "\n") {
		t.Errorf("locations of the one secret:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLocs, "\n"))
	}
	if atTip["layer/1/app/.env"] || !atTip["layer/3/srv/config.env"] || !atTip["config/env/GH_TOKEN"] {
		t.Errorf("present at tip: %v; want the deleted file's location absent, the others present", atTip)
	}
	all, err := s.Secrets(context.Background(), inventory.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d inventory entries, want 1", len(all))
	}
	// The repository is named for development, the image's tag for
	// production: the secret is shared across environments.
	cls, err := inventory.NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := inventory.Evaluate(sec, inventory.Policy{}, cls, time.Now())
	if fmt.Sprint(e.Environments) != "[production development]" || !e.SharedEnvironments {
		t.Errorf("environments %v, shared %v; want production (the image tag) and development (the repository), shared", e.Environments, e.SharedEnvironments)
	}
	s.Close()

	var dbBytes []byte
	for _, p := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		dbBytes = append(dbBytes, b...)
	}
	if !bytes.Contains(dbBytes, []byte("srv/config.env")) {
		t.Fatal("control: the database files do not hold the locations; the search would prove nothing")
	}
	for _, n := range []string{secret, secret[4:20], base64.StdEncoding.EncodeToString([]byte(secret))} {
		if bytes.Contains(dbBytes, []byte(n)) {
			t.Errorf("the database holds part of the secret (%d bytes)", len(n))
		}
	}
}

// TestScanImageFailures: an image the registry does not have, or refuses
// to serve without credentials, is a runtime failure (exit 3) with a
// clear message and no report; a malformed reference is a usage error.
func TestScanImageFailures(t *testing.T) {
	isolate(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	open := testRegistry(t, nil)
	private := testRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, _, ok := r.BasicAuth(); !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	for _, tc := range []struct {
		name, ref, msg string
		code           int
	}{
		{"missing", open + "/acme/absent:1", "no such image", exitFailure},
		{"unauthorised", private + "/acme/app:1", "the registry refused access", exitFailure},
		{"no such archive", "./nowhere.tar", "no such file or directory", exitFailure},
		{"malformed reference", "Acme/App:1 0", "not an image reference", exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runSprawl(context.Background(), "scan", "image", tc.ref, "--format", "json")
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tc.code, tc.msg)
			}
			if out != "" || strings.Contains(errOut, "scanned") {
				t.Errorf("a failed scan printed a report or summary: %q %q", out, errOut)
			}
		})
	}
}
