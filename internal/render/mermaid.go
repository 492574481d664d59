package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// Mermaid writes the trace as a Mermaid sequence diagram: one participant
// per service in path order, one arrow per hop labelled with its offset
// from the start and the gap, a note over each service with errors, and
// notes with the verifier answers. Names and text from logs are reduced
// to characters Mermaid shows literally (entity codes for #, ;, <, >, and
// quotes; control characters and line breaks as spaces), so a hostile
// name cannot add lines or directives to the diagram. The output can be
// pasted into a ```mermaid block on GitHub.
func Mermaid(w io.Writer, r *trace.Report) error {
	if r == nil {
		return errors.New("render mermaid: nil report")
	}
	t := &r.Trace
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	fmt.Fprintf(&b, "    title %s · %s · %s · %s\n",
		mermaidText(r.Query.ID), plural(len(t.Services), "service", "services"),
		plural(len(t.Events), "event", "events"), plural(t.Errors, "error", "errors"))
	alias := make(map[string]string, len(t.Services))
	for i, s := range t.Services {
		alias[s.Name] = fmt.Sprintf("s%d", i)
		fmt.Fprintf(&b, "    participant s%d as %s\n", i, mermaidText(s.Name))
	}
	if len(t.Services) == 0 {
		b.WriteString("    participant none as no events found\n")
	}
	noted := map[string]bool{}
	errorNote := func(name string) {
		for _, s := range t.Services {
			if s.Name == name && s.Errors > 0 && !noted[name] {
				noted[name] = true
				fmt.Fprintf(&b, "    Note over %s: ✗ %s\n", alias[name], plural(s.Errors, "error", "errors"))
			}
		}
	}
	if len(t.Services) > 0 {
		errorNote(t.Services[0].Name)
	}
	for _, h := range t.Hops {
		from, ok1 := alias[h.From]
		to, ok2 := alias[h.To]
		if !ok1 || !ok2 {
			continue
		}
		label := fmtOffset(h.At.Sub(t.Start))
		if h.Gap > 0 {
			label += " (gap " + fmtDuration(h.Gap) + ")"
		}
		fmt.Fprintf(&b, "    %s->>%s: %s\n", from, to, mermaidText(label))
		errorNote(h.To)
	}
	for _, s := range t.Services {
		errorNote(s.Name)
	}
	for _, v := range r.Verifications {
		a, ok := alias[v.Service]
		if !ok {
			continue
		}
		state := "verified ok"
		if !v.OK {
			state = "verification failed: " + lines(v.Error)[0]
		}
		fmt.Fprintf(&b, "    Note right of %s: %s\n", a, mermaidText(state))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("render mermaid: %w", err)
	}
	return nil
}

// mermaidText makes s safe as a Mermaid label on one line.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '"':
			b.WriteString("#quot;")
		case '%':
			b.WriteString("#37;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "?"
	}
	return truncate(out, 120, "…")
}
