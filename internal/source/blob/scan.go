// Package blob is the scanning core shared by every store of files (local
// files, standard input, a command's output, object stores): it opens a
// stream, decompressing gzip and zstd by their magic bytes (Open); finds
// the records that hold any of a set of ids without parsing anything else
// (Scanner, ScanObject; a plain local file is searched through a mapping
// of it); names the service a file belongs to from its path
// (ServiceFromPath); keeps a stream that can be read only once in a
// private temporary file for later passes (Spool); and lets a trace that
// learns linked ids hand them to a scan while it runs and skip, in later
// passes, what was searched already (Feed, Coverage, Queue, Scanners).
package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrBinary is returned by Scan, before any record is emitted, when
// Options.DetectBinary is set and the first 8 KiB of the stream hold a NUL
// byte.
var ErrBinary = errors.New("binary data")

// Defaults of Options.
const (
	DefaultBufferSize      = 2 << 20
	DefaultMaxLineBytes    = 64 << 20
	DefaultMaxContextLines = 1000
	DefaultMaxContextBytes = 1 << 20

	binaryProbe = 8 << 10   // bytes examined for a NUL
	maxCutLines = 10        // Result.Cut keeps this many line numbers
	scanBlock   = 128 << 10 // searched and counted while in cache
	minBuffer   = 64        // smallest buffer, for tests of refills
)

// Options tune a Scanner. Zero values take the defaults.
type Options struct {
	// BufferSize is the size of each read and of the pooled buffer.
	BufferSize int
	// MaxLineBytes bounds the buffer's growth for long lines and records;
	// a record that does not fit is emitted cut short and its first line
	// is listed in Result.Cut.
	MaxLineBytes int
	// MaxContextLines and MaxContextBytes bound how far a record reaches
	// before and after the line holding a hit: continuation lines beyond
	// them start a record of their own.
	MaxContextLines int
	MaxContextBytes int
	// DetectBinary makes Scan return ErrBinary for a stream whose first
	// 8 KiB hold a NUL byte.
	DetectBinary bool
	// Progress, when set, is called from Scan with the number of bytes
	// read since its last call, about once per buffer. A Scanner used by
	// several goroutines calls it from all of them.
	Progress func(bytes int64)
}

// Result is what one Scan read.
type Result struct {
	// Bytes is the number of bytes read from the stream.
	Bytes int64
	// Cut lists the first lines of the first records that were emitted cut
	// short because a line was longer than Options.MaxLineBytes;
	// CutCount counts all of them.
	Cut      []int64
	CutCount int
}

// Scanner finds the records that hold any of a set of ids in streams of
// log text. A record is a line that starts a record (as judged by the
// scanner's boundary function) with the lines after it that do not; a
// record is emitted whole when any of its lines holds an id.
//
// A Scanner is safe for concurrent use; its buffers are pooled across
// scans and shared with every other Scanner.
type Scanner struct {
	ids    [][]byte
	maxLen int
	starts func([]byte) bool
	opt    Options
	// plan builds m from the first data scanned.
	plan sync.Once
	m    *matcher
}

// NewScanner returns a Scanner for ids. starts reports whether a line
// (without its newline or a trailing "\r") starts a record; it is called
// only for lines near a hit and must be safe for concurrent use. Ids must
// be non-empty and hold no newline.
func NewScanner(ids []string, starts func(line []byte) bool, opt Options) (*Scanner, error) {
	bs := make([][]byte, len(ids))
	for i, id := range ids {
		bs[i] = []byte(id)
	}
	checked, err := checkIDs(bs)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	maxLen := 0
	for _, id := range checked {
		maxLen = max(maxLen, len(id))
	}
	if opt.BufferSize <= 0 {
		opt.BufferSize = DefaultBufferSize
	}
	opt.BufferSize = max(opt.BufferSize, minBuffer, 4*maxLen)
	if opt.DetectBinary {
		opt.BufferSize = max(opt.BufferSize, 2*binaryProbe)
	}
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	opt.MaxLineBytes = max(opt.MaxLineBytes, opt.BufferSize)
	if opt.MaxContextLines <= 0 {
		opt.MaxContextLines = DefaultMaxContextLines
	}
	if opt.MaxContextBytes <= 0 {
		opt.MaxContextBytes = DefaultMaxContextBytes
	}
	s := &Scanner{ids: checked, maxLen: maxLen, starts: starts, opt: opt}
	return s, nil
}

// Scan reads r to its end and calls emit once for every record that holds
// an id, in stream order, with the record's bytes (its lines joined by
// their newlines, without the final newline or a trailing "\r") and the
// 1-based number of its first line. data is valid only during the call.
//
// An error from emit stops the scan and is returned as is; so is
// ctx.Err(), checked before each read. A read error ends the scan after
// the records found in the data read before it are emitted; it is returned
// wrapped with its position, or as is when it is a *CorruptError (which
// tells its position). With Options.DetectBinary, ErrBinary is returned
// before any record is emitted.
//
// The first Scan of a Scanner plans the search from the data it reads
// first: which bytes of the ids to look for is chosen by how rarely they
// occur there.
func (s *Scanner) Scan(ctx context.Context, r io.Reader, emit func(data []byte, line int64) error) (Result, error) {
	bp := getBuffer(s.opt.BufferSize)
	defer putBuffer(bp)
	st := &scan{s: s, r: r, emit: emit, buf: *bp, lnum: 1, pend: -1}
	err := st.run(ctx)
	return st.res, err
}

// scan is the state of one Scan. Positions are indices into buf; every
// byte before done belongs to an emitted record or to a line without a
// hit, and every anchor position before from has been searched.
type scan struct {
	s    *Scanner
	r    io.Reader
	emit func([]byte, int64) error
	res  Result

	buf     []byte
	n       int   // valid bytes in buf
	eof     bool  // r is exhausted (or failed: rerr)
	rerr    error // read error other than io.EOF
	lpos    int   // where newlines have been counted up to
	lnum    int64 // the number of the line holding lpos
	from    int   // next anchor position to search
	done    int   // end of what has been emitted or passed over
	pend    int   // start of a record waiting for more data, or -1
	waiting bool  // a hit at from waits for more data
	force   bool  // no more room: end waiting records with what is there
	// cutStart says buf[0] is inside a line whose start was dropped;
	// skipLine says the rest of the current line is to be passed over.
	cutStart bool
	skipLine bool
	hits     []int
	// mapped says buf holds the whole stream (scanBytes): nothing is read
	// or shifted, and newlines are counted only up to the hits. release,
	// when set, releases pages of a file mapping; buf[:released] have
	// been released; page is their size.
	mapped   bool
	release  func([]byte)
	released int
	page     int
}

func (st *scan) run(ctx context.Context) error {
	if st.s.opt.DetectBinary {
		for !st.eof && st.n < binaryProbe {
			if err := ctx.Err(); err != nil {
				return err
			}
			st.fill()
		}
		if bytes.IndexByte(st.buf[:min(st.n, binaryProbe)], 0) >= 0 {
			return ErrBinary
		}
	}
	for {
		if err := st.process(); err != nil {
			return err
		}
		if st.eof {
			return st.readError(ctx)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := st.makeRoom(); err != nil {
			return err
		}
		st.fill()
	}
}

// readError returns the error that ended the stream: nil at its end,
// ctx.Err() when the reader gave up because ctx ended, a *CorruptError as
// is, anything else wrapped with the position.
func (st *scan) readError(ctx context.Context) error {
	var ce *CorruptError
	switch {
	case st.rerr == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(st.rerr, &ce):
		return st.rerr
	}
	return fmt.Errorf("read at byte %d: %w", st.res.Bytes, st.rerr)
}

// fill reads once into the free end of the buffer (retrying reads that
// return nothing), so that a slow stream's records are found as they come.
func (st *scan) fill() {
	k, err := 0, error(nil)
	for empty := 0; k == 0 && err == nil; empty++ {
		if empty == 100 {
			err = io.ErrNoProgress
			break
		}
		k, err = st.r.Read(st.buf[st.n:])
	}
	st.n += k
	if err != nil {
		st.eof = true
		if err != io.EOF {
			st.rerr = err
		}
	}
	st.res.Bytes += int64(k)
	if st.s.opt.Progress != nil && k > 0 {
		st.s.opt.Progress(int64(k))
	}
}

// process emits the records of the hits in buf[from:n]. It stops at a hit
// whose record may go on past n, leaving from at the hit.
func (st *scan) process() error {
	if st.n == 0 {
		return nil
	}
	if st.skipLine {
		i := bytes.IndexByte(st.buf[st.done:st.n], '\n')
		if i < 0 {
			st.done, st.from = st.n, st.n
			return nil
		}
		st.done = st.done + i + 1
		st.from = max(st.from, st.done)
		st.skipLine = false
	}
	st.waiting, st.pend = false, -1
	st.s.plan.Do(func() { st.s.m = newMatcher(st.s.ids, st.buf[:st.n]) })
	// Search block by block and count each block's newlines right after,
	// while it is still in cache.
	for lo := st.from; lo < st.n; lo += scanBlock {
		hi := min(lo+scanBlock, st.n)
		st.hits = st.s.m.find(st.hits, st.buf[:st.n], lo, hi)
		for _, q := range st.hits {
			if q < st.done {
				continue
			}
			ok, err := st.record(q)
			if err != nil {
				return err
			}
			if !ok {
				st.from, st.waiting = q, true
				return nil
			}
		}
		st.lineOf(max(hi, st.lpos))
	}
	st.from = max(st.from, st.done, st.n-st.s.m.maxRight+1)
	return nil
}

// record emits the record around the hit at q. It reports false, having
// set pend when the record's start is known, when the record may go on
// past n and more data can be read.
func (st *scan) record(q int) (bool, error) {
	buf, n, floor := st.buf, st.n, st.done
	more := !st.eof && !st.force
	ls := floor + bytes.LastIndexByte(buf[floor:q], '\n') + 1
	le := n
	if i := bytes.IndexByte(buf[q:n], '\n'); i >= 0 {
		le = q + i
	} else if more {
		return false, nil
	}
	if st.mapped && le-ls > st.s.opt.MaxLineBytes {
		return true, st.cutLine(q, ls, le)
	}
	cutEnd := le == n && !st.eof      // the hit line goes on past what fits
	cutHead := st.cutStart && ls == 0 // the hit line's start was dropped
	line := st.lineOf(ls)

	// Back over continuation lines.
	rs, back := ls, 0
	if !cutHead && !st.s.starts(trimCR(buf[ls:le])) {
		for rs > floor && back < st.s.opt.MaxContextLines {
			pe := rs - 1
			ps := floor + bytes.LastIndexByte(buf[floor:pe], '\n') + 1
			if ls-ps > st.s.opt.MaxContextBytes || (st.cutStart && ps == 0) || (st.mapped && pe-ps > st.s.opt.MaxLineBytes) {
				break
			}
			rs, back = ps, back+1
			if st.s.starts(trimCR(buf[ps:pe])) {
				break
			}
		}
	}

	// Forward over continuation lines.
	end := le
	for fwd := 0; !cutEnd && end < n && fwd < st.s.opt.MaxContextLines; fwd++ {
		ns := end + 1
		ne := n
		if i := bytes.IndexByte(buf[ns:n], '\n'); i >= 0 {
			ne = ns + i
		} else if more {
			st.pend = rs
			return false, nil
		} else if ns == n || st.force {
			break
		}
		if ne-ls > st.s.opt.MaxContextBytes || (st.mapped && ne-ns > st.s.opt.MaxLineBytes) || st.s.starts(trimCR(buf[ns:ne])) {
			break
		}
		end = ne
	}

	start := line - int64(back)
	if cutEnd || cutHead {
		st.res.CutCount++
		if len(st.res.Cut) < maxCutLines {
			st.res.Cut = append(st.res.Cut, start)
		}
	}
	if err := st.emit(trimCR(buf[rs:end]), start); err != nil {
		return false, err
	}
	if end < n {
		st.done = end + 1
	} else {
		st.done = n
		st.skipLine = cutEnd
	}
	return true, nil
}

// cutLine emits, as a record cut short, MaxLineBytes of the line
// buf[ls:le] around the hit at q, and passes over the rest of the line.
func (st *scan) cutLine(q, ls, le int) error {
	limit := st.s.opt.MaxLineBytes
	start := min(max(ls, q-limit/2), le-limit)
	line := st.lineOf(ls)
	st.res.CutCount++
	if len(st.res.Cut) < maxCutLines {
		st.res.Cut = append(st.res.Cut, line)
	}
	if err := st.emit(trimCR(st.buf[start:start+limit]), line); err != nil {
		return err
	}
	st.done = min(le+1, st.n)
	return nil
}

// lineOf returns the number of the line holding p and moves lpos there.
func (st *scan) lineOf(p int) int64 {
	if p >= st.lpos {
		if st.mapped && st.lpos < st.released {
			st.countMapped(p)
		}
		st.lnum += int64(bytes.Count(st.buf[st.lpos:p], newline))
	} else {
		st.lnum -= int64(bytes.Count(st.buf[p:st.lpos], newline))
	}
	st.lpos = p
	return st.lnum
}

var newline = []byte{'\n'}

// countMapped counts the newlines of a mapping from lpos, which lies in
// pages already released, up to p or the end of the released pages,
// releasing again the pages it touched, and moves lpos there.
func (st *scan) countMapped(p int) {
	end := min(p, st.released)
	for st.lpos < end {
		hi := min(end, st.lpos+mapChunk)
		st.lnum += int64(bytes.Count(st.buf[st.lpos:hi], newline))
		if lo := (st.lpos + st.page - 1) / st.page * st.page; hi/st.page*st.page > lo {
			st.release(st.buf[lo : hi/st.page*st.page])
		}
		st.lpos = hi
	}
}

// makeRoom frees at least a quarter of the buffer for the next read:
// it moves what may still be needed to the front, grows the buffer up to
// MaxLineBytes, and past that ends the waiting record or drops the start
// of an overlong line.
func (st *scan) makeRoom() error {
	for {
		if len(st.buf)-st.n >= len(st.buf)/4 {
			return nil
		}
		if keep := st.keepFrom(); keep > 0 {
			st.shift(keep)
			continue
		}
		if len(st.buf) < st.s.opt.MaxLineBytes {
			nb := make([]byte, min(2*len(st.buf), st.s.opt.MaxLineBytes))
			copy(nb, st.buf[:st.n])
			st.buf = nb
			continue
		}
		if st.waiting {
			st.force = true
			err := st.process()
			st.force = false
			if err != nil {
				return err
			}
			if st.done > 0 {
				continue
			}
		}
		// One line without a hit fills the buffer: keep only enough of its
		// end to find an id that crosses into the next read.
		st.shift(st.n - (st.s.maxLen - 1))
		st.cutStart = true
		return nil
	}
}

// keepFrom returns the first position that may still be needed: the start
// of the waiting record, or of the record the last line may belong to.
func (st *scan) keepFrom() int {
	if st.skipLine {
		return st.n
	}
	if st.pend >= 0 {
		return st.pend
	}
	tail := st.done + bytes.LastIndexByte(st.buf[st.done:st.n], '\n') + 1
	rs := tail
	for back := 0; rs > st.done && back < st.s.opt.MaxContextLines; back++ {
		pe := rs - 1
		ps := st.done + bytes.LastIndexByte(st.buf[st.done:pe], '\n') + 1
		if tail-ps > st.s.opt.MaxContextBytes {
			break
		}
		rs = ps
		if st.s.starts(trimCR(st.buf[ps:pe])) {
			break
		}
	}
	return rs
}

// shift discards buf[:k].
func (st *scan) shift(k int) {
	if k <= 0 {
		return
	}
	st.lineOf(max(st.lpos, k))
	if bytes.IndexByte(st.buf[:k], '\n') >= 0 {
		st.cutStart = false
	}
	st.n = copy(st.buf, st.buf[k:st.n])
	st.lpos -= k
	st.from = max(st.from-k, 0)
	st.done = max(st.done-k, 0)
	if st.pend >= 0 {
		st.pend -= k
	}
}

// trimCR returns b without a trailing "\r".
func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
