package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sprawlsec/sprawl/scanner/image"
)

// Size of the benchmark image: 10 layers of 5,000 files each.
const (
	benchLayers        = 10
	benchFilesPerLayer = 5000
)

var benchWords = strings.Fields(`the a of to in is for on with as by at from config value name
	return func if else for range var const type struct import package string int error nil true false
	server client request response handler path file dir user group host port timeout retry cache
	log level debug info warn message event queue worker job task build test release version
	password token secret key api auth session cookie header url endpoint database schema table`)

// benchFile is a file of the benchmark image: source- or config-like
// text of 256 B to 4 KiB, or every 50th a 16 KiB binary.
func benchFile(r *rand.Rand, i int) []byte {
	if i%50 == 0 {
		b := make([]byte, 16<<10)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		return b
	}
	size := 256 + r.IntN(4096-256)
	var b bytes.Buffer
	for b.Len() < size {
		n := 4 + r.IntN(9)
		for w := 0; w < n; w++ {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(benchWords[r.IntN(len(benchWords))])
		}
		b.WriteString(" = ")
		fmt.Fprintf(&b, "%d\n", r.IntN(100000))
	}
	return b.Bytes()
}

// benchTree lists up to n regular files of at most 1 MiB under root, in
// walk order, for a benchmark image made of real files.
func benchTree(tb testing.TB, root string, n int) []string {
	tb.Helper()
	var files []string
	errDone := errors.New("done")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() > 1<<20 {
			return nil
		}
		files = append(files, p)
		if len(files) == n {
			return errDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		tb.Fatal(err)
	}
	if len(files) < n {
		tb.Fatalf("%s holds only %d files of at most 1 MiB, want %d", root, len(files), n)
	}
	return files
}

// writeBenchImage writes the benchmark image as an OCI layout under dir
// and returns the layout's path and its layer blobs, base first. Each
// layer after the first rewrites 500 paths of the layer below and
// deletes 100 others (whiteouts). The files are synthetic text (three
// holding a synthetic token) or, when from names a directory, that
// tree's first 50,000 regular files of at most 1 MiB (a real system's
// files, as a base image holds them).
func writeBenchImage(tb testing.TB, dir, from string) (string, []string) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var tree []string
	if from != "" {
		tree = benchTree(tb, from, benchLayers*benchFilesPerLayer)
	}
	file := func(layer, i int) (string, []byte) {
		if tree != nil {
			p := tree[layer*benchFilesPerLayer+i]
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			return strings.TrimPrefix(filepath.ToSlash(p), "/"), data
		}
		data := benchFile(r, i)
		if i == 1234 && layer%4 == 0 {
			data = append(data, []byte("GITHUB_TOKEN="+Token(layer)+"\n")...)
		}
		return fmt.Sprintf("usr/share/l%d/d%d/f%d.txt", layer, i%100, i), data
	}
	img := empty.Image
	for l := 0; l < benchLayers; l++ {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		add := func(name string, data []byte) {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
				tb.Fatal(err)
			}
			if _, err := tw.Write(data); err != nil {
				tb.Fatal(err)
			}
		}
		for i := 0; i < benchFilesPerLayer; i++ {
			layer := l
			if l > 0 && i < 500 {
				layer = l - 1 // rewrites a path of the layer below
			}
			add(file(layer, i))
		}
		if l > 0 {
			for i := 500; i < 600; i++ {
				name, _ := file(l-1, i)
				add(path.Join(path.Dir(name), ".wh."+path.Base(name)), nil)
			}
		}
		if err := tw.Close(); err != nil {
			tb.Fatal(err)
		}
		data := buf.Bytes()
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
			tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			tb.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			tb.Fatal(err)
		}
	}
	oci := filepath.Join(dir, "oci")
	lp, err := layout.Write(oci, empty.Index)
	if err != nil {
		tb.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		tb.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		tb.Fatal(err)
	}
	var blobs []string
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			tb.Fatal(err)
		}
		blobs = append(blobs, filepath.Join(oci, "blobs", d.Algorithm, d.Hex))
	}
	return oci, blobs
}

// TestWriteBenchImage writes the benchmark image for scripts/bench-image.sh
// when SPRAWL_BENCH_IMAGE_DIR names a directory: an OCI layout in oci/ and
// layers.txt listing its layer blobs, base first. SPRAWL_BENCH_IMAGE_FROM
// (here and for BenchmarkScanImage) takes the files from a directory tree
// instead of generating them.
func TestWriteBenchImage(t *testing.T) {
	dir := os.Getenv("SPRAWL_BENCH_IMAGE_DIR")
	if dir == "" {
		t.Skip("SPRAWL_BENCH_IMAGE_DIR not set")
	}
	_, blobs := writeBenchImage(t, dir, os.Getenv("SPRAWL_BENCH_IMAGE_FROM"))
	if err := os.WriteFile(filepath.Join(dir, "layers.txt"), []byte(strings.Join(blobs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkScanImage scans the 10-layer, 50,000-file image from its OCI
// layout: decompression, tar reading, whiteouts and matching.
// scripts/bench-image.sh compares the same scan with tar -x.
func BenchmarkScanImage(b *testing.B) {
	dir := b.TempDir()
	oci, _ := writeBenchImage(b, dir, os.Getenv("SPRAWL_BENCH_IMAGE_FROM"))
	e := engine(b)
	var files int64
	b.ResetTimer()
	for b.Loop() {
		src, err := image.Open(context.Background(), oci, image.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.Run(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) == 0 && os.Getenv("SPRAWL_BENCH_IMAGE_FROM") == "" {
			b.Fatal("the planted tokens were not found")
		}
		files = res.Stats.Items
		b.SetBytes(res.Stats.Bytes)
	}
	b.ReportMetric(float64(files), "files")
}
