// Package trace is the domain of Pipetracker: the events that belong to one
// request and the timeline assembled from them. It imports nothing of ours.
package trace

import "time"

// Level is a normalised severity. The zero value means the record named none.
type Level string

// The normalised levels, from least to most severe.
const (
	LevelNone  Level = ""
	LevelTrace Level = "trace"
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
	LevelFatal Level = "fatal"
)

// IsError reports whether the level counts as an error in a trace summary.
func (l Level) IsError() bool { return l == LevelError || l == LevelFatal }

// Origin says where a record came from.
type Origin struct {
	// Source is the location as the user gave it (displayed redacted).
	Source string `json:"source"`
	// Path is the file or object path relative to the source root, or a
	// stream identity such as "topic/partition".
	Path string `json:"path"`
	// Line is the 1-based line number where the record starts, or an
	// offset for sources without lines.
	Line int64 `json:"line"`
}

// Match says why an event belongs to the trace.
type Match struct {
	// Key is the match key whose value equals Value; empty with --any.
	Key string `json:"key"`
	// Value is the id that was found in the record.
	Value string `json:"value"`
	// Via names the id through which Value was discovered, as
	// "key=value"; empty when Value is the id the user asked for.
	Via string `json:"via"`
}

// Event is one log record that belongs to the trace.
type Event struct {
	// Time is the record's time in UTC; zero when the record has none.
	Time    time.Time      `json:"time"`
	Service string         `json:"service"`
	Level   Level          `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
	Matched Match          `json:"matched"`
	Origin  Origin         `json:"origin"`
	// Raw is the record as read, all its lines, without the final newline.
	Raw string `json:"raw"`
	// Clean is set by a redactor's look at the event when it was found
	// (redact.Redactor.Precheck): no rule would replace anything in it,
	// whatever ids are kept, so redaction passes it by. It is never
	// written out.
	Clean bool `json:"-"`
}

// Service summarises one service's part in a trace.
type Service struct {
	Name   string    `json:"name"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Events int       `json:"events"`
	Errors int       `json:"errors"`
}

// Hop is a change of service between two consecutive events in time order.
type Hop struct {
	From string `json:"from"`
	To   string `json:"to"`
	// At is the time of the first event in To.
	At time.Time `json:"at"`
	// Gap is the time between the last event in From and At.
	Gap time.Duration `json:"gap"`
}

// Trace is the assembled timeline of one request.
type Trace struct {
	ID string
	// Events are in time order; ties and untimed events keep their order
	// of origin (source, path, line).
	Events []Event
	// Services are in order of first appearance in Events.
	Services []Service
	Hops     []Hop
	Start    time.Time
	End      time.Time
	Errors   int
	// Untimed counts the events that carried no time.
	Untimed int
	// UntimedAt names the origins of untimed events (at most a few).
	UntimedAt []Origin
}

// Duration is End minus Start, zero when the trace has fewer than two
// timed events.
func (t *Trace) Duration() time.Duration {
	if t.Start.IsZero() || t.End.IsZero() {
		return 0
	}
	return t.End.Sub(t.Start)
}

// Path returns the services in the order the request first reached them.
func (t *Trace) Path() []string {
	out := make([]string, len(t.Services))
	for i, s := range t.Services {
		out[i] = s.Name
	}
	return out
}
