package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionAndSuggestions(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{args: []string{"version"}, stdout: []string{"sprawl ", "commit:", "modified:", "go:      go1."}},
		{args: []string{"--version"}, stdout: []string{"sprawl "}, noStdout: []string{"commit:"}},
		{args: []string{"scna"}, code: exitUsage, stderr: []string{`unknown command "scna" for "sprawl"; did you mean "scan"?`}},
		{args: []string{"inventory", "lsit"}, code: exitUsage, stderr: []string{`did you mean "list"?`}},
		{args: []string{"zzzzzz"}, code: exitUsage, stderr: []string{`unknown command "zzzzzz" for "sprawl" (see 'sprawl --help')`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, strings.NewReader(""), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.noStdout {
				if strings.Contains(out.String(), s) {
					t.Errorf("stdout has %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
				}
			}
		})
	}
}
