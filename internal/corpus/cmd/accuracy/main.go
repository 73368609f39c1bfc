// Command accuracy generates the labelled accuracy corpus and scores a
// scanner's findings against it.
//
//	go run ./internal/corpus/cmd/accuracy -gen DIR [-seed N]
//	go run ./internal/corpus/cmd/accuracy -labels DIR/labels.json -findings findings.json \
//	    [-min-recall 0.9] [-min-precision 0.9] [-min-heldout-recall 0.7] [-min-heldout-precision 0.95] [-json]
//
// The report has two parts: the tuning family (the projects the rules were
// tuned on) and the held-out family (projects named heldout-*: credential
// files and password shapes written before the rules that find them and
// not used to tune them), each with its figures per family of secrets;
// -min-recall and -min-precision apply to the tuning family.
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
	minHeldRecall := fl.Float64("min-heldout-recall", 0, "fail when the held-out family's recall is below this")
	minHeldPrecision := fl.Float64("min-heldout-precision", 0, "fail when the held-out family's precision is below this")
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
		found := corpus.NormalizeFindings(*root, findings)
		rep := corpus.Score(labels.Split(false), found)
		held := corpus.Score(labels.Split(true), found)
		if *asJSON {
			b, _ := json.MarshalIndent(map[string]corpus.Report{"tuning": rep, "held_out": held}, "", "  ")
			fmt.Fprintln(stdout, string(b))
		} else {
			fmt.Fprintf(stdout, "== tuning family (the templates rules were tuned on) ==\n%s\n", rep.String())
			fmt.Fprintf(stdout, "== held-out family (%s* projects: credential files and password shapes rules were not tuned on) ==\n%s", corpus.HeldOutPrefix, held.String())
		}
		code := 0
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"recall", rep.Recall, *minRecall},
			{"precision", rep.Precision, *minPrecision},
			{"held-out recall", held.Recall, *minHeldRecall},
			{"held-out precision", held.Precision, *minHeldPrecision},
		} {
			if c.got < c.want {
				fmt.Fprintf(stderr, "accuracy: %s %.3f is below %.3f\n", c.what, c.got, c.want)
				code = 1
			}
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
