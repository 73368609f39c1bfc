// Command accuracy generates the labelled accuracy corpus and scores a
// scanner's findings against it.
//
//	go run ./internal/corpus/cmd/accuracy -gen DIR [-seed N]
//	go run ./internal/corpus/cmd/accuracy -labels DIR/labels.json -findings findings.json \
//	    [-min-recall 0.9] [-min-precision 0.9] [-json]
//
// The findings file is the scanner's JSON output: an array of objects with
// "file", "line" and "rule_id" (an object with a "findings" array, or one
// object per line, is accepted too). Exit status: 0 ok, 1 a threshold was
// not met, 2 usage error, 3 failure.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sprawlsec/sprawl/internal/corpus"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("accuracy", flag.ContinueOnError)
	fl.SetOutput(stderr)
	genDir := fl.String("gen", "", "write the corpus and labels.json into `DIR`")
	seed := fl.Uint64("seed", 1, "generation seed")
	labelsPath := fl.String("labels", "", "labels.json of a generated corpus")
	findingsPath := fl.String("findings", "", "scanner findings (JSON)")
	root := fl.String("root", "", "directory the findings' paths are relative to or under (default: the labels file's directory)")
	minRecall := fl.Float64("min-recall", 0, "fail when recall is below this")
	minPrecision := fl.Float64("min-precision", 0, "fail when precision is below this")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	switch {
	case *genDir != "" && *labelsPath == "":
		labels, err := corpus.Generate(*genDir, *seed)
		if err != nil {
			fmt.Fprintln(stderr, "accuracy:", err)
			return 3
		}
		if err := corpus.WriteLabels(filepath.Join(*genDir, corpus.LabelsFile), labels); err != nil {
			fmt.Fprintln(stderr, "accuracy:", err)
			return 3
		}
		fmt.Fprintf(stdout, "wrote %d files in %d projects: %d secrets of %d kinds, %d labelled bait items\n",
			len(labels.Files), len(labels.Projects()), len(labels.Secrets()), len(labels.Kinds(false)), len(labels.Baits()))
		return 0
	case *labelsPath != "" && *findingsPath != "" && *genDir == "":
		labels, err := corpus.ReadLabels(*labelsPath)
		if err != nil {
			fmt.Fprintln(stderr, "accuracy:", err)
			return 3
		}
		findings, err := readFindings(*findingsPath)
		if err != nil {
			fmt.Fprintln(stderr, "accuracy:", err)
			return 3
		}
		if *root == "" {
			*root = filepath.Dir(*labelsPath)
		}
		rep := corpus.Score(labels, corpus.NormalizeFindings(*root, findings))
		if *asJSON {
			b, _ := json.MarshalIndent(rep, "", "  ")
			fmt.Fprintln(stdout, string(b))
		} else {
			fmt.Fprint(stdout, rep.String())
		}
		code := 0
		if rep.Recall < *minRecall {
			fmt.Fprintf(stderr, "accuracy: recall %.3f is below %.3f\n", rep.Recall, *minRecall)
			code = 1
		}
		if rep.Precision < *minPrecision {
			fmt.Fprintf(stderr, "accuracy: precision %.3f is below %.3f\n", rep.Precision, *minPrecision)
			code = 1
		}
		return code
	default:
		fmt.Fprintln(stderr, "usage: accuracy -gen DIR [-seed N] | accuracy -labels FILE -findings FILE [-min-recall R] [-min-precision P]")
		return 2
	}
}

type finding struct {
	File      string `json:"file"`
	Path      string `json:"path"`
	Line      int    `json:"line"`
	StartLine int    `json:"start_line"`
	RuleID    string `json:"rule_id"`
	Rule      string `json:"rule"`
}

func (f finding) found() corpus.Found {
	c := corpus.Found{File: f.File, Line: f.Line, RuleID: f.RuleID}
	if c.File == "" {
		c.File = f.Path
	}
	if c.Line == 0 {
		c.Line = f.StartLine
	}
	if c.RuleID == "" {
		c.RuleID = f.Rule
	}
	return c
}

// readFindings accepts a JSON array, an object with a "findings" array, or
// JSON lines.
func readFindings(path string) ([]corpus.Found, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var raw []finding
	switch {
	case len(b) == 0:
	case b[0] == '[':
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
	default:
		var wrapped struct {
			Findings *[]finding `json:"findings"`
		}
		if err := json.Unmarshal(b, &wrapped); err == nil && wrapped.Findings != nil {
			raw = *wrapped.Findings
			break
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		for {
			var f finding
			if err := dec.Decode(&f); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("decode %s: %w", path, err)
			}
			raw = append(raw, f)
		}
	}
	out := make([]corpus.Found, len(raw))
	for i, f := range raw {
		out[i] = f.found()
	}
	return out, nil
}
