package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/secret"
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

	mu      sync.Mutex
	secrets *secret.Store   // set once a config is loaded
	warned  map[string]bool // credentials whose secret file was refused
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
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	e.reg = all.Registry(stdin, e.credential)
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
		path = "pipetracker.yaml"
		if _, err := os.Stat(path); err != nil {
			path = ""
		}
	}
	var cfg *config.Config
	var err error
	if path == "" {
		cfg, err = config.Parse("defaults", nil, opt)
	} else {
		cfg, err = config.Load(path, opt)
	}
	if err == nil {
		e.mu.Lock()
		e.secrets = e.secretStore(cfg)
		e.mu.Unlock()
	}
	return cfg, err
}

// credential is where the sources look up their credentials (DD_API_KEY,
// KAFKA_SASL_PASSWORD, …): the environment, else the secret store's file
// for the lower-cased name (.dd_api_key_secret), which may be encrypted.
// A secret file the store refuses (readable by others, a bad token) is a
// warning on stderr, once per name; its value is never printed.
func (e *env) credential(name string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.secrets == nil {
		return ""
	}
	v, err := e.secrets.Lookup(strings.ToLower(name))
	if err != nil && !errors.Is(err, secret.ErrNotFound) && !e.warned[name] {
		if e.warned == nil {
			e.warned = make(map[string]bool)
		}
		e.warned[name] = true
		fmt.Fprintf(e.stderr, "pipetracker: warning: %s: %v\n", name, err)
	}
	return v
}
