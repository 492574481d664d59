package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

const (
	defaultWidth = 100
	minWidth     = 40
	// levelWidth is the width of the level column ("ERROR").
	levelWidth = 5
	// maxServiceWidth caps the service column; longer names are cut.
	maxServiceWidth = 24
	// minMessageWidth is the least room a message gets, even when the
	// terminal is too narrow for the line.
	minMessageWidth = 20
	// maxIDWidth is how much of an id the summary lines show.
	maxIDWidth = 16
	// maxContinuation is how many continuation lines of a multi-line
	// message are shown without Verbose.
	maxContinuation = 5
	// bigGap is a gap between services that is always marked; a gap of
	// gapFactor times the median gap between services is marked too.
	bigGap    = time.Second
	gapFactor = 10
)

// ANSI SGR parameters.
const (
	sgrBold   = "1"
	sgrDim    = "2"
	sgrRed    = "31"
	sgrYellow = "33"
)

// servicePalette is the set of colours given to services; red and yellow
// are kept for errors and warnings.
func servicePalette() []string {
	return []string{"36", "35", "34", "32", "96", "95", "94", "92"}
}

// glyphs are the decorations of one character set.
type glyphs struct {
	arrow, back, hbar, vbar, cross, ell, dot string
}

func glyphsFor(unicode bool) glyphs {
	if unicode {
		return glyphs{arrow: "→", back: "←", hbar: "─", vbar: "│", cross: "✗", ell: "…", dot: "·"}
	}
	return glyphs{arrow: "->", back: "<-", hbar: "-", vbar: "|", cross: "(x)", ell: "...", dot: "|"}
}

// span is a piece of plain text and the SGR style it is painted with.
type span struct{ text, style string }

// textWriter accumulates the text view of one report.
type textWriter struct {
	opt   Options
	width int
	g     glyphs
	// colors maps service names to their SGR colour.
	colors map[string]string
	b      strings.Builder
}

// Text writes r as a terminal view: a summary (id, services, events, time
// range, errors), the path of services, the linked ids, what was scanned,
// then the timeline with one line per event and a separator at every
// change of service between consecutive events (showing the gap, marked
// when large), then warnings and the elapsed time. The layout follows opt;
// the output is the same for the same report and options.
// Text taken from logs is made safe for a terminal: control characters
// and escape sequences are shown escaped, never interpreted.
func Text(w io.Writer, r *trace.Report, opt Options) error {
	if r == nil {
		return errors.New("render text: nil report")
	}
	t := &textWriter{opt: opt, width: opt.Width, g: glyphsFor(opt.Unicode)}
	if t.width <= 0 {
		t.width = defaultWidth
	}
	t.width = max(t.width, minWidth)
	t.report(r)
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("render text: %w", err)
	}
	return nil
}

func (t *textWriter) report(r *trace.Report) {
	t.assignColors(&r.Trace)
	t.header(r)
	if len(r.Trace.Events) > 0 {
		t.path(&r.Trace)
	}
	t.linked(r)
	t.scanned(&r.Stats)
	t.b.WriteString("\n")
	if len(r.Trace.Events) > 0 {
		t.timeline(r)
		t.b.WriteString("\n")
	}
	t.verifications(r.Verifications)
	t.warnings(r.Warnings)
	t.elapsed(&r.Stats)
}

// paint wraps s in the SGR style when colour is on.
func (t *textWriter) paint(style, s string) string {
	if !t.opt.Color || style == "" || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// serviceStyle is the colour of a service name: the one assigned by
// assignColors, else the one its name hashes to.
func (t *textWriter) serviceStyle(name string) string {
	if c, ok := t.colors[name]; ok {
		return c
	}
	p := servicePalette()
	return p[nameHash(name)%uint32(len(p))]
}

func nameHash(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// assignColors gives each service of tr a colour that depends only on its
// name and on the services before it: the colour its name hashes to, or
// the next one no earlier service took while the palette lasts. A service
// keeps its colour from run to run, and neighbours rarely share one.
func (t *textWriter) assignColors(tr *trace.Trace) {
	p := servicePalette()
	t.colors = make(map[string]string, len(tr.Services))
	taken := make([]bool, len(p))
	add := func(name string) {
		if _, ok := t.colors[name]; ok {
			return
		}
		i := int(nameHash(name) % uint32(len(p)))
		if len(t.colors) < len(p) {
			for taken[i] {
				i = (i + 1) % len(p)
			}
		}
		taken[i] = true
		t.colors[name] = p[i]
	}
	for _, s := range tr.Services {
		add(s.Name)
	}
	for _, e := range tr.Events {
		add(e.Service)
	}
}

// joinWrapped writes prefix followed by items joined by sep, breaking the
// line before an item that would pass the width; continuation lines start
// with indent and the separator without its leading spaces.
func (t *textWriter) joinWrapped(prefix []span, items [][]span, sep string) {
	const indent = "  "
	col := 0
	for _, s := range prefix {
		t.b.WriteString(t.paint(s.style, s.text))
		col += width(s.text)
	}
	for i, item := range items {
		iw := 0
		for _, s := range item {
			iw += width(s.text)
		}
		if i > 0 {
			if col+width(sep)+iw > t.width && col > width(indent) {
				lead := indent + strings.TrimLeft(sep, " ")
				t.b.WriteString("\n" + lead)
				col = width(lead)
			} else {
				t.b.WriteString(sep)
				col += width(sep)
			}
		}
		for _, s := range item {
			t.b.WriteString(t.paint(s.style, s.text))
		}
		col += iw
	}
	t.b.WriteString("\n")
}

func (t *textWriter) sep() string { return " " + t.g.dot + " " }

func (t *textWriter) header(r *trace.Report) {
	tr := &r.Trace
	id := tr.ID
	if id == "" {
		id = r.Query.ID
	}
	prefix := []span{{clean(id), sgrBold}}
	if len(tr.Events) == 0 {
		t.joinWrapped(append(prefix, span{t.sep(), ""}), [][]span{{{"no events found", ""}}}, t.sep())
		return
	}
	items := [][]span{
		{{plural(len(tr.Services), "service", "services"), ""}},
		{{plural(len(tr.Events), "event", "events"), ""}},
		{{t.timeRange(tr), ""}},
	}
	errStyle := ""
	if tr.Errors > 0 {
		errStyle = sgrRed
	}
	items = append(items, []span{{plural(tr.Errors, "error", "errors"), errStyle}})
	if tr.Untimed > 0 {
		items = append(items, []span{{fmt.Sprintf("%d untimed", tr.Untimed), sgrYellow}})
	}
	t.joinWrapped(append(prefix, span{t.sep(), ""}), items, t.sep())
}

// timeRange is the trace's start and end in UTC, the end without its date
// when it falls on the same day, and the duration.
func (t *textWriter) timeRange(tr *trace.Trace) string {
	switch {
	case tr.Start.IsZero():
		return "no timestamps"
	case tr.End.IsZero() || !tr.End.After(tr.Start):
		return fmtStamp(tr.Start, true)
	}
	s, e := tr.Start.UTC(), tr.End.UTC()
	sameDay := s.YearDay() == e.YearDay() && s.Year() == e.Year()
	return fmt.Sprintf("%s %s %s (%s)", fmtStamp(s, true), t.g.arrow, fmtStamp(e, !sameDay), fmtDuration(tr.Duration()))
}

// path writes the services in the order the request reached them, each
// followed by a cross when it logged errors.
func (t *textWriter) path(tr *trace.Trace) {
	items := make([][]span, 0, len(tr.Services))
	for _, s := range tr.Services {
		item := []span{{clean(s.Name), t.serviceStyle(s.Name)}}
		if s.Errors > 0 {
			item = append(item, span{" " + t.g.cross, sgrRed})
		}
		items = append(items, item)
	}
	t.joinWrapped(nil, items, " "+t.g.arrow+" ")
}

// linked writes the linked ids with the services their events came from.
func (t *textWriter) linked(r *trace.Report) {
	if len(r.LinkedIDs) == 0 {
		return
	}
	items := make([][]span, 0, len(r.LinkedIDs))
	for _, l := range r.LinkedIDs {
		item := []span{{t.shortID(l.Key, l.Value), ""}}
		if svcs := linkedServices(r.Trace.Events, l); len(svcs) > 0 {
			item = append(item, span{" (" + strings.Join(svcs, ", ") + ")", sgrDim})
		}
		items = append(items, item)
	}
	t.joinWrapped([]span{{"linked: ", ""}}, items, t.sep())
}

// shortID formats key=value with the value cut to maxIDWidth columns.
func (t *textWriter) shortID(key, value string) string {
	v := truncate(clean(value), maxIDWidth, t.g.ell)
	if key == "" {
		return v
	}
	return clean(key) + "=" + v
}

// linkedServices lists, in timeline order, the services of the events
// matched through l.
func linkedServices(events []trace.Event, l trace.LinkedID) []string {
	var out []string
	for _, e := range events {
		if e.Matched.Key == l.Key && e.Matched.Value == l.Value && !slices.Contains(out, clean(e.Service)) {
			out = append(out, clean(e.Service))
		}
	}
	return out
}

// scanned writes what the sources read and what they left out.
func (t *textWriter) scanned(st *trace.Stats) {
	var files, skipped, failed int
	truncated := false
	for _, s := range st.Sources {
		files += s.Files
		skipped += s.Skipped
		if s.Failed {
			failed++
		}
		truncated = truncated || s.Truncated
	}
	items := [][]span{{{fmt.Sprintf("scanned %s, %s in %s",
		plural(files, "file", "files"), fmtBytes(st.BytesScanned()), fmtSeconds(st.Elapsed)), ""}}}
	if skipped > 0 {
		items = append(items, []span{{fmt.Sprintf("%d skipped", skipped), ""}})
	}
	if failed > 0 {
		items = append(items, []span{{plural(failed, "source", "sources") + " failed", sgrRed}})
	}
	if truncated {
		items = append(items, []span{{"truncated by limits", sgrYellow}})
	} else {
		items = append(items, []span{{"nothing truncated", ""}})
	}
	t.joinWrapped(nil, items, t.sep())
}

// eventRow is one event prepared for the timeline.
type eventRow struct {
	offset  string
	service string
	first   string   // first line of the message, cleaned
	more    []string // continuation lines, raw
	suffix  string
}

// timeline writes one line per event in order, a separator line at each
// change of service, and the continuation lines of multi-line messages.
func (t *textWriter) timeline(r *trace.Report) {
	tr := &r.Trace
	rows := make([]eventRow, len(tr.Events))
	offW, svcW := 0, 0
	for i, e := range tr.Events {
		row := &rows[i]
		row.offset = "?"
		if !e.Time.IsZero() && !tr.Start.IsZero() {
			row.offset = fmtOffset(e.Time.Sub(tr.Start))
		}
		offW = max(offW, width(row.offset))
	}
	// The service column gives way first when the width is short, so
	// that messages keep minMessageWidth columns.
	svcMax := min(maxServiceWidth, max(t.width-(1+offW+2+2+levelWidth+2)-minMessageWidth, 8))
	for i, e := range tr.Events {
		row := &rows[i]
		row.service = truncate(clean(e.Service), svcMax, t.g.ell)
		if row.service == "" {
			row.service = "-"
		}
		msg := lines(e.Message)
		row.first = clean(msg[0])
		row.more = msg[1:]
		row.suffix = t.suffix(e, r.LinkedIDs)
		svcW = max(svcW, width(row.service))
	}
	msgCol := 1 + offW + 2 + svcW + 2 + levelWidth + 2
	avail := t.width - msgCol
	// A suffix takes at most half the message room and is dropped when
	// the message would be left less than minMessageWidth. Suffixes line
	// up in one column after the longest message that has one, as far
	// right as the widest suffix allows; a message too long for that
	// column is cut to leave room for its own suffix.
	sufW, sufCol := 0, 0
	for i := range rows {
		row := &rows[i]
		if row.suffix == "" {
			continue
		}
		row.suffix = truncate(row.suffix, max(avail/2, maxIDWidth), t.g.ell)
		if avail-width(row.suffix)-2 < minMessageWidth {
			row.suffix = ""
			continue
		}
		sufW = max(sufW, width(row.suffix))
		sufCol = max(sufCol, width(row.first)+2)
	}
	sufCol = min(sufCol, avail-sufW)
	indent := strings.Repeat(" ", msgCol)
	marked := t.gapRule(tr.Events)

	for i, e := range tr.Events {
		row := &rows[i]
		if i > 0 && tr.Events[i-1].Service != e.Service {
			t.hop(tr.Events[i-1], e, marked)
		}
		lvlStyle, msgStyle := levelStyles(e.Level)
		var line strings.Builder
		line.WriteString(" ")
		line.WriteString(padLeft(row.offset, offW))
		line.WriteString("  ")
		line.WriteString(t.paint(t.serviceStyle(e.Service), row.service))
		line.WriteString(strings.Repeat(" ", svcW-width(row.service)))
		line.WriteString("  ")
		line.WriteString(t.paint(lvlStyle, padRight(strings.ToUpper(clean(string(e.Level))), levelWidth)))
		line.WriteString("  ")
		var wrapped []string
		if row.suffix == "" {
			wrapped = wrapLine(row.first, max(avail, minMessageWidth), maxWrapped, t.g.ell)
			line.WriteString(t.paint(msgStyle, wrapped[0]))
		} else {
			wrapped = wrapLine(row.first, max(avail-width(row.suffix)-2, minMessageWidth), maxWrapped, t.g.ell)
			msg := wrapped[0]
			line.WriteString(t.paint(msgStyle, msg))
			line.WriteString(strings.Repeat(" ", max(sufCol-width(msg), 2)))
			line.WriteString(t.paint(sgrDim, row.suffix))
		}
		t.b.WriteString(strings.TrimRight(line.String(), " "))
		t.b.WriteString("\n")
		for _, l := range wrapped[1:] {
			t.b.WriteString(strings.TrimRight(indent+t.paint(msgStyle, l), " ") + "\n")
		}

		more := row.more
		hidden := 0
		if !t.opt.Verbose && len(more) > maxContinuation {
			more, hidden = more[:maxContinuation], len(more)-maxContinuation
		}
		bar := t.paint(sgrDim, t.g.vbar)
		for _, l := range more {
			text := truncate(clean(l), max(avail-2, minMessageWidth), t.g.ell)
			t.b.WriteString(strings.TrimRight(indent+bar+" "+t.paint(msgStyle, text), " ") + "\n")
		}
		if hidden > 0 {
			t.b.WriteString(indent + bar + " " + t.paint(sgrDim, t.g.ell+" "+plural(hidden, "more line", "more lines")) + "\n")
		}
		if t.opt.Verbose {
			t.b.WriteString(indent + t.paint(sgrDim, "origin: "+t.origin(e)) + "\n")
			if strings.Contains(strings.TrimRight(e.Raw, "\r\n"), "\n") {
				t.b.WriteString(indent + t.paint(sgrDim, "raw:") + "\n")
				for _, l := range lines(e.Raw) {
					t.b.WriteString(strings.TrimRight(indent+bar+" "+clean(l), " ") + "\n")
				}
			}
		}
	}
}

// maxWrapped is how many lines the first line of a message may wrap to
// before it is cut.
const maxWrapped = 3

// wrapLine breaks s into lines of at most w columns, at spaces where it
// can (a word longer than w is cut where it reaches w), into at most n
// lines; the last line ends with ell when text is left over. s must be
// clean (no control characters).
func wrapLine(s string, w, n int, ell string) []string {
	var out []string
	rest := s
	for rest != "" {
		if width(rest) <= w {
			return append(out, rest)
		}
		if len(out) == n-1 {
			return append(out, truncate(rest, w, ell))
		}
		space, end, col := -1, len(rest), 0
		for i, r := range rest {
			rw := runeWidth(r)
			if col+rw > w {
				end = i
				break
			}
			col += rw
			if r == ' ' {
				space = i
			}
		}
		cut := end
		if space > 0 {
			cut = space
		}
		out = append(out, strings.TrimRight(rest[:cut], " "))
		rest = strings.TrimLeft(rest[cut:], " ")
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// suffix is the note at the end of an event's line: the key through
// which a linked id reached it, and the linked ids first seen in it.
func (t *textWriter) suffix(e trace.Event, linked []trace.LinkedID) string {
	var parts []string
	if e.Matched.Via != "" {
		via := e.Matched.Key
		if via == "" {
			via = truncate(clean(e.Matched.Value), maxIDWidth, t.g.ell)
		}
		parts = append(parts, t.g.back+" via "+clean(via))
	}
	for _, l := range linked {
		if l.From == e.Origin && l.From != (trace.Origin{}) {
			parts = append(parts, t.shortID(l.Key, l.Value))
		}
	}
	return strings.Join(parts, "  ")
}

// origin formats where an event came from and why it matched.
func (t *textWriter) origin(e trace.Event) string {
	o := e.Origin
	loc := clean(o.Source)
	switch {
	case o.Path != "" && o.Line > 0:
		loc += " " + clean(o.Path) + ":" + strconv.FormatInt(o.Line, 10)
	case o.Path != "":
		loc += " " + clean(o.Path)
	case o.Line > 0:
		loc += ":" + strconv.FormatInt(o.Line, 10)
	}
	m := e.Matched
	if m.Value == "" {
		return loc
	}
	loc += " " + t.g.dot + " matched "
	if m.Key != "" {
		loc += clean(m.Key) + "="
	}
	loc += clean(m.Value)
	if m.Via != "" {
		loc += " via " + clean(m.Via)
	}
	return loc
}

// gapRule returns the predicate that says whether a gap between services
// is marked: at least bigGap, or at least gapFactor times the median gap
// between services when there are three or more of them.
func (t *textWriter) gapRule(events []trace.Event) func(time.Duration) bool {
	var gaps []time.Duration
	for i := 1; i < len(events); i++ {
		a, b := events[i-1], events[i]
		if a.Service != b.Service && !a.Time.IsZero() && !b.Time.IsZero() {
			gaps = append(gaps, b.Time.Sub(a.Time))
		}
	}
	var median time.Duration
	if len(gaps) >= 3 {
		slices.Sort(gaps)
		median = gaps[len(gaps)/2]
		if len(gaps)%2 == 0 {
			median = (gaps[len(gaps)/2-1] + gaps[len(gaps)/2]) / 2
		}
	}
	return func(gap time.Duration) bool {
		return gap >= bigGap || (median > 0 && gap >= gapFactor*median)
	}
}

// hop writes the separator between the last event of one service and the
// first of the next: the gap between them and the change of service.
func (t *textWriter) hop(from, to trace.Event, marked func(time.Duration) bool) {
	label, style := "+?", sgrDim
	if !from.Time.IsZero() && !to.Time.IsZero() {
		gap := to.Time.Sub(from.Time)
		label = fmtOffset(gap)
		if marked(gap) {
			label, style = "gap "+fmtDuration(gap), sgrYellow
		}
	}
	left := " " + t.g.hbar + t.g.hbar + " " + label + " "
	right := " " + truncate(clean(from.Service), maxServiceWidth, t.g.ell) + " " + t.g.arrow + " " +
		truncate(clean(to.Service), maxServiceWidth, t.g.ell)
	fill := max((t.width-width(left)-width(right))/width(t.g.hbar), 3)
	t.b.WriteString(t.paint(style, left+strings.Repeat(t.g.hbar, fill)+right) + "\n")
}

// levelStyles gives the styles of the level column and of the message.
func levelStyles(l trace.Level) (level, message string) {
	switch l {
	case trace.LevelError, trace.LevelFatal:
		return sgrBold + ";" + sgrRed, sgrRed
	case trace.LevelWarn:
		return sgrYellow, ""
	case trace.LevelDebug, trace.LevelTrace:
		return sgrDim, sgrDim
	}
	return "", ""
}

// verifications writes one line per verifier answer: the service, ok or
// what failed, and the answer as compact JSON cut to the width; with
// Verbose also the endpoint.
func (t *textWriter) verifications(vs []trace.Verification) {
	if len(vs) == 0 {
		return
	}
	t.b.WriteString("verified:\n")
	name := 0
	for _, v := range vs {
		name = max(name, width(clean(v.Service)))
	}
	name = min(name, maxServiceWidth)
	for _, v := range vs {
		svc := padRight(truncate(clean(v.Service), name, t.g.ell), name)
		line := "  " + t.paint(t.serviceStyle(v.Service), svc) + "  "
		var rest string
		if v.OK {
			line += t.paint(sgrBold, "ok") + "      "
			rest = fmt.Sprintf("HTTP %d %s", v.Status, compactJSON(v.Response))
		} else {
			line += t.paint(sgrRed, "failed") + "  "
			rest = clean(lines(v.Error)[0])
		}
		rest += " (" + fmtSeconds(v.Elapsed) + ")"
		room := max(t.width-width(svc)-12, minMessageWidth)
		t.b.WriteString(line + truncate(clean(rest), room, t.g.ell) + "\n")
		if t.opt.Verbose && v.Endpoint != "" {
			t.b.WriteString("    " + clean(v.Endpoint) + "\n")
		}
	}
}

// compactJSON encodes v on one line with keys sorted; "{}" for nil.
func compactJSON(v map[string]any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// warnings writes each warning with its source.
func (t *textWriter) warnings(ws []trace.Warning) {
	if len(ws) == 0 {
		return
	}
	t.b.WriteString(t.paint(sgrYellow, "warnings:") + "\n")
	for _, w := range ws {
		ls := lines(w.Message)
		first := "  "
		if w.Source != "" {
			first += clean(w.Source) + ": "
		}
		t.b.WriteString(first + clean(ls[0]) + "\n")
		for _, l := range ls[1:] {
			t.b.WriteString(strings.TrimRight("    "+clean(l), " ") + "\n")
		}
	}
}

// elapsed writes the time the trace took; with Verbose also the passes,
// the time per stage and what each source did.
func (t *textWriter) elapsed(st *trace.Stats) {
	line := "elapsed " + fmtSeconds(st.Elapsed)
	if t.opt.Verbose {
		if st.Passes > 0 {
			line += " in " + plural(st.Passes, "pass", "passes")
		}
		if len(st.Stages) > 0 {
			parts := make([]string, len(st.Stages))
			for i, s := range st.Stages {
				parts[i] = clean(s.Name) + " " + fmtSeconds(s.Elapsed)
			}
			line += " (" + strings.Join(parts, t.sep()) + ")"
		}
	}
	t.b.WriteString(line + "\n")
	if !t.opt.Verbose {
		return
	}
	for _, s := range st.Sources {
		parts := []string{plural(s.Files, "file", "files"), fmtBytes(s.Bytes), plural(s.Records, "record", "records")}
		if s.Skipped > 0 {
			parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
		}
		if s.Truncated {
			parts = append(parts, t.paint(sgrYellow, "truncated"))
		}
		if s.Failed {
			msg := "failed"
			if s.Error != "" {
				msg += ": " + clean(lines(s.Error)[0])
			}
			parts = append(parts, t.paint(sgrRed, msg))
		}
		parts = append(parts, fmtSeconds(s.Elapsed))
		t.b.WriteString("  " + clean(s.Source) + ": " + strings.Join(parts, t.sep()) + "\n")
	}
}
