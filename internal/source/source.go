// Package source defines how Pipetracker reads logs: a Source reads one
// location, a Driver opens locations of one scheme, and a Registry maps
// schemes to drivers. Concrete sources live in sub-packages, one per scheme;
// the wiring list is source/all.
package source

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrUnknownScheme is returned by Registry.Open for a scheme no driver serves.
var ErrUnknownScheme = errors.New("unknown source scheme")

// Spec is one entry of log_sources: a location and its settings.
type Spec struct {
	// Location as the user wrote it: a path, a glob, "-", "exec:CMD" or
	// "scheme://…".
	Location string
	// Service, when set, names the service of every record of this source.
	Service string
	// Timezone is applied to timestamps that carry no zone; UTC when nil.
	Timezone *time.Location
	// Options are driver-specific settings (from a mapping entry or URL
	// query parameters).
	Options map[string]string
}

// Scheme returns the registry key of a location: the part before "://",
// "exec" for "exec:…", "stdin" for "-", and "file" for anything else.
func Scheme(location string) string {
	if location == "-" {
		return "stdin"
	}
	if strings.HasPrefix(location, "exec:") {
		return "exec"
	}
	if i := strings.Index(location, "://"); i > 0 {
		return strings.ToLower(location[:i])
	}
	return "file"
}

// Query is what the engine asks of a source in one pass.
type Query struct {
	// IDs are the literal values to look for; a source returns every
	// record that contains any of them as bytes (it may return more).
	IDs []string
	// Since and Until bound record times when non-zero; a source may use
	// them to skip whole files or objects, never to drop a record whose
	// time it cannot tell.
	Since, Until time.Time
	// MaxFiles limits how many files or objects one source reads, newest
	// first; MaxFileBytes skips any file or object larger than it (size as
	// stored). 0 means no limit. What is left out is reported with
	// Output.Warn and counted in Stats.
	MaxFiles     int
	MaxFileBytes int64
}

// Record is a candidate record with its provenance.
type Record struct {
	// Data is the whole record: its first line and any continuation lines,
	// without the final newline. It is only valid during the Record call.
	Data []byte
	// Path and Line locate the record (see trace.Origin).
	Path string
	Line int64
	// Service is the service derived from the path or the source's
	// settings; the engine prefers Spec.Service, then a field, then this.
	Service string
	// ModTime is the file's modification time, used to infer the year of
	// syslog timestamps; zero when unknown.
	ModTime time.Time
	// Time, Level, Message and Fields are set by sources whose store has
	// already parsed the record. Fields nil means "parse Data": then Time
	// and Level, when set, are only used where Data carries none (a Kafka
	// record's timestamp behind a payload without one).
	Time    time.Time
	Level   string
	Message string
	Fields  map[string]any
}

// Stats is what a source reports about the work of one scan.
type Stats struct {
	Files     int   // files or objects read
	Bytes     int64 // bytes read (decompressed)
	Skipped   int   // files or objects left out (binary, limits, window)
	Truncated bool  // a limit cut the scan short
	// SkippedBy counts the skipped files or objects by reason (one of the
	// Skip* constants, or a driver's own short snake_case word).
	SkippedBy map[string]int
	// Since and Until are the time window the source actually searched,
	// when it had to choose one (a store queried with a default window);
	// zero when it read everything it was given.
	Since, Until time.Time
}

// Reasons for skipping a file or object, as counted in Stats.SkippedBy.
const (
	SkipBinary     = "binary"         // not text
	SkipUnreadable = "unreadable"     // could not be opened or read at all
	SkipOld        = "before_since"   // last written before the window
	SkipOutside    = "outside_window" // its name dates it outside the window
	SkipTooLarge   = "max_size"       // larger than max_size_mb
	SkipMaxFiles   = "max_files"      // beyond max_files
	SkipExcluded   = "excluded"       // left out by include/exclude options
)

// Skip counts n files or objects skipped for reason.
func (s *Stats) Skip(reason string, n int) {
	if n <= 0 {
		return
	}
	if s.SkippedBy == nil {
		s.SkippedBy = make(map[string]int)
	}
	s.SkippedBy[reason] += n
	s.Skipped += n
}

// Output receives what a source finds. Implementations are safe for
// concurrent use, so a source may scan several files at once.
type Output interface {
	// Record receives one candidate record; an error stops the scan and is
	// returned by Scan.
	Record(r *Record) error
	// Warn reports a problem that did not stop the scan: a file that could
	// not be read, a binary file skipped, a limit reached.
	Warn(msg string)
	// Progress reports work done since the last call, for progress display.
	Progress(files int, bytes int64)
}

// Source reads one location. A source that holds resources across scans
// (a spool of standard input, a client) also implements io.Closer; the
// engine closes it when the trace ends, on every path.
type Source interface {
	// Scan streams every record that contains one of q.IDs to out and
	// returns what it read. The engine may call Scan several times with
	// new ids (linked-id passes), never concurrently. An error means the
	// source as a whole failed; problems with single files are warnings.
	// Scan returns ctx.Err() promptly when ctx is cancelled.
	Scan(ctx context.Context, q *Query, out Output) (Stats, error)
}

// Driver opens the locations of one scheme.
type Driver struct {
	Scheme      string
	Description string
	Open        func(spec Spec) (Source, error)
}

// Registry maps schemes to drivers.
type Registry struct {
	drivers map[string]Driver
}

// NewRegistry returns a registry of the given drivers; a scheme listed
// twice is a programming error and panics.
func NewRegistry(drivers ...Driver) *Registry {
	r := &Registry{drivers: make(map[string]Driver, len(drivers))}
	for _, d := range drivers {
		if _, dup := r.drivers[d.Scheme]; dup {
			panic("source: scheme registered twice: " + d.Scheme)
		}
		r.drivers[d.Scheme] = d
	}
	return r
}

// Drivers returns the registered drivers sorted by scheme.
func (r *Registry) Drivers() []Driver {
	out := make([]Driver, 0, len(r.drivers))
	for _, d := range r.drivers {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scheme < out[j].Scheme })
	return out
}

// Has reports whether a driver serves the location's scheme.
func (r *Registry) Has(location string) bool {
	_, ok := r.drivers[Scheme(location)]
	return ok
}

// Open returns a Source for spec.
func (r *Registry) Open(spec Spec) (Source, error) {
	scheme := Scheme(spec.Location)
	d, ok := r.drivers[scheme]
	if !ok {
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownScheme, scheme, Redact(spec.Location))
	}
	return d.Open(spec)
}

// Redact returns the location fit for display: user information and query
// values that look like credentials are replaced by "***".
func Redact(location string) string {
	i := strings.Index(location, "://")
	if i < 0 {
		return location
	}
	rest := location[i+3:]
	if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		params := strings.Split(rest[q+1:], "&")
		for k, p := range params {
			name, _, _ := strings.Cut(p, "=")
			if looksSecret(name) {
				params[k] = name + "=***"
			}
		}
		rest = rest[:q+1] + strings.Join(params, "&")
	}
	return location[:i+3] + rest
}

func looksSecret(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "key", "signature", "credential", "auth"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
