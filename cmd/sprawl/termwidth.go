package main

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// tableWidth is the width a table written to w must fit: $COLUMNS when it
// holds a positive number (so a script or a test can ask for a width),
// else the terminal's width when w is a terminal, else 0, no limit: piped
// or redirected output keeps every character for grep and friends.
func tableWidth(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
