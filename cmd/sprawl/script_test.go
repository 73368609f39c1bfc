package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sprawl": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: each reads
// like a user's session with the real binary.
func TestScripts(t *testing.T) {
	if testing.Short() {
		// Each script runs the (race-instrumented) binary many times;
		// the engine's concurrency is race-tested in package scanner.
		t.Skip("end-to-end scripts run in the non-race pass of `make test`")
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gentoken":  cmdGenToken,
			"daysago":   cmdDaysAgo,
			"maxwidth":  cmdMaxWidth,
			"writefile": cmdWriteFile,
			"exit":      cmdExit,
			"perm":      cmdPerm,
			"issymlink": cmdIsSymlink,
			"mkimage":   cmdMkImage,
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, nil
		},
	})
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cmdGenToken sets an environment variable to a fresh synthetic token, so
// no secret-shaped literal lives in the scripts.
//
//	gentoken ghp VAR     GitHub classic token with a valid checksum
//	gentoken hex32 VAR   32 random lower-case hex digits
//	gentoken slack-bot VAR         Slack bot token
//	gentoken aws-session VAR       AWS STS session token
//	gentoken jwt-expired VAR       JWT whose exp was a day ago
//	gentoken jwt-valid VAR         JWT whose exp is in a week
//	gentoken ghpbad VAR  GitHub classic token with a wrong checksum
//	gentoken sk_live VAR a Stripe live secret key's shape
func cmdGenToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gentoken KIND VAR")
	}
	v, ok := genToken(args[0])
	if !ok {
		ts.Fatalf("gentoken: unknown kind %q", args[0])
	}
	ts.Setenv(args[1], v)
}

// genToken returns a fresh synthetic token of kind (see cmdGenToken).
func genToken(kind string) (string, bool) {
	switch kind {
	case "ghp", "gho", "ghs", "ghu", "ghr":
		body := randomString(base62, 30)
		sum := crc32.ChecksumIEEE([]byte(body))
		enc := make([]byte, 6)
		for i := 5; i >= 0; i-- {
			enc[i] = base62[sum%62]
			sum /= 62
		}
		return kind + "_" + body + string(enc), true
	case "ghpbad": // a GitHub token whose checksum does not match
		t, _ := genToken("ghp")
		last := "A"
		if t[len(t)-1] == 'A' {
			last = "B"
		}
		return t[:len(t)-1] + last, true
	case "sk_live": // Stripe live secret key shape, random body
		return "sk_live_" + randomString(base62, 32), true
	case "hex32":
		return randomString("0123456789abcdef", 32), true
	case "slack-bot":
		return "xoxb-" + randomString("123456789", 12) + "-" + randomString("123456789", 13) + "-" + randomString(base62, 24), true
	case "aws-session":
		return "IQoJb3JpZ2luX2Vj" + randomString(base62, 300), true
	case "jwt-expired", "jwt-valid":
		exp := time.Now().Add(-24 * time.Hour)
		if kind == "jwt-valid" {
			exp = time.Now().Add(7 * 24 * time.Hour)
		}
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
			enc([]byte(`{"sub":"`+randomString(base62, 10)+`","exp":`+strconv.FormatInt(exp.Unix(), 10)+`}`)) + "." +
			randomString(base62, 43), true
	}
	return "", false
}

func randomString(alphabet string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		x, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b.WriteByte(alphabet[x.Int64()])
	}
	return b.String()
}

// cmdWriteFile writes its arguments, one per line, to a file; unlike the
// archive's files, arguments have $VARS expanded.
//
//	writefile PATH LINE...
func cmdWriteFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: writefile PATH LINE...")
	}
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, []byte(strings.Join(args[1:], "\n")+"\n"), 0o644))
}

// cmdExit runs a program and checks its exact exit code; its output is
// kept for the stdout and stderr commands that follow.
//
//	exit CODE PROGRAM ARGS...
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit CODE PROGRAM ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// testdataDir is absolute, since tests may change directory.
var testdataDir = func() string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return d
}()

// cmdPerm checks a file's permission bits.
//
//	perm 0600 PATH
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm MODE PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// cmdIsSymlink checks that a path is (still) a symbolic link.
func cmdIsSymlink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: issymlink PATH")
	}
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if is := fi.Mode()&os.ModeSymlink != 0; is == neg {
		ts.Fatalf("%s: symlink %v", args[0], is)
	}
}

// cmdDaysAgo sets a variable to the moment N days ago, RFC 3339 in UTC
// (for GIT_*_DATE and stated expiries).
//
//	daysago N VAR
func cmdDaysAgo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: daysago N VAR")
	}
	n, err := strconv.ParseFloat(args[0], 64)
	ts.Check(err)
	ts.Setenv(args[1], time.Now().Add(-time.Duration(n*24*float64(time.Hour))).UTC().Format(time.RFC3339))
}

// cmdMaxWidth fails if a line of the last command's stdout is wider than
// N terminal columns (East Asian wide characters count two, box-drawing
// characters one).
//
//	maxwidth N
func cmdMaxWidth(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: maxwidth N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	widest, line := 0, ""
	for _, l := range strings.Split(ts.ReadFile("stdout"), "\n") {
		if w := displayWidth(l); w > widest {
			widest, line = w, l
		}
	}
	if (widest > n) != neg {
		ts.Fatalf("widest stdout line is %d columns (limit %d): %q", widest, n, line)
	}
}

// displayWidth counts terminal columns independently of the table
// library: wide and fullwidth East Asian runes take two, combining marks
// none, everything else (box drawing included) one.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), r == 0x200B:
		case isWide(r):
			w += 2
		default:
			w++
		}
	}
	return w
}

// isWide reports the East Asian Wide and Fullwidth ranges (UAX #11).
func isWide(r rune) bool {
	for _, rg := range [][2]rune{
		{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
		{0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
		{0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
	} {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}
