package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// ErrSpoolClosed is returned by a spool's readers once it is closed.
var ErrSpoolClosed = errors.New("spool closed")

// spoolChunk is the size of the copy's reads.
const spoolChunk = 1 << 20

// Spool keeps a stream that can be read only once (standard input, a
// command's output) in a private temporary file, so that it can be read
// from the start any number of times, also while it is still being copied.
// Its methods are safe for concurrent use.
type Spool struct {
	dir string
	f   *os.File

	mu     sync.Mutex
	size   int64         // bytes copied so far
	done   bool          // the copy has ended
	err    error         // why it ended; nil at the stream's end
	grown  chan struct{} // closed and replaced when size, done or closed change
	closed bool
}

// NewSpool creates an empty spool in a new directory that only the
// current user can read (mode 0700).
func NewSpool() (*Spool, error) {
	dir, err := os.MkdirTemp("", "pipetracker-spool-")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("spool: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "stream"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &Spool{dir: dir, f: f, grown: make(chan struct{})}, nil
}

// Fill copies src into the spool until src ends, fails or the spool is
// closed, and then ends the spool with finish(err), err being src's error
// (nil at its end); finish may be nil, or replace the error (a command's
// exit status). Fill is called once, usually in its own goroutine.
func (s *Spool) Fill(src io.Reader, finish func(error) error) {
	buf := make([]byte, spoolChunk)
	var err error
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, werr := s.f.Write(buf[:n]); werr != nil {
				if s.isClosed() {
					werr = ErrSpoolClosed
				}
				err = fmt.Errorf("spool: %w", werr)
				break
			}
			s.update(func() { s.size += int64(n) })
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
		if s.isClosed() {
			err = ErrSpoolClosed
			break
		}
	}
	if finish != nil {
		err = finish(err)
	}
	s.update(func() { s.done, s.err = true, err })
}

func (s *Spool) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// update changes the state under the lock and wakes waiting readers.
func (s *Spool) update(change func()) {
	s.mu.Lock()
	change()
	close(s.grown)
	s.grown = make(chan struct{})
	s.mu.Unlock()
}

// Reader returns a reader of the spool from its start. When it has read
// all that is copied so far it waits for more; it returns io.EOF at the
// end of the stream, the copy's error (as finish returned it) if the copy
// failed, ctx.Err() if ctx ends while it waits, and ErrSpoolClosed once
// the spool is closed.
func (s *Spool) Reader(ctx context.Context) io.Reader {
	return &spoolReader{s: s, ctx: ctx}
}

type spoolReader struct {
	s   *Spool
	ctx context.Context
	off int64
}

func (r *spoolReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		s := r.s
		s.mu.Lock()
		size, done, err, closed, grown := s.size, s.done, s.err, s.closed, s.grown
		s.mu.Unlock()
		switch {
		case closed:
			return 0, ErrSpoolClosed
		case r.off < size:
			want := min(int64(len(p)), size-r.off)
			n, rerr := s.f.ReadAt(p[:want], r.off)
			r.off += int64(n)
			if rerr != nil && n == 0 {
				return 0, fmt.Errorf("spool: %w", rerr)
			}
			return n, nil
		case done && err != nil:
			return 0, err
		case done:
			return 0, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		select {
		case <-grown:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
}

// Close wakes the readers, stops the copy at its next write, and removes
// the spool's directory.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.grown)
	s.grown = make(chan struct{})
	s.mu.Unlock()
	err := s.f.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}
