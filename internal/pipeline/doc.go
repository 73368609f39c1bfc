// Package pipeline runs one scan the way every sprawl scan command does:
// it loads the rules (built-in, the user's rule files, disabled ones
// removed) and the baseline a configuration names, builds the matcher and
// the engine, runs a source through them, records the findings in an
// inventory when one is given, applies the baseline, a .gitleaksignore
// and the inventory's verdicts, verifies findings with their providers
// when asked, and says which findings fail the run.
//
// The command resolves flags, environment and config file into a Config
// and prints what the pipeline returns; the pipeline reads no flags and
// writes only to the Config's Log (the messages a scan has always printed
// on standard error) and through its Progress.
//
// A Pipeline runs one scan at a time: Scan, PolicyFindings and the
// Verify methods change its fields (Suppressed, Rules, the engine's
// settings) and must not be called concurrently.
package pipeline
