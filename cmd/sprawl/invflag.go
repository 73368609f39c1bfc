package main

import (
	"os"
	"path/filepath"
	"strings"
)

// bareInventory lets --inventory stand alone, as the README and docs write
// it ("scan dir . --inventory"): it then means the default inventory
// ($SPRAWL_INVENTORY, else the per-user SQLite file). pflag cannot give a
// string flag an optional value without breaking "--inventory PATH", so
// the arguments are read first: --inventory followed by nothing, by
// another flag, or by a word that names no inventory becomes
// --inventory=default, and that word stays an argument. A word names an
// inventory when it is "default", a URL or key=value DSN, has a SQLite
// extension, or is an existing regular file.
func bareInventory(args []string) []string {
	out := make([]string, 0, len(args)+1)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a != "--inventory" {
			out = append(out, a)
			continue
		}
		if i+1 < len(args) && namesInventory(args[i+1]) {
			out = append(out, a, args[i+1])
			i++
			continue
		}
		out = append(out, "--inventory=default")
	}
	return out
}

func namesInventory(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") {
		return false
	}
	if s == "default" || strings.Contains(s, "://") || strings.Contains(s, "=") {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".db", ".sqlite", ".sqlite3", ".db3":
		return true
	}
	fi, err := os.Stat(s)
	return err == nil && fi.Mode().IsRegular()
}
