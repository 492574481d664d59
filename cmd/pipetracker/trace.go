package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/render"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
	"github.com/pipetracker/pipetracker/internal/verify"
)

type traceFlags struct {
	config    string
	sources   []string
	keys      []string
	anyToken  bool
	noFollow  bool
	format    string
	output    string
	since     string
	until     string
	maxFiles  int
	maxEvents int
	maxSizeMB int
	verbose   bool
	noColor   bool
	noRedact  bool
	quiet     bool
	follow    bool
}

func traceCmd(e *env) *cobra.Command {
	var f traceFlags
	c := &cobra.Command{
		Use:   "trace ID",
		Short: "Find every record of one request and show its timeline",
		Example: `  pipetracker trace TXN-48213 --source ./logs --key transaction_id --key request_id
  pipetracker trace TXN-48213 --config pipetracker.yaml --format json | jq .summary
  kubectl logs -l app=checkout --since=1h | pipetracker trace TXN-48213 -s -`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &codeError{exitError, fmt.Errorf("%w: trace takes exactly one ID, got %d", errUsage, len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.trace(cmd, args[0], &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "config file (default ./pipetracker.yaml when present)")
	fl.StringArrayVarP(&f.sources, "source", "s", nil, "log location, repeatable; replaces log_sources (path, glob, -, exec:CMD, scheme://…)")
	fl.StringArrayVarP(&f.keys, "key", "k", nil, "match key, repeatable; replaces match_keys")
	fl.BoolVar(&f.anyToken, "any", false, "match the id as a whole token anywhere in a record, whatever the keys")
	fl.BoolVar(&f.noFollow, "no-follow", false, "do not follow linked ids")
	fl.StringVar(&f.format, "format", "", "output format: "+strings.Join(render.Formats(), "|")+" (default from the config, else text)")
	fl.StringVarP(&f.output, "output", "o", "", "write the output to this file (default stdout)")
	fl.StringVar(&f.since, "since", "", "only records at or after this time (RFC 3339, or a duration back from now such as 2h)")
	fl.StringVar(&f.until, "until", "", "only records at or before this time (RFC 3339 or a duration back from now)")
	fl.IntVar(&f.maxFiles, "max-files", -1, "read at most this many files per source, newest first (0: no limit; overrides output.max_files)")
	fl.IntVar(&f.maxSizeMB, "max-size-mb", -1, "skip files larger than this many MB (0: no limit; overrides output.max_size_mb)")
	fl.IntVar(&f.maxEvents, "max-events", -1, "keep at most this many records, then stop with a warning (0: no limit; overrides max_events)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show origins, raw records and the time of each stage")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the output (also NO_COLOR)")
	fl.BoolVar(&f.noRedact, "no-redact", false, "show personal data and credentials as logged (redaction is on by default)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line on stderr (it is shown only when stderr is a terminal)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "after the report, print the new records of the trace as local log files and Kafka topics are written, until Ctrl-C")
	return c
}

func (e *env) trace(cmd *cobra.Command, id string, f *traceFlags) error {
	if err := engine.CheckID(id); err != nil {
		return &codeError{exitError, err}
	}
	cfg, err := e.loadConfig(f.config)
	if err != nil {
		return &codeError{exitError, err}
	}
	now := time.Now()
	opt := engine.Options{
		Keys:         cfg.MatchKeys,
		Any:          f.anyToken,
		Follow:       cfg.FollowLinks && !f.noFollow,
		MaxLinkDepth: cfg.MaxLinkDepth,
		MaxLinkedIDs: cfg.MaxLinkedIDs,
		MaxFiles:     cfg.Output.MaxFiles,
		MaxFileBytes: int64(cfg.Output.MaxSizeMB) << 20,
		MaxEvents:    cfg.MaxEvents,
	}
	if f.maxEvents >= 0 {
		opt.MaxEvents = f.maxEvents
	}
	if len(f.keys) > 0 {
		opt.Keys = f.keys
	}
	if f.maxFiles >= 0 {
		opt.MaxFiles = f.maxFiles
	}
	if f.maxSizeMB >= 0 {
		opt.MaxFileBytes = int64(f.maxSizeMB) << 20
	}
	if opt.Since, err = parseWhen("--since", f.since, now); err != nil {
		return &codeError{exitError, err}
	}
	if opt.Until, err = parseWhen("--until", f.until, now); err != nil {
		return &codeError{exitError, err}
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && opt.Until.Before(opt.Since) {
		return &codeError{exitError, fmt.Errorf("%w: --until (%s) is before --since (%s)", errUsage, opt.Until.Format(time.RFC3339), opt.Since.Format(time.RFC3339))}
	}
	if opt.Sources, err = specs(cfg, f.sources); err != nil {
		return &codeError{exitError, err}
	}

	format, warn := chooseFormat(f.format, cfg.Output.Format)
	if warn != "" {
		fmt.Fprintln(e.stderr, "pipetracker: warning:", warn)
	}
	if format == "" {
		return &codeError{exitError, fmt.Errorf("%w: unknown --format %q (choose %s)", errUsage, f.format, strings.Join(render.Formats(), ", "))}
	}
	if f.follow {
		if err := checkFollow(format, f.output); err != nil {
			return &codeError{exitError, err}
		}
	}

	sec, err := e.securityFor(cfg, f.noRedact)
	if err != nil {
		return &codeError{exitError, err}
	}

	var prog *progress
	if !f.quiet && isTerminal(e.stderr) {
		prog = startProgress(e.stderr, progressEvery)
		opt.Progress = prog.add
	}
	opt.Precheck = sec.precheck()
	rep, err := engine.New(sec.registry(e.reg)).Trace(cmd.Context(), id, opt)
	if prog != nil {
		prog.stop()
	}
	if err != nil {
		return &codeError{exitError, sec.redactErr(err, id)}
	}
	verifyTrace(cmd.Context(), rep, id, cfg.VerifierEndpoints)
	// Nothing leaves the process before redaction.
	sec.redactReport(rep)

	outPath := f.output
	if outPath == "" && format == "html" {
		outPath = defaultReportPath(cfg.Output.Path, id, format)
	}
	w, closeOut, err := e.openOutput(outPath)
	if err != nil {
		return &codeError{exitError, err}
	}
	w, closeOut = sec.seal(outPath, w, closeOut)
	ropt := render.Options{Verbose: f.verbose}
	if outPath == "" && isTerminal(e.stdout) {
		ropt.Unicode = true
		ropt.Color = !f.noColor && e.getenv("NO_COLOR") == ""
		ropt.Width = terminalWidth(e.stdout)
	}
	if err := render.Write(w, format, rep, ropt); err != nil {
		closeOut()
		return &codeError{exitError, fmt.Errorf("render %s: %w", format, err)}
	}
	if err := closeOut(); err != nil {
		return &codeError{exitError, err}
	}
	if f.output == "" && outPath != "" {
		fmt.Fprintf(e.stderr, "pipetracker: wrote %s\n", outPath)
	}

	// The text view lists warnings itself; elsewhere stderr carries them.
	toTerminalText := format == "text" && (outPath == "" || outPath == "-")
	for _, w := range rep.Warnings {
		if toTerminalText {
			break
		}
		if w.Source != "" {
			fmt.Fprintf(e.stderr, "pipetracker: warning: %s: %s\n", w.Source, w.Message)
		} else {
			fmt.Fprintf(e.stderr, "pipetracker: warning: %s\n", w.Message)
		}
	}
	if f.follow {
		return e.followTrace(cmd.Context(), rep, opt, sec, format)
	}
	for _, s := range rep.Stats.Sources {
		if s.Failed {
			return &codeError{code: exitError, err: fmt.Errorf("%d of %d sources failed", failedCount(rep), len(rep.Stats.Sources))}
		}
	}
	if len(rep.Trace.Events) == 0 {
		return &codeError{code: exitNothing, err: nil}
	}
	return nil
}

// verifyTrace asks the verifier endpoints of the services in the trace
// about the request and records the answers in rep; each failed answer
// also becomes a warning.
func verifyTrace(ctx context.Context, rep *trace.Report, id string, endpoints map[string]string) {
	if len(endpoints) == 0 || len(rep.Trace.Events) == 0 {
		return
	}
	rep.Verifications = verify.Run(ctx, id, rep.Trace.Path(), endpoints, verify.Options{})
	for _, v := range rep.Verifications {
		if !v.OK {
			rep.Warnings = append(rep.Warnings, trace.Warning{Source: v.Endpoint, Message: "verifier for " + v.Service + ": " + v.Error})
		}
	}
}

// defaultReportPath is where a report goes without -o: dir/trace_<id>.<ext>,
// with the characters of id that are unsafe in a file name replaced by _.
func defaultReportPath(dir, id, ext string) string {
	if dir == "" {
		dir = "."
	}
	name := []byte(id)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			name[i] = '_'
		}
	}
	if len(name) > 0 && name[0] == '.' {
		name[0] = '_'
	}
	return filepath.Join(dir, "trace_"+string(name)+"."+ext)
}

func failedCount(rep *trace.Report) int {
	n := 0
	for _, s := range rep.Stats.Sources {
		if s.Failed {
			n++
		}
	}
	return n
}

// specs turns the config's sources, or the --source flags that replace
// them, into source specs.
func specs(cfg *config.Config, flags []string) ([]source.Spec, error) {
	entries := cfg.LogSources
	if len(flags) > 0 {
		entries = make([]config.Source, len(flags))
		for i, loc := range flags {
			entries[i] = config.Source{Location: loc}
		}
	}
	out := make([]source.Spec, 0, len(entries))
	for _, s := range entries {
		spec := source.Spec{Location: s.Location, Service: s.Service, Options: s.Options}
		if s.Timezone != "" {
			loc, err := time.LoadLocation(s.Timezone)
			if err != nil {
				return nil, fmt.Errorf("source %s: timezone %q: %w", source.Redact(s.Location), s.Timezone, err)
			}
			spec.Timezone = loc
		}
		out = append(out, spec)
	}
	return out, nil
}

// chooseFormat picks the output format: the flag, else the config's when
// this build renders it, else text. It returns "" for an unknown flag and
// a warning when the config's format cannot be rendered.
func chooseFormat(flag, configured string) (format, warning string) {
	known := func(f string) bool {
		for _, k := range render.Formats() {
			if k == f {
				return true
			}
		}
		return false
	}
	if flag != "" {
		if known(flag) {
			return flag, ""
		}
		return "", ""
	}
	if configured == "" || configured == "cli" {
		return "text", ""
	}
	if known(configured) {
		return configured, ""
	}
	return "text", fmt.Sprintf("output.format %q is not available in this build; writing text (choose %s)", configured, strings.Join(render.Formats(), ", "))
}

// parseWhen reads an RFC 3339 time or a duration back from now.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: want an RFC 3339 time (2025-10-21T09:00:00Z), a date, or a duration such as 90m, 2h or 3d", errUsage, flag, s)
	}
	return now.Add(-d).UTC(), nil
}

// parseDuration accepts time.ParseDuration's forms plus whole days ("3d").
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

// openOutput returns where to write: stdout, or a file created with its
// directory; the returned func closes it.
func (e *env) openOutput(path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return e.stdout, func() error { return nil }, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("output: %w", err)
		}
	}
	fh, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	return fh, func() error {
		if err := fh.Close(); err != nil {
			return fmt.Errorf("output %s: %w", path, err)
		}
		return nil
	}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 {
			return width
		}
	}
	return 0
}
