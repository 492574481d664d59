package corpus

import (
	"strconv"
	"time"
)

// format is one way of writing a log record.
type format uint8

const (
	fmtNginx      format = iota // nginx access log, [02/Jan/2006:15:04:05 -0700], whole seconds
	fmtJSON                     // JSON lines, "ts" ISO 8601 with T and Z, ids nested under "ctx"
	fmtLogfmt                   // logfmt, time with a +02:00 offset
	fmtLog4j                    // log4j/logback text, "2006-01-02 15:04:05,000", zone-less, stack traces
	fmtBracket                  // "[2006-01-02 15:04:05.000]" text, zone-less, stack traces
	fmtSyslog5424               // RFC 5424 with PRI, microseconds, Z
	fmtSyslog3164               // RFC 3164 as written by syslog daemons: no PRI, no year, whole seconds
	fmtDocker                   // Docker json-file; the inner line has a zone-less ISO time with T
	fmtCRI                      // CRI runtime lines; the inner line has no time of its own
)

var formatNames = [...]string{
	fmtNginx:      "nginx",
	fmtJSON:       "json",
	fmtLogfmt:     "logfmt",
	fmtLog4j:      "log4j",
	fmtBracket:    "bracketed",
	fmtSyslog5424: "syslog-rfc5424",
	fmtSyslog3164: "syslog-rfc3164",
	fmtDocker:     "docker-json",
	fmtCRI:        "cri",
}

func (f format) String() string { return formatNames[f] }

// logfmtOffset is the zone of the logfmt service's clock.
const logfmtOffset = 2 * 3600

// written returns the time a record of true time t shows in this format, in
// nanoseconds since the Unix epoch: t truncated to the format's precision.
// For CRI the runtime's time is the record's time; for Docker the inner
// line's time (milliseconds) is.
func (f format) written(t int64) int64 {
	switch f {
	case fmtNginx, fmtSyslog3164:
		return t - t%int64(time.Second)
	case fmtSyslog5424:
		return t - t%int64(time.Microsecond)
	case fmtCRI:
		return t
	default:
		return t - t%int64(time.Millisecond)
	}
}

// level is a record's severity.
type level uint8

const (
	lvNone level = iota // the format states no level
	lvDebug
	lvInfo
	lvWarn
	lvError
)

var (
	levelLower  = [...]string{"", "debug", "info", "warn", "error"}
	levelPadded = [...]string{"", "DEBUG", "INFO ", "WARN ", "ERROR"}
	// syslog severities under facility local0.
	levelPRI = [...]string{"<134>", "<135>", "<134>", "<132>", "<131>"}
)

// name is the level as a manifest reports it: lower case, empty when the
// format cannot state one.
func (l level) name(f format) string {
	if f == fmtNginx || f == fmtSyslog3164 {
		return ""
	}
	return levelLower[l]
}

// kv is one field of a record.
type kv struct {
	k, v string
	// group nests the field one level deeper in JSON ("ctx.<group>.<k>");
	// text formats ignore it. Fields of one group are contiguous.
	group string
	// colon writes "k: v" instead of "k=v" in text formats.
	colon bool
	// quote writes k="v" in text formats.
	quote bool
}

// httpLine is the request part of an access-log record.
type httpLine struct {
	ip, method, path, referer, ua string
	status, bytes                 int
	rtMillis                      int
}

// record is a log record before it is written in some format.
type record struct {
	t      int64 // true time, ns since the Unix epoch
	lv     level
	logger string // logger, component or syslog MSGID
	thread string
	host   string
	msg    string
	kvs    []kv
	sd     []kv     // RFC 5424 structured data (other formats append it to kvs)
	stack  []string // continuation lines (without newline)
	http   httpLine
	pid    int
	stderr bool
	jitter int64 // container runtime's delay after the inner line's time, ns
}

// field returns the i-th of r.sd followed by r.kvs.
func (r *record) field(i int) *kv {
	if i < len(r.sd) {
		return &r.sd[i]
	}
	return &r.kvs[i-len(r.sd)]
}

func (r *record) reset() {
	kvs, sd := r.kvs[:0], r.sd[:0]
	*r = record{kvs: kvs, sd: sd}
}

// clock turns nanoseconds into civil time quickly, caching the date.
type clock struct {
	day        int64
	ok         bool
	year, mday int
	mon        time.Month
}

func (c *clock) civil(sec int64) (year int, mon time.Month, mday, hh, mm, ss int) {
	day := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	if !c.ok || day != c.day {
		c.year, c.mon, c.mday = time.Unix(day*86400, 0).UTC().Date()
		c.day, c.ok = day, true
	}
	s := sec - day*86400
	return c.year, c.mon, c.mday, int(s / 3600), int(s / 60 % 60), int(s % 60)
}

var monthAbbr = [...]string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func append4(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendFrac appends the first digits digits of the fraction of a second ns.
func appendFrac(dst []byte, ns int64, digits int) []byte {
	var b [9]byte
	for i := 8; i >= 0; i-- {
		b[i] = byte('0' + ns%10)
		ns /= 10
	}
	return append(dst, b[:digits]...)
}

func splitNanos(t int64) (sec, ns int64) {
	sec, ns = t/1e9, t%1e9
	if ns < 0 {
		sec, ns = sec-1, ns+1e9
	}
	return sec, ns
}

// appendISO appends t as YYYY-MM-DD<sep>hh:mm:ss, a fraction of digits
// digits after fracSep (none when digits is 0), shifted by offset seconds
// and followed by zone ("Z", "+02:00" or "" for zone-less).
func (c *clock) appendISO(dst []byte, t int64, sep byte, fracSep byte, digits int, offset int64, zone string) []byte {
	sec, ns := splitNanos(t)
	y, mo, d, hh, mm, ss := c.civil(sec + offset)
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, int(mo))
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, sep)
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mm)
	dst = append(dst, ':')
	dst = append2(dst, ss)
	if digits > 0 {
		dst = append(dst, fracSep)
		dst = appendFrac(dst, ns, digits)
	}
	return append(dst, zone...)
}

// appendNginx appends t as 02/Jan/2006:15:04:05 +0000.
func (c *clock) appendNginx(dst []byte, t int64) []byte {
	sec, _ := splitNanos(t)
	y, mo, d, hh, mm, ss := c.civil(sec)
	dst = append2(dst, d)
	dst = append(dst, '/')
	dst = append(dst, monthAbbr[mo]...)
	dst = append(dst, '/')
	dst = append4(dst, y)
	dst = append(dst, ':')
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mm)
	dst = append(dst, ':')
	dst = append2(dst, ss)
	return append(dst, " +0000"...)
}

// append3164 appends t as "Jan _2 15:04:05".
func (c *clock) append3164(dst []byte, t int64) []byte {
	sec, _ := splitNanos(t)
	_, mo, d, hh, mm, ss := c.civil(sec)
	dst = append(dst, monthAbbr[mo]...)
	dst = append(dst, ' ')
	if d < 10 {
		dst = append(dst, ' ', byte('0'+d))
	} else {
		dst = append2(dst, d)
	}
	dst = append(dst, ' ')
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mm)
	dst = append(dst, ':')
	return append2(dst, ss)
}

// appendJSONString appends s as a JSON string with its quotes.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONEscaped(dst, s)
	return append(dst, '"')
}

// appendJSONEscaped appends s escaped for use inside a JSON string.
func appendJSONEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendTextKVs appends " k=v" (or " k: v", ` k="v"`) for each field.
func appendTextKVs(dst []byte, kvs []kv) []byte {
	for _, f := range kvs {
		dst = append(dst, ' ')
		dst = append(dst, f.k...)
		switch {
		case f.colon:
			dst = append(dst, ':', ' ')
			dst = append(dst, f.v...)
		case f.quote:
			dst = append(dst, '=', '"')
			dst = append(dst, f.v...)
			dst = append(dst, '"')
		default:
			dst = append(dst, '=')
			dst = append(dst, f.v...)
		}
	}
	return dst
}

func appendStack(dst []byte, stack []string) []byte {
	for _, s := range stack {
		dst = append(dst, '\n')
		dst = append(dst, s...)
	}
	return dst
}

// appendInner appends the text of a container record's inner line, without
// a time: "LEVEL [logger] msg k=v…".
func appendInner(dst []byte, r *record) []byte {
	dst = append(dst, levelPadded[r.lv]...)
	dst = append(dst, " ["...)
	dst = append(dst, r.logger...)
	dst = append(dst, "] "...)
	dst = append(dst, r.msg...)
	dst = appendTextKVs(dst, r.sd)
	return appendTextKVs(dst, r.kvs)
}

// appendRecord appends r written in format f, ending with a newline.
func (c *clock) appendRecord(dst []byte, f format, r *record) []byte {
	switch f {
	case fmtNginx:
		h := &r.http
		dst = append(dst, h.ip...)
		dst = append(dst, " - - ["...)
		dst = c.appendNginx(dst, r.t)
		dst = append(dst, "] \""...)
		dst = append(dst, h.method...)
		dst = append(dst, ' ')
		dst = append(dst, h.path...)
		dst = append(dst, " HTTP/1.1\" "...)
		dst = strconv.AppendInt(dst, int64(h.status), 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(h.bytes), 10)
		dst = append(dst, " \""...)
		dst = append(dst, h.referer...)
		dst = append(dst, "\" \""...)
		dst = append(dst, h.ua...)
		dst = append(dst, "\" rt="...)
		dst = strconv.AppendInt(dst, int64(h.rtMillis/1000), 10)
		dst = append(dst, '.')
		dst = append(dst, byte('0'+h.rtMillis/100%10), byte('0'+h.rtMillis/10%10), byte('0'+h.rtMillis%10))
		dst = appendTextKVs(dst, r.sd)
		dst = appendTextKVs(dst, r.kvs)

	case fmtJSON:
		dst = append(dst, `{"ts":"`...)
		dst = c.appendISO(dst, r.t, 'T', '.', 3, 0, "Z")
		dst = append(dst, `","level":"`...)
		dst = append(dst, levelLower[r.lv]...)
		dst = append(dst, `","logger":`...)
		dst = appendJSONString(dst, r.logger)
		dst = append(dst, `,"msg":`...)
		dst = appendJSONString(dst, r.msg)
		dst = append(dst, `,"ctx":{`...)
		group := ""
		n := len(r.sd) + len(r.kvs)
		for i := 0; i < n; i++ {
			f := r.field(i)
			if f.group != group {
				if group != "" {
					dst = append(dst, '}')
				}
				if i > 0 {
					dst = append(dst, ',')
				}
				if f.group != "" {
					dst = appendJSONString(dst, f.group)
					dst = append(dst, ':', '{')
				}
				group = f.group
			} else if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, f.v)
		}
		if group != "" {
			dst = append(dst, '}')
		}
		dst = append(dst, `},"host":`...)
		dst = appendJSONString(dst, r.host)
		if len(r.stack) > 0 {
			dst = append(dst, `,"stack":"`...)
			for i, s := range r.stack {
				if i > 0 {
					dst = append(dst, '\\', 'n')
				}
				dst = appendJSONEscaped(dst, s)
			}
			dst = append(dst, '"')
		}
		dst = append(dst, '}')

	case fmtLogfmt:
		dst = append(dst, "time="...)
		dst = c.appendISO(dst, r.t, 'T', '.', 3, logfmtOffset, "+02:00")
		dst = append(dst, " level="...)
		dst = append(dst, levelLower[r.lv]...)
		dst = append(dst, ` msg="`...)
		dst = append(dst, r.msg...)
		dst = append(dst, '"')
		dst = appendTextKVs(dst, r.sd)
		dst = appendTextKVs(dst, r.kvs)

	case fmtLog4j:
		dst = c.appendISO(dst, r.t, ' ', ',', 3, 0, "")
		dst = append(dst, ' ')
		dst = append(dst, levelPadded[r.lv]...)
		dst = append(dst, " ["...)
		dst = append(dst, r.thread...)
		dst = append(dst, "] "...)
		dst = append(dst, r.logger...)
		dst = append(dst, " - "...)
		dst = append(dst, r.msg...)
		dst = appendTextKVs(dst, r.sd)
		dst = appendTextKVs(dst, r.kvs)
		dst = appendStack(dst, r.stack)

	case fmtBracket:
		dst = append(dst, '[')
		dst = c.appendISO(dst, r.t, ' ', '.', 3, 0, "")
		dst = append(dst, "] "...)
		dst = append(dst, levelPadded[r.lv]...)
		dst = append(dst, ' ')
		dst = append(dst, r.logger...)
		dst = append(dst, " - "...)
		dst = append(dst, r.msg...)
		dst = appendTextKVs(dst, r.sd)
		dst = appendTextKVs(dst, r.kvs)
		dst = appendStack(dst, r.stack)

	case fmtSyslog5424:
		dst = append(dst, levelPRI[r.lv]...)
		dst = append(dst, "1 "...)
		dst = c.appendISO(dst, r.t, 'T', '.', 6, 0, "Z")
		dst = append(dst, ' ')
		dst = append(dst, r.host...)
		dst = append(dst, " psp "...)
		dst = strconv.AppendInt(dst, int64(r.pid), 10)
		dst = append(dst, ' ')
		dst = append(dst, r.logger...)
		if len(r.sd) == 0 {
			dst = append(dst, " -"...)
		} else {
			dst = append(dst, " [req@32473"...)
			for _, f := range r.sd {
				dst = append(dst, ' ')
				dst = append(dst, f.k...)
				dst = append(dst, '=', '"')
				dst = append(dst, f.v...)
				dst = append(dst, '"')
			}
			dst = append(dst, ']')
		}
		dst = append(dst, ' ')
		dst = append(dst, r.msg...)
		dst = appendTextKVs(dst, r.kvs)

	case fmtSyslog3164:
		dst = c.append3164(dst, r.t)
		dst = append(dst, ' ')
		dst = append(dst, r.host...)
		dst = append(dst, " psp["...)
		dst = strconv.AppendInt(dst, int64(r.pid), 10)
		dst = append(dst, "]: "...)
		dst = append(dst, r.msg...)
		dst = appendTextKVs(dst, r.sd)
		dst = appendTextKVs(dst, r.kvs)

	case fmtDocker:
		dst = append(dst, `{"log":"`...)
		dst = c.appendISO(dst, r.t, 'T', '.', 3, 0, "")
		dst = append(dst, ' ')
		mark := len(dst)
		dst = appendInner(dst, r)
		// The inner text is plain ASCII without quotes or backslashes in
		// everything this generator writes; escape it anyway when not.
		if needsEscape(dst[mark:]) {
			inner := string(dst[mark:])
			dst = appendJSONEscaped(dst[:mark], inner)
		}
		dst = append(dst, `\n","stream":"`...)
		if r.stderr {
			dst = append(dst, "stderr"...)
		} else {
			dst = append(dst, "stdout"...)
		}
		dst = append(dst, `","time":"`...)
		dst = c.appendISO(dst, r.t+r.jitter, 'T', '.', 9, 0, "Z")
		dst = append(dst, `"}`...)

	case fmtCRI:
		dst = c.appendISO(dst, r.t, 'T', '.', 9, 0, "Z")
		if r.stderr {
			dst = append(dst, " stderr F "...)
		} else {
			dst = append(dst, " stdout F "...)
		}
		dst = appendInner(dst, r)
	}
	return append(dst, '\n')
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			return true
		}
	}
	return false
}
