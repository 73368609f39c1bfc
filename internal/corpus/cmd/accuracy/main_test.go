package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/internal/corpus"
)

func TestGenerateAndScore(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"-gen", dir, "-seed", "1"}, &out, &errb); code != 0 {
		t.Fatalf("gen exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "secrets") {
		t.Errorf("gen output %q", out.String())
	}
	labelsPath := filepath.Join(dir, corpus.LabelsFile)
	labels, err := corpus.ReadLabels(labelsPath)
	if err != nil {
		t.Fatal(err)
	}
	// A perfect scanner reports every secret (by absolute path, as a scan
	// of an absolute directory would) plus one hit in labels.json.
	type finding struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		RuleID string `json:"rule_id"`
	}
	var fs []finding
	for _, l := range labels.Secrets() {
		fs = append(fs, finding{filepath.Join(dir, l.File), l.Line, l.Kind})
	}
	fs = append(fs, finding{labelsPath, 1, "generic"})
	b, _ := json.Marshal(fs)
	findings := filepath.Join(t.TempDir(), "findings.json")
	if err := os.WriteFile(findings, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"-labels", labelsPath, "-findings", findings, "-min-recall", "1", "-min-precision", "1"}, &out, &errb); code != 0 {
		t.Fatalf("score exit %d: %s\n%s", code, errb.String(), out.String())
	}
	if strings.Count(out.String(), "precision 1.000  recall 1.000") != 2 || !strings.Contains(out.String(), "== held-out family") {
		t.Errorf("want a perfect tuning and a perfect held-out report:\n%s", out.String())
	}

	// Findings on the tuning projects only: the held-out floor fails.
	var tuning []finding
	for _, l := range labels.Split(false).Secrets() {
		tuning = append(tuning, finding{filepath.Join(dir, l.File), l.Line, l.Kind})
	}
	b, _ = json.Marshal(tuning)
	if err := os.WriteFile(findings, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"-labels", labelsPath, "-findings", findings, "-min-recall", "1", "-min-heldout-recall", "0.7"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "held-out recall 0.000 is below 0.700") {
		t.Errorf("stderr %q", errb.String())
	}

	// Half the findings, as JSON lines: recall falls below the threshold.
	var jl bytes.Buffer
	for _, f := range fs[:len(fs)/2] {
		b, _ := json.Marshal(f)
		jl.Write(append(b, '\n'))
	}
	if err := os.WriteFile(findings, jl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"-labels", labelsPath, "-findings", findings, "-min-recall", "0.9"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "recall") {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != 2 {
		t.Errorf("no args: exit %d", code)
	}
}

func TestReadFindingsShapes(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"array":   `[{"file":"a","line":3,"rule_id":"r"}]`,
		"wrapped": `{"findings":[{"path":"a","start_line":3,"rule":"r"}]}`,
		"lines":   "{\"file\":\"a\",\"line\":3,\"rule_id\":\"r\"}\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		got, err := readFindings(p)
		if err != nil || len(got) != 1 || got[0] != (corpus.Found{File: "a", Line: 3, RuleID: "r"}) {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
}
