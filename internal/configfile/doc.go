// Package configfile owns what sprawl knows about a config file
// (.sprawl.yaml) apart from decoding it into settings: which keys the
// file format has, checked at any depth against the Go types the file is
// decoded into (Format), how a decoding error is told without quoting
// the file (SafeError), the trust boundary of a config file sprawl found
// by itself in scanned content (VetRepo), which whoever wrote that
// content wrote, and a section's values listed by key (Leaves).
//
// The command reads the file, resolves flags, environment and file into
// its settings with viper, and turns this package's errors into exit
// code 2; the package reads no flags, no environment and no files, and
// writes only through the warn function VetRepo is given.
//
// Everything here is safe for concurrent use: a Format is read-only once
// built.
package configfile
