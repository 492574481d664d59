package render

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// fmtDuration formats a trace duration for people: "0.250 ms", "12 ms",
// "2.784 s", "3m12s".
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDuration(-d)
	}
	switch {
	case d == 0:
		return "0 ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	}
	if ms := d.Round(time.Millisecond); ms < time.Second {
		return fmt.Sprintf("%d ms", ms/time.Millisecond)
	}
	if ms := d.Round(time.Millisecond); ms < time.Minute {
		return fmt.Sprintf("%d.%03d s", ms/time.Second, ms%time.Second/time.Millisecond)
	}
	return d.Round(time.Second).String()
}

// fmtSeconds formats a cost (time spent) with centisecond precision:
// "0.46 s", "12.00 s", "3m12s".
func fmtSeconds(d time.Duration) string {
	if c := d.Round(10 * time.Millisecond); c < time.Minute {
		return fmt.Sprintf("%.2f s", c.Seconds())
	}
	return d.Round(time.Second).String()
}

// fmtOffset formats d as a signed offset in seconds with millisecond
// precision: "+0.011s", "+192.400s".
func fmtOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	ms := d.Round(time.Millisecond)
	return fmt.Sprintf("%s%d.%03ds", sign, ms/time.Second, ms%time.Second/time.Millisecond)
}

// fmtBytes formats a size with decimal units and two or three significant
// digits: "512 B", "3.1 GB", "48 KB".
func fmtBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		switch {
		case f < 9.95:
			return fmt.Sprintf("%.1f %s", f, u)
		case f < 999.5 || u == "PB":
			return fmt.Sprintf("%.0f %s", f, u)
		}
	}
	return "" // unreachable: the PB case returns
}

// fmtStamp formats t in UTC with millisecond precision, with its date or
// without it ("2025-03-02 09:14:07.118Z", "09:14:07.118Z").
func fmtStamp(t time.Time, date bool) string {
	if date {
		return t.UTC().Format("2006-01-02 15:04:05.000") + "Z"
	}
	return t.UTC().Format("15:04:05.000") + "Z"
}

// plural formats a count with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tabWidth is the number of spaces a tab becomes.
const tabWidth = 4

// clean makes one line of log text safe and measurable on a terminal:
// tabs become spaces, control characters (including escape sequences that
// could restyle or move the cursor) and bidirectional overrides become
// visible \xNN or \u escapes, invalid UTF-8 becomes U+FFFD, and a trailing
// carriage return is dropped.
func clean(s string) string {
	s = strings.TrimSuffix(s, "\r")
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		var r rune
		r, w = utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteString(strings.Repeat(" ", tabWidth))
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f
}

// runeWidth is the number of terminal columns r takes: 0 for combining
// marks, 2 for East Asian wide characters and common emoji, else 1.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200b || r == 0x200d:
		return 0
	case r >= 0x1100 && r <= 0x115f,
		r >= 0x2e80 && r <= 0x303e,
		r >= 0x3041 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff,
		r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// width is the number of terminal columns s takes; ANSI SGR sequences
// ("\x1b[…m") take none.
func width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j + 1
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		n += runeWidth(r)
		i += w
	}
	return n
}

// truncate shortens plain text s to at most limit columns, ending it with
// ell when something was cut.
func truncate(s string, limit int, ell string) string {
	if width(s) <= limit {
		return s
	}
	room := limit - width(ell)
	if room <= 0 {
		return ell
	}
	n := 0
	for i, r := range s {
		rw := runeWidth(r)
		if n+rw > room {
			return s[:i] + ell
		}
		n += rw
	}
	return s
}

// padRight pads s with spaces to n columns.
func padRight(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft pads s with leading spaces to n columns.
func padLeft(s string, n int) string {
	if w := width(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

// lines splits text into its lines, dropping trailing line breaks; it
// always returns at least one (possibly empty) line.
func lines(s string) []string {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return []string{""}
	}
	return strings.Split(s, "\n")
}
