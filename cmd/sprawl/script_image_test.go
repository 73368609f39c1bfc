package main

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdMkImage builds a container image whose layers are directories of the
// script's work tree (each file a tar member; a file named .wh.NAME is a
// whiteout deleting NAME of the layers below), with environment variables
// given as NAME=value, and writes it as a docker-archive tarball or an OCI
// layout directory. Values have $VARS expanded.
//
//	mkimage archive|oci OUT [env NAME=value…] LAYERDIR…
func cmdMkImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || (args[0] != "archive" && args[0] != "oci") {
		ts.Fatalf("usage: mkimage archive|oci OUT [env NAME=value…] LAYERDIR…")
	}
	kind, out := args[0], ts.MkAbs(args[1])
	var env []string
	img := empty.Image
	for i := 2; i < len(args); i++ {
		if args[i] == "env" && i+1 < len(args) {
			env = append(env, args[i+1])
			i++
			continue
		}
		dir := ts.MkAbs(args[i])
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		ts.Check(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}))
		ts.Check(tw.Close())
		data := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		ts.Check(err)
		img, err = mutate.AppendLayers(img, l)
		ts.Check(err)
	}
	cf, err := img.ConfigFile()
	ts.Check(err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config.Env = "linux", "amd64", env
	cf.History = []v1.History{{CreatedBy: "sprawl test: " + strings.Join(args[2:], " ")}}
	img, err = mutate.ConfigFile(img, cf)
	ts.Check(err)
	if kind == "archive" {
		tag, err := name.NewTag("example.com/app:test")
		ts.Check(err)
		ts.Check(tarball.WriteToFile(out, tag, img))
		return
	}
	lp, err := layout.Write(out, empty.Index)
	ts.Check(err)
	ts.Check(lp.AppendImage(img))
}
