// Package exec reads the standard output of a command as one source:
// "exec:kubectl logs -l app=checkout --prefix", "exec:journalctl -o json".
// The command runs without a shell (write "exec:sh -c '…'" for one).
package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

const (
	// DefaultTimeout bounds a command's run unless the "timeout" option says
	// otherwise.
	DefaultTimeout = 5 * time.Minute
	// stderrKept is how much of the end of a command's standard error a
	// failure reports.
	stderrKept = 8 << 10
	// waitDelay is how long a killed command's output may stay open (held
	// by a process that escaped the group) before it is closed.
	waitDelay = 2 * time.Second
	// stdoutPath is Record.Path of a record without a kubectl prefix.
	stdoutPath = "stdout"
)

// Driver returns the driver of commands (scheme "exec", location
// "exec:COMMAND"). Options: "timeout", a duration (default 5m; "0" for
// none).
func Driver() source.Driver {
	return source.Driver{
		Scheme:      "exec",
		Description: "standard output of a command run without a shell (exec:COMMAND; option timeout, default 5m)",
		Open: func(spec source.Spec) (source.Source, error) {
			return newSource(spec, logline.StartsRecord)
		},
	}
}

// CommandError reports a command that could not start, failed, or ran out
// of time. It names the command as written, never its environment.
type CommandError struct {
	Command string
	Err     error
	// Stderr is the end of what the command wrote to its standard error.
	Stderr string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("exec: %s: %v", e.Command, e.Err)
	if e.Stderr != "" {
		msg += ": stderr: " + e.Stderr
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// Source runs one command, once, on its first Scan; its standard output is
// kept in a private temporary file that later scans read again. Close kills
// the command if it still runs and removes the file.
type Source struct {
	spec    source.Spec
	command string // as written after "exec:"
	argv    []string
	timeout time.Duration
	starts  func([]byte) bool

	mu       sync.Mutex
	spool    *blob.Spool
	startErr error
	cancel   context.CancelFunc
	closed   bool
}

func newSource(spec source.Spec, starts func([]byte) bool) (*Source, error) {
	command := strings.TrimSpace(strings.TrimPrefix(spec.Location, "exec:"))
	argv, err := splitArgs(command)
	if err != nil {
		return nil, fmt.Errorf("exec: %s: %w", command, err)
	}
	timeout := DefaultTimeout
	if v, ok := spec.Options["timeout"]; ok {
		if timeout, err = time.ParseDuration(v); err != nil || timeout < 0 {
			return nil, fmt.Errorf("exec: %s: option timeout %q is not a duration such as 30s or 5m", command, v)
		}
	}
	return &Source{
		spec:    spec,
		command: command,
		argv:    argv,
		timeout: timeout,
		starts: func(line []byte) bool {
			_, _, n := kubePrefix(line)
			return starts(line[n:])
		},
	}, nil
}

// Scan runs the command on its first call and scans its output as it
// comes; later calls scan the kept output. When the command fails, the
// records found before the failure are sent and the error is a
// *CommandError.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var stats source.Stats
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	spool, err := s.start(ctx)
	if err != nil {
		return stats, err
	}
	if len(q.IDs) == 0 {
		return stats, nil
	}
	sc, err := blob.NewScanner(q.IDs, s.starts, blob.Options{
		DetectBinary: true,
		Progress:     func(n int64) { out.Progress(0, n) },
	})
	if err != nil {
		return stats, fmt.Errorf("exec: %w", err)
	}
	service := s.spec.Service
	if service == "" {
		service = filepath.Base(s.argv[0])
	}
	var scratch []byte
	obj := blob.Object{
		Name:    "exec:" + s.command,
		Path:    stdoutPath,
		Service: service,
		Prepare: func(r *source.Record) {
			pod, container, n := kubePrefix(r.Data)
			if n == 0 {
				return
			}
			r.Path = pod + "/" + container
			if s.spec.Service == "" {
				r.Service = blob.Workload(pod)
			}
			scratch = stripPrefixes(scratch[:0], r.Data)
			r.Data = scratch
		},
	}
	o, err := blob.ScanObject(ctx, sc, spool.Reader(ctx), obj, out)
	stats.Bytes = o.Bytes
	if err != nil {
		return stats, err
	}
	var ce *CommandError
	switch {
	case errors.As(o.Fault, &ce):
		return stats, ce
	case errors.Is(o.Fault, blob.ErrSpoolClosed):
		return stats, fmt.Errorf("exec: %s: %w", s.command, o.Fault)
	}
	out.Progress(1, 0)
	if o.Binary {
		stats.Skip(source.SkipBinary, 1)
		out.Warn(fmt.Sprintf("skipped exec:%s: its output is binary", s.command))
		return stats, nil
	}
	stats.Files = 1
	stats.Truncated = o.CutCount > 0
	for _, w := range o.Warnings(obj.Name) {
		out.Warn(w)
	}
	return stats, nil
}

// start starts the command on the first call and returns the spool of its
// output. The command is killed when ctx ends, its timeout passes, or the
// source is closed.
func (s *Source) start(ctx context.Context) (*blob.Spool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, fmt.Errorf("exec: %s: source closed", s.command)
	case s.startErr != nil:
		return nil, s.startErr
	case s.spool != nil:
		return s.spool, nil
	}
	spool, err := blob.NewSpool()
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	var (
		cctx   context.Context
		cancel context.CancelFunc
	)
	if s.timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, s.timeout)
	} else {
		cctx, cancel = context.WithCancel(ctx)
	}
	cmd := exec.CommandContext(cctx, s.argv[0], s.argv[1:]...)
	setKillGroup(cmd)
	cmd.WaitDelay = waitDelay
	stderr := &tail{max: stderrKept}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		cancel()
		spool.Close()
		s.startErr = &CommandError{Command: s.command, Err: err}
		return nil, s.startErr
	}
	s.spool, s.cancel = spool, cancel
	go spool.Fill(stdout, func(copyErr error) error {
		waitErr := cmd.Wait()
		defer cancel()
		switch {
		case errors.Is(cctx.Err(), context.DeadlineExceeded):
			return &CommandError{Command: s.command, Err: fmt.Errorf("timed out after %v", s.timeout), Stderr: stderr.String()}
		case cctx.Err() != nil:
			return &CommandError{Command: s.command, Err: cctx.Err()}
		case waitErr != nil:
			return &CommandError{Command: s.command, Err: waitErr, Stderr: stderr.String()}
		case copyErr != nil:
			return &CommandError{Command: s.command, Err: fmt.Errorf("reading its output: %w", copyErr)}
		}
		return nil
	})
	return spool, nil
}

// Close kills the command if it still runs and removes its kept output.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	if s.spool == nil {
		return nil
	}
	if err := s.spool.Close(); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

// kubePrefix parses the "[pod/<pod>/<container>] " prefix that
// "kubectl logs --prefix" puts before each line; n is its length, 0 when
// line has none.
func kubePrefix(line []byte) (pod, container string, n int) {
	if !bytes.HasPrefix(line, []byte("[pod/")) {
		return "", "", 0
	}
	end := bytes.Index(line, []byte("] "))
	if end < 0 {
		return "", "", 0
	}
	name := line[len("[pod/"):end]
	slash := bytes.IndexByte(name, '/')
	if slash <= 0 || slash == len(name)-1 || bytes.ContainsAny(name, " \t[]") || bytes.IndexByte(name[slash+1:], '/') >= 0 {
		return "", "", 0
	}
	return string(name[:slash]), string(name[slash+1:]), end + 2
}

// stripPrefixes appends data to dst with the kubectl prefix of each of its
// lines removed.
func stripPrefixes(dst, data []byte) []byte {
	for len(data) > 0 {
		line := data
		i := bytes.IndexByte(data, '\n')
		if i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		_, _, n := kubePrefix(line)
		dst = append(dst, line[n:]...)
	}
	return dst
}

// tail keeps the last max bytes written to it. It is safe for concurrent
// use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns what was kept, trimmed, marked when earlier output was
// dropped.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	if len(t.buf) >= t.max {
		s = "…" + s
	}
	return s
}
