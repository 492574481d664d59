package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
)

// ErrNoObjects is returned by a Bucket's Scan when its store lists nothing.
var ErrNoObjects = errors.New("no objects under the location")

// errRecordCap stops a scan that has sent Config.MaxRecords records.
var errRecordCap = errors.New("record cap reached")

// Store is a store of objects as a Bucket reads it. Its methods are safe
// for concurrent use.
type Store interface {
	// List calls fn for every object under the location's prefix,
	// following the listing's pages to the end; it stops at fn's first
	// error and returns it, and returns ctx.Err() when ctx ends.
	List(ctx context.Context, fn func(Entry) error) error
	// Open returns a reader of the object's bytes as stored, from the
	// start; the caller closes it. Errors must not hold credentials.
	Open(ctx context.Context, e Entry) (io.ReadCloser, error)
}

// Bucket is the source.Source of a store of objects: it lists the store
// once, on its first Scan, and on every Scan selects the objects the query
// and options allow (Select), reads several at a time as streams,
// decompressed by content, and scans them for the query's ids.
//
// An object that fails to open or breaks off mid-stream is read once more
// from its start; records sent before the fault are not sent again, and a
// record that the fault may have cut short is held back until the second
// read shows it whole. An object that fails twice is a warning naming it,
// with what was found before the fault kept.
//
// An Output that implements Feed is served as the Feed contract says: each
// object is searched for the ids known when it is begun, objects are
// taken closest to the trace's focus first, and later scans leave out
// what earlier ones searched.
//
// With Config.SpoolBytes, the bytes of every object read whole on the
// first Scan are kept in a private temporary directory, up to that size
// in all, and later Scans (linked-id passes) read them from there; Close
// removes the directory.
type Bucket struct {
	store Store
	spec  source.Spec
	cfg   Config

	mu       sync.Mutex
	entries  []Entry // the listing, once read, less what options exclude
	excluded int     // how many entries options exclude
	listed   bool
	binary   map[string]bool // keys found to hold binary data
	spool    *objectSpool
}

// NewBucket returns a Bucket reading store for spec with cfg.
func NewBucket(store Store, spec source.Spec, cfg Config) *Bucket {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = DefaultMaxRecords
	}
	if cfg.Name == nil {
		cfg.Name = func(e Entry) string { return e.Key }
	}
	if cfg.Starts == nil {
		cfg.Starts = logline.StartsRecord
	}
	b := &Bucket{store: store, spec: spec, cfg: cfg, binary: make(map[string]bool)}
	if cfg.SpoolBytes > 0 {
		b.spool = newObjectSpool(cfg.SpoolBytes)
	}
	return b
}

// Close removes the copies kept for later scans. It is safe to call more
// than once.
func (b *Bucket) Close() error {
	if b.spool == nil {
		return nil
	}
	return b.spool.close()
}

// list returns the store's listing, reading it on the first call, with
// the objects that include and exclude leave out counted and dropped.
func (b *Bucket) list(ctx context.Context) ([]Entry, int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listed {
		return b.entries, b.excluded, nil
	}
	var (
		entries  []Entry
		excluded int
		found    bool
	)
	err := b.store.List(ctx, func(e Entry) error {
		found = true
		if len(b.cfg.Include) > 0 && !b.cfg.Include.Match(e.Rel) || b.cfg.Exclude.Match(e.Rel) {
			excluded++
			return nil
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("list: %s", oneLine(Scrub(err.Error())))
	}
	if !found {
		return nil, 0, ErrNoObjects
	}
	slices.SortFunc(entries, func(a, c Entry) int { return strings.Compare(a.Key, c.Key) })
	b.entries, b.excluded, b.listed = entries, excluded, true
	return entries, excluded, nil
}

// Scan implements source.Source. It fails when the store cannot be listed
// or lists nothing; objects that cannot be read are warnings.
func (b *Bucket) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var stats source.Stats
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	entries, excluded, err := b.list(ctx)
	if err != nil {
		return stats, err
	}
	stats.Skip(source.SkipExcluded, excluded)
	loc := b.cfg.Timezone
	if loc == nil {
		loc = b.spec.Timezone
	}
	sel := Select(entries, Limits{
		Since: q.Since, Until: q.Until, Location: loc, KeyDates: true,
		MaxFiles: q.MaxFiles, MaxBytes: q.MaxFileBytes,
	}, b.cfg.Name, &stats, out.Warn)
	b.mu.Lock()
	var binaries []string
	sel = slices.DeleteFunc(sel, func(e Entry) bool {
		if b.binary[e.Key] {
			binaries = append(binaries, b.cfg.Name(e))
			return true
		}
		return false
	})
	b.mu.Unlock()
	if len(binaries) > 0 {
		stats.Skip(source.SkipBinary, len(binaries))
		out.Warn(fmt.Sprintf("skipped %d binary %s: %s", len(binaries), Plural(len(binaries), "object"), Names(binaries)))
	}
	if len(sel) == 0 || len(q.IDs) == 0 {
		return stats, ctx.Err()
	}
	scanners := NewScanners(b.cfg.Starts, Options{
		DetectBinary: true,
		Progress:     func(n int64) { out.Progress(0, n) },
	})
	if _, err := scanners.For(q.IDs); err != nil {
		return stats, err
	}
	// With a feed, each object is searched for the ids known when it is
	// begun, less those an earlier scan of this trace searched it for.
	feed, _ := out.(Feed)
	var cov *Coverage
	if feed != nil {
		cov = feed.Coverage()
	}

	capped := &cappedOutput{Output: out, limit: int64(b.cfg.MaxRecords)}
	var (
		mu       sync.Mutex
		binNames []string
	)
	queue := NewQueue(sel, func(e Entry) time.Time { return e.ModTime })
	g, gctx := errgroup.WithContext(ctx)
	for range min(b.cfg.Concurrency, len(sel)) {
		g.Go(func() error {
			for !capped.full.Load() {
				var focus time.Time
				if feed != nil {
					focus = feed.Focus()
				}
				e, ok := queue.Next(focus)
				if !ok {
					return nil
				}
				ids := q.IDs
				if feed != nil {
					ids = cov.Missing(e.Key, e.Size, e.ModTime, append(slices.Clip(q.IDs), feed.MoreIDs()...))
					if len(ids) == 0 {
						continue
					}
				}
				sc, err := scanners.For(ids)
				if err != nil {
					return err
				}
				o, err := b.readObject(gctx, sc, e, capped)
				if errors.Is(err, errRecordCap) {
					return nil
				}
				if err != nil {
					return err
				}
				if feed != nil && !o.Binary && o.Fault == nil {
					cov.Add(e.Key, e.Size, e.ModTime, ids)
				}
				name := b.cfg.Name(e)
				mu.Lock()
				if o.Count(&stats) {
					binNames = append(binNames, name)
				}
				mu.Unlock()
				if o.Binary {
					b.mu.Lock()
					b.binary[e.Key] = true
					b.mu.Unlock()
				}
				for _, w := range o.Warnings(name) {
					out.Warn(Scrub(w))
				}
				out.Progress(1, 0)
			}
			return nil
		})
	}
	err = g.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return stats, ctxErr
	}
	if err != nil {
		return stats, err
	}
	if len(binNames) > 0 {
		slices.Sort(binNames)
		out.Warn(fmt.Sprintf("skipped %d binary %s: %s", len(binNames), Plural(len(binNames), "object"), Names(binNames)))
	}
	if capped.full.Load() {
		stats.Truncated = true
		out.Warn(fmt.Sprintf("max_records %d reached: the scan stopped there, later records were not read", b.cfg.MaxRecords))
	}
	return stats, nil
}

// readObject scans one object, reading it a second time from its start
// when the first read fails. Its error stops the whole scan.
func (b *Bucket) readObject(ctx context.Context, sc *Scanner, e Entry, out source.Output) (Outcome, error) {
	obj := Object{Name: b.cfg.Name(e), Path: e.Rel, Service: b.serviceOf(e), ModTime: e.ModTime}
	if b.cfg.Service != "" || b.cfg.Timezone != nil {
		obj.Prepare = b.parse
	}
	ro := &resumingOutput{Output: out}
	var o Outcome
	for attempt := 1; attempt <= 2; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return o, ctx.Err()
			case <-time.After(b.cfg.RetryDelay):
			}
		}
		r, err := b.open(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return o, ctx.Err()
			}
			o.Fault = fmt.Errorf("cannot read: %w", err)
			continue
		}
		var serr error
		o, serr = ScanObject(ctx, sc, r, obj, ro)
		r.Close()
		if serr != nil {
			return o, serr
		}
		if o.Fault == nil || o.Binary {
			break
		}
	}
	if o.Fault != nil && !o.Binary {
		o.Fault = fmt.Errorf("failed twice, %w", o.Fault)
	}
	return o, ro.flush()
}

// serviceOf names the service of an object's records.
func (b *Bucket) serviceOf(e Entry) string {
	switch {
	case b.spec.Service != "":
		return b.spec.Service
	case b.cfg.Service != "":
		return b.cfg.Service
	}
	return ServiceFromPath(e.Rel)
}

// parse parses a record here, for a service or timezone given as options
// that the engine does not see.
func (b *Bucket) parse(r *source.Record) {
	loc := b.cfg.Timezone
	if loc == nil {
		loc = b.spec.Timezone
	}
	p := logline.Parse(r.Data, logline.Options{Location: loc, ModTime: r.ModTime})
	r.Time, r.Level, r.Message, r.Fields = p.Time, string(p.Level), p.Message, p.Fields
	if r.Fields == nil {
		r.Fields = map[string]any{}
	}
	if b.cfg.Service == "" && p.Service != "" {
		r.Service = p.Service
	}
}

// open returns a reader of the object's bytes: its copy on disk when one
// was kept, else the store's stream, copied to disk on the way when the
// spool has room.
func (b *Bucket) open(ctx context.Context, e Entry) (io.ReadCloser, error) {
	if b.spool != nil {
		if r, ok := b.spool.open(e); ok {
			return r, nil
		}
	}
	r, err := b.store.Open(ctx, e)
	if err != nil {
		return nil, errors.New(oneLine(Scrub(err.Error())))
	}
	if b.spool != nil {
		return b.spool.tee(e, r), nil
	}
	return r, nil
}

// cappedOutput stops the records of one scan at a limit.
type cappedOutput struct {
	source.Output
	limit int64
	n     atomic.Int64
	full  atomic.Bool
}

func (c *cappedOutput) Record(r *source.Record) error {
	if c.n.Add(1) > c.limit {
		c.full.Store(true)
		return errRecordCap
	}
	return c.Output.Record(r)
}

// resumingOutput passes on the records of one object across its reads:
// it holds back the last record of a read until a later record or the end
// of the object shows it whole, and sends a record of a later read only
// when it lies after every record sent before.
type resumingOutput struct {
	source.Output
	sent int64 // line of the last record sent
	held *source.Record
	data []byte
}

func (o *resumingOutput) Record(r *source.Record) error {
	if r.Line <= o.sent {
		return nil // sent by an earlier read
	}
	if o.held != nil && r.Line == o.held.Line {
		if len(r.Data) >= len(o.data) {
			o.hold(r) // the same record, read further this time
		}
		return nil
	}
	if err := o.flush(); err != nil {
		return err
	}
	o.hold(r)
	return nil
}

func (o *resumingOutput) hold(r *source.Record) {
	o.data = append(o.data[:0], r.Data...)
	held := *r
	held.Data = o.data
	o.held = &held
}

// flush sends the held record.
func (o *resumingOutput) flush() error {
	if o.held == nil {
		return nil
	}
	r := o.held
	o.held = nil
	o.sent = r.Line
	return o.Output.Record(r)
}

// oneLine joins the lines of an error from a store (some quote a
// response body) with single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// urlPattern finds URLs in error text.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)

// Scrub returns text with the URLs in it redacted as source.Redact does:
// user information and credential-like query values (signatures, tokens)
// replaced by "***".
func Scrub(text string) string {
	return urlPattern.ReplaceAllStringFunc(text, source.Redact)
}
