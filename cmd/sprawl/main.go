// Command sprawl finds leaked credentials and keeps an inventory of them.
package main

import (
	"os"

	"github.com/sprawlsec/sprawl/internal/startgc"
)

func main() {
	startgc.Start()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
