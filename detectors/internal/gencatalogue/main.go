// Command gencatalogue writes the rule catalogue, detectors/catalogue_gen.go,
// and the catalogue's keyword automaton, detectors/keywords.bin, from
// detectors/rules/*.yaml. Run it with `go generate ./detectors`.
package main

import (
	"fmt"
	"os"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/detectors/internal/catsrc"
)

func main() {
	if err := generate(); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
}

func generate() error {
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		return err
	}
	src, err := catsrc.Source(rules)
	if err != nil {
		return err
	}
	if err := os.WriteFile(catsrc.Name, src, 0o644); err != nil {
		return err
	}
	kw, err := detectors.EncodeKeywords(rules)
	if err != nil {
		return err
	}
	if err := os.WriteFile("keywords.bin", kw, 0o644); err != nil {
		return err
	}
	fmt.Printf("gencatalogue: %d rules, %d bytes of Go; keyword automaton %d bytes\n", len(rules), len(src), len(kw))
	return nil
}
