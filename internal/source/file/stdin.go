package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// StdinDriver returns the driver of standard input (scheme "stdin",
// location "-"), reading stdin. Standard input can be read once, so the
// first scan copies it into a private temporary file (the spool) as it
// goes, and later scans read the spool; the source's Close removes it.
func StdinDriver(stdin io.Reader) source.Driver {
	return source.Driver{
		Scheme:      "stdin",
		Description: `standard input ("-"); gzip and zstd by content`,
		Open: func(spec source.Spec) (source.Source, error) {
			return newStream(spec, stdin, nil, "standard input", stdinPath, "stdin", logline.StartsRecord), nil
		},
	}
}

// stdinPath is Record.Path of every record from standard input.
const stdinPath = "stdin"

// Stream reads a stream that can be read only once (standard input, a
// named pipe) through a spool. It implements io.Closer.
type Stream struct {
	spec    source.Spec
	in      io.Reader
	closer  io.Closer // closes in, when the stream owns it
	name    string    // in warnings and errors
	path    string    // Record.Path
	service string    // Record.Service unless the spec names one
	starts  func([]byte) bool

	mu     sync.Mutex
	spool  *blob.Spool
	closed bool
}

func newStream(spec source.Spec, in io.Reader, closer io.Closer, name, path, service string, starts func([]byte) bool) *Stream {
	if spec.Service != "" {
		service = spec.Service
	}
	return &Stream{spec: spec, in: in, closer: closer, name: name, path: path, service: service, starts: starts}
}

// Scan scans the stream; the first call starts copying it into the spool,
// every call reads the spool from its start.
func (s *Stream) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var stats source.Stats
	spool, err := s.start()
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
		return stats, fmt.Errorf("%s: %w", s.name, err)
	}
	o, err := blob.ScanObject(ctx, sc, spool.Reader(ctx), blob.Object{Name: s.name, Path: s.path, Service: s.service}, out)
	stats.Bytes = o.Bytes
	if err != nil {
		return stats, err
	}
	if errors.Is(o.Fault, blob.ErrSpoolClosed) {
		return stats, fmt.Errorf("%s: %w", s.name, o.Fault)
	}
	out.Progress(1, 0)
	if o.Binary {
		stats.Skip(source.SkipBinary, 1)
		out.Warn(fmt.Sprintf("skipped %s: binary data", s.name))
		return stats, nil
	}
	stats.Files = 1
	stats.Truncated = o.CutCount > 0
	for _, w := range o.Warnings(s.name) {
		out.Warn(w)
	}
	return stats, nil
}

// start returns the spool, creating it and starting the copy on the first
// call.
func (s *Stream) start() (*blob.Spool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%s: source closed", s.name)
	}
	if s.spool == nil {
		sp, err := blob.NewSpool()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		s.spool = sp
		go sp.Fill(s.in, nil)
	}
	return s.spool, nil
}

// Close removes the spool and closes the stream if the source opened it.
// A copy blocked reading standard input ends at its next read.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var err error
	if s.closer != nil {
		err = s.closer.Close()
	}
	if s.spool != nil {
		if serr := s.spool.Close(); err == nil {
			err = serr
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}
