// Command gencatalogue writes detectors/catalogue.gob and the catalogue's
// keyword automaton, detectors/keywords.bin, from detectors/rules/*.yaml.
// Run it with `go generate ./detectors`.
package main

import (
	"fmt"
	"os"

	"github.com/sprawlsec/sprawl/detectors"
)

func main() {
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
	data, err := detectors.EncodeCatalogue(rules)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("catalogue.gob", data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
	kw, err := detectors.EncodeKeywords(rules)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("keywords.bin", kw, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalogue:", err)
		os.Exit(1)
	}
	fmt.Printf("gencatalogue: %d rules, %d bytes; keyword automaton %d bytes\n", len(rules), len(data), len(kw))
}
