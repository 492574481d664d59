package logline

import (
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// parseSyslogPRI reads a line that starts with a syslog priority "<PRI>":
// RFC 5424 when the version "1" follows, else RFC 3164. The level comes
// from the priority's severity.
func (p *parser) parseSyslogPRI(s string) (result, bool) {
	i, pri := 1, 0
	for i < len(s) && i < 4 && isDigit(s[i]) {
		pri = pri*10 + int(s[i]-'0')
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '>' || pri > 191 {
		return result{}, false
	}
	lvl := syslogLevel(pri & 7)
	body := s[i+1:]
	if len(body) >= 2 && body[0] == '1' && body[1] == ' ' {
		if r, ok := p.parse5424(body[2:], lvl); ok {
			return r, true
		}
	}
	if r, ok := p.parseSyslog3164(body, lvl, true); ok {
		return r, true
	}
	// A priority and no header that we know: the rest is the message.
	r := result{rec: Record{Format: FormatSyslog, Level: lvl, Message: body}}
	r.rec.Fields = textPairs(body)
	p.fillFromFields(&r, r.rec.Fields, false)
	return r, true
}

// parseSyslog3164 reads "Jan _2 15:04:05 host tag[pid]: message". After a
// priority (pri true) the stamp may also be RFC 3339, and lvl is the
// priority's level; without one the level is read from the head of the
// message.
func (p *parser) parseSyslog3164(s string, lvl trace.Level, pri bool) (result, bool) {
	if len(s) < 16 {
		return result{}, false
	}
	var c clock
	n, ok := 0, false
	switch {
	case isLetter(s[0]):
		n, ok = scanMonthFirst(s, 0, &c)
	case pri && isDigit(s[0]):
		n, ok = scanISO(s, &c)
		ok = ok && c.hasTime
	}
	if !ok || n >= len(s) || s[n] != ' ' {
		return result{}, false
	}
	r := result{rec: Record{Format: FormatSyslog, Level: lvl}}
	if t, ok := c.resolve(p.loc, p.ref); ok {
		r.rec.Time, r.full = t, c.full()
	}
	host, rest, _ := strings.Cut(s[n+1:], " ")
	p.syslogBody(&r, host, rest, pri)
	return r, true
}

// syslogBody reads "tag[pid]: message" after the host of a line whose
// header r already holds.
func (p *parser) syslogBody(r *result, host, rest string, pri bool) {
	app, pid, msg := syslogTag(rest)
	if !pri {
		if l, m := stripHeader(msg, false); l != trace.LevelNone {
			r.rec.Level, msg = l, m
		}
	}
	fields := p.messageFields(r, msg)
	if r.rec.Service == "" {
		r.rec.Service = app
	}
	if host != "" && host != "-" {
		fields["host"] = host
	}
	if app != "" {
		fields["appname"] = app
	}
	if pid != "" {
		fields["procid"] = pid
	}
	r.rec.Fields = fields
}

// messageFields reads the message of a syslog record: a JSON object in it
// gives its fields and message; otherwise its key=value pairs are the
// fields. Either way the fields supply what r lacks: time, level and
// service (a full-dated JSON time replaces a syslog stamp). It sets
// r.rec.Message and returns the fields, never nil.
func (p *parser) messageFields(r *result, msg string) map[string]any {
	if t := trimLeftSpace(msg); t != "" && t[0] == '{' {
		if m, ok := decodeObject(t); ok {
			jr := p.jsonRecord(m)
			if jr.full {
				r.rec.Time, r.full = jr.rec.Time, true
			}
			if r.rec.Level == trace.LevelNone {
				r.rec.Level = jr.rec.Level
			}
			if jr.rec.Message != "" {
				msg = jr.rec.Message
			}
			r.rec.Service = jr.rec.Service
			r.rec.Message = msg
			return m
		}
	}
	r.rec.Message = msg
	fields := textPairs(msg)
	p.fillFromFields(r, fields, false)
	if fields == nil {
		fields = make(map[string]any, 3)
	}
	return fields
}

// syslogTag splits "app[pid]: message" or "app: message". When the text
// does not start with a tag, all of it is the message.
func syslogTag(s string) (app, pid, msg string) {
	j := 0
	for j < len(s) && j < 48 && s[j] != ' ' && s[j] != ':' && s[j] != '[' {
		j++
	}
	if j == 0 || j >= len(s) {
		return "", "", s
	}
	end := j
	if s[j] == '[' {
		k := strings.IndexByte(s[j:min(len(s), j+24)], ']')
		if k < 0 {
			return "", "", s
		}
		pid = s[j+1 : j+k]
		end = j + k + 1
	}
	if end >= len(s) || s[end] != ':' {
		return "", "", s
	}
	msg = s[end+1:]
	if msg != "" && msg[0] == ' ' {
		msg = msg[1:]
	}
	return s[:j], pid, msg
}

// parse5424 reads the part of an RFC 5424 line after "<PRI>1 ":
// "TIMESTAMP HOST APP PROCID MSGID SD MSG", each header field "-" when
// absent. The parameters of the structured data become fields.
func (p *parser) parse5424(s string, lvl trace.Level) (result, bool) {
	var head [5]string
	for k := range head {
		j := strings.IndexByte(s, ' ')
		if j <= 0 {
			return result{}, false
		}
		head[k], s = s[:j], s[j+1:]
	}
	r := result{rec: Record{Format: FormatSyslog, Level: lvl}}
	if head[0] != "-" {
		var c clock
		n, ok := scanISO(head[0], &c)
		if !ok || n != len(head[0]) {
			return result{}, false
		}
		if t, ok := c.resolve(p.loc, p.ref); ok {
			r.rec.Time, r.full = t, c.full()
		}
	}
	var sd [][2]string
	switch {
	case strings.HasPrefix(s, "-"):
		s = s[1:]
	case strings.HasPrefix(s, "["):
		var ok bool
		if sd, s, ok = structuredData(s); !ok {
			return result{}, false
		}
	default:
		return result{}, false
	}
	if s != "" {
		if s[0] != ' ' {
			return result{}, false
		}
		s = strings.TrimPrefix(s[1:], "\ufeff")
	}
	fields := p.messageFields(&r, s)
	if app := head[2]; r.rec.Service == "" && app != "-" {
		r.rec.Service = app
	}
	for _, kv := range sd {
		if _, dup := fields[kv[0]]; !dup {
			fields[kv[0]] = kv[1]
		}
	}
	for k, name := range [...]string{1: "host", 2: "appname", 3: "procid", 4: "msgid"} {
		if k > 0 && head[k] != "-" {
			fields[name] = head[k]
		}
	}
	r.rec.Fields = fields
	return r, true
}

// structuredData reads RFC 5424 structured data elements
// ("[id name="value" …][…]") at the start of s and returns their
// parameters and the text after them.
func structuredData(s string) ([][2]string, string, bool) {
	var params [][2]string
	for len(s) > 0 && s[0] == '[' {
		i := 1
		for i < len(s) && s[i] != ' ' && s[i] != ']' {
			i++
		}
		if i == 1 || i >= len(s) {
			return nil, "", false
		}
		for s[i] == ' ' {
			i++
			eq := strings.IndexByte(s[i:], '=')
			if eq <= 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
				return nil, "", false
			}
			name := s[i : i+eq]
			j := i + eq + 2
			esc := false
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, "", false
			}
			v := s[i+eq+2 : j]
			if esc {
				v = sdUnescape(v)
			}
			if len(params) < maxPairs {
				params = append(params, [2]string{name, v})
			}
			i = j + 1
			if i >= len(s) {
				return nil, "", false
			}
		}
		if s[i] != ']' {
			return nil, "", false
		}
		s = s[i+1:]
	}
	return params, s, true
}

// sdUnescape removes the backslashes RFC 5424 puts before '"', '\' and ']'.
func sdUnescape(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\' || v[i+1] == ']') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
