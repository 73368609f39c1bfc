package main

import (
	"crypto/rand"
	"errors"
	"hash/crc32"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
			"writefile": cmdWriteFile,
			"exit":      cmdExit,
			"perm":      cmdPerm,
			"issymlink": cmdIsSymlink,
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
