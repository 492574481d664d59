package logline

import (
	"strings"
	"time"
)

// wrapped is one line of a container runtime's log file with the
// application's line inside it.
type wrapped struct {
	kind   Format
	inner  string // the application's line, without its newline
	stream string // stdout or stderr
	time   time.Time
	// partial says the runtime split a long line and inner goes on in the
	// next record of the file, with no newline between.
	partial bool
	// service is a Docker Compose service named in the record's attrs.
	service string
}

// unwrap recognises a Docker json-file record ({"log":…,"stream":…,
// "time":…}) or a CRI line ("<RFC 3339> stdout F <line>").
func (p *parser) unwrap(line string) (wrapped, bool) {
	if strings.HasPrefix(line, `{"log":`) {
		return p.unwrapDocker(line)
	}
	return p.unwrapCRI(line)
}

// unwrapDocker reads a Docker json-file record. Docker writes the "log"
// key first, which unwrap relies on to leave other JSON lines alone.
func (p *parser) unwrapDocker(line string) (wrapped, bool) {
	m, ok := decodeObject(line)
	if !ok {
		return wrapped{}, false
	}
	log, ok1 := m["log"].(string)
	stream, ok2 := m["stream"].(string)
	if !ok1 || !ok2 {
		return wrapped{}, false
	}
	w := wrapped{kind: FormatDocker, stream: stream, inner: log, partial: true}
	if strings.HasSuffix(log, "\n") {
		w.inner, w.partial = trimCR(log[:len(log)-1]), false
		// Most lines hold no escape but their final \n: then the line is
		// the record's own bytes, and what is parsed out of it shares
		// them instead of a decoded copy.
		const at = len(`{"log":"`)
		if n := len(w.inner); strings.HasPrefix(line, `{"log":"`) && strings.HasPrefix(line[at:], w.inner) && strings.HasPrefix(line[at+n:], `\n"`) {
			w.inner = line[at : at+n]
		}
	}
	if ts, ok := m["time"]; ok {
		w.time, _ = valueTime(ts, time.UTC, p.ref)
	}
	if attrs, ok := m["attrs"].(map[string]any); ok {
		w.service, _ = attrs["com.docker.compose.service"].(string)
	}
	return w, true
}

// unwrapCRI reads a line of the CRI log format:
// "2016-10-06T00:17:09.669794202Z stdout F <line>", where the tag is F for
// a full line and P for a part of a longer one.
func (p *parser) unwrapCRI(line string) (wrapped, bool) {
	n, ok := criPrefix(line)
	if !ok {
		return wrapped{}, false
	}
	var c clock
	end, ok := scanISO(line, &c)
	if !ok || !c.zoned || end != strings.IndexByte(line, ' ') {
		return wrapped{}, false
	}
	t, ok := c.resolve(time.UTC, p.ref)
	if !ok {
		return wrapped{}, false
	}
	w := wrapped{kind: FormatCRI, time: t, stream: line[end+1 : end+7], partial: line[end+8] == 'P'}
	if n < len(line) {
		w.inner = line[n+1:]
	}
	return w, true
}

// criPrefix checks the shape of a CRI line's header without reading the
// time, and returns where the header ends (at the space before the line,
// or at the end). It does not allocate.
func criPrefix[T string | []byte](line T) (int, bool) {
	if len(line) < 29 {
		return 0, false
	}
	for i := 0; i < 19; i++ {
		c := line[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return 0, false
			}
		case 10:
			if c != 'T' {
				return 0, false
			}
		case 13, 16:
			if c != ':' {
				return 0, false
			}
		default:
			if !isDigit(c) {
				return 0, false
			}
		}
	}
	// Fraction and zone, up to the space before the stream.
	sp := -1
	for i := 19; i < len(line) && i < 40; i++ {
		c := line[i]
		if c == ' ' {
			sp = i
			break
		}
		if !isDigit(c) && c != '.' && c != 'Z' && c != '+' && c != '-' && c != ':' {
			return 0, false
		}
	}
	if sp < 0 || sp+8 > len(line) {
		return 0, false
	}
	st := line[sp+1 : sp+8]
	if string(st) != "stdout " && string(st) != "stderr " {
		return 0, false
	}
	// Tags: upper-case letters separated by ':'.
	i := sp + 8
	if i >= len(line) || line[i] < 'A' || line[i] > 'Z' {
		return 0, false
	}
	for i < len(line) && (line[i] >= 'A' && line[i] <= 'Z' || line[i] == ':') {
		i++
	}
	if i < len(line) && line[i] != ' ' {
		return 0, false
	}
	return i, true
}

// container parses a record of a container runtime's file: the inner line
// of the first record (with any parts that follow it) is parsed as a
// record of its own, and the inner text of the continuation lines is
// appended to its message.
func (p *parser) container(w wrapped, rest string, more bool) Record {
	inner := w.inner
	if w.partial && more {
		var b strings.Builder
		b.WriteString(inner)
		for partial := true; partial && more; {
			line, r, m := nextLine(rest)
			w2, ok := p.unwrap(line)
			if !ok || w2.kind != w.kind {
				break
			}
			b.WriteString(w2.inner)
			partial, rest, more = w2.partial, r, m
		}
		inner = b.String()
	}
	r := p.parseLine(inner)
	if !r.full && !w.time.IsZero() {
		r.rec.Time = w.time
	}
	if r.rec.Fields == nil {
		r.rec.Fields = make(map[string]any, 1)
	}
	r.rec.Fields["stream"] = w.stream
	if r.rec.Service == "" {
		r.rec.Service = w.service
	}
	r.rec.Format = w.kind
	if !more {
		return r.rec
	}
	var b strings.Builder
	b.Grow(len(r.rec.Message) + len(rest)/2)
	b.WriteString(r.rec.Message)
	join := false
	for more {
		var line string
		line, rest, more = nextLine(rest)
		text, partial := line, false
		if w2, ok := p.unwrap(line); ok {
			text, partial = w2.inner, w2.partial
		}
		if !join {
			b.WriteByte('\n')
		}
		b.WriteString(text)
		join = partial
	}
	r.rec.Message = b.String()
	return r.rec
}
