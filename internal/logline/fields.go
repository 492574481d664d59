package logline

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// The field names read from structured records, each list in order of
// precedence. A dotted name also matches nested objects
// ("service.name" finds {"service":{"name":…}}).
var (
	timeKeys = [...]string{
		"@timestamp", "timestamp", "time", "ts", "datetime", "date", "t",
		"eventTime", "time_local", "timeMillis", "instant", "asctime",
		"Timestamp", "Time", "TIMESTAMP", "logged_at",
	}
	levelKeys = [...]string{
		"level", "lvl", "severity", "loglevel", "log.level", "log_level",
		"levelname", "level_name", "severity_text", "severityText",
		"Level", "Severity", "LEVEL", "status",
	}
	messageKeys = [...]string{
		"msg", "message", "@message", "log", "event", "short_message",
		"text", "body", "Message", "MESSAGE",
	}
	serviceKeys = [...]string{
		"service", "service.name", "service_name", "serviceName", "app",
		"app_name", "appname", "application", "kubernetes.container_name",
		"container_name", "component",
	}
)

// keyBits says, for one field name, which entries of timeKeys, levelKeys,
// messageKeys and serviceKeys it may serve (bit i for entry i).
type keyBits struct{ time, level, msg, svc uint32 }

// fieldKeys maps each name of the lists above, and each part of a dotted
// name before a dot, to the entries it may serve. It is never written
// after initialisation.
var fieldKeys = func() map[string]keyBits {
	m := make(map[string]keyBits)
	add := func(names []string, set func(*keyBits, uint32)) {
		for i, name := range names {
			for j := 1; j <= len(name); j++ {
				if j == len(name) || name[j] == '.' {
					b := m[name[:j]]
					set(&b, 1<<i)
					m[name[:j]] = b
				}
			}
		}
	}
	add(timeKeys[:], func(b *keyBits, bit uint32) { b.time |= bit })
	add(levelKeys[:], func(b *keyBits, bit uint32) { b.level |= bit })
	add(messageKeys[:], func(b *keyBits, bit uint32) { b.msg |= bit })
	add(serviceKeys[:], func(b *keyBits, bit uint32) { b.svc |= bit })
	return m
}()

// presentKeys returns which entries of the lists m may hold. Large maps
// are not scanned: every entry is then looked up.
func presentKeys(m map[string]any) keyBits {
	if len(m) > 24 {
		return keyBits{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}
	}
	var all keyBits
	for k := range m {
		if b, ok := fieldKeys[k]; ok {
			all.time |= b.time
			all.level |= b.level
			all.msg |= b.msg
			all.svc |= b.svc
		}
	}
	return all
}

// lookup finds a field by name; a dotted name is also looked for as a path
// through nested objects, trying every split of the name at its dots.
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if sub, ok := m[name[:i]].(map[string]any); ok {
			if v, ok := lookup(sub, name[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// fieldTime returns the first time field that holds a timestamp, and
// whether it has a full date (always true for epoch numbers).
func fieldTime(m map[string]any, bits uint32, loc *time.Location, ref time.Time) (time.Time, bool) {
	for i, k := range timeKeys {
		if bits&(1<<i) == 0 {
			continue
		}
		v, ok := lookup(m, k)
		if !ok {
			continue
		}
		if t, ok := valueTime(v, loc, ref); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// valueTime reads a field value as a timestamp: a string in a supported
// layout or an epoch number (also as a string), or an object of seconds
// and nanoseconds ({"seconds","nanos"}, {"epochSecond","nanoOfSecond"}).
func valueTime(v any, loc *time.Location, ref time.Time) (time.Time, bool) {
	switch v := v.(type) {
	case string:
		if t, ok := epochTime(v); ok {
			return t, true
		}
		var c clock
		s := strings.TrimSpace(v)
		n, ok := scanStamp(s, &c, true)
		if !ok || n != len(s) {
			return time.Time{}, false
		}
		return c.resolve(loc, ref)
	case json.Number:
		return epochTime(string(v))
	case map[string]any:
		for _, pair := range [...][2]string{{"seconds", "nanos"}, {"epochSecond", "nanoOfSecond"}} {
			sec, ok := v[pair[0]].(json.Number)
			if !ok {
				continue
			}
			s, err := strconv.ParseInt(string(sec), 10, 64)
			if err != nil || s < 0 || s > 1e11 {
				continue
			}
			var ns int64
			if n, ok := v[pair[1]].(json.Number); ok {
				ns, _ = strconv.ParseInt(string(n), 10, 64)
				if ns < 0 || ns >= 1e9 {
					ns = 0
				}
			}
			return time.Unix(s, ns).UTC(), true
		}
	}
	return time.Time{}, false
}

// fieldLevel returns the first level field that holds a level. "status"
// counts only when it holds a level word, never a number.
func fieldLevel(m map[string]any, bits uint32) trace.Level {
	for i, k := range levelKeys {
		if bits&(1<<i) == 0 {
			continue
		}
		v, ok := lookup(m, k)
		if !ok {
			continue
		}
		var l trace.Level
		switch v := v.(type) {
		case string:
			if k == "status" {
				l = levelWord(strings.TrimSpace(v))
			} else {
				l = NormalizeLevel(v)
			}
		case json.Number:
			if k != "status" {
				l = levelNumber(string(v))
			}
		}
		if l != trace.LevelNone {
			return l
		}
	}
	return trace.LevelNone
}

// fieldString returns the first of keys that holds a non-empty string.
func fieldString(m map[string]any, keys []string, bits uint32) string {
	for i, k := range keys {
		if bits&(1<<i) == 0 {
			continue
		}
		if v, ok := lookup(m, k); ok {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

// fillFromFields sets the parts of r that r does not have yet from the
// fields m: time, level, message and service.
func (p *parser) fillFromFields(r *result, m map[string]any, message bool) {
	if len(m) == 0 {
		return
	}
	bits := presentKeys(m)
	if r.rec.Time.IsZero() && bits.time != 0 {
		if t, ok := fieldTime(m, bits.time, p.loc, p.ref); ok {
			r.rec.Time, r.full = t, true
		}
	}
	if r.rec.Level == trace.LevelNone && bits.level != 0 {
		r.rec.Level = fieldLevel(m, bits.level)
	}
	if message && r.rec.Message == "" && bits.msg != 0 {
		r.rec.Message = fieldString(m, messageKeys[:], bits.msg)
	}
	if r.rec.Service == "" && bits.svc != 0 {
		r.rec.Service = fieldString(m, serviceKeys[:], bits.svc)
	}
}

// maxPairs bounds the key=value pairs read from one text message.
const maxPairs = 256

// isKeyByte reports whether b may appear in a key of a key=value pair.
func isKeyByte(b byte) bool {
	return isAlnum(b) || b == '_' || b == '.' || b == '-' || b == '@' || b == '/'
}

// textPairs extracts key=value and key="quoted value" pairs from free
// text. A key starts with a letter, '_' or '@' after the start of the text
// or a byte that cannot be part of a key; an unquoted value ends at white
// space or one of ,;)]}". It returns nil when there are none.
func textPairs(s string) map[string]any {
	var m map[string]any
	unclosed := false // a quote was found open to the end: read no more quotes
	for i := 0; i < len(s); {
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			break
		}
		eq += i
		// Walk back over the key.
		k := eq
		for k > i && isKeyByte(s[k-1]) {
			k--
		}
		i = eq + 1
		if k == eq || !(isLetter(s[k]) || s[k] == '_' || s[k] == '@') {
			continue
		}
		if k > 0 && (s[k-1] == '=' || s[k-1] == '"' || s[k-1] == '\'') {
			continue
		}
		var v string
		if i < len(s) && s[i] == '"' && !unclosed {
			var ok bool
			if v, i, ok = quoted(s, i); !ok {
				unclosed = true
				v, i = "", eq+1
			}
		} else {
			v, i = bareValue(s, i)
		}
		if m == nil {
			m = make(map[string]any)
		}
		m[s[k:eq]] = v
		if len(m) >= maxPairs {
			break
		}
	}
	return m
}

// bareValue reads an unquoted value at s[i:], which ends at white space
// or one of ,;)]}", and returns it and its end.
func bareValue(s string, i int) (string, int) {
	j := i
	for j < len(s) {
		switch s[j] {
		case ' ', '\t', ',', ';', ')', ']', '}', '"':
			return s[i:j], j
		}
		j++
	}
	return s[i:j], j
}

// quoted reads a double-quoted string at s[i:] with backslash escapes as
// Go writes them, and returns its value and end.
func quoted(s string, i int) (string, int, bool) {
	end, esc, ok := quotedEnd(s, i)
	if !ok {
		return "", 0, false
	}
	raw := s[i:end]
	if esc {
		if v, err := strconv.Unquote(raw); err == nil {
			return v, end, true
		}
	}
	return raw[1 : len(raw)-1], end, true
}

// quotedEnd finds the end of the double-quoted string at s[i:] and whether
// it holds escapes.
func quotedEnd(s string, i int) (end int, esc, ok bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc, true
		}
	}
	return 0, false, false
}

// logfmtPairs reads s as logfmt: key=value pairs separated by spaces, every
// token a pair, values bare or double-quoted. It returns nil unless all of
// s is such pairs (at least one).
func logfmtPairs(s string) map[string]any {
	if !isLogfmt(s) {
		return nil
	}
	// Every pair has an '=': sized once, the map does not grow while
	// it is filled.
	m := make(map[string]any, strings.Count(s, "="))
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		eq := i + strings.IndexByte(s[i:], '=')
		key := s[i:eq]
		var v string
		if eq+1 < len(s) && s[eq+1] == '"' {
			v, i, _ = quoted(s, eq+1)
		} else {
			j := eq + 1
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			v, i = s[eq+1:j], j
		}
		m[key] = v
	}
	return m
}

// isLogfmt reports whether all of s is logfmt pairs; it does not allocate.
func isLogfmt(s string) bool {
	pairs := 0
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		k := i
		if !(isLetter(s[k]) || s[k] == '_' || s[k] == '@') {
			return false
		}
		for i < len(s) && isKeyByte(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return false
		}
		i++
		if i < len(s) && s[i] == '"' {
			end, _, ok := quotedEnd(s, i)
			if !ok || (end < len(s) && s[end] != ' ' && s[end] != '\t') {
				return false
			}
			i = end
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if s[i] == '"' {
					return false
				}
				i++
			}
		}
		pairs++
	}
	return pairs > 0
}
