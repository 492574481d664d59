package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Opened is an answer to a request for an object from some byte on.
type Opened struct {
	Body io.ReadCloser
	// Exact says the body's bytes are the object's as stored, of the
	// version listed, so that an offset into them means the same bytes on
	// another request: the version is pinned, and nothing decoded the
	// body on the way.
	Exact bool
	// ContentRange is the answer's Content-Range header.
	ContentRange string
}

// Opener asks for one object's body from byte off on; above 0, with the
// Range header RangeFrom(off) and the listed version pinned.
type Opener func(ctx context.Context, off int64) (Opened, error)

// RangeFrom is the Range header that asks for an object from byte off on.
func RangeFrom(off int64) string { return "bytes=" + strconv.FormatInt(off, 10) + "-" }

// Resume opens an object with open and returns a reader of it that, when
// the body breaks off with an error that retryable says another request
// may mend, asks for the rest from the byte it reached, at most resumes
// times, so that the scan never sees the break. A break it cannot mend
// (the body was not exact, the store did not resume at that byte, the
// resumes are spent, ctx is done) is returned as the break itself, and
// the Bucket then reads the object once more from its start. A store that
// answers the rest with anything but the object from that byte (its
// Content-Range says) is not taken at its word.
func Resume(ctx context.Context, open Opener, retryable func(error) bool, resumes int) (io.ReadCloser, error) {
	o, err := open(ctx, 0)
	if err != nil {
		return nil, err
	}
	return &resumer{ctx: ctx, open: open, retryable: retryable, left: resumes, body: o.Body, exact: o.Exact}, nil
}

// resumer is the reader Resume returns.
type resumer struct {
	ctx       context.Context
	open      Opener
	retryable func(error) bool
	left      int // resumes left
	body      io.ReadCloser
	exact     bool
	off       int64 // bytes read so far
	err       error // the break that could not be mended, once it is so
}

// Read implements io.Reader.
func (r *resumer) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	if err == nil || errors.Is(err, io.EOF) || !r.exact || r.left == 0 || r.ctx.Err() != nil || !r.retryable(err) {
		return n, err
	}
	r.body.Close()
	r.left--
	o, oerr := r.open(r.ctx, r.off)
	if oerr == nil {
		if oerr = resumedAt(o.ContentRange, r.off); oerr != nil {
			o.Body.Close()
		}
	}
	if oerr != nil {
		r.err = err // the break, not the failed attempt to mend it
		return n, err
	}
	r.body, r.exact = o.Body, o.Exact
	if n > 0 {
		return n, nil
	}
	return r.Read(p)
}

// Close implements io.Closer. A body closed after a break is closed
// again, which HTTP bodies allow.
func (r *resumer) Close() error { return r.body.Close() }

// resumedAt checks a Content-Range header of an answer to a request for
// an object from byte off on: nil when it starts at off.
func resumedAt(contentRange string, off int64) error {
	var start int64
	if _, err := fmt.Sscanf(contentRange, "bytes %d-", &start); err != nil || start != off {
		return fmt.Errorf("the store did not resume the read at byte %d (Content-Range %q)", off, contentRange)
	}
	return nil
}
