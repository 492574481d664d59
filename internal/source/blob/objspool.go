package blob

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// objectSpool keeps copies of objects read whole in a private temporary
// directory, up to a limit in bytes, so that later scans read them from
// local disk. Copies are appended to a few segment files, one per object
// being copied at a time, since creating a file per object costs more
// than reading a small object. Its methods are safe for concurrent use.
type objectSpool struct {
	limit int64

	mu     sync.Mutex
	dir    string            // created on first use
	used   int64             // bytes kept or reserved
	copies map[string]spanOf // entry identity → where its copy lies
	free   []*segment        // segments no copy is being written to
	all    []*segment        // every segment, to close
	closed bool
	broken bool // the directory could not be made: keep nothing
}

// segment is a file that copies are appended to, by one writer at a time.
type segment struct {
	f    *os.File
	size int64 // end of the last kept copy
}

// spanOf locates a copy in a segment.
type spanOf struct {
	seg      *segment
	off, len int64
}

func newObjectSpool(limit int64) *objectSpool {
	return &objectSpool{limit: limit, copies: make(map[string]spanOf)}
}

func spoolID(e Entry) string { return e.Key + "\x00" + e.Version }

// open returns a reader of the copy of e, if one is kept.
func (s *objectSpool) open(e Entry) (io.ReadCloser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.copies[spoolID(e)]
	if !ok || s.closed {
		return nil, false
	}
	return io.NopCloser(io.NewSectionReader(c.seg.f, c.off, c.len)), true
}

// tee returns r, copying what is read through it into a new copy of e
// when there is room; the copy is kept only if r is read to its end
// without error before it is closed.
func (s *objectSpool) tee(e Entry, r io.ReadCloser) io.ReadCloser {
	seg := s.take(e)
	if seg == nil {
		return r
	}
	return &teeReader{s: s, e: e, r: r, seg: seg, off: seg.size, end: seg.size}
}

// take reserves room for e and a segment to copy it into; nil when there
// is no room or no segment can be had.
func (s *objectSpool) take(e Entry) *segment {
	s.mu.Lock()
	if s.closed || s.broken || s.used+e.Size > s.limit {
		s.mu.Unlock()
		return nil
	}
	if _, dup := s.copies[spoolID(e)]; dup {
		s.mu.Unlock()
		return nil
	}
	s.used += e.Size
	if n := len(s.free); n > 0 {
		seg := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return seg
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "pipetracker-objects-")
		if err == nil {
			if err = os.Chmod(dir, 0o700); err != nil {
				os.RemoveAll(dir)
			}
		}
		if err != nil {
			s.broken = true
			s.used -= e.Size
			s.mu.Unlock()
			return nil
		}
		s.dir = dir
	}
	p := filepath.Join(s.dir, fmt.Sprintf("segment-%d", len(s.all)))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		s.used -= e.Size
		s.mu.Unlock()
		return nil
	}
	seg := &segment{f: f}
	s.all = append(s.all, seg)
	s.mu.Unlock()
	return seg
}

// give returns a segment after a copy: kept at [off, end) when keep is
// set, else the segment is cut back to off and the reservation released.
func (s *objectSpool) give(e Entry, seg *segment, off, end int64, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if keep {
		s.copies[spoolID(e)] = spanOf{seg: seg, off: off, len: end - off}
		seg.size = end
	} else {
		s.used -= e.Size
		if seg.f.Truncate(off) != nil {
			return // a segment that cannot be cut back is not reused
		}
	}
	s.free = append(s.free, seg)
}

// close removes the directory and every copy in it.
func (s *objectSpool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.copies, s.free = nil, nil
	var errs []error
	for _, seg := range s.all {
		errs = append(errs, seg.f.Close())
	}
	s.all = nil
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove copies of objects: %w", err)
	}
	return nil
}

// teeReader copies an object's stream into a segment as it is read.
type teeReader struct {
	s        *objectSpool
	e        Entry
	r        io.ReadCloser
	seg      *segment // nil once given back
	off, end int64    // where the copy starts; where the next byte goes
	failed   bool     // a write failed: the copy is not kept
	complete bool     // r reached its end
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && t.seg != nil && !t.failed {
		if _, werr := t.seg.f.WriteAt(p[:n], t.end); werr != nil {
			t.failed = true
		} else {
			t.end += int64(n)
		}
	}
	if errors.Is(err, io.EOF) {
		t.complete = true
	}
	return n, err
}

func (t *teeReader) Close() error {
	err := t.r.Close()
	if t.seg != nil {
		t.s.give(t.e, t.seg, t.off, t.end, t.complete && !t.failed)
		t.seg = nil
	}
	return err
}
