package logline

import (
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// NormalizeLevel maps a level as loggers write it to a normalised level,
// ignoring case and surrounding spaces: TRACE, FINEST, FINER, VERBOSE →
// trace; DEBUG, FINE, DBG → debug; INFO, INFORMATION, NOTICE → info; WARN,
// WARNING → warn; ERROR, ERR, SEVERE → error; FATAL, CRITICAL, CRIT,
// PANIC, EMERG, ALERT → fatal, with the short forms of logrus (ERRO, FATA…)
// and Serilog (INF, WRN, FTL…). The pino/bunyan numbers 10..60 map by
// tens (10 trace … 60 fatal). Anything else is LevelNone.
func NormalizeLevel(s string) trace.Level {
	s = strings.TrimSpace(s)
	if l := levelWord(s); l != trace.LevelNone {
		return l
	}
	return levelNumber(s)
}

// levelNumber maps the pino/bunyan numbers 10..60.
func levelNumber(s string) trace.Level {
	if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return trace.LevelNone
	}
	switch n := int(s[0]-'0')*10 + int(s[1]-'0'); {
	case n < 10:
		return trace.LevelNone
	case n < 20:
		return trace.LevelTrace
	case n < 30:
		return trace.LevelDebug
	case n < 40:
		return trace.LevelInfo
	case n < 50:
		return trace.LevelWarn
	case n < 60:
		return trace.LevelError
	case n == 60:
		return trace.LevelFatal
	}
	return trace.LevelNone
}

// levelWord maps a level word in any case; it does not read numbers.
func levelWord(s string) trace.Level {
	if len(s) < 3 || len(s) > 13 {
		return trace.LevelNone
	}
	var buf [13]byte
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !isLetter(b) {
			return trace.LevelNone
		}
		buf[i] = b | 0x20
	}
	switch string(buf[:len(s)]) {
	case "trace", "trac", "trc", "finest", "finer", "verbose", "vrb":
		return trace.LevelTrace
	case "debug", "debu", "dbg", "fine":
		return trace.LevelDebug
	case "info", "inf", "information", "informational", "notice":
		return trace.LevelInfo
	case "warn", "warning", "wrn":
		return trace.LevelWarn
	case "error", "erro", "err", "severe":
		return trace.LevelError
	case "fatal", "fata", "ftl", "critical", "crit", "panic", "pani", "dpanic",
		"emerg", "emergency", "alert":
		return trace.LevelFatal
	}
	return trace.LevelNone
}

// textLevel maps a bare word at the head of a text line. Upper-case words
// may be any level word; other spellings only the common level names, so
// that a message starting with "Fine," or "Alert sent" keeps its words.
func textLevel(s string) trace.Level {
	l := levelWord(s)
	if l == trace.LevelNone {
		return l
	}
	upper := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			upper = false
			break
		}
	}
	if upper {
		return l
	}
	var buf [13]byte
	for i := 0; i < len(s); i++ {
		buf[i] = s[i] | 0x20
	}
	switch string(buf[:len(s)]) {
	case "trace", "debug", "info", "notice", "warn", "warning", "error", "fatal", "critical":
		return l
	}
	return trace.LevelNone
}

// syslogLevel maps a syslog severity (0..7).
func syslogLevel(sev int) trace.Level {
	switch sev {
	case 0, 1, 2:
		return trace.LevelFatal
	case 3:
		return trace.LevelError
	case 4:
		return trace.LevelWarn
	case 5, 6:
		return trace.LevelInfo
	}
	return trace.LevelDebug
}

// statusLevel maps an HTTP status: ≥500 error, ≥400 warn, else info.
func statusLevel(status int) trace.Level {
	switch {
	case status >= 500:
		return trace.LevelError
	case status >= 400:
		return trace.LevelWarn
	}
	return trace.LevelInfo
}
