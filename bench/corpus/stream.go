package corpus

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression of the corpus files.
const (
	CompRotated = "rotated" // the newest two files plain, older rotations gzip-compressed (.2.gz …)
	CompPlain   = "plain"   // every file plain
	CompGzip    = "gzip"    // every file gzip-compressed
	CompZstd    = "zstd"    // every file zstd-compressed
)

// window is the time span of the corpus, in ns since the Unix epoch.
type window struct{ start, end int64 }

func (w window) length() int64 { return w.end - w.start }

// streamGen writes one stream. It owns its random source, so streams can
// run concurrently and still produce the same bytes for a given seed.
type streamGen struct {
	spec  streamSpec
	index int
	rng   *rand.Rand
	clk   clock
	pool  []session
	ips   []string
	pid   int
	hotP  float64
	rec   record
	buf   []byte
}

func newStreamGen(spec streamSpec, index int, seed uint64, salt uint64, hotP float64) *streamGen {
	g := &streamGen{
		spec:  spec,
		index: index,
		rng:   rand.New(rand.NewPCG(seed, salt^(uint64(index+1)*0x9e3779b97f4a7c15))),
		hotP:  hotP,
		pid:   2000 + index*37,
	}
	g.pool = make([]session, 128)
	for i := range g.pool {
		g.pool[i] = newSession(g.rng)
	}
	g.ips = make([]string, 64)
	for i := range g.ips {
		g.ips[i] = "10." + strconv.Itoa(1+g.rng.IntN(4)) + "." + strconv.Itoa(g.rng.IntN(256)) + "." + strconv.Itoa(1+g.rng.IntN(254))
	}
	return g
}

// nextBackground fills g.rec with a background record at time t and
// reports whether it is hot.
func (g *streamGen) nextBackground(t int64) bool {
	g.rec.reset()
	g.rec.t = t
	hot := g.hotP > 0 && g.rng.Float64() < g.hotP
	g.background(&g.rec, hot)
	return hot
}

// meanRecordBytes estimates the average size of a background record by
// rendering n of them with a separate random source.
func meanRecordBytes(spec streamSpec, index int, seed uint64, hotP float64, n int) float64 {
	g := newStreamGen(spec, index, seed, 0xca11b4a7e, hotP)
	var total int
	t := corpusWindow().start
	for i := 0; i < n; i++ {
		g.nextBackground(t)
		g.buf = g.clk.appendRecord(g.buf[:0], spec.format, &g.rec)
		total += len(g.buf)
		t += 1e7
	}
	return float64(total) / float64(n)
}

// fileName returns the name of the file with rotation number rot (0 is the
// newest) under the given compression.
func fileName(base string, rot int, comp string) string {
	name := base
	if rot > 0 {
		name += "." + strconv.Itoa(rot)
	}
	switch {
	case comp == CompGzip:
		name += ".gz"
	case comp == CompZstd:
		name += ".zst"
	case comp == CompRotated && rot >= 2:
		name += ".gz"
	}
	return name
}

// fileResult describes one written file.
type fileResult struct {
	Path        string `json:"path"`
	Service     string `json:"service"`
	Format      string `json:"format"`
	Lines       int64  `json:"lines"`
	Records     int64  `json:"records"`
	Bytes       int64  `json:"bytes"`
	StoredBytes int64  `json:"stored_bytes"`
	HotRecords  int64  `json:"hot_records"`
}

// streamResult is what one stream wrote.
type streamResult struct {
	files []fileResult
}

// outFile is an open corpus file: file → compressor (optional) → buffer.
type outFile struct {
	abs  string
	f    *os.File
	z    io.WriteCloser
	bw   *bufio.Writer
	res  fileResult
	last int64 // latest instant written, ns
}

// compressors keeps one compressor of each kind per stream for reuse.
type compressors struct {
	gz *gzip.Writer
	zs *zstd.Encoder
}

func (c *compressors) open(kind string, w io.Writer) (io.WriteCloser, error) {
	switch kind {
	case ".gz":
		if c.gz == nil {
			c.gz = gzip.NewWriter(w)
		} else {
			c.gz.Reset(w)
		}
		return c.gz, nil
	case ".zst":
		if c.zs == nil {
			enc, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
			if err != nil {
				return nil, fmt.Errorf("zstd: %w", err)
			}
			c.zs = enc
		} else {
			c.zs.Reset(w)
		}
		return c.zs, nil
	}
	return nil, nil
}

func (g *streamGen) openFile(root, rel string, comp *compressors, bufSize int) (*outFile, error) {
	abs := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(abs)
	if err != nil {
		return nil, err
	}
	o := &outFile{abs: abs, f: f, res: fileResult{Path: rel, Service: g.spec.service, Format: g.spec.format.String()}}
	var w io.Writer = f
	z, err := comp.open(path.Ext(rel), f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if z != nil {
		o.z, w = z, z
	}
	o.bw = bufio.NewWriterSize(w, bufSize)
	return o, nil
}

// close flushes and closes the file, records its stored size and sets its
// modification time to the latest instant it holds.
func (o *outFile) close() error {
	err := o.bw.Flush()
	if o.z != nil {
		if cerr := o.z.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	st, err := os.Stat(o.abs)
	if err != nil {
		return err
	}
	o.res.StoredBytes = st.Size()
	if o.last != 0 {
		mt := time.Unix(0, o.last)
		if err := os.Chtimes(o.abs, mt, mt); err != nil {
			return err
		}
	}
	return nil
}

// run writes the stream's files under root: background records with mean
// spacing gap (ns) across w, merged with the planned records (sorted by
// time), rotating to the next file at equal time slices. It fills in the
// provenance of every planned record.
func (g *streamGen) run(ctx context.Context, root, comp string, w window, gap int64, todo []*planned) (streamResult, error) {
	var res streamResult
	spec := g.spec
	bounds := make([]int64, spec.files)
	for i := range bounds {
		bounds[i] = w.start + w.length()*int64(i+1)/int64(spec.files)
	}
	var comps compressors
	defer func() {
		if comps.zs != nil {
			comps.zs.Close()
		}
	}()
	fileIdx := 0
	rel := func(i int) string { return spec.service + "/" + fileName(spec.base, spec.files-1-i, comp) }
	out, err := g.openFile(root, rel(0), &comps, 256<<10)
	if err != nil {
		return res, fmt.Errorf("%s: %w", rel(0), err)
	}
	defer func() {
		if out != nil {
			out.f.Close()
		}
	}()

	nextBG := w.start + g.rng.Int64N(2*gap+1)
	pi := 0
	for n := 0; ; n++ {
		if n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		var p *planned
		var t int64
		switch {
		case pi < len(todo) && (todo[pi].t <= nextBG || nextBG >= w.end):
			p = todo[pi]
			t = p.t
			pi++
		case nextBG < w.end:
			t = nextBG
		default:
			if err := out.close(); err != nil {
				return res, fmt.Errorf("%s: %w", out.res.Path, err)
			}
			res.files = append(res.files, out.res)
			out = nil
			return res, nil
		}
		for fileIdx < spec.files-1 && t >= bounds[fileIdx] {
			if err := out.close(); err != nil {
				return res, fmt.Errorf("%s: %w", out.res.Path, err)
			}
			res.files = append(res.files, out.res)
			fileIdx++
			if out, err = g.openFile(root, rel(fileIdx), &comps, 256<<10); err != nil {
				return res, fmt.Errorf("%s: %w", rel(fileIdx), err)
			}
		}

		var rec *record
		hot := false
		if p != nil {
			rec = &p.rec
			if rec.host == "" {
				rec.host = spec.host
			}
			if rec.pid == 0 {
				rec.pid = g.pid
			}
			if rec.thread == "" {
				rec.thread = threads[0]
			}
			line := out.res.Lines + 1
			if p.meta != nil {
				p.meta.stream, p.meta.path, p.meta.line = g.index, out.res.Path, line
				p.meta.written = spec.format.written(t)
			}
			if p.trap != nil {
				p.trap.Service, p.trap.Path, p.trap.Line = spec.service, out.res.Path, line
			}
		} else {
			hot = g.nextBackground(t)
			rec = &g.rec
			nextBG += g.rng.Int64N(2*gap + 1)
		}
		g.buf = g.clk.appendRecord(g.buf[:0], spec.format, rec)
		if _, err := out.bw.Write(g.buf); err != nil {
			return res, fmt.Errorf("%s: %w", out.res.Path, err)
		}
		out.res.Bytes += int64(len(g.buf))
		out.res.Lines += int64(bytes.Count(g.buf, []byte{'\n'}))
		out.res.Records++
		if hot {
			out.res.HotRecords++
		}
		if last := t + rec.jitter; last > out.last {
			out.last = last
		}
	}
}
