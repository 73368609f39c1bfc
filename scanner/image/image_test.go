package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/image"
)

// Token builds a GitHub-classic-shaped token with a valid checksum from a
// seed, so no secret-shaped literal sits in the source.
func Token(seed int) string {
	const a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	body := make([]byte, 30)
	x := uint32(seed*2654435761 + 777)
	for i := range body {
		x = x*1664525 + 1013904223
		body[i] = a[(x>>16)%62]
	}
	sum := crc32.ChecksumIEEE(body)
	enc := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		enc[i] = a[sum%62]
		sum /= 62
	}
	return "gh" + "p_" + string(body) + string(enc)
}

// entry is one tar member: a regular file with content, a directory
// (name ending in /), or a whiteout (base name .wh.…, no content).
type entry struct{ name, content string }

func tarLayer(t testing.TB, entries ...entry) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.content)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.content); err != nil {
			t.Fatal(err)
		}
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

// testImage is a base of random bytes and four layers:
//
//	1: etc/app.env (token 1), app/old.key (token 2), data/cache/k.txt (token 3), opt/conf/x.txt (token 6)
//	2: deletes app/old.key (whiteout), replaces etc/app.env without a secret
//	3: makes data/cache opaque; replaces the directory opt/conf by a file
//	4: srv/keep.txt (token 4), logo.png holding token 5 (skipped by name)
//
// with token 7 in the environment and token 8 in a build argument the
// history records.
func testImage(t testing.TB) v1.Image {
	t.Helper()
	base, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base,
		tarLayer(t, entry{"etc/", ""}, entry{"etc/app.env", "GITHUB_TOKEN=" + Token(1) + "\n"},
			entry{"app/old.key", "token: " + Token(2) + "\n"},
			entry{"./data/cache/k.txt", "t=" + Token(3) + "\n"},
			entry{"opt/conf/x.txt", "t=" + Token(6) + "\n"}),
		tarLayer(t, entry{"app/.wh.old.key", ""}, entry{"etc/app.env", "GITHUB_TOKEN=\n"}),
		tarLayer(t, entry{"data/cache/.wh..wh..opq", ""}, entry{"opt/conf", "now a file\n"}),
		tarLayer(t, entry{"/srv/keep.txt", "k=" + Token(4) + "\n"}, entry{"logo.png", Token(5)}),
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/usr/bin", "GH_TOKEN=" + Token(7)}
	cf.Config.Cmd = []string{"/app/server", "--listen", ":8080"}
	cf.Config.Labels = map[string]string{"org.opencontainers.image.source": "https://example.com/app"}
	cf.History = []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:base in /"},
		{CreatedBy: "RUN |1 TOKEN=" + Token(8) + " /bin/sh -c make", EmptyLayer: true},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func engine(t testing.TB) *scanner.Engine {
	t.Helper()
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	return &scanner.Engine{Matcher: m, Workers: 2}
}

func quietRegistry() http.Handler { return registry.New(registry.Logger(log.New(io.Discard, "", 0))) }

// serve starts an in-process registry and returns its host.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	// No credentials but the test's own: the machine's Docker
	// configuration stays out of it.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

type got struct {
	Path, Rule, Message string
	Present             bool
}

// scan runs the engine over target and returns its findings with the
// image name cut from their paths, and which token each one is.
func scan(t *testing.T, target string, opts image.Options) ([]got, *image.Source, scanner.Result) {
	t.Helper()
	src, err := image.Open(context.Background(), target, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine(t).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "image:" + src.Name() + "/"
	var out []got
	for _, f := range res.Findings {
		if !strings.HasPrefix(f.File, prefix) {
			t.Errorf("finding at %q: want the prefix %q", f.File, prefix)
		}
		present, known := src.AtTip(f)
		if !known {
			t.Errorf("%s: presence unknown", f.File)
		}
		tok := "?"
		for i := 1; i <= 20; i++ {
			if f.Secret == Token(i) {
				tok = fmt.Sprint(i)
			}
		}
		out = append(out, got{Path: strings.TrimPrefix(f.File, prefix) + " #" + tok, Rule: f.RuleID, Message: f.Message, Present: present})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, src, res
}

func wantFindings() []got {
	const rule = "github-pat"
	hist := image.NotInFinalImage
	return []got{
		{Path: "config/env/GH_TOKEN #7", Rule: rule, Present: true},
		{Path: "config/history/1 #8", Rule: rule, Present: true},
		{Path: "layer/1/app/old.key #2", Rule: rule, Message: hist + ": deleted in layer 2"},
		{Path: "layer/1/data/cache/k.txt #3", Rule: rule, Message: hist + ": deleted (directory data/cache made opaque) in layer 3"},
		{Path: "layer/1/etc/app.env #1", Rule: rule, Message: hist + ": replaced in layer 2"},
		{Path: "layer/1/opt/conf/x.txt #6", Rule: rule, Message: hist + ": deleted with its directory opt/conf in layer 3"},
		{Path: "layer/4/srv/keep.txt #4", Rule: rule, Present: true},
	}
}

// TestRegistryImage: every layer's files and the configuration are
// scanned from an image pulled from a registry; files later layers delete
// or replace are found and marked as history; compressed members are
// skipped by name.
func TestRegistryImage(t *testing.T) {
	host := serve(t, quietRegistry())
	ref := host + "/acme/app:1.0"
	img := testImage(t)
	push(t, ref, img)
	findings, src, res := scan(t, ref, image.Options{})
	if diff := cmp.Diff(wantFindings(), findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	d, _ := img.Digest()
	if want := host + "/acme/app:1.0@" + d.String(); src.Name() != want {
		t.Errorf("Name() = %q, want %q", src.Name(), want)
	}
	if want := "image:" + host + "/acme/app:1.0"; src.Root() != want {
		t.Errorf("Root() = %q, want %q", src.Root(), want)
	}
	if res.Stats.Skipped["binary"] != 1 {
		t.Errorf("skipped %v, want logo.png skipped as binary", res.Stats.Skipped)
	}
	if res.Stats.Errors != 0 {
		t.Errorf("errors: %v", res.Stats.FirstErrors)
	}

	// By digest: the locations name it once; the root is the digest's.
	byDigest := host + "/acme/app@" + d.String()
	findings, src, _ = scan(t, byDigest, image.Options{})
	if diff := cmp.Diff(wantFindings(), findings); diff != "" {
		t.Errorf("by digest: findings (-want +got):\n%s", diff)
	}
	if src.Name() != byDigest || src.Root() != "image:"+byDigest {
		t.Errorf("by digest: Name() = %q, Root() = %q; want %q and image:%[3]s", src.Name(), src.Root(), byDigest)
	}
}

// TestArchiveAndLayout: a docker-archive tarball and an OCI layout give
// the same findings as the registry.
func TestArchiveAndLayout(t *testing.T) {
	img := testImage(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "app.tar")
	tag, _ := name.NewTag("example.com/acme/app:1.0")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	oci := filepath.Join(dir, "oci")
	lp, err := layout.Write(oci, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{archive, oci} {
		t.Run(filepath.Base(target), func(t *testing.T) {
			findings, src, _ := scan(t, target, image.Options{})
			if diff := cmp.Diff(wantFindings(), findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if want := "image:" + target; src.Root() != want {
				t.Errorf("Root() = %q, want %q", src.Root(), want)
			}
		})
	}
}

// TestPlatform: --platform picks an image of a multi-platform index; the
// default is linux/amd64; a platform the index lacks is an error naming
// those it has.
func TestPlatform(t *testing.T) {
	host := serve(t, quietRegistry())
	mk := func(arch string, tok int) v1.Image {
		img, err := mutate.AppendLayers(empty.Image, tarLayer(t, entry{"arch.txt", arch + " t=" + Token(tok) + "\n"}))
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: mk("arm64", 11), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: mk("amd64", 12), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	ref := host + "/acme/multi:latest"
	r, _ := name.ParseReference(ref)
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ platform, want string }{
		{"", "layer/0/arch.txt #12"},
		{"linux/arm64", "layer/0/arch.txt #11"},
		{"linux/arm64/v8", "layer/0/arch.txt #11"},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			findings, _, _ := scan(t, ref, image.Options{Platform: tc.platform})
			if len(findings) != 1 || !strings.HasPrefix(findings[0].Path, tc.want) {
				t.Errorf("findings %v, want one at %s", findings, tc.want)
			}
		})
	}
	_, err := image.Open(context.Background(), ref, image.Options{Platform: "linux/s390x"})
	if !errors.Is(err, image.ErrPlatform) || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("err = %v, want ErrPlatform naming the platforms there are", err)
	}
}

// basicAuth wraps a registry so that it answers 401 without the
// credentials, as a private registry does.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TestRegistryAuth: credentials come from the Docker configuration
// (DOCKER_CONFIG/config.json, as docker login writes it); without them a
// private image is ErrUnauthorized, and an absent one ErrNotFound.
func TestRegistryAuth(t *testing.T) {
	reg := quietRegistry()
	host := serve(t, basicAuth(reg, "puller", "pull-only-pw"))
	open := serve(t, reg)
	push(t, open+"/acme/private:1", testImage(t))
	ref := host + "/acme/private:1"

	t.Setenv("DOCKER_CONFIG", t.TempDir())
	_, err := image.Open(context.Background(), ref, image.Options{})
	if !errors.Is(err, image.ErrUnauthorized) {
		t.Fatalf("without credentials: err = %v, want ErrUnauthorized", err)
	}

	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("puller:pull-only-pw"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, host, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfg)
	findings, _, _ := scan(t, ref, image.Options{})
	if len(findings) != len(wantFindings()) {
		t.Errorf("with credentials: %d findings, want %d", len(findings), len(wantFindings()))
	}

	_, err = image.Open(context.Background(), open+"/acme/absent:1", image.Options{})
	if !errors.Is(err, image.ErrNotFound) {
		t.Errorf("absent image: err = %v, want ErrNotFound", err)
	}
}

// TestCorruptLayer: a layer whose bytes do not match its digest is an
// unreadable item (the scan is incomplete), never a clean layer; the
// other layers are still scanned.
func TestCorruptLayer(t *testing.T) {
	img := testImage(t)
	layers, _ := img.Layers()
	bad, _ := layers[len(layers)-1].Digest()
	reg := quietRegistry()
	host := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+bad.String()) {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body[len(body)-5] ^= 0xff // in the gzip trailer: the tar reads whole
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	push(t, host+"/acme/app:1", img)
	_, _, res := scan(t, host+"/acme/app:1", image.Options{})
	if res.Stats.Errors != 1 || !strings.Contains(strings.Join(res.Stats.FirstErrors, " "), "layer/4") {
		t.Errorf("errors %d %v, want the corrupt layer 4 reported unreadable", res.Stats.Errors, res.Stats.FirstErrors)
	}
	if len(res.Findings) < 5 {
		t.Errorf("%d findings, want the other layers and the config scanned", len(res.Findings))
	}
}

// TestLayerCompressions: stored layers compressed with gzip or zstd, or
// not compressed at all, are read alike.
func TestLayerCompressions(t *testing.T) {
	tarBytes := func(name, content string) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		io.WriteString(tw, content)
		tw.Close()
		return b.Bytes()
	}
	opener := func(data []byte) tarball.Opener {
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	gz, err := tarball.LayerFromOpener(opener(tarBytes("gz.txt", "t="+Token(13)+"\n")))
	if err != nil {
		t.Fatal(err)
	}
	zst, err := tarball.LayerFromOpener(opener(tarBytes("zst.txt", "t="+Token(14)+"\n")),
		tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	if err != nil {
		t.Fatal(err)
	}
	raw := static.NewLayer(tarBytes("raw.txt", "t="+Token(15)+"\n"), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(empty.Image, gz, zst, raw)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	findings, _, _ := scan(t, dir, image.Options{})
	var paths []string
	for _, f := range findings {
		paths = append(paths, f.Path)
	}
	want := []string{"layer/0/gz.txt #13", "layer/1/zst.txt #14", "layer/2/raw.txt #15"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestLargeMemberStreamed: a member larger than the chunk size is read
// in overlapping chunks; a secret at its end is found at its line.
func TestLargeMemberStreamed(t *testing.T) {
	body := strings.Repeat("filler line of text\n", 20000) + "t=" + Token(9) + "\n"
	img, err := mutate.AppendLayers(empty.Image, tarLayer(t, entry{"big.txt", body}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	src, err := image.Open(context.Background(), dir, image.Options{ChunkSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine(t).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Line != 20001 || res.Stats.Chunks < 3 {
		t.Errorf("findings %+v in %d chunks, want one at line 20001 of a chunked read", res.Findings, res.Stats.Chunks)
	}
}
