// Package logline turns the bytes of one log record into its parts: time,
// level, message, fields and service. It recognises JSON lines (nested),
// logfmt, text with a leading timestamp in the common layouts, nginx/Apache
// access logs, syslog (RFC 3164 and 5424), and the container runtimes'
// wrappers (Docker json-file and CRI), and it decides which lines start a
// record and which continue the one before (stack traces).
//
// Parse looks at the first line of a record only to choose the format, in
// this order: a Docker or CRI wrapper (whose inner line is then read the
// same way); a JSON object; a syslog priority "<PRI>"; an RFC 3164 stamp;
// an access log line; a glog/klog header; and otherwise text. A
// text line whose timestamp is followed by a JSON object or by logfmt
// pairs is read as JSON or logfmt with that timestamp as a fallback.
//
// Times are always UTC. A timestamp without a zone is read in
// Options.Location; one without a year (syslog, glog) takes it from
// Options.ModTime; a time of day without a date gives no time at all,
// except inside a Docker or CRI record, which then has the runtime's time.
// Epoch numbers in time fields are read by magnitude (seconds to
// nanoseconds); numbers below 1e8 are not times.
//
// Text headers are stripped from the message only where they are
// unambiguous: the timestamp, a level word, [thread] brackets around the
// level, a process id before "---" and one logger name followed by " - "
// or " : " (or containing a dot, or a caller such as "main.go:12").
//
// The package's JSON reader produces the same values as encoding/json with
// UseNumber (invalid UTF-8 becomes U+FFFD) but shares the memory of the
// record for strings without escapes; it refuses nesting deeper than 256
// levels, and such a line is read as text.
package logline
