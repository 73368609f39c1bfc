//go:build !unix

package startgc

import "time"

// processCPU is not read here: start-up is then measured in wall time.
func processCPU() (time.Duration, bool) { return 0, false }
