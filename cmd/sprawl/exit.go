package main

import (
	"errors"
	"fmt"
)

// Exit codes, documented in the README.
const (
	exitClean    = 0 // nothing new found
	exitFindings = 1 // new findings (or rule problems for `rules check`)
	exitUsage    = 2 // usage or configuration error
	exitFailure  = 3 // runtime failure: the scan could not be trusted
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func failure(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{exitFailure, err}
}

// errFindings is returned when a scan found something new; it is not
// printed as an error.
var errFindings = &exitError{exitFindings, errors.New("findings")}

func exitCode(err error) int {
	if err == nil {
		return exitClean
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}
