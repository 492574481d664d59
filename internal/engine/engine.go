// Package engine runs the one pipeline of Pipetracker: it opens the sources,
// scans them for the id (and, round by round, for the linked ids the matched
// records carry), parses and re-checks every candidate record, and assembles
// the trace. Sources are scanned concurrently; a source that fails becomes a
// warning and the rest of the trace is still produced.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
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
	// MaxEvents bounds the records the trace keeps, so that its memory
	// stays bounded however often the id occurs; 0 means no bound. The
	// scan stops when it is reached, with a warning, and every source
	// whose scan that stopped counts as truncated.
	MaxEvents int
	// Concurrency is how many sources are scanned at once; 0 means
	// GOMAXPROCS, at least 4.
	Concurrency int
	// Progress, when set, receives work done as it happens (from several
	// goroutines at once).
	Progress func(files int, bytes int64)
	// Precheck, when set, is called with each event the trace finds, in
	// the goroutine that found it and before it is kept (its text is then
	// still in the processor's cache); the event's Clean is set to what it
	// returns. It takes the event by value: through a pointer, every event
	// found would be allocated on the heap.
	Precheck func(ev trace.Event) (clean bool)
}

// errFull stops the sources' scans when MaxEvents records are kept.
var errFull = errors.New("max_events reached")

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
//
// Linked ids are followed breadth first: the id is depth 0, and the
// values that the events of depth d carry under the other match keys are
// depth d+1, up to MaxLinkDepth, at most MaxLinkedIDs of them in order of
// discovery (events in order of origin, each event's links in their
// order). An event belongs to the shallowest depth whose ids it holds, and
// is matched to the first of them in order of discovery. Sources that
// support it (blob.Feed) are given the ids as they are learned, while they
// scan, so that most files are read once; the answer is the same as if
// each depth were searched in a pass of its own.
func (e *Engine) Trace(ctx context.Context, id string, opt Options) (*trace.Report, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if len(opt.Sources) == 0 {
		return nil, ErrNoSources
	}
	start := time.Now()
	r := &run{
		id:      id,
		opt:     opt,
		matcher: match.New(opt.Keys, opt.Any),
		seen:    make(map[uint64]int),
		seed:    maphash.MakeSeed(),
		known:   map[string]bool{id: true},
		search:  []string{id},
	}
	r.publish([][]string{{id}})
	r.report.Query = trace.Query{
		ID: id, Keys: opt.Keys, Any: opt.Any, Follow: opt.Follow,
		Since: opt.Since, Until: opt.Until,
	}
	r.open(e.reg)
	defer r.close()

	scanStart := time.Now()
	for {
		// Each pass asks for the ids added since the last one began; the
		// sources that took them while they scanned skip what they did.
		for r.asked < len(r.search) && !r.full {
			ids := slices.Clone(r.search[r.asked:])
			r.asked = len(r.search)
			if err := r.pass(ctx, ids); err != nil {
				return nil, err
			}
		}
		if !r.settle() {
			break
		}
	}
	scanElapsed := time.Since(scanStart)
	if r.capped {
		r.report.Warnings = append(r.report.Warnings, trace.Warning{
			Message: fmt.Sprintf("linked ids capped at max_linked_ids (%d): more were seen and not followed", opt.MaxLinkedIDs),
		})
	}

	asmStart := time.Now()
	r.report.Trace = trace.AssembleOwned(id, r.events)
	r.events = nil
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
		{Name: "parse", Elapsed: r.parseDur},
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
	cov   blob.Coverage // what the source searched, for sources that use it
}

// run is the state of one trace.
type run struct {
	id      string
	opt     Options
	matcher *match.Matcher
	srcs    []*opened
	report  trace.Report

	// levels is the published copy of byDepth that Record reads without
	// the lock: ids never leave it, and its slices are only appended to.
	levels atomic.Pointer[[][]string]
	// focus is the time of the first timed event found, in Unix
	// nanoseconds; 0 until then.
	focus atomic.Int64

	mu sync.Mutex
	// cands are the candidate records: every record that held an id
	// searched for, once, in order of arrival. settle leaves the events of
	// the trace in events.
	cands  store
	events []trace.Event
	// seen maps the hash of each candidate's origin (originHash) to the
	// first candidate with that hash; dupes holds the origins of later
	// candidates whose hash was taken by another origin.
	seen  map[uint64]int
	dupes map[originKey]bool
	seed  maphash.Seed
	// known holds every id searched or to be searched; search lists them
	// in the order they were added, and search[:asked] have been asked of
	// every source. byDepth groups them by the depth they were learned at.
	known    map[string]bool
	search   []string
	asked    int
	byDepth  [][]string
	learned  int // linked ids added while scanning, bounded by MaxLinkedIDs
	parseDur time.Duration
	// full is set when MaxEvents candidates are kept; stop then ends the
	// pass that is running.
	full bool
	stop context.CancelCauseFunc

	// What settle decided: the linked ids in order of discovery, all ids
	// of the trace by value, and whether more were seen than followed.
	order  []string
	linked map[string]*trace.LinkedID
	capped bool
}

// candidate is what Record learned about a candidate record beyond its
// event: the shallowest depth whose ids (as known then) it holds, the id
// it was matched to there, and its links when they were read.
type candidate struct {
	src    int
	depth  int
	kv     match.KV
	links  []match.KV
	linked bool // links were read
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
			// A driver may return a typed nil with its error: never keep it.
			o.src = nil
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
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r.mu.Lock()
	r.stop = stop
	r.mu.Unlock()
	g, gctx := errgroup.WithContext(pctx)
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
	var out source.Output = &output{run: r, idx: i, o: o, base: r.asked}
	if r.opt.Follow && r.opt.MaxLinkDepth > 0 {
		// Only a trace that learns ids has use for a feed.
		out = feed{out.(*output)}
	}
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
	// Stopped by max_events: the source's scan ended with the stop, not
	// by itself.
	s.Truncated = s.Truncated || st.Truncated || r.full && err != nil
	if err != nil && ctx.Err() == nil && !errors.Is(err, errFull) {
		r.fail(i, fmt.Errorf("%s: %w", o.name, err))
	}
}

// output receives one source's records in one pass.
type output struct {
	run  *run
	idx  int
	o    *opened
	base int // run.search[:base] were asked for when the pass began
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

// feed is the output of a trace that follows links: a blob.Feed.
type feed struct{ *output }

// MoreIDs returns the ids learned since the pass began.
func (f feed) MoreIDs() []string {
	r := f.run
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.search[f.base:])
}

// Coverage returns the source's memory of what it searched in this trace.
func (f feed) Coverage() *blob.Coverage { return &f.o.cov }

// Focus returns the time of the first timed event found.
func (f feed) Focus() time.Time {
	if ns := f.run.focus.Load(); ns != 0 {
		return time.Unix(0, ns).UTC()
	}
	return time.Time{}
}

func (out *output) Record(rec *source.Record) error {
	r := out.run
	t0 := time.Now()
	ev, c, ok := out.candidate(rec)
	if ok && r.opt.Precheck != nil {
		ev.Clean = r.opt.Precheck(ev)
	}
	d := time.Since(t0)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.parseDur += d
	out.o.stats.Records++
	if !ok {
		return nil
	}
	if r.full {
		return errFull
	}
	if r.seenBefore(out.idx, rec.Path, rec.Line) {
		return nil
	}
	if r.opt.MaxEvents > 0 && r.cands.n >= r.opt.MaxEvents {
		r.full = true
		r.report.Warnings = append(r.report.Warnings, trace.Warning{
			Message: fmt.Sprintf("max_events %d reached: the trace stopped there and holds the records found until then, which need not be the earliest; narrow it with --since/--until or raise --max-events (0 for no limit)", r.opt.MaxEvents),
		})
		r.stop(errFull)
		return errFull
	}
	if !ev.Time.IsZero() {
		r.focus.CompareAndSwap(0, ev.Time.UnixNano())
	}
	r.cands.add(ev, c)
	r.learn(c)
	return nil
}

// seenBefore reports whether a candidate with this origin was kept
// already, and notes that the next one (which the caller keeps) has it;
// called with r.mu held.
func (r *run) seenBefore(src int, path string, line int64) bool {
	h := r.originHash(src, path, line)
	i, taken := r.seen[h]
	if !taken {
		r.seen[h] = r.cands.n
		return false
	}
	if o := r.cands.event(i).Origin; r.cands.meta(i).src == src && o.Path == path && o.Line == line {
		return true
	}
	k := originKey{src: src, path: path, line: line}
	if r.dupes[k] {
		return true
	}
	if r.dupes == nil {
		r.dupes = make(map[originKey]bool)
	}
	r.dupes[k] = true
	return false
}

// originHash hashes an origin for seen.
func (r *run) originHash(src int, path string, line int64) uint64 {
	return maphash.String(r.seed, path) ^ uint64(line)*0x9e3779b97f4a7c15 ^ uint64(src)*0xc2b2ae3d27d4eb4f
}

// candidate parses and re-checks a record against the ids known now.
func (out *output) candidate(rec *source.Record) (trace.Event, candidate, bool) {
	r := out.run
	ev := NewEvent(out.o.spec, out.o.name, rec)
	c := candidate{src: out.idx}
	found := false
	for d, ids := range *r.levels.Load() {
		if kv, ok := r.matcher.Find(rec.Data, ev.Fields, ids); ok {
			c.depth, c.kv, found = d, kv, true
			break
		}
	}
	if !found {
		return ev, c, false
	}
	if !ev.Time.IsZero() && (!r.opt.Since.IsZero() && ev.Time.Before(r.opt.Since) || !r.opt.Until.IsZero() && ev.Time.After(r.opt.Until)) {
		return ev, c, false
	}
	if r.opt.Follow && c.depth < r.opt.MaxLinkDepth {
		c.links, c.linked = r.matcher.Links(rec.Data, ev.Fields), true
	}
	return ev, c, true
}

// NewEvent builds the event of a record read from the source spec, whose
// name (its location without credentials) goes into the origin. The text
// is parsed unless the store gave fields of its own; the store's time and
// level stand in when the text has none. The service is the one the
// source is configured with, else the record's own, else the store's,
// else "unknown". One copy of the record serves as Raw and holds every
// parsed string. Match is left for the caller.
func NewEvent(spec source.Spec, name string, rec *source.Record) trace.Event {
	ev := trace.Event{
		Origin: trace.Origin{Source: name, Path: rec.Path, Line: rec.Line},
		Raw:    string(rec.Data),
		Fields: rec.Fields,
	}
	if ev.Fields == nil {
		p := logline.ParseString(ev.Raw, logline.Options{Location: spec.Timezone, ModTime: rec.ModTime})
		ev.Fields = p.Fields
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
	switch {
	case spec.Service != "":
		ev.Service = spec.Service
	case ev.Service == "":
		ev.Service = rec.Service
	}
	if ev.Service == "" {
		ev.Service = "unknown"
	}
	return ev
}

// learn adds the links of a candidate that are new to the ids searched,
// at most MaxLinkedIDs of them; called with r.mu held. What is learned
// here is provisional: settle decides what the trace holds.
func (r *run) learn(c candidate) {
	for _, kv := range c.links {
		if r.known[kv.Value] || r.learned >= r.opt.MaxLinkedIDs {
			continue
		}
		r.learned++
		r.add(kv.Value, c.depth+1)
	}
}

// add queues id, learned at depth, for searching; called with r.mu held
// (or between passes).
func (r *run) add(id string, depth int) {
	r.known[id] = true
	r.search = append(r.search, id)
	levels := slices.Clone(*r.levels.Load())
	for len(levels) <= depth {
		levels = append(levels, nil)
	}
	levels[depth] = append(levels[depth], id)
	r.publish(levels)
}

func (r *run) publish(levels [][]string) { r.levels.Store(&levels) }

// settle decides, from the candidates, the events and linked ids of the
// trace as a breadth-first search gives them (see Trace), and leaves only
// those events in r.events, each with its match, in order of arrival. It
// reports whether the
// search reached ids that were never searched for: they are queued, and
// the caller scans for them and settles again. Called between passes.
func (r *run) settle() bool {
	n := r.cands.n
	depthOf := make([]int, n)
	for i := range depthOf {
		depthOf[i] = -1
	}
	matched := make([]match.KV, n)
	r.linked = map[string]*trace.LinkedID{r.id: {Value: r.id}}
	r.order, r.capped = nil, false
	more := false
	ids := []string{r.id}
	for depth := 0; len(ids) > 0; depth++ {
		var here []int
		for i := range n {
			if depthOf[i] >= 0 {
				continue
			}
			c := r.cands.meta(i)
			kv, ok := c.kv, c.depth == 0 // depth 0 was checked against the id alone
			if depth > 0 {
				ev := r.cands.event(i)
				kv, ok = r.matcher.Find(view(ev.Raw), ev.Fields, ids)
			}
			if ok {
				depthOf[i], matched[i] = depth, kv
				here = append(here, i)
			}
		}
		if !r.opt.Follow || depth >= r.opt.MaxLinkDepth {
			break
		}
		// Links are learned in order of origin, whatever the order in
		// which the sources delivered the records.
		slices.SortFunc(here, func(a, b int) int {
			if c := cmp.Compare(r.cands.meta(a).src, r.cands.meta(b).src); c != 0 {
				return c
			}
			oa, ob := &r.cands.event(a).Origin, &r.cands.event(b).Origin
			if c := cmp.Compare(oa.Path, ob.Path); c != 0 {
				return c
			}
			return cmp.Compare(oa.Line, ob.Line)
		})
		var next []string
		for _, i := range here {
			c, ev := r.cands.meta(i), r.cands.event(i)
			if !c.linked {
				c.links, c.linked = r.matcher.Links(view(ev.Raw), ev.Fields), true
			}
			for _, kv := range c.links {
				if r.linked[kv.Value] != nil {
					continue
				}
				if len(r.order) >= r.opt.MaxLinkedIDs {
					r.capped = true
					continue
				}
				via := matched[i].Key + "=" + matched[i].Value
				if matched[i].Key == "" {
					via = matched[i].Value
				}
				r.linked[kv.Value] = &trace.LinkedID{Key: kv.Key, Value: kv.Value, Depth: depth + 1, Via: via, From: ev.Origin}
				r.order = append(r.order, kv.Value)
				next = append(next, kv.Value)
				if !r.known[kv.Value] {
					r.add(kv.Value, depth+1)
					more = true
				}
			}
		}
		ids = next
	}
	if more && !r.full {
		return true
	}
	// Keep the events of the trace, matched, in order of arrival.
	kept := 0
	for _, d := range depthOf {
		if d >= 0 {
			kept++
		}
	}
	r.events = make([]trace.Event, 0, kept)
	for i := range n {
		if depthOf[i] < 0 {
			continue
		}
		ev := *r.cands.event(i)
		l := r.linked[matched[i].Value]
		ev.Matched = trace.Match{Key: matched[i].Key, Value: matched[i].Value, Via: l.Via}
		l.Events++
		r.events = append(r.events, ev)
	}
	r.cands = store{}
	return false
}

// storeChunk is how many candidates a chunk of a store holds.
const storeChunk = 1024

// store holds candidate records in chunks, so that adding one never
// moves the others: a hot id yields tens of thousands.
type store struct {
	events [][]trace.Event
	metas  [][]candidate
	n      int
}

func (s *store) add(ev trace.Event, c candidate) {
	if s.n%storeChunk == 0 {
		s.events = append(s.events, make([]trace.Event, 0, storeChunk))
		s.metas = append(s.metas, make([]candidate, 0, storeChunk))
	}
	k := len(s.events) - 1
	s.events[k] = append(s.events[k], ev)
	s.metas[k] = append(s.metas[k], c)
	s.n++
}

func (s *store) event(i int) *trace.Event { return &s.events[i/storeChunk][i%storeChunk] }

func (s *store) meta(i int) *candidate { return &s.metas[i/storeChunk][i%storeChunk] }

// view returns the bytes of s without copying them; they must not be
// modified.
func view(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// linkedList returns the linked ids in order of discovery.
func (r *run) linkedList() []trace.LinkedID {
	out := make([]trace.LinkedID, 0, len(r.order))
	for _, v := range r.order {
		out = append(out, *r.linked[v])
	}
	return out
}
