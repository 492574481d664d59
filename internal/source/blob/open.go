package blob

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Format is the encoding of a stream, told by its first bytes.
type Format string

// The formats Open recognises.
const (
	Plain Format = "plain"
	Gzip  Format = "gzip" // 1f 8b; several members are read one after another
	Zstd  Format = "zstd" // 28 b5 2f fd; several frames likewise
)

const (
	// maxZstdWindow bounds the memory a zstd frame may ask for.
	maxZstdWindow = 64 << 20
	// compressedBuffer is the read-ahead of compressed data: decoders read
	// it byte by byte, so a large buffer saves system calls.
	compressedBuffer = 256 << 10
)

// CorruptError reports compressed data that ends early or does not decode.
// The content read before the fault is valid.
type CorruptError struct {
	Format Format
	// Offset is how far into the compressed stream the decoder had read
	// when it failed (the fault lies at or shortly before it).
	Offset int64
	// Content is the number of content bytes read before the fault.
	Content int64
	Err     error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s data corrupt or truncated near compressed byte %d, after %d bytes of content: %v",
		e.Format, e.Offset, e.Content, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Reader reads the content of a stream, decompressing gzip and zstd.
type Reader struct {
	format Format
	src    *countingReader
	buf    *bufio.Reader // between src and a decoder
	dec    io.Reader
	zd     *zstd.Decoder
	out    int64
}

// Open returns a Reader of r's content, choosing the decoder by the magic
// bytes at the start of r, whatever its name. It fails only when a
// compressed stream's header cannot be read; the error is a
// *CorruptError then. Close releases the decoder; it does not close r.
func Open(r io.Reader) (*Reader, error) {
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("read: %w", err)
	}
	src := &countingReader{r: io.MultiReader(bytes.NewReader(magic[:n]), r)}
	o := &Reader{format: Plain, src: src, dec: src}
	switch sniff(magic[:n]) {
	case Gzip:
		o.format = Gzip
		o.buf = bufio.NewReaderSize(src, compressedBuffer)
		zr, err := gzip.NewReader(o.buf)
		if err != nil {
			return nil, o.corrupt(err)
		}
		o.dec = zr
	case Zstd:
		o.format = Zstd
		o.buf = bufio.NewReaderSize(src, compressedBuffer)
		zd, err := zstd.NewReader(o.buf, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, o.corrupt(err)
		}
		o.dec, o.zd = zd, zd
	}
	return o, nil
}

// sniff tells the encoding of a stream from its first bytes.
func sniff(b []byte) Format {
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return Gzip
	case len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return Zstd
	}
	return Plain
}

// Format returns the stream's encoding.
func (o *Reader) Format() Format { return o.format }

// Read reads content. A fault in compressed data is a *CorruptError; an
// error of the underlying reader is returned as is.
func (o *Reader) Read(p []byte) (int, error) {
	n, err := o.dec.Read(p)
	o.out += int64(n)
	if err == nil || err == io.EOF || o.format == Plain {
		return n, err
	}
	if o.src.err != nil && o.src.err != io.EOF {
		return n, o.src.err
	}
	return n, o.corrupt(err)
}

// Close releases the decoder.
func (o *Reader) Close() error {
	if o.zd != nil {
		o.zd.Close()
	}
	return nil
}

func (o *Reader) corrupt(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	off := o.src.n
	if o.buf != nil {
		off -= int64(o.buf.Buffered())
	}
	return &CorruptError{Format: o.format, Offset: off, Content: o.out, Err: err}
}

// countingReader counts the bytes read through it and keeps the last error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}
