package render

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// ndjsonEvent is one event line: the event as in the JSON document, with
// a leading "type" so that the line kinds can be told apart.
type ndjsonEvent struct {
	Type     string         `json:"type"`
	Time     *string        `json:"time"`
	OffsetMS *float64       `json:"offset_ms"`
	Service  string         `json:"service"`
	Level    string         `json:"level"`
	Message  string         `json:"message"`
	Fields   map[string]any `json:"fields"`
	Matched  jsonMatch      `json:"matched"`
	Origin   jsonOrigin     `json:"origin"`
	Raw      string         `json:"raw"`
}

// ndjsonVerification is one verifier answer line.
type ndjsonVerification struct {
	Type string `json:"type"`
	jsonVerification
}

// ndjsonSummary is the last line.
type ndjsonSummary struct {
	Type     string        `json:"type"`
	Summary  jsonSummary   `json:"summary"`
	Warnings []jsonWarning `json:"warnings"`
}

// NDJSON writes r as newline-delimited JSON: one line per event in
// timeline order ({"type":"event", ...}, the event's keys as in the JSON
// document plus offset_ms from the start, null when untimed), then one
// line per verifier answer ({"type":"verification", ...}), then one
// summary line ({"type":"summary","summary":{...},"warnings":[...]}).
// Lines never contain a raw newline. The events are written once the
// trace is assembled, since their order is final only then; each line is
// flushed in batches so a pipe sees them as they are encoded.
func NDJSON(w io.Writer, r *trace.Report) error {
	if r == nil {
		return errors.New("render ndjson: nil report")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	start := r.Trace.Start
	for i := range r.Trace.Events {
		e := &r.Trace.Events[i]
		line := ndjsonEvent{
			Type:    "event",
			Time:    jsonTime(e.Time),
			Service: e.Service,
			Level:   string(e.Level),
			Message: e.Message,
			Fields:  e.Fields,
			Matched: jsonMatch{Key: e.Matched.Key, Value: e.Matched.Value, Via: e.Matched.Via},
			Origin:  origin(e.Origin),
			Raw:     e.Raw,
		}
		if line.Fields == nil {
			line.Fields = map[string]any{}
		}
		if !e.Time.IsZero() && !start.IsZero() {
			off := millis(e.Time.Sub(start))
			line.OffsetMS = &off
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("render ndjson: %w", err)
		}
	}
	v := jsonView(r)
	for _, c := range v.Verifications {
		if err := enc.Encode(ndjsonVerification{Type: "verification", jsonVerification: c}); err != nil {
			return fmt.Errorf("render ndjson: %w", err)
		}
	}
	if err := enc.Encode(ndjsonSummary{Type: "summary", Summary: v.Summary, Warnings: v.Warnings}); err != nil {
		return fmt.Errorf("render ndjson: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render ndjson: %w", err)
	}
	return nil
}
