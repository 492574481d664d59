// Package render turns a trace report into output for people and programs:
// a terminal timeline (text), a stable JSON document (json), a
// self-contained HTML report (html), newline-delimited JSON (ndjson), CSV
// (csv) and a Mermaid sequence diagram (mermaid). Each format
// lives in its own file and is listed once in the formats table.
package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// ErrUnknownFormat is returned by Write for a format name that Formats does
// not list.
var ErrUnknownFormat = errors.New("unknown format")

// Options control the text rendering. The zero value gives plain text with
// ASCII decorations, no colour, at a width of 100 columns.
type Options struct {
	// Color enables ANSI colour. The caller decides: a terminal and no
	// NO_COLOR in the environment.
	Color bool
	// Unicode enables arrows, box-drawing characters and the ellipsis;
	// false uses ASCII ("->", "--", "...").
	Unicode bool
	// Verbose adds each event's origin, the raw record of multi-line
	// events, and the time spent per stage and per source.
	Verbose bool
	// Width is the terminal width used to truncate and wrap lines; 0 or
	// less means 100, and widths under 40 count as 40.
	Width int
}

// format is one entry of the formats table.
type format struct {
	name  string
	write func(io.Writer, *trace.Report, Options) error
}

// formats is the table of output formats, in display order.
func formats() []format {
	return []format{
		{"text", Text},
		{"json", func(w io.Writer, r *trace.Report, _ Options) error { return JSON(w, r) }},
		{"html", func(w io.Writer, r *trace.Report, _ Options) error { return HTML(w, r) }},
		{"ndjson", func(w io.Writer, r *trace.Report, _ Options) error { return NDJSON(w, r) }},
		{"csv", func(w io.Writer, r *trace.Report, _ Options) error { return CSV(w, r) }},
		{"mermaid", func(w io.Writer, r *trace.Report, _ Options) error { return Mermaid(w, r) }},
	}
}

// Formats lists the format names Write accepts, in display order.
func Formats() []string {
	fs := formats()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// Write renders r to w in the named format (matched case-insensitively).
// An unknown name yields an error wrapping ErrUnknownFormat that lists the
// choices; errors from w are returned wrapped.
func Write(w io.Writer, name string, r *trace.Report, opt Options) error {
	for _, f := range formats() {
		if strings.EqualFold(f.name, name) {
			return f.write(w, r, opt)
		}
	}
	return fmt.Errorf("render: %w %q (choose one of: %s)", ErrUnknownFormat, name, strings.Join(Formats(), ", "))
}
