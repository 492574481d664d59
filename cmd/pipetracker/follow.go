package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/live"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// liveOptions are the options of following a trace after its first
// answer rep: the same sources and rules, the ids rep found, and the
// credentials of Kafka sources looked up as the kafka driver does.
func (e *env) liveOptions(opt engine.Options, rep *trace.Report) live.Options {
	ids := []string{rep.Query.ID}
	for _, l := range rep.LinkedIDs {
		ids = append(ids, l.Value)
	}
	return live.Options{
		Sources: opt.Sources, Keys: opt.Keys, Any: opt.Any, IDs: ids,
		Follow: opt.Follow, MaxLinkedIDs: opt.MaxLinkedIDs,
		Since: opt.Since, Until: opt.Until,
		Getenv: e.credential,
	}
}

// redactEvent redacts one event that came after rep as rep was redacted:
// the same rules, the same ids kept.
func (s *security) redactEvent(rep *trace.Report, ev trace.Event) trace.Event {
	if s.red == nil {
		return ev
	}
	one := &trace.Report{Query: rep.Query, LinkedIDs: rep.LinkedIDs, Trace: trace.Trace{ID: rep.Trace.ID, Events: []trace.Event{ev}}}
	s.red.Report(one)
	return one.Trace.Events[0]
}

// checkFollow says whether --follow can go with these flags: it writes to
// standard output, as text or as NDJSON lines (a JSON document could not
// be continued).
func checkFollow(format, output string) error {
	if output != "" && output != "-" {
		return fmt.Errorf("%w: --follow writes to standard output; leave out -o", errUsage)
	}
	switch format {
	case "text", "ndjson":
		return nil
	}
	return fmt.Errorf("%w: --follow needs --format text or ndjson, not %s", errUsage, format)
}

// followTrace prints the events of the trace rep answered that are
// written from now on, until ctx ends (Ctrl-C): a line of text each, or
// an NDJSON event line for the ndjson format.
func (e *env) followTrace(ctx context.Context, rep *trace.Report, opt engine.Options, sec *security, format string) error {
	n := 0
	lo := e.liveOptions(opt, rep)
	sec.liveDecrypt(&lo)
	lo.Started = func() { fmt.Fprintln(e.stderr, "pipetracker: following new records (Ctrl-C to stop)") }
	lo.Warn = func(msg string) { fmt.Fprintf(e.stderr, "pipetracker: warning: %s\n", sec.redactWarning(rep, msg)) }
	err := live.Run(ctx, lo, func(ev trace.Event) error {
		n++
		return writeEventLine(e.stdout, format, sec.redactEvent(rep, ev))
	})
	if errors.Is(err, live.ErrNotFollowable) {
		return &codeError{exitError, fmt.Errorf("--follow: %w", err)}
	}
	if err != nil {
		return &codeError{exitError, sec.redactErr(err, rep.Query.ID)}
	}
	if len(rep.Trace.Events)+n == 0 {
		return &codeError{code: exitNothing}
	}
	return nil
}

// eventLine is the NDJSON form of a followed event: the keys of an event
// line of --format ndjson, without offset_ms (the start is not final).
type eventLine struct {
	Type    string         `json:"type"`
	Time    *time.Time     `json:"time"`
	Service string         `json:"service"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
	Matched trace.Match    `json:"matched"`
	Origin  trace.Origin   `json:"origin"`
	Raw     string         `json:"raw"`
}

func writeEventLine(w io.Writer, format string, ev trace.Event) error {
	if format == "text" {
		ts := "--:--:--.---"
		if !ev.Time.IsZero() {
			ts = ev.Time.UTC().Format("2006-01-02 15:04:05.000")
		}
		msg := strings.ReplaceAll(ev.Message, "\n", " ")
		at := source.Redact(ev.Origin.Path)
		if ev.Origin.Line > 0 { // 0: a file followed from its end
			at += fmt.Sprintf(":%d", ev.Origin.Line)
		}
		_, err := fmt.Fprintf(w, "%s  %-12s %-5s %s  [%s]\n", ts, ev.Service, strings.ToUpper(string(ev.Level)), msg, at)
		return err
	}
	l := eventLine{Type: "event", Service: ev.Service, Level: string(ev.Level), Message: ev.Message, Fields: ev.Fields, Matched: ev.Matched, Origin: ev.Origin, Raw: ev.Raw}
	if !ev.Time.IsZero() {
		t := ev.Time.UTC()
		l.Time = &t
	}
	if l.Fields == nil {
		l.Fields = map[string]any{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
