package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProgressEnabled(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	for _, tc := range []struct {
		env, ci string
		w       any
		quiet   bool
		want    bool
	}{
		{"", "", &bytes.Buffer{}, false, false}, // not a file
		{"", "", devnull, false, false},         // a file, not a terminal
		{"always", "", &bytes.Buffer{}, false, true},
		{"always", "true", devnull, false, true}, // explicit beats CI
		{"always", "", devnull, true, false},     // --quiet beats everything
		{"never", "", devnull, false, false},
		{"", "true", devnull, false, false},
	} {
		t.Setenv(envProgress, tc.env)
		t.Setenv("CI", tc.ci)
		w := tc.w.(interface{ Write([]byte) (int, error) })
		if got := progressEnabled(w, tc.quiet); got != tc.want {
			t.Errorf("SPRAWL_PROGRESS=%q CI=%q %T quiet=%v: %v, want %v", tc.env, tc.ci, tc.w, tc.quiet, got, tc.want)
		}
	}
}

// With progress forced on, a scan draws its line on stderr (and clears
// it); stdout carries only the report; no secret reaches either.
func TestScanProgressOnStderr(t *testing.T) {
	dir := t.TempDir()
	secret := "ghp_" + randomString(base62, 36)
	for i := 0; i < 300; i++ {
		body := strings.Repeat("package main // filler line of ordinary code\n", 2000)
		if i == 7 {
			body += "token = \"" + secret + "\"\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "f"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+".go"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(envProgress, "always")
	t.Setenv("CI", "")
	var out, errb bytes.Buffer
	code := run([]string{"scan", "dir", dir, "-f", "json"}, strings.NewReader(""), &out, &errb)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "scanning: ") || !strings.Contains(errb.String(), "files,") {
		t.Errorf("no progress on stderr: %q", errb.String())
	}
	if strings.Contains(out.String(), "scanning: ") {
		t.Error("progress leaked into the report on stdout")
	}
	if strings.Contains(errb.String(), secret) || strings.Contains(out.String(), secret) {
		t.Error("a secret was printed")
	}
	t.Setenv(envProgress, "")
	errb.Reset()
	out.Reset()
	run([]string{"scan", "dir", dir, "-f", "json"}, strings.NewReader(""), &out, &errb)
	if strings.Contains(errb.String(), "scanning: ") {
		t.Errorf("progress drawn on a non-terminal: %q", errb.String())
	}
}
