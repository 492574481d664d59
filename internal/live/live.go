// Package live follows a trace's sources as they are written and hands on
// the new records that belong to the trace. It is what keeps a trace open
// after its first answer: the API's live endpoint and `trace --follow`.
//
// Local files are polled: each round lists the sources' files again,
// reads what was appended since the last round, and notices rotation (the
// path now names another file: the old one is read to its end, the new
// one from its start), truncation (the file is shorter than what was
// read: it is read again from its start) and files that appear (read from
// their start). Files present when following starts are read from their
// end: what they held is the first answer's. Each new line is one record;
// compressed files are not followed.
//
// Kafka topics (kafka:// sources) are followed from their end: when
// following starts, each partition's high watermark is taken, and every
// record written from then on is read as it comes, by the kafka driver's
// own client and settings (see kafka.Source.Tail), without a consumer
// group. A source whose brokers cannot be reached is a warning, and so is
// a broker lost while following; the other sources go on.
//
// Every new record, from a file or a topic, is checked as the engine
// checks a trace's records: against the trace's ids under its match keys,
// within its time window, and with link following on, the ids it carries
// join the ids followed. Other sources (object stores, log stores, exec:,
// standard input) are not followed.
package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
	"github.com/pipetracker/pipetracker/internal/source/kafka"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// ErrNotFollowable is returned when none of the sources is a local file,
// directory or glob, or a Kafka topic.
var ErrNotFollowable = errors.New("no local file or kafka source to follow")

// errNothingLeft ends a follow whose every source has failed.
var errNothingLeft = errors.New("live: no source left to follow")

// Options say what to follow and what belongs to the trace.
type Options struct {
	// Sources are the trace's sources; local paths, directories, globs
	// and kafka:// locations are followed, the others are reported by
	// Followable and, when following starts, with Warn.
	Sources []source.Spec
	// Keys and Any are the trace's matching rules.
	Keys []string
	Any  bool
	// IDs are the ids already in the trace: the traced id first, then the
	// linked ids.
	IDs []string
	// Since and Until drop records timed outside them when non-zero.
	Since, Until time.Time
	// Follow adds the ids that new matching records carry under the other
	// keys, up to MaxLinkedIDs ids in all (0 means 100).
	Follow       bool
	MaxLinkedIDs int
	// Interval is the time between two rounds of the files; 0 means
	// 250 ms.
	Interval time.Duration
	// Started, when set, is called once the files present at the start
	// have been listed and every Kafka partition's end has been taken (or
	// its source has failed): records written from then on are seen.
	// Records written between the first answer and this moment are not.
	Started func()
	// Warn, when set, receives the problems that do not stop following: a
	// source that is not followed, a Kafka source whose brokers cannot be
	// reached, brokers lost and back, a partition's error.
	Warn func(msg string)
	// Getenv looks up the credentials of kafka:// sources, as the kafka
	// driver does; nil means the process environment.
	Getenv func(string) string
	// Decrypt, when set, gives the text of a record that is an encrypted
	// token (security.encrypt_logs), which is then matched in its place:
	// ok is false for a record that is not a token, err set for a token it
	// cannot decrypt (warned about once, then taken as it is). Every such
	// token starts with TokenPrefix, which Kafka sources are asked for too.
	Decrypt     func(data []byte) (text []byte, ok bool, err error)
	TokenPrefix string
	// MaxLineBytes bounds a line kept while its end is not written yet;
	// longer lines are cut. 0 means 1 MiB.
	MaxLineBytes int
}

// Followable splits specs into those Run follows (local files,
// directories and globs; Kafka topics) and the locations (redacted) of
// the others.
func Followable(specs []source.Spec) (followed []source.Spec, others []string) {
	for _, s := range specs {
		if isLocal(s.Location) || isKafka(s.Location) {
			followed = append(followed, s)
		} else {
			others = append(others, source.Redact(s.Location))
		}
	}
	return followed, others
}

func isLocal(loc string) bool {
	return loc != "-" && loc != "" && !strings.Contains(loc, "://") && !strings.HasPrefix(loc, "exec:")
}

func isKafka(loc string) bool { return source.Scheme(loc) == "kafka" }

// tracked is one file being followed.
type tracked struct {
	spec    int
	rel     string
	f       *os.File
	info    os.FileInfo
	offset  int64
	line    int64 // lines read so far
	partial []byte
}

// follower is the state of one Run.
type follower struct {
	opt     Options
	specs   []source.Spec // the local ones
	matcher *match.Matcher
	files   map[string]*tracked // by path
	// retired are files that were rotated away, with what was read of
	// them, so that their new name is followed from there and not read
	// again.
	retired []*tracked
	buf     []byte

	// mu serializes the handling of records (from the files and from each
	// topic) and the calls of emit and Warn.
	mu sync.Mutex
	// asked is what the sources are asked for: TokenPrefix first when
	// records are decrypted (tokens of them is 1), then the trace's ids
	// (see ids). It is only ever appended to.
	asked  []string
	tokens int
	known  map[string]bool
	emit   func(trace.Event) error
	// undecrypted says a token that could not be decrypted was warned of.
	undecrypted bool
}

// Run follows the sources of opt until ctx is done, calling emit for each
// new record that matches one of the trace's ids: in the order read within
// a file or a Kafka partition, never two calls at once (nor at once with
// Warn). It returns nil when ctx ends, emit's error when emit fails,
// ErrNotFollowable when no source can be followed, and an error when
// every Kafka source failed and there is no local one. It returns only
// once everything it started has stopped.
func Run(ctx context.Context, opt Options, emit func(trace.Event) error) error {
	followed, others := Followable(opt.Sources)
	if len(followed) == 0 {
		return ErrNotFollowable
	}
	if opt.Interval <= 0 {
		opt.Interval = 250 * time.Millisecond
	}
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = 1 << 20
	}
	if opt.MaxLinkedIDs <= 0 {
		opt.MaxLinkedIDs = 100
	}
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	fl := &follower{
		opt: opt, matcher: match.New(opt.Keys, opt.Any),
		known: map[string]bool{}, files: map[string]*tracked{}, emit: emit,
		buf: make([]byte, 64<<10),
	}
	if opt.Decrypt != nil && opt.TokenPrefix != "" {
		fl.asked, fl.tokens = []string{opt.TokenPrefix}, 1
	}
	for _, id := range opt.IDs {
		if id != "" && !fl.known[id] {
			fl.addID(id)
		}
	}
	var topics []source.Spec
	for _, s := range followed {
		if isKafka(s.Location) {
			topics = append(topics, s)
		} else {
			fl.specs = append(fl.specs, s)
		}
	}
	for _, o := range others {
		fl.warn(o + ": not followed: only local files and kafka topics are followed live")
	}
	defer fl.closeAll()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	// Each topic's follower says when it has taken the partitions' ends,
	// then waits for begin, so that nothing is emitted before Started.
	ready, ended := make(chan struct{}, len(topics)), make(chan error, len(topics))
	begin := make(chan struct{})
	for _, spec := range topics {
		wg.Go(func() { ended <- fl.tail(ctx, spec, ready, begin) })
	}
	// The files there now are followed from their end.
	fl.scan(true)
	for range topics {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil
		}
	}
	if opt.Started != nil {
		opt.Started()
	}
	close(begin)

	t := time.NewTicker(opt.Interval)
	defer t.Stop()
	tailing := len(topics)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-ended:
			if err != nil {
				return err
			}
			tailing--
			if tailing == 0 && len(fl.specs) == 0 && ctx.Err() == nil {
				return errNothingLeft
			}
			continue
		case <-t.C:
		}
		if len(fl.specs) > 0 {
			if err := fl.round(ctx); err != nil {
				return err
			}
		}
	}
}

// warn passes msg to Options.Warn.
func (fl *follower) warn(msg string) {
	if fl.opt.Warn == nil {
		return
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.opt.Warn(msg)
}

// tail follows the Kafka source spec until ctx ends: it sends on ready
// once the partitions' ends are taken or the source failed, and reads
// from there once begin is closed. A source that cannot be followed is a
// warning; tail returns emit's error, else nil.
func (fl *follower) tail(ctx context.Context, spec source.Spec, ready chan<- struct{}, begin <-chan struct{}) error {
	var once sync.Once
	signal := func() { once.Do(func() { ready <- struct{}{} }) }
	defer signal()
	name := source.Redact(spec.Location)
	src, err := kafka.Open(spec, fl.opt.Getenv)
	if err != nil {
		fl.warn(fmt.Sprintf("%s: not followed: %v", name, err))
		return nil
	}
	out := &topicOutput{fl: fl, spec: spec, name: name}
	started := func() {
		signal()
		select {
		case <-begin:
		case <-ctx.Done():
		}
	}
	err = src.Tail(ctx, fl.askedIDs, started, out)
	switch {
	case out.err != nil:
		return out.err
	case err != nil:
		fl.warn(fmt.Sprintf("%s: not followed: %v", name, err))
	}
	return nil
}

// addID adds id to the ids followed; called with fl.mu held, or before
// the sources are followed.
func (fl *follower) addID(id string) {
	fl.known[id] = true
	fl.asked = append(fl.asked, id)
}

// ids returns the trace's ids followed now, asked without the token
// prefix; called with fl.mu held.
func (fl *follower) ids() []string { return fl.asked[fl.tokens:] }

// askedIDs returns what the sources are asked for now (see asked); the
// list is only appended to.
func (fl *follower) askedIDs() []string {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.asked
}

// topicOutput receives the records of one Kafka source.
type topicOutput struct {
	fl   *follower
	spec source.Spec
	name string
	err  error // emit's error, which stopped the source
}

func (o *topicOutput) Record(rec *source.Record) error {
	o.fl.mu.Lock()
	defer o.fl.mu.Unlock()
	if text, ok := o.fl.decrypt(rec.Path, rec.Data); ok {
		r2 := *rec
		r2.Data = text
		rec = &r2
	}
	if err := o.fl.handle(o.spec, rec); err != nil {
		o.err = err
		return err
	}
	return nil
}

func (o *topicOutput) Warn(msg string) { o.fl.warn(o.name + ": " + msg) }

func (o *topicOutput) Progress(int, int64) {}

// round lists the files again and reads what was added.
func (fl *follower) round(ctx context.Context) error {
	fl.scan(false)
	paths := make([]string, 0, len(fl.files))
	for p := range fl.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if ctx.Err() != nil {
			return nil
		}
		if err := fl.check(p); err != nil {
			return err
		}
	}
	return nil
}

// scan finds the sources' files and starts following the new ones, from
// their end when atEnd (the first listing), else from their start.
func (fl *follower) scan(atEnd bool) {
	for i, s := range fl.specs {
		for _, f := range listFiles(s.Location) {
			if _, ok := fl.files[f.path]; ok {
				continue
			}
			fh, err := os.Open(f.path)
			if err != nil {
				continue
			}
			info, err := fh.Stat()
			if err != nil || !info.Mode().IsRegular() || fl.followed(info) {
				fh.Close()
				continue
			}
			t := &tracked{spec: i, rel: f.rel, f: fh, info: info}
			if old := fl.unretire(info); old != nil {
				t.offset, t.line = old.offset, old.line
			} else if atEnd {
				t.offset = info.Size()
				t.line = -1 // unknown: counted from here on
			}
			fl.files[f.path] = t
		}
	}
}

// check reads what was appended to the file at path, and handles its
// rotation or truncation.
func (fl *follower) check(path string) error {
	t := fl.files[path]
	now, statErr := os.Stat(path)
	switch {
	case statErr == nil && !os.SameFile(now, t.info):
		// Rotated: finish the old file, then start the new one.
		if err := fl.drain(t); err != nil {
			return err
		}
		fl.retire(path)
		fh, err := os.Open(path)
		if err != nil {
			return nil // listed again next round
		}
		info, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil
		}
		nt := &tracked{spec: t.spec, rel: t.rel, f: fh, info: info}
		fl.files[path] = nt
		return fl.drain(nt)
	case statErr == nil && now.Size() < t.offset:
		// Truncated in place (copytruncate): read again from the start.
		t.offset, t.line, t.partial = 0, 0, t.partial[:0]
	case statErr != nil:
		// Moved away and not yet replaced: finish what it holds; it is
		// dropped once a new file takes the path or it stays gone.
		err := fl.drain(t)
		if errors.Is(statErr, fs.ErrNotExist) {
			fl.retire(path)
		}
		return err
	}
	return fl.drain(t)
}

// drain reads t from its offset to its current end.
func (fl *follower) drain(t *tracked) error {
	for {
		n, err := t.f.ReadAt(fl.buf, t.offset)
		if n > 0 {
			t.offset += int64(n)
			if err := fl.lines(t, fl.buf[:n]); err != nil {
				return err
			}
		}
		if err != nil || n == 0 {
			if errors.Is(err, io.EOF) || n == 0 {
				return nil
			}
			return nil // an unreadable file is tried again next round
		}
	}
}

// lines splits data into records; the last line, while unfinished, waits
// for the next read.
func (fl *follower) lines(t *tracked, data []byte) error {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			room := fl.opt.MaxLineBytes - len(t.partial)
			t.partial = append(t.partial, data[:min(len(data), max(room, 0))]...)
			return nil
		}
		line := data[:i]
		if len(t.partial) > 0 {
			room := fl.opt.MaxLineBytes - len(t.partial)
			t.partial = append(t.partial, line[:min(len(line), max(room, 0))]...)
			line = t.partial
		}
		data = data[i+1:]
		if t.line >= 0 {
			t.line++
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if err := fl.record(t, line); err != nil {
			return err
		}
		t.partial = t.partial[:0]
	}
	return nil
}

// record checks one line of the file t against the trace's ids and emits
// it when it matches.
func (fl *follower) record(t *tracked, line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if text, ok := fl.decrypt(t.rel, line); ok {
		line = text
	}
	if !fl.mayHold(line) {
		return nil
	}
	rec := source.Record{
		Data: line, Path: t.rel, Service: blob.ServiceFromPath(t.rel), ModTime: time.Now(),
		// The line is 0 in files that were followed from their end.
		Line: max(t.line, 0),
	}
	return fl.handle(fl.specs[t.spec], &rec)
}

// handle turns a record of spec into an event as the engine does for a
// trace (engine.NewEvent), and emits it when it belongs to the trace: it holds one of the
// ids under the match keys and lies within the time window. With link
// following on, the ids it carries join those followed. Called with fl.mu
// held.
func (fl *follower) handle(spec source.Spec, rec *source.Record) error {
	ev := engine.NewEvent(spec, source.Redact(spec.Location), rec)
	fields := ev.Fields
	kv, ok := fl.matcher.Find(rec.Data, fields, fl.ids())
	if !ok {
		return nil
	}
	if !ev.Time.IsZero() && (!fl.opt.Since.IsZero() && ev.Time.Before(fl.opt.Since) || !fl.opt.Until.IsZero() && ev.Time.After(fl.opt.Until)) {
		return nil
	}
	ev.Matched = trace.Match{Key: kv.Key, Value: kv.Value}
	if fl.opt.Follow {
		for _, l := range fl.matcher.Links(rec.Data, fields) {
			if !fl.known[l.Value] && len(fl.ids()) < fl.opt.MaxLinkedIDs+1 {
				fl.addID(l.Value)
			}
		}
	}
	if err := fl.emit(ev); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}

// decrypt returns the text of a record that is an encrypted token, and
// true; false when it is not one, or cannot be decrypted (warned about
// once). Called with fl.mu held.
func (fl *follower) decrypt(path string, data []byte) ([]byte, bool) {
	if fl.opt.Decrypt == nil {
		return nil, false
	}
	text, ok, err := fl.opt.Decrypt(data)
	if err != nil {
		if !fl.undecrypted && fl.opt.Warn != nil {
			fl.undecrypted = true
			fl.opt.Warn("records that look encrypted could not be decrypted (first at " + path + ")")
		}
		return nil, false
	}
	return text, ok
}

// mayHold is a quick test that the line contains one of the ids at all;
// called with fl.mu held.
func (fl *follower) mayHold(line []byte) bool {
	for _, id := range fl.ids() {
		if bytes.Contains(line, []byte(id)) {
			return true
		}
	}
	return false
}

// followed reports whether info is a file followed under another path:
// one renamed since the last round.
func (fl *follower) followed(info os.FileInfo) bool {
	for _, t := range fl.files {
		if os.SameFile(t.info, info) {
			return true
		}
	}
	return false
}

// retire stops following the file at path, remembering how far it was
// read.
func (fl *follower) retire(path string) {
	t := fl.files[path]
	t.f.Close()
	t.f = nil
	delete(fl.files, path)
	if len(fl.retired) >= 64 {
		fl.retired = fl.retired[1:]
	}
	fl.retired = append(fl.retired, t)
}

// unretire returns, and forgets, the retired file info is, if any.
func (fl *follower) unretire(info os.FileInfo) *tracked {
	for i, t := range fl.retired {
		if os.SameFile(t.info, info) {
			fl.retired = slices.Delete(fl.retired, i, i+1)
			return t
		}
	}
	return nil
}

func (fl *follower) closeAll() {
	for _, t := range fl.files {
		t.f.Close()
	}
}

// file is one file of a source: its path and its path relative to the
// source's root, as the file source reports it.
type file struct{ path, rel string }

// listFiles lists the uncompressed regular files of a location: the file
// itself, the files under a directory, or the files a glob matches.
func listFiles(loc string) []file {
	var out []file
	add := func(path, rel string) {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".gz", ".zst", ".bz2", ".xz", ".zip", ".lz4", ".snappy":
			return
		}
		out = append(out, file{path, filepath.ToSlash(rel)})
	}
	if strings.ContainsAny(loc, "*?[") {
		matches, _ := filepath.Glob(loc)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
				add(m, filepath.Base(m))
			}
		}
		return out
	}
	fi, err := os.Stat(loc)
	if err != nil {
		return nil
	}
	if !fi.IsDir() {
		add(loc, filepath.Base(loc))
		return out
	}
	_ = filepath.WalkDir(loc, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if d.Type().IsRegular() {
			rel, rerr := filepath.Rel(loc, p)
			if rerr != nil {
				rel = p
			}
			add(p, rel)
		}
		return nil
	})
	return out
}
