package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
)

// A plain regular file is searched where the page cache holds it, through
// a read-only mapping, rather than copied into a buffer read by read: no
// copy and no system call per buffer, and newlines are counted only up to
// the records found, not over the whole file. Pages behind the search are
// released as it goes, so that resident memory stays small whatever the
// file's size.

const (
	// minMapped is the smallest file searched through a mapping; smaller
	// ones cost less to read.
	minMapped = 1 << 20
	// mapChunk is how often (in bytes searched) a mapped scan checks for
	// cancellation, reports progress and releases the pages behind it.
	mapChunk = 2 << 20
)

// errShrunk is the read error of a mapped file cut short while it was
// searched.
var errShrunk = errors.New("the file shrank while it was read")

// scanMapped scans f through a mapping. mapped is false, with nothing of f
// read, when f is not a regular file of at least minMapped bytes, cannot
// be mapped, or is compressed: the caller reads it instead.
func scanMapped(ctx context.Context, sc *Scanner, f *os.File, emit func([]byte, int64) error) (res Result, mapped bool, err error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < minMapped || int64(int(fi.Size())) != fi.Size() {
		return Result{}, false, nil
	}
	data, err := mapFile(f, fi.Size())
	if err != nil {
		return Result{}, false, nil
	}
	defer unmapFile(data)
	if sniff(data[:4]) != Plain {
		return Result{}, false, nil
	}
	res, err = sc.scanBytes(ctx, data, dropPages, emit)
	return res, true, err
}

// scanBytes is Scan of data, the whole content of a stream, which may be
// a mapping of a file: the same records, errors and Result as Scan of a
// reader of data, except that a line longer than MaxLineBytes is cut to
// MaxLineBytes around the hit. Newlines are counted only as far as the
// records found, and the pages of a mapping are released behind the
// search when release is set (it must be set only for a mapping of a
// file: released pages read again from the file). A fault while reading
// data (a mapped file truncated meanwhile) ends the scan with a read error.
func (s *Scanner) scanBytes(ctx context.Context, data []byte, release func([]byte), emit func([]byte, int64) error) (res Result, err error) {
	st := &scan{s: s, emit: emit, buf: data, n: len(data), eof: true, lnum: 1, pend: -1, mapped: true, release: release}
	st.res.Bytes = int64(len(data))
	pos := 0
	defer func(old bool) {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			if _, fault := p.(interface{ Addr() uintptr }); !fault {
				panic(p)
			}
			res, err = st.res, fmt.Errorf("read at byte %d: %w", pos, errShrunk)
		}
	}(debug.SetPanicOnFault(true))
	if err := ctx.Err(); err != nil {
		return st.res, err
	}
	if s.opt.DetectBinary && bytes.IndexByte(data[:min(len(data), binaryProbe)], 0) >= 0 {
		return st.res, ErrBinary
	}
	s.plan.Do(func() { s.m = newMatcher(s.ids, data) })
	st.page = os.Getpagesize()
	reported := 0
	for lo := 0; lo < len(data); lo += scanBlock {
		pos = lo
		hi := min(lo+scanBlock, len(data))
		st.hits = s.m.find(st.hits, data, lo, hi)
		for _, q := range st.hits {
			if q < st.done {
				continue
			}
			if _, err := st.record(q); err != nil {
				return st.res, err
			}
		}
		if hi-reported >= mapChunk || hi == len(data) {
			if s.opt.Progress != nil {
				s.opt.Progress(int64(hi - reported))
			}
			reported = hi
			if err := ctx.Err(); err != nil {
				return st.res, err
			}
			// Keep the last chunk searched mapped, for the records that
			// reach back.
			if drop := (lo - mapChunk) / st.page * st.page; release != nil && drop > st.released {
				release(data[st.released:drop])
				st.released = drop
			}
		}
	}
	return st.res, nil
}
