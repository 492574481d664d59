package logline

import (
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// Options tells Parse what the bytes cannot.
type Options struct {
	// Location is the zone of timestamps that carry none; nil means UTC.
	Location *time.Location
	// ModTime is the file's modification time: the reference from which
	// the year of RFC 3164 syslog stamps (which have none) is inferred.
	// The stamp takes the year of ModTime, or the year before when that
	// would put it more than 24 hours after ModTime. Zero means now.
	ModTime time.Time
}

// Format names the layout a record was read as.
type Format string

// The formats Parse recognises.
const (
	FormatJSON   Format = "json"
	FormatLogfmt Format = "logfmt"
	FormatText   Format = "text"
	FormatAccess Format = "access"
	FormatSyslog Format = "syslog"
	FormatDocker Format = "docker"
	FormatCRI    Format = "cri"
)

// Record is what Parse found. Time is UTC, zero when no time was found.
type Record struct {
	Time time.Time
	// Level is normalised: trace, debug, info, warn, error, fatal or "".
	Level trace.Level
	// Message is the msg/message field, or the text after the header;
	// continuation lines of a multi-line record follow it, each after "\n".
	Message string
	// Fields is the JSON object as decoded (nested map[string]any, numbers
	// as json.Number), the logfmt pairs as strings, or for the text formats
	// the key=value pairs found in the message (strings) with what the
	// header names (syslog "host", "appname", "procid", "msgid" and the
	// structured data's parameters; the access log's "remote_addr",
	// "request", "status" …). Docker and CRI records have the fields of
	// the inner line and the runtime's "stream". It may be nil.
	Fields map[string]any
	// Service is the value of a service field when the record has one,
	// else the syslog app name or the Docker Compose service, else "".
	Service string
	Format  Format
}

// parser carries the options through one Parse call.
type parser struct {
	loc *time.Location
	ref time.Time
}

// result is a record with what Parse needs to know about its time.
type result struct {
	rec Record
	// full says rec.Time came from a timestamp with year, month and day.
	full bool
}

// Parse reads one record: its first line and any continuation lines,
// joined by '\n', without a final newline. The first line decides the
// format; the continuation lines are appended to the message (for Docker
// and CRI lines, their inner text). Parse never panics; its work is linear
// in the size of data.
func Parse(data []byte, opt Options) Record {
	return ParseString(string(data), opt)
}

// FromBody reads from a log store row's message text what the row itself
// did not give: it parses body and returns the level, the service and
// the message found there (body itself when the text has no separate
// message), and adds to fields the parsed fields the row does not have.
func FromBody(body string, fields map[string]any, opt Options) (level trace.Level, service, message string) {
	p := ParseString(body, opt)
	message = body
	if p.Message != "" {
		message = p.Message
	}
	for k, v := range p.Fields {
		if _, have := fields[k]; !have {
			fields[k] = v
		}
	}
	return p.Level, p.Service, message
}

// ParseString is Parse of a record held in a string. The strings of the
// Record (message, field names and values, service) share s's memory
// where they are parts of it, so a caller that keeps s anyway keeps one
// copy of the record's bytes, not two.
func ParseString(s string, opt Options) Record {
	p := parser{loc: opt.Location, ref: opt.ModTime}
	if p.loc == nil {
		p.loc = time.UTC
	}
	first, rest, more := nextLine(s)
	if w, ok := p.unwrap(first); ok {
		return p.container(w, rest, more)
	}
	r := p.parseLine(first)
	if more {
		r.rec.Message = appendLines(r.rec.Message, rest)
	}
	return r.rec
}

// parseLine reads one line that is not a container runtime's wrapper.
func (p *parser) parseLine(s string) result {
	s = strings.TrimPrefix(s, "\ufeff")
	t := trimLeftSpace(s)
	if t != "" {
		switch t[0] {
		case '{':
			if m, ok := decodeObject(t); ok {
				return p.jsonRecord(m)
			}
		case '<':
			if r, ok := p.parseSyslogPRI(t); ok {
				return r
			}
		}
	}
	if r, ok := p.parseSyslog3164(s, trace.LevelNone, false); ok {
		return r
	}
	if r, ok := p.parseAccess(s); ok {
		return r
	}
	if r, ok := p.parseGlog(s); ok {
		return r
	}
	return p.parseText(s)
}

// jsonRecord reads the parts of a decoded JSON object.
func (p *parser) jsonRecord(m map[string]any) result {
	r := result{rec: Record{Format: FormatJSON, Fields: m}}
	p.fillFromFields(&r, m, true)
	return r
}

// nextLine splits s at its first '\n' and drops a '\r' before it; more
// says a '\n' was found.
func nextLine(s string) (line, rest string, more bool) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return trimCR(s), "", false
	}
	return trimCR(s[:i]), s[i+1:], true
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

// appendLines appends the lines of rest to msg, each after "\n", without
// their '\r'.
func appendLines(msg, rest string) string {
	if strings.IndexByte(rest, '\r') < 0 {
		return msg + "\n" + rest
	}
	var b strings.Builder
	b.Grow(len(msg) + 1 + len(rest))
	b.WriteString(msg)
	for more := true; more; {
		var line string
		line, rest, more = nextLine(rest)
		b.WriteByte('\n')
		b.WriteString(line)
	}
	return b.String()
}

func trimLeftSpace(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}

func trimRightSpace(s string) string {
	i := len(s)
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
		i--
	}
	return s[:i]
}
