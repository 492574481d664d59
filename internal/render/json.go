package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// SchemaVersion is the version of the JSON document written by JSON. It
// changes only when a change is incompatible: a field removed, renamed or
// given another type or meaning. New fields do not change it.
const SchemaVersion = 1

// The view structs below fix the JSON document's shape and key order
// independently of the domain types. Slices are never nil when encoded.

type jsonReport struct {
	SchemaVersion int                `json:"schema_version"`
	Query         jsonQuery          `json:"query"`
	Summary       jsonSummary        `json:"summary"`
	Events        []jsonEvent        `json:"events"`
	Services      []jsonService      `json:"services"`
	Hops          []jsonHop          `json:"hops"`
	LinkedIDs     []jsonLinkedID     `json:"linked_ids"`
	Warnings      []jsonWarning      `json:"warnings"`
	Verifications []jsonVerification `json:"verifications"`
}

type jsonQuery struct {
	ID      string   `json:"id"`
	Keys    []string `json:"keys"`
	Any     bool     `json:"any"`
	Follow  bool     `json:"follow"`
	Since   *string  `json:"since"`
	Until   *string  `json:"until"`
	Sources []string `json:"sources"`
}

type jsonSummary struct {
	ID           string      `json:"id"`
	Events       int         `json:"events"`
	Services     int         `json:"services"`
	Path         []string    `json:"path"`
	Start        *string     `json:"start"`
	End          *string     `json:"end"`
	DurationMS   float64     `json:"duration_ms"`
	Errors       int         `json:"errors"`
	Untimed      int         `json:"untimed"`
	BytesScanned int64       `json:"bytes_scanned"`
	Passes       int         `json:"passes"`
	Sources      jsonSources `json:"sources"`
	ElapsedMS    float64     `json:"elapsed_ms"`
	Stages       []jsonStage `json:"stages"`
	// Redactions counts the values redaction replaced, by rule.
	Redactions map[string]int `json:"redactions"`
}

type jsonSources struct {
	Scanned   int          `json:"scanned"`
	Failed    int          `json:"failed"`
	Files     int          `json:"files"`
	Skipped   int          `json:"skipped"`
	Truncated bool         `json:"truncated"`
	List      []jsonSource `json:"list"`
}

type jsonSource struct {
	Source    string         `json:"source"`
	Files     int            `json:"files"`
	Bytes     int64          `json:"bytes"`
	Skipped   int            `json:"skipped"`
	SkippedBy map[string]int `json:"skipped_by"`
	Window    *jsonWindow    `json:"window"`
	Truncated bool           `json:"truncated"`
	Failed    bool           `json:"failed"`
	Error     string         `json:"error"`
	Records   int            `json:"records"`
	ElapsedMS float64        `json:"elapsed_ms"`
}

type jsonWindow struct {
	Since *string `json:"since"`
	Until *string `json:"until"`
}

type jsonStage struct {
	Name      string  `json:"name"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

type jsonEvent struct {
	Time    *string        `json:"time"`
	Service string         `json:"service"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
	Matched jsonMatch      `json:"matched"`
	Origin  jsonOrigin     `json:"origin"`
	Raw     string         `json:"raw"`
}

type jsonMatch struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Via   string `json:"via"`
}

type jsonOrigin struct {
	Source string `json:"source"`
	Path   string `json:"path"`
	Line   int64  `json:"line"`
}

type jsonService struct {
	Name   string  `json:"name"`
	First  *string `json:"first"`
	Last   *string `json:"last"`
	Events int     `json:"events"`
	Errors int     `json:"errors"`
}

type jsonHop struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	At    *string `json:"at"`
	GapMS float64 `json:"gap_ms"`
}

type jsonLinkedID struct {
	Key    string     `json:"key"`
	Value  string     `json:"value"`
	Depth  int        `json:"depth"`
	Via    string     `json:"via"`
	From   jsonOrigin `json:"from"`
	Events int        `json:"events"`
}

type jsonWarning struct {
	Source  string `json:"source"`
	Message string `json:"message"`
}

type jsonVerification struct {
	Service   string         `json:"service"`
	Endpoint  string         `json:"endpoint"`
	OK        bool           `json:"ok"`
	Status    int            `json:"status"`
	Error     string         `json:"error"`
	Response  map[string]any `json:"response"`
	ElapsedMS float64        `json:"elapsed_ms"`
}

// JSON writes r as one JSON object indented by two spaces, followed by a
// newline. The document is described in docs/json-schema.md: keys come in
// a fixed order, arrays are never null, times are RFC 3339 in UTC with as
// many fractional digits as needed (null when unknown), and durations are
// milliseconds with microsecond precision. HTML characters are not escaped.
// Events are streamed: on error, part of the document may have been written.
func JSON(w io.Writer, r *trace.Report) error {
	if r == nil {
		return errors.New("render json: nil report")
	}
	doc, err := marshalReport(r)
	if err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	at := bytes.Index(doc, []byte(eventsKey))
	hat := bytes.Index(doc, []byte(hopsKey))
	if at < 0 || hat < at {
		return errors.New("render json: events or hops key missing from the document")
	}
	head, mid, tail := doc[:at+len(eventsKey)-1], doc[at+len(eventsKey)-1:hat+len(hopsKey)-1], doc[hat+len(hopsKey)-1:]
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(head)
	if len(r.Trace.Events) > 0 {
		bw.WriteString("\n")
		if err := writeEvents(bw, r.Trace.Events); err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		bw.WriteString("\n  ")
	}
	bw.Write(mid)
	if len(r.Trace.Hops) > 0 {
		bw.WriteString("\n")
		writeHops(bw, r.Trace.Hops)
		bw.WriteString("\n  ")
	}
	bw.Write(tail)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	return nil
}

// marshalReport encodes the view of r, with empty events and hops arrays,
// into a complete, indented document.
func marshalReport(r *trace.Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonHead(r)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// jsonView builds the document's view of r.
func jsonView(r *trace.Report) jsonReport {
	v := jsonHead(r)
	v.Hops = make([]jsonHop, 0, len(r.Trace.Hops))
	for _, h := range r.Trace.Hops {
		v.Hops = append(v.Hops, jsonHop{From: h.From, To: h.To, At: jsonTime(h.At), GapMS: millis(h.Gap)})
	}
	return v
}

// jsonHead is jsonView without hops (and, like it, without events): the
// arrays a trace of a hot id makes long are written by hand.
func jsonHead(r *trace.Report) jsonReport {
	t := &r.Trace
	st := &r.Stats
	v := jsonReport{
		SchemaVersion: SchemaVersion,
		Query: jsonQuery{
			ID:      r.Query.ID,
			Keys:    nonNil(r.Query.Keys),
			Any:     r.Query.Any,
			Follow:  r.Query.Follow,
			Since:   jsonTime(r.Query.Since),
			Until:   jsonTime(r.Query.Until),
			Sources: nonNil(r.Query.Sources),
		},
		Summary: jsonSummary{
			ID:           t.ID,
			Events:       len(t.Events),
			Services:     len(t.Services),
			Path:         t.Path(),
			Start:        jsonTime(t.Start),
			End:          jsonTime(t.End),
			DurationMS:   millis(t.Duration()),
			Errors:       t.Errors,
			Untimed:      t.Untimed,
			BytesScanned: st.BytesScanned(),
			Passes:       st.Passes,
			Sources: jsonSources{
				List: make([]jsonSource, 0, len(st.Sources)),
			},
			ElapsedMS:  millis(st.Elapsed),
			Stages:     make([]jsonStage, 0, len(st.Stages)),
			Redactions: make(map[string]int, len(r.Redactions)),
		},
		Events:        []jsonEvent{}, // streamed by JSON
		Services:      make([]jsonService, 0, len(t.Services)),
		Hops:          []jsonHop{}, // written by hand
		LinkedIDs:     make([]jsonLinkedID, 0, len(r.LinkedIDs)),
		Warnings:      make([]jsonWarning, 0, len(r.Warnings)),
		Verifications: make([]jsonVerification, 0, len(r.Verifications)),
	}
	for rule, n := range r.Redactions {
		v.Summary.Redactions[rule] = n
	}
	if v.Summary.ID == "" {
		v.Summary.ID = r.Query.ID
	}
	srcs := &v.Summary.Sources
	for _, s := range st.Sources {
		if s.Failed {
			srcs.Failed++
		} else {
			srcs.Scanned++
		}
		srcs.Files += s.Files
		srcs.Skipped += s.Skipped
		srcs.Truncated = srcs.Truncated || s.Truncated
		skippedBy := s.SkippedBy
		if skippedBy == nil {
			skippedBy = map[string]int{}
		}
		var window *jsonWindow
		if !s.Since.IsZero() || !s.Until.IsZero() {
			window = &jsonWindow{Since: jsonTime(s.Since), Until: jsonTime(s.Until)}
		}
		srcs.List = append(srcs.List, jsonSource{
			Source:    s.Source,
			Files:     s.Files,
			Bytes:     s.Bytes,
			Skipped:   s.Skipped,
			SkippedBy: skippedBy,
			Window:    window,
			Truncated: s.Truncated,
			Failed:    s.Failed,
			Error:     s.Error,
			Records:   s.Records,
			ElapsedMS: millis(s.Elapsed),
		})
	}
	for _, s := range st.Stages {
		v.Summary.Stages = append(v.Summary.Stages, jsonStage{Name: s.Name, ElapsedMS: millis(s.Elapsed)})
	}
	for _, s := range t.Services {
		v.Services = append(v.Services, jsonService{
			Name:   s.Name,
			First:  jsonTime(s.First),
			Last:   jsonTime(s.Last),
			Events: s.Events,
			Errors: s.Errors,
		})
	}
	for _, l := range r.LinkedIDs {
		v.LinkedIDs = append(v.LinkedIDs, jsonLinkedID{
			Key:    l.Key,
			Value:  l.Value,
			Depth:  l.Depth,
			Via:    l.Via,
			From:   origin(l.From),
			Events: l.Events,
		})
	}
	for _, w := range r.Warnings {
		v.Warnings = append(v.Warnings, jsonWarning{Source: w.Source, Message: w.Message})
	}
	for _, c := range r.Verifications {
		v.Verifications = append(v.Verifications, jsonVerification{
			Service:   c.Service,
			Endpoint:  c.Endpoint,
			OK:        c.OK,
			Status:    c.Status,
			Error:     c.Error,
			Response:  c.Response,
			ElapsedMS: millis(c.Elapsed),
		})
	}
	return v
}

func origin(o trace.Origin) jsonOrigin {
	return jsonOrigin{Source: o.Source, Path: o.Path, Line: o.Line}
}

// jsonTime formats t as RFC 3339 in UTC with nanoseconds trimmed of
// trailing zeros; nil for the zero time.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// millis returns d in milliseconds, rounded to the microsecond.
func millis(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond).Microseconds()) / 1000
}

// nonNil returns s, or an empty slice when s is nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
