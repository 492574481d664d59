// Package live follows local log files as they are written and hands on
// the new records that belong to a trace. It is what keeps a trace open
// after its first answer: the API's live endpoint and `trace --follow`.
//
// Files are polled: each round lists the sources' files again, reads what
// was appended since the last round, and notices rotation (the path now
// names another file: the old one is read to its end, the new one from its
// start), truncation (the file is shorter than what was read: it is read
// again from its start) and files that appear (read from their start).
// Files present when following starts are read from their end: what they
// held is the first answer's. Each new line is one record; compressed
// files are not followed.
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
	"time"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// ErrNotFollowable is returned when none of the sources is a local file,
// directory or glob.
var ErrNotFollowable = errors.New("no local file source to follow")

// Options say what to follow and what belongs to the trace.
type Options struct {
	// Sources are the trace's sources; only local paths, directories and
	// globs are followed, the others are reported by Followable.
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
	// Interval is the time between two rounds; 0 means 250 ms.
	Interval time.Duration
	// Started, when set, is called once the files present at the start
	// have been listed: records written from then on are seen. Records
	// written between the first answer and this moment are not.
	Started func()
	// MaxLineBytes bounds a line kept while its end is not written yet;
	// longer lines are cut. 0 means 1 MiB.
	MaxLineBytes int
}

// Followable splits specs into the local ones Run follows and the
// locations (redacted) of the others.
func Followable(specs []source.Spec) (local []source.Spec, others []string) {
	for _, s := range specs {
		if isLocal(s.Location) {
			local = append(local, s)
		} else {
			others = append(others, source.Redact(s.Location))
		}
	}
	return local, others
}

func isLocal(loc string) bool {
	return loc != "-" && loc != "" && !strings.Contains(loc, "://") && !strings.HasPrefix(loc, "exec:")
}

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
	specs   []source.Spec
	matcher *match.Matcher
	ids     []string
	known   map[string]bool
	files   map[string]*tracked // by path
	// retired are files that were rotated away, with what was read of
	// them, so that their new name is followed from there and not read
	// again.
	retired []*tracked
	emit    func(trace.Event) error
	buf     []byte
}

// Run follows the local sources of opt until ctx is done, calling emit for
// each new record that matches one of the trace's ids, in the order read.
// It returns nil when ctx ends, emit's error when emit fails, and
// ErrNotFollowable when no source is local.
func Run(ctx context.Context, opt Options, emit func(trace.Event) error) error {
	local, _ := Followable(opt.Sources)
	if len(local) == 0 {
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
	fl := &follower{
		opt: opt, specs: local, matcher: match.New(opt.Keys, opt.Any),
		known: map[string]bool{}, files: map[string]*tracked{}, emit: emit,
		buf: make([]byte, 64<<10),
	}
	for _, id := range opt.IDs {
		if id != "" && !fl.known[id] {
			fl.known[id] = true
			fl.ids = append(fl.ids, id)
		}
	}
	defer fl.closeAll()
	// The files there now are followed from their end.
	fl.scan(true)
	if opt.Started != nil {
		opt.Started()
	}
	t := time.NewTicker(opt.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := fl.round(ctx); err != nil {
			return err
		}
	}
}

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

// record checks one line against the trace's ids and emits it when it
// matches.
func (fl *follower) record(t *tracked, line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 || !fl.mayHold(line) {
		return nil
	}
	spec := fl.specs[t.spec]
	raw := string(line)
	p := logline.ParseString(raw, logline.Options{Location: spec.Timezone, ModTime: time.Now()})
	kv, ok := fl.matcher.Find(line, p.Fields, fl.ids)
	if !ok {
		return nil
	}
	ev := trace.Event{
		Time: p.Time, Level: p.Level, Message: p.Message, Service: p.Service,
		Fields: p.Fields, Raw: raw,
		Matched: trace.Match{Key: kv.Key, Value: kv.Value},
		// The line is 0 in files that were followed from their end.
		Origin: trace.Origin{Source: source.Redact(spec.Location), Path: t.rel, Line: max(t.line, 0)},
	}
	if !ev.Time.IsZero() && (!fl.opt.Since.IsZero() && ev.Time.Before(fl.opt.Since) || !fl.opt.Until.IsZero() && ev.Time.After(fl.opt.Until)) {
		return nil
	}
	switch {
	case spec.Service != "":
		ev.Service = spec.Service
	case ev.Service == "":
		ev.Service = blob.ServiceFromPath(t.rel)
	}
	if ev.Service == "" {
		ev.Service = "unknown"
	}
	if fl.opt.Follow {
		for _, l := range fl.matcher.Links(line, p.Fields) {
			if !fl.known[l.Value] && len(fl.ids) < fl.opt.MaxLinkedIDs+1 {
				fl.known[l.Value] = true
				fl.ids = append(fl.ids, l.Value)
			}
		}
	}
	if err := fl.emit(ev); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}

// mayHold is a quick test that the line contains one of the ids at all.
func (fl *follower) mayHold(line []byte) bool {
	for _, id := range fl.ids {
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
