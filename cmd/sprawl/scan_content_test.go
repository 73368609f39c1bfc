package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/sprawlsec/sprawl/scanner"
)

// utf16LE encodes s as UTF-16LE, with a byte order mark when bom is set.
func utf16LE(s string, bom bool) string {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

// TestScanFindsTokensInBinaryAndUTF16Files: a NUL byte or a UTF-16
// encoding no longer makes sprawl report "no secrets" for a file with a
// token in it.
func TestScanFindsTokensInBinaryAndUTF16Files(t *testing.T) {
	isolate(t)
	tok := ghToken(t)
	ps := "Write-Host 'deploy'\r\n$env:GITHUB_TOKEN = '" + tok + "'\r\n"
	for name, body := range map[string]string{
		"secrets.dat":      "header\x00\x01\x02\ntoken=" + tok + "\n",
		"creds.bin":        "\x00\x00\x00\x10GITHUB_TOKEN=" + tok + "\x00",
		"deploy-bom.ps1":   utf16LE(ps, true),
		"deploy-nobom.ps1": utf16LE(ps, false),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, name), body)
			code, out, errb := runSprawl(context.Background(), "scan", "dir", filepath.Join(dir, name), "--format", "jsonl")
			if code != 1 || !strings.Contains(out, `"rule_id":"github-pat"`) || strings.Contains(out, tok) {
				t.Errorf("exit %d, want 1 with a redacted github-pat finding\nstdout: %s\nstderr: %s", code, out, errb)
			}
		})
	}
}

// TestScanLargeFileByDefault: a file over the old 100 MB default is
// scanned unless --max-file-size asks otherwise.
func TestScanLargeFileByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 101 MiB")
	}
	isolate(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.sql")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: cheap to create, 101 MiB to read.
	if _, err := f.WriteAt([]byte("\nGITHUB_TOKEN="+ghToken(t)+"\n"), 101<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := runSprawl(context.Background(), "scan", "dir", dir, "-q"); code != 1 {
		t.Errorf("scan dir: exit %d, want 1 (the file is scanned by default)\n%s", code, errb)
	}
	code, _, errb := runSprawl(context.Background(), "scan", "dir", dir, "--max-file-size", "100MB")
	if code != 0 || !strings.Contains(errb, "larger than max file size") {
		t.Errorf("--max-file-size 100MB: exit %d, want 0 and the file named as skipped\n%s", code, errb)
	}
}

// TestOutputFileMode: --output leaves an existing regular file at mode
// 0600, and writes through a symbolic link without changing its target's
// mode or replacing the link.
func TestOutputFileMode(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "repo", "app.env"), "GITHUB_TOKEN="+ghToken(t)+"\n")
	out := filepath.Join(dir, "report.json")
	writeFile(t, out, "old\n")
	target := filepath.Join(dir, "target.json")
	writeFile(t, target, "old\n")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{out, link, os.DevNull} {
		if code, _, errb := runSprawl(context.Background(), "scan", "dir", filepath.Join(dir, "repo"), "-q", "-f", "json", "-o", o); code != 1 {
			t.Fatalf("-o %s: exit %d\n%s", o, code, errb)
		}
	}
	mode := func(p string) os.FileMode {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	if m := mode(out); m.Perm() != 0o600 {
		t.Errorf("existing output file has mode %v, want 0600", m)
	}
	if m := mode(link); m&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced: %v", m)
	}
	if m := mode(target); m.Perm() != 0o644 {
		t.Errorf("symlink target mode changed to %v", m)
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "github-pat") {
		t.Errorf("symlink target not written: %q", b)
	}
	if m := mode(os.DevNull); m&os.ModeCharDevice == 0 || m.Perm() != 0o666 {
		t.Errorf("%s is now %v", os.DevNull, m)
	}
}

// TestHostileNamesEscapedOnStderr: a file name carrying terminal escape
// sequences reaches stderr escaped, never raw.
func TestHostileNamesEscapedOnStderr(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	name := "\x1b]0;owned\x07\x1b[2J.png"
	writeFile(t, filepath.Join(dir, name), "x")
	writeFile(t, filepath.Join(dir, "ok\x1b[31m.env"), "GITHUB_TOKEN="+ghToken(t)+"\n")
	code, out, errb := runSprawl(context.Background(), "scan", "dir", dir, "-v")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if strings.ContainsAny(out+errb, "\x1b\x07") {
		t.Errorf("raw control characters in output:\nstdout %q\nstderr %q", out, errb)
	}
	if !strings.Contains(errb, `\x1b]0;owned\x07\x1b[2J.png`) {
		t.Errorf("skipped file not named (escaped) on stderr: %q", errb)
	}
}

// TestScanFingerprintForInventoryShow: a scan recorded into an inventory
// prints the fingerprint `inventory show` takes; the baseline fingerprint
// stays as it was (committed baselines key on it), and given to
// `inventory show` it gets an error that says which field to use.
func TestScanFingerprintForInventoryShow(t *testing.T) {
	dir := isolate(t)
	tok := ghToken(t)
	writeFile(t, filepath.Join(dir, "repo", "app.env"), "GITHUB_TOKEN="+tok+"\n")
	inv := filepath.Join(dir, "inv.db")
	code, out, errb := runSprawl(context.Background(), "scan", "dir", filepath.Join(dir, "repo"), "-q", "-f", "jsonl", "--inventory", inv)
	if code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, errb)
	}
	var rec struct {
		Fingerprint          string `json:"fingerprint"`
		InventoryFingerprint string `json:"inventory_fingerprint"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rec.Fingerprint != scanner.Fingerprint(nil, tok) {
		t.Errorf("fingerprint %q is no longer the baseline fingerprint", rec.Fingerprint)
	}
	if code, out, errb := runSprawl(context.Background(), "inventory", "show", rec.InventoryFingerprint, "--inventory", inv); code != 0 || !strings.Contains(out, "app.env") {
		t.Errorf("inventory show %q: exit %d\n%s%s", rec.InventoryFingerprint, code, out, errb)
	}
	code, _, errb = runSprawl(context.Background(), "inventory", "show", rec.Fingerprint, "--inventory", inv)
	if code != 2 || !strings.Contains(errb, "inventory_fingerprint") {
		t.Errorf("inventory show with the baseline fingerprint: exit %d, want 2 naming inventory_fingerprint\n%s", code, errb)
	}
}

// TestAggregatedFindingsAllReachTheInventory: a file with more findings
// of one rule than the report lists one by one is reported with an
// aggregate finding, and the inventory still records every secret.
func TestAggregatedFindingsAllReachTheInventory(t *testing.T) {
	dir := isolate(t)
	var b strings.Builder
	for i := 0; i < 130; i++ {
		b.WriteString("GITHUB_TOKEN=" + ghToken(t) + "\n")
	}
	writeFile(t, filepath.Join(dir, "repo", "dump.env"), b.String())
	inv := filepath.Join(dir, "inv.db")
	code, out, errb := runSprawl(context.Background(), "scan", "dir", filepath.Join(dir, "repo"), "-f", "json", "--inventory", inv)
	if code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, errb)
	}
	var recs []struct {
		Line  int `json:"line"`
		Count int `json:"count"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != scanner.DefaultAggregateAfter+1 || recs[len(recs)-1].Count != 30 || recs[len(recs)-1].Line != 101 {
		t.Errorf("%d findings, last %+v; want %d, the last at line 101 standing for 30", len(recs), recs[len(recs)-1], scanner.DefaultAggregateAfter+1)
	}
	if !strings.Contains(errb, "101 findings (29 more aggregated") {
		t.Errorf("summary does not tell about the aggregate: %s", errb)
	}
	code, out, errb = runSprawl(context.Background(), "inventory", "list", "-f", "csv", "--inventory", inv)
	if code != 0 {
		t.Fatalf("inventory list: exit %d\n%s", code, errb)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 130 {
		t.Errorf("inventory holds %d secrets, want 130", n)
	}
}

// TestAggregateNeverHidesANewSecret: with a baseline accepting the 130
// tokens of a dump, a 131st added at its end is reported on its own: the
// baseline applies before aggregation.
func TestAggregateNeverHidesANewSecret(t *testing.T) {
	for _, withInventory := range []bool{false, true} {
		dir := isolate(t)
		var b strings.Builder
		for i := 0; i < 130; i++ {
			b.WriteString("GITHUB_TOKEN=" + ghToken(t) + "\n")
		}
		dump := filepath.Join(dir, "repo", "dump.env")
		writeFile(t, dump, b.String())
		bl := filepath.Join(dir, "baseline.json")
		if code, _, errb := runSprawl(context.Background(), "baseline", "create", filepath.Join(dir, "repo"), "-o", bl); code != 0 || !strings.Contains(errb, "130 findings accepted") {
			t.Fatalf("baseline create: exit %d\n%s", code, errb)
		}
		newTok := ghToken(t)
		writeFile(t, dump, b.String()+"GITHUB_TOKEN="+newTok+"\n")
		args := []string{"scan", "dir", filepath.Join(dir, "repo"), "-f", "jsonl", "--baseline", bl}
		if withInventory {
			args = append(args, "--inventory", filepath.Join(dir, "inv.db"))
		}
		code, out, errb := runSprawl(context.Background(), args...)
		if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"line":131`) || strings.Contains(out, `"count"`) {
			t.Errorf("inventory %v: exit %d, want 1 with the new token alone at line 131\n%s%s", withInventory, code, out, errb)
		}
	}
}
