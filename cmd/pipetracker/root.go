package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/all"
)

// Exit codes, as grep's.
const (
	exitFound   = 0
	exitNothing = 1
	exitError   = 2
)

// env is what a command may use of the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	reg    *source.Registry
}

// errUsage marks errors in how the command was called.
var errUsage = errors.New("usage")

// codeError carries an exit code through cobra.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// run is the whole program: it parses args, runs the command and returns
// the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, reg: all.Registry(stdin)}
	root := &cobra.Command{
		Use:           "pipetracker",
		Short:         "Trace one request across many services' logs",
		Long:          "Pipetracker finds every log record that belongs to one request (a transaction, request, trace or order id)\nacross many services' logs, follows the linked ids it carries, and shows one ordered timeline.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &codeError{exitError, fmt.Errorf("%w: %w", errUsage, err)}
	})
	root.AddCommand(traceCmd(e), configCmd(e), sourcesCmd(e), versionCmd(e), secretCmd(e), decryptCmd(e), serveCmd(e))

	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitFound
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil && ce.err.Error() != "" {
			fmt.Fprintln(stderr, "pipetracker:", ce.err)
		}
		return ce.code
	}
	// Every other error (usage, config, a trace that could not run) is 2.
	fmt.Fprintln(stderr, "pipetracker:", err)
	return exitError
}

// loadConfig reads the config at path, or ./pipetracker.yaml when path is
// empty and that file exists, or the built-in defaults.
func (e *env) loadConfig(path string) (*config.Config, error) {
	opt := config.Options{Getenv: e.getenv, KnownScheme: e.reg.Has}
	if path == "" {
		if _, err := os.Stat("pipetracker.yaml"); err != nil {
			return config.Parse("defaults", nil, opt)
		}
		path = "pipetracker.yaml"
	}
	return config.Load(path, opt)
}
