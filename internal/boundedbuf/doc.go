// Package boundedbuf keeps the start of what a child process (git, a
// credential plugin, a cloud CLI) writes to its standard error: enough
// for an error message, never all of a chatty or hostile tool's output.
// It imports only the standard library.
//
// A Buffer is not safe for concurrent use: exec.Cmd writes to it from
// one goroutine, and it is read after Wait.
package boundedbuf
