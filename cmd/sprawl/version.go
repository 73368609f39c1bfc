package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionInfo is what `sprawl version` reports: enough to tell two builds
// apart in a bug report or an audit.
type versionInfo struct {
	Version   string // module version, or the -X main.version stamp
	Commit    string // vcs.revision
	Date      string // vcs.time
	Dirty     bool   // vcs.modified
	GoVersion string
	Platform  string
}

// buildVersion reads the version the linker stamped (make build) and the
// build information Go records in every binary: the module version for
// `go install …@v1.2.3`, the commit, its time and whether the tree was
// modified for builds from a checkout.
func buildVersion() versionInfo {
	v := versionInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
		case "vcs.modified":
			v.Dirty = s.Value == "true"
		}
	}
	return v
}

// short is the one-word form for --version.
func (v versionInfo) short() string {
	s := v.Version
	if s == "dev" && v.Commit != "" {
		s = "dev-" + v.Commit[:min(12, len(v.Commit))]
	}
	if v.Dirty && !strings.HasSuffix(s, "-dirty") && !strings.HasSuffix(s, "+dirty") {
		s += "-dirty"
	}
	return s
}

// String is the multi-line form for `sprawl version`.
func (v versionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sprawl %s\n", v.short())
	commit := v.Commit
	if commit == "" {
		commit = "unknown (built without version control information)"
	}
	fmt.Fprintf(&b, "  commit:  %s\n", commit)
	if v.Date != "" {
		fmt.Fprintf(&b, "  date:    %s\n", v.Date)
	}
	fmt.Fprintf(&b, "  modified: %t\n", v.Dirty)
	fmt.Fprintf(&b, "  go:      %s %s\n", v.GoVersion, v.Platform)
	return b.String()
}
