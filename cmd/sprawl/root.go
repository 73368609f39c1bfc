package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/reports"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run is the whole program: main calls it, and so do the end-to-end tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// SPRAWL_CPUPROFILE=FILE writes a CPU profile, for performance work.
	if p := os.Getenv("SPRAWL_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(bareInventory(args))
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errFindings) {
		fmt.Fprintf(stderr, "sprawl: %s\n", strings.Join(errorLines(err), "\n"))
	}
	return code
}

// errorLines is err's message as run prints it, one string per line, with
// every control character escaped (reports.Printable), newlines included:
// a message quotes file and ref names, git's stderr and remote APIs'
// answers, and a newline in one of those must not start a line of its
// own ("sprawl: 0 findings") under the error. The one multi-line error
// sprawl writes itself is a list joined by errors.Join (Unwrap() []error,
// its message the members' joined by newlines): each member is a line,
// and is escaped the same way.
func errorLines(err error) []string {
	for {
		ee, ok := err.(*exitError)
		if !ok {
			break
		}
		err = ee.err
	}
	msg := strings.TrimSpace(err.Error())
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var lines, msgs []string
		for _, e := range j.Unwrap() {
			if e != nil {
				lines = append(lines, errorLines(e)...)
				msgs = append(msgs, e.Error())
			}
		}
		if len(lines) > 0 && strings.TrimSpace(strings.Join(msgs, "\n")) == msg {
			return lines
		}
	}
	return []string{reports.Printable(msg)}
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sprawl",
		Short: "Find leaked credentials and keep one inventory of every secret",
		Long: `sprawl finds credentials in working trees, git history and CI stores,
keeps one inventory of every secret and drives leaked ones to rotation.

Exit codes: 0 nothing new found, 1 new findings, 2 usage or configuration
error, 3 runtime failure.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion().short(),
	}
	root.SetVersionTemplate("sprawl {{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if h := flagHint(c, err); h != nil {
			return h
		}
		return usageErr("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(newScanCmd(), newRulesCmd(), newBaselineCmd(), newHookCmd(), newVersionCmd(), newInventoryCmd(), newAuditCmd(), newReportCmd())
	root.AddCommand(newVaultCmd(), newConfigCmd())
	root.AddCommand(newRotateCmd(), newVerifyCmd())
	root.AddCommand(newWorkerCmd(), newJobsCmd())
	wrapArgs(root)
	return root
}

// wrapArgs makes every command's argument-count errors usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		inner := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := inner(cmd, args); err != nil {
				return usageErr("%s: %v", cmd.CommandPath(), err)
			}
			return nil
		}
	}
	if c.HasSubCommands() && c.RunE == nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				if cmd.SuggestionsMinimumDistance <= 0 {
					cmd.SuggestionsMinimumDistance = 2
				}
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					return usageErr("unknown command %q for %q; did you mean %q?", args[0], cmd.CommandPath(), s[0])
				}
				return usageErr("unknown command %q for %q (see '%s --help')", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return usageErr("%s needs a subcommand (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
		}
		c.Args = cobra.ArbitraryArgs
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), buildVersion().String())
			return err
		},
	}
}
