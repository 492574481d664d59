package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Opener opens one object's body from byte off on. exact reports whether
// the body's bytes are the object's as stored, of the version listed, so
// that an offset into them means the same bytes on another request (the
// version is pinned, and nothing decoded the body on the way). When off
// is above 0, Opener fails unless the store answered with the object
// from exactly that byte (see Resumed).
type Opener func(ctx context.Context, off int64) (body io.ReadCloser, exact bool, err error)

// Resume opens an object with open and returns a reader of it that, when
// the body breaks off with an error that retryable says another request
// may mend, asks for the rest from the byte it reached, at most resumes
// times, so that the scan never sees the break. A break it cannot mend
// (the body was not exact, the store did not resume at that byte, the
// resumes are spent, ctx is done) is returned as the break itself, and
// the Bucket then reads the object once more from its start.
func Resume(ctx context.Context, open Opener, retryable func(error) bool, resumes int) (io.ReadCloser, error) {
	body, exact, err := open(ctx, 0)
	if err != nil {
		return nil, err
	}
	return &resumer{ctx: ctx, open: open, retryable: retryable, left: resumes, body: body, exact: exact}, nil
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
	body, exact, oerr := r.open(r.ctx, r.off)
	if oerr != nil {
		r.err = err // the break, not the failed attempt to mend it
		return n, err
	}
	r.body, r.exact = body, exact
	if n > 0 {
		return n, nil
	}
	return r.Read(p)
}

// Close implements io.Closer. A body closed after a break is closed
// again, which HTTP bodies allow.
func (r *resumer) Close() error { return r.body.Close() }

// Resumed checks a Content-Range header of an answer to a request for an
// object from byte off on: nil when it starts at off.
func Resumed(contentRange string, off int64) error {
	var start int64
	if _, err := fmt.Sscanf(contentRange, "bytes %d-", &start); err != nil || start != off {
		return fmt.Errorf("the store did not resume the read at byte %d (Content-Range %q)", off, contentRange)
	}
	return nil
}
