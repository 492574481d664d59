package logline

import (
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// parseText reads a line of free text with an optional leading timestamp
// (see leadingStamp). After the timestamp, a JSON object or logfmt pairs
// are read as such, and "host app[pid]: message" as syslog. Otherwise the
// header (level word, thread, logger) is stripped from the message and
// the key=value pairs of the message are its fields. A line of logfmt
// pairs alone is logfmt.
func (p *parser) parseText(s string) result {
	r := result{rec: Record{Format: FormatText}}
	if r2, ok := p.parseRuby(s); ok {
		return r2
	}
	var c clock
	body := s
	n, stamped := leadingStamp(s, &c)
	if stamped {
		if t, ok := c.resolve(p.loc, p.ref); ok {
			r.rec.Time, r.full = t, c.full()
		}
		body = s[n:]
		rest := trimLeftSpace(body)
		if rest != "" && rest[0] == '{' {
			if m, ok := decodeObject(rest); ok {
				return p.withTime(p.jsonRecord(m), r)
			}
		}
		if m := logfmtPairs(rest); m != nil {
			return p.withTime(p.logfmtRecord(m), r)
		}
		if c.full() && s[0] != '[' {
			if r2, ok := p.isoSyslog(rest, r); ok {
				return r2
			}
		}
	} else if m := logfmtPairs(s); m != nil {
		return p.logfmtRecord(m)
	}
	lvl, msg := stripHeader(body, stamped)
	r.rec.Level = lvl
	r.rec.Message = msg
	r.rec.Fields = p.textFields(&r, msg)
	p.fillFromFields(&r, r.rec.Fields, false)
	return r
}

// withTime gives r the time of the header h when r has no time of its own.
func (p *parser) withTime(r, h result) result {
	if r.rec.Time.IsZero() {
		r.rec.Time, r.full = h.rec.Time, h.full
	}
	return r
}

// logfmtRecord reads the parts of logfmt pairs.
func (p *parser) logfmtRecord(m map[string]any) result {
	r := result{rec: Record{Format: FormatLogfmt, Fields: m}}
	p.fillFromFields(&r, m, true)
	return r
}

// textFields returns the key=value pairs of a text message and, when the
// message ends with a JSON object after a tab (as zap's console encoder
// writes its fields), that object's fields too; the object is then cut
// from the message.
func (p *parser) textFields(r *result, msg string) map[string]any {
	if len(msg) > 2 && msg[len(msg)-1] == '}' {
		if i := strings.Index(msg, "\t{"); i >= 0 {
			if m, ok := decodeObject(msg[i+1:]); ok {
				r.rec.Message = trimRightSpace(msg[:i])
				for k, v := range textPairs(r.rec.Message) {
					if _, dup := m[k]; !dup {
						m[k] = v
					}
				}
				return m
			}
		}
	}
	return textPairs(msg)
}

// isoSyslog reads "host app[pid]: message" after an RFC 3339 stamp, as
// rsyslog writes with high-precision timestamps. The process id is
// required, so that ordinary text is not taken for a host and a tag.
func (p *parser) isoSyslog(s string, h result) (result, bool) {
	host, rest, ok := strings.Cut(s, " ")
	if !ok || host == "" || textLevel(host) != trace.LevelNone {
		return result{}, false
	}
	if _, pid, _ := syslogTag(rest); pid == "" || !allDigits(pid) {
		return result{}, false
	}
	r := h
	r.rec.Format = FormatSyslog
	p.syslogBody(&r, host, rest, false)
	return r, true
}

// parseGlog reads the header of glog and klog:
// "I0102 15:04:05.123456   12345 file.go:12] message". The letter is the
// level (I, W, E, F); the year is inferred as for syslog.
func (p *parser) parseGlog(s string) (result, bool) {
	if len(s) < 22 || s[5] != ' ' {
		return result{}, false
	}
	var lvl trace.Level
	switch s[0] {
	case 'I':
		lvl = trace.LevelInfo
	case 'W':
		lvl = trace.LevelWarn
	case 'E':
		lvl = trace.LevelError
	case 'F':
		lvl = trace.LevelFatal
	default:
		return result{}, false
	}
	mo, ok1 := num(s, 1, 2)
	d, ok2 := num(s, 3, 2)
	if !ok1 || !ok2 {
		return result{}, false
	}
	c := clock{hasDate: true, month: mo, day: d}
	n, ok := scanTimeOfDay(s, 6, &c)
	if !ok {
		return result{}, false
	}
	end := strings.IndexByte(s[n:min(len(s), n+160)], ']')
	if end < 0 {
		return result{}, false
	}
	r := result{rec: Record{Format: FormatText, Level: lvl}}
	if t, ok := c.resolve(p.loc, p.ref); ok {
		r.rec.Time = t
	}
	msg := s[n+end+1:]
	if msg != "" && msg[0] == ' ' {
		msg = msg[1:]
	}
	r.rec.Message = msg
	r.rec.Fields = textPairs(msg)
	p.fillFromFields(&r, r.rec.Fields, false)
	return r, true
}

// parseRuby reads the header of Ruby's Logger:
// "I, [2006-01-02T15:04:05.000000 #1234]  INFO -- progname: message".
func (p *parser) parseRuby(s string) (result, bool) {
	if len(s) < 30 || s[1] != ',' || s[2] != ' ' || s[3] != '[' {
		return result{}, false
	}
	var c clock
	n, ok := scanISO(s[4:], &c)
	if !ok || !c.hasTime {
		return result{}, false
	}
	end := strings.IndexByte(s[4+n:min(len(s), 4+n+24)], ']')
	if end < 0 {
		return result{}, false
	}
	rest := trimLeftSpace(s[4+n+end+1:])
	word, rest, _ := strings.Cut(rest, " ")
	r := result{rec: Record{Format: FormatText, Level: NormalizeLevel(word)}}
	if t, ok := c.resolve(p.loc, p.ref); ok {
		r.rec.Time, r.full = t, true
	}
	rest = strings.TrimPrefix(trimLeftSpace(rest), "-- ")
	if i := strings.Index(rest, ": "); i >= 0 && !strings.Contains(rest[:i], " ") {
		rest = rest[i+2:]
	} else if strings.HasPrefix(rest, ": ") {
		rest = rest[2:]
	}
	r.rec.Message = trimRightSpace(rest)
	r.rec.Fields = textPairs(r.rec.Message)
	p.fillFromFields(&r, r.rec.Fields, false)
	return r, true
}

// stripHeader finds the level at the head of a text line (after its
// timestamp when stamped) and returns it with the message: the text after
// the header. The header is made of, in any order and at most a few of
// each: a level word (INFO, [WARN], <error>, level=info, "ERROR:"), a
// [thread] or [context] in brackets, a process id before "---", and one
// logger name ("com.foo.Bar - ", "App   : ", "main.go:12", Python's
// "- name - INFO -" and "INFO:name:"), with the separators between
// them (" - ", " | ", " : ", "---"). Brackets and loggers count as header
// only after a timestamp or a level, or just before a level.
func stripHeader(s string, stamped bool) (trace.Level, string) {
	lvl := trace.LevelNone
	start := 0
	if stamped {
		start = skipSeps(s, 0)
	}
	i := start
	brackets := 0
loop:
	for tokens := 0; tokens < 8 && i < len(s); tokens++ {
		switch s[i] {
		case '[':
			end := strings.IndexByte(s[i+1:min(len(s), i+81)], ']')
			if end < 0 {
				break loop
			}
			inner := strings.TrimSpace(s[i+1 : i+1+end])
			next := i + end + 2
			if l := bracketLevel(inner); l != trace.LevelNone && lvl == trace.LevelNone {
				lvl = l
			} else if brackets < 2 && inner != "" && (stamped || lvl != trace.LevelNone || levelAt(s, skipSeps(s, next))) {
				brackets++
			} else {
				break loop
			}
			i = next
		case '<':
			end := strings.IndexByte(s[i+1:min(len(s), i+16)], '>')
			if end < 0 || lvl != trace.LevelNone {
				break loop
			}
			l := levelWord(s[i+1 : i+1+end])
			if l == trace.LevelNone {
				break loop
			}
			lvl = l
			i += end + 2
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			w := s[i:j]
			if lvl == trace.LevelNone {
				if l, n := wordLevel(s, i, j); l != trace.LevelNone {
					lvl, i = l, n
					break
				}
				// Python's "- name - LEVEL -": a name before the level.
				if stamped && simpleName(w) && strings.HasPrefix(s[j:], " - ") && levelAt(s, skipSeps(s, j)) {
					i = j
					break
				}
				break loop
			}
			if allDigits(w) && strings.HasPrefix(trimLeftSpace(s[j:]), "---") {
				i = j // Spring Boot's process id
				break
			}
			if n, ok := loggerEnd(s, i, j); ok {
				start = n
				break loop
			}
			break loop
		}
		start = skipSeps(s, i)
		i = start
	}
	return lvl, trimRightSpace(s[start:])
}

// wordLevel reads a level word at s[i:j] ("INFO", "WARNING:", "level=info",
// Python's "INFO:name:") and returns the level and where it ends.
func wordLevel(s string, i, j int) (trace.Level, int) {
	w := s[i:j]
	if k := strings.IndexByte(w, '='); k > 0 {
		switch w[:k] {
		case "level", "lvl", "severity", "loglevel":
			return NormalizeLevel(strings.Trim(w[k+1:], `"`)), j
		}
		return trace.LevelNone, i
	}
	k := strings.IndexByte(w, ':')
	if k < 0 {
		return textLevel(w), j
	}
	l := textLevel(w[:k])
	if l == trace.LevelNone {
		return l, i
	}
	// "INFO:name:message"
	rest := w[k+1:]
	if m := strings.IndexByte(rest, ':'); m > 0 && simpleName(rest[:m]) {
		return l, i + k + 1 + m + 1
	}
	return l, i + k + 1
}

// bracketLevel reads a level in brackets: "WARN", "level=warn" or
// Apache's "module:error".
func bracketLevel(inner string) trace.Level {
	if l := levelWord(inner); l != trace.LevelNone {
		return l
	}
	if k := strings.LastIndexByte(inner, ':'); k >= 0 && k+1 < len(inner) {
		return levelWord(inner[k+1:])
	}
	if k := strings.IndexByte(inner, '='); k > 0 {
		switch inner[:k] {
		case "level", "lvl", "severity":
			return NormalizeLevel(inner[k+1:])
		}
	}
	return trace.LevelNone
}

// levelAt reports whether a level word or a bracketed level starts at
// s[i:].
func levelAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if s[i] == '[' {
		end := strings.IndexByte(s[i+1:min(len(s), i+24)], ']')
		return end > 0 && bracketLevel(s[i+1:i+1+end]) != trace.LevelNone
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != ':' {
		j++
	}
	return textLevel(s[i:j]) != trace.LevelNone
}

// loggerEnd recognises a logger name at s[i:j] after the level and returns
// where the message starts: "com.foo.Bar - msg", "Main:12 - msg",
// "com.example.App   : msg", "com.foo.Bar: msg", or a caller such as
// "main.go:12" followed by white space.
func loggerEnd(s string, i, j int) (int, bool) {
	w := s[i:j]
	if len(w) > 128 || !simpleName(strings.TrimSuffix(w, ":")) {
		return 0, false
	}
	if strings.HasSuffix(w, ":") {
		if strings.IndexByte(w, '.') >= 0 {
			return skipSpaces(s, j), true
		}
		return 0, false
	}
	if isCaller(w) && j < len(s) {
		return skipSpaces(s, j), true
	}
	k := skipSpaces(s, j)
	if k == j || k+1 > len(s) {
		return 0, false
	}
	switch {
	case s[k] == '-' && (k+1 == len(s) || s[k+1] == ' '):
		return skipSpaces(s, k+1), true
	case s[k] == ':' && (k+1 == len(s) || s[k+1] == ' '):
		return skipSpaces(s, k+1), true
	}
	return 0, false
}

// isCaller reports whether w looks like "file.go:12" or "pkg/file.py:12".
func isCaller(w string) bool {
	k := strings.LastIndexByte(w, ':')
	if k <= 0 || k+1 == len(w) || !allDigits(w[k+1:]) {
		return false
	}
	dot := strings.LastIndexByte(w[:k], '.')
	return dot > 0 && dot < k-1
}

// simpleName reports whether w is a name such as a logger or thread name:
// letters, digits and ._$/:<>- only, not empty.
func simpleName(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		b := w[i]
		if !isAlnum(b) && b != '.' && b != '_' && b != '$' && b != '/' && b != ':' && b != '-' && b != '<' && b != '>' {
			return false
		}
	}
	return true
}

// skipSeps skips white space and runs of '-', '|', ':' or '~' that stand
// alone between spaces (or end the text).
func skipSeps(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t':
			i++
		case '-', '|', ':', '~':
			j := i + 1
			for j < len(s) && s[j] == s[i] {
				j++
			}
			if j < len(s) && s[j] != ' ' && s[j] != '\t' {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
