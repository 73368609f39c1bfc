// Command demo builds the demo inventory and its report (make demo):
// several repositories scanned on several dates, decisions with reasons,
// a vault index and CI secret metadata, every secret synthetic.
//
//	go run ./internal/demo/cmd/demo -dir .cache/demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sprawlsec/sprawl/internal/demo"
)

func main() {
	dir := flag.String("dir", ".cache/demo", "directory for the repositories, inventory, key and report")
	quiet := flag.Bool("q", false, "print only where the report is")
	flag.Parse()
	start := time.Now()
	o := demo.Options{Dir: *dir}
	if !*quiet {
		o.Log = os.Stdout
	}
	ctx := context.Background()
	r, err := demo.Build(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(3)
	}
	out := filepath.Join(*dir, "report.html")
	if err := demo.WriteReport(ctx, r, "html", out); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(3)
	}
	fmt.Printf("demo: %d repositories scanned into %s in %s\n", len(r.Repositories), r.Inventory, time.Since(start).Round(time.Millisecond))
	fmt.Printf("open %s for the inventory report (%s to %s)\n", out, r.Since.Format(time.DateOnly), r.Until.AddDate(0, 0, -1).Format(time.DateOnly))
	fmt.Printf("explore it: SPRAWL_FINGERPRINT_KEY_FILE=%s sprawl inventory list --inventory %s\n", r.KeyFile, r.Inventory)
}
