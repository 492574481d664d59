// Package engine runs the one pipeline of Pipetracker: it opens the sources,
// scans them for the id (and, round by round, for the linked ids the matched
// records carry), parses and re-checks every candidate record, and assembles
// the trace. Sources are scanned concurrently; a source that fails becomes a
// warning and the rest of the trace is still produced.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// ErrNoSources is returned when a trace is asked of no source at all.
var ErrNoSources = errors.New("no log sources: give --source or set log_sources in the config")

// ErrBadID is returned for an id that cannot be searched for.
var ErrBadID = errors.New("invalid id")

// MaxIDLength bounds the id a user may ask for, in bytes.
const MaxIDLength = 256

// Options is one trace request.
type Options struct {
	Sources []source.Spec
	Keys    []string
	// Any matches the id as a whole token anywhere, whatever the keys.
	Any bool
	// Follow searches, round by round, the ids that matched records carry
	// under the other match keys, up to MaxLinkDepth rounds and
	// MaxLinkedIDs ids.
	Follow       bool
	MaxLinkDepth int
	MaxLinkedIDs int
	// Since and Until bound event times when non-zero; events without a
	// time are kept.
	Since, Until time.Time
	MaxFiles     int
	MaxFileBytes int64
	// Concurrency is how many sources are scanned at once; 0 means
	// GOMAXPROCS, at least 4.
	Concurrency int
	// Progress, when set, receives work done as it happens (from several
	// goroutines at once).
	Progress func(files int, bytes int64)
}

// Engine traces ids over the sources its registry can open. It holds no
// state between traces and is safe for concurrent use.
type Engine struct {
	reg *source.Registry
}

// New returns an engine that opens sources through reg.
func New(reg *source.Registry) *Engine { return &Engine{reg: reg} }

// CheckID reports whether id can be traced: not empty, at most
// MaxIDLength bytes, no control characters.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrBadID)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%w: longer than %d bytes", ErrBadID, MaxIDLength)
	}
	for _, c := range []byte(id) {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: contains control characters", ErrBadID)
		}
	}
	return nil
}

// Trace runs the pipeline for id. It returns an error only when nothing
// could be traced at all (a bad id, no sources, a cancelled context);
// failures of single sources are warnings in the report.
func (e *Engine) Trace(ctx context.Context, id string, opt Options) (*trace.Report, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if len(opt.Sources) == 0 {
		return nil, ErrNoSources
	}
	start := time.Now()
	r := &run{
		opt:     opt,
		matcher: match.New(opt.Keys, opt.Any),
		seen:    make(map[originKey]bool),
		ids:     map[string]*trace.LinkedID{id: {Value: id}},
	}
	r.report.Query = trace.Query{
		ID: id, Keys: opt.Keys, Any: opt.Any, Follow: opt.Follow,
		Since: opt.Since, Until: opt.Until,
	}
	r.open(e.reg)
	defer r.close()

	scanStart := time.Now()
	pending := []string{id}
	for depth := 0; len(pending) > 0; depth++ {
		r.learning = opt.Follow && depth < opt.MaxLinkDepth
		if err := r.pass(ctx, pending); err != nil {
			return nil, err
		}
		pending, r.fresh = r.fresh, nil
	}
	scanElapsed := time.Since(scanStart)
	if r.linkCapped {
		r.report.Warnings = append(r.report.Warnings, trace.Warning{
			Message: fmt.Sprintf("linked ids capped at max_linked_ids (%d): more were seen and not followed", opt.MaxLinkedIDs),
		})
	}

	asmStart := time.Now()
	r.report.Trace = trace.Assemble(id, r.events)
	r.report.LinkedIDs = r.linkedList()
	if t := &r.report.Trace; t.Untimed > 0 {
		at := make([]string, 0, len(t.UntimedAt))
		for _, o := range t.UntimedAt {
			at = append(at, fmt.Sprintf("%s:%d", o.Path, o.Line))
		}
		r.report.Warnings = append(r.report.Warnings, trace.Warning{
			Message: fmt.Sprintf("%d event(s) without a timestamp kept beside their neighbours (%s)", t.Untimed, strings.Join(at, ", ")),
		})
	}
	asmElapsed := time.Since(asmStart)

	st := &r.report.Stats
	// The parse stage is summed over the workers and lies within scan.
	st.Stages = []trace.Stage{
		{Name: "scan", Elapsed: scanElapsed},
		{Name: "parse", Elapsed: r.parseTime()},
		{Name: "assemble", Elapsed: asmElapsed},
	}
	st.Elapsed = time.Since(start)
	return &r.report, nil
}

// originKey identifies a record across passes, so that a record found
// again through another id is kept once.
type originKey struct {
	src  int
	path string
	line int64
}

type opened struct {
	spec  source.Spec
	src   source.Source
	name  string // redacted location
	stats *trace.SourceStats
}

// run is the state of one trace.
type run struct {
	opt     Options
	matcher *match.Matcher
	srcs    []*opened
	report  trace.Report

	mu       sync.Mutex
	events   []trace.Event
	seen     map[originKey]bool
	ids      map[string]*trace.LinkedID // every id searched or queued, by value
	order    []string                   // linked ids in order of discovery
	fresh    []string                   // found in this pass, to search next
	parseDur time.Duration
	// learning is true in passes whose records' linked ids will be searched.
	learning   bool
	linkCapped bool
}

func (r *run) open(reg *source.Registry) {
	for _, spec := range r.opt.Sources {
		name := source.Redact(spec.Location)
		st := &trace.SourceStats{Source: name}
		r.report.Query.Sources = append(r.report.Query.Sources, name)
		r.report.Stats.Sources = append(r.report.Stats.Sources, *st)
		src, err := reg.Open(spec)
		o := &opened{spec: spec, src: src, name: name}
		if err != nil {
			r.fail(len(r.srcs), err)
		}
		r.srcs = append(r.srcs, o)
	}
	for i := range r.srcs {
		r.srcs[i].stats = &r.report.Stats.Sources[i]
	}
	for i, o := range r.srcs {
		if o.src == nil {
			r.report.Stats.Sources[i].Failed = true
		}
	}
}

// fail records that source i failed; called before stats pointers are set
// or under r.mu.
func (r *run) fail(i int, err error) {
	name := source.Redact(r.opt.Sources[i].Location)
	r.report.Stats.Sources[i].Failed = true
	r.report.Stats.Sources[i].Error = err.Error()
	r.report.Warnings = append(r.report.Warnings, trace.Warning{Source: name, Message: err.Error()})
}

func (r *run) close() {
	for _, o := range r.srcs {
		if c, ok := o.src.(io.Closer); ok {
			if err := c.Close(); err != nil {
				r.report.Warnings = append(r.report.Warnings, trace.Warning{Source: o.name, Message: "close: " + err.Error()})
			}
		}
	}
}

// pass scans every working source for ids.
func (r *run) pass(ctx context.Context, ids []string) error {
	r.report.Stats.Passes++
	limit := r.opt.Concurrency
	if limit <= 0 {
		limit = max(runtime.GOMAXPROCS(0), 4)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, o := range r.srcs {
		if o.src == nil || o.stats.Failed {
			continue
		}
		g.Go(func() error {
			r.scanOne(gctx, i, o, ids)
			return nil
		})
	}
	_ = g.Wait()
	return ctx.Err()
}

func (r *run) scanOne(ctx context.Context, i int, o *opened, ids []string) {
	q := &source.Query{
		IDs:          ids,
		Since:        r.opt.Since,
		Until:        r.opt.Until,
		MaxFiles:     r.opt.MaxFiles,
		MaxFileBytes: r.opt.MaxFileBytes,
	}
	out := &output{run: r, idx: i, o: o, ids: ids}
	t0 := time.Now()
	st, err := o.src.Scan(ctx, q, out)
	elapsed := time.Since(t0)

	r.mu.Lock()
	defer r.mu.Unlock()
	s := o.stats
	s.Elapsed += elapsed
	// Files and bytes are those of the first pass; later passes read the
	// same data again for other ids.
	if r.report.Stats.Passes == 1 {
		s.Files, s.Bytes, s.Skipped, s.SkippedBy = st.Files, st.Bytes, st.Skipped, st.SkippedBy
		s.Since, s.Until = st.Since, st.Until
	}
	s.Truncated = s.Truncated || st.Truncated
	if err != nil && ctx.Err() == nil {
		r.fail(i, fmt.Errorf("%s: %w", o.name, err))
	}
}

// output receives one source's records in one pass.
type output struct {
	run *run
	idx int
	o   *opened
	ids []string
}

func (out *output) Warn(msg string) {
	r := out.run
	r.mu.Lock()
	r.report.Warnings = append(r.report.Warnings, trace.Warning{Source: out.o.name, Message: msg})
	r.mu.Unlock()
}

func (out *output) Progress(files int, bytes int64) {
	if out.run.opt.Progress != nil {
		out.run.opt.Progress(files, bytes)
	}
}

func (out *output) Record(rec *source.Record) error {
	r := out.run
	t0 := time.Now()
	ev, links, ok := out.event(rec)
	d := time.Since(t0)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.parseDur += d
	out.o.stats.Records++
	if !ok {
		return nil
	}
	k := originKey{src: out.idx, path: rec.Path, line: rec.Line}
	if r.seen[k] {
		return nil
	}
	r.seen[k] = true
	if l := r.ids[ev.Matched.Value]; l != nil {
		ev.Matched.Via = l.Via
		l.Events++
	}
	r.events = append(r.events, ev)
	r.learn(ev, links)
	return nil
}

// event parses and re-checks a candidate record.
func (out *output) event(rec *source.Record) (trace.Event, []match.KV, bool) {
	r := out.run
	ev := trace.Event{
		Origin: trace.Origin{Source: out.o.name, Path: rec.Path, Line: rec.Line},
	}
	fields := rec.Fields
	if fields == nil {
		p := logline.Parse(rec.Data, logline.Options{Location: out.o.spec.Timezone, ModTime: rec.ModTime})
		fields = p.Fields
		ev.Time, ev.Level, ev.Message, ev.Service = p.Time, p.Level, p.Message, p.Service
		if ev.Time.IsZero() {
			ev.Time = rec.Time.UTC()
		}
		if ev.Level == "" && rec.Level != "" {
			ev.Level = logline.NormalizeLevel(rec.Level)
		}
	} else {
		ev.Time, ev.Level, ev.Message = rec.Time, logline.NormalizeLevel(rec.Level), rec.Message
	}
	kv, ok := r.matcher.Find(rec.Data, fields, out.ids)
	if !ok {
		return ev, nil, false
	}
	if !ev.Time.IsZero() && (!r.opt.Since.IsZero() && ev.Time.Before(r.opt.Since) || !r.opt.Until.IsZero() && ev.Time.After(r.opt.Until)) {
		return ev, nil, false
	}
	switch {
	case out.o.spec.Service != "":
		ev.Service = out.o.spec.Service
	case ev.Service == "":
		ev.Service = rec.Service
	}
	if ev.Service == "" {
		ev.Service = "unknown"
	}
	ev.Fields = fields
	ev.Matched = trace.Match{Key: kv.Key, Value: kv.Value}
	ev.Raw = string(rec.Data)
	var links []match.KV
	if r.learning {
		links = r.matcher.Links(rec.Data, fields)
	}
	return ev, links, true
}

// learn queues the linked ids an event carries; called with r.mu held.
func (r *run) learn(ev trace.Event, links []match.KV) {
	parent := r.ids[ev.Matched.Value]
	depth := 1
	if parent != nil {
		depth = parent.Depth + 1
	}
	for _, kv := range links {
		if _, known := r.ids[kv.Value]; known {
			continue
		}
		if len(r.order) >= r.opt.MaxLinkedIDs {
			r.linkCapped = true
			continue
		}
		via := ev.Matched.Key + "=" + ev.Matched.Value
		if ev.Matched.Key == "" {
			via = ev.Matched.Value
		}
		r.ids[kv.Value] = &trace.LinkedID{Key: kv.Key, Value: kv.Value, Depth: depth, Via: via, From: ev.Origin}
		r.order = append(r.order, kv.Value)
		r.fresh = append(r.fresh, kv.Value)
	}
}

func (r *run) parseTime() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parseDur
}

// linkedList returns the linked ids in order of discovery.
func (r *run) linkedList() []trace.LinkedID {
	out := make([]trace.LinkedID, 0, len(r.order))
	for _, v := range r.order {
		out = append(out, *r.ids[v])
	}
	return out
}
