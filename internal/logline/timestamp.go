package logline

import (
	"strconv"
	"strings"
	"time"
)

// clock holds the parts of a timestamp as read, before a zone or a year is
// supplied by the caller.
type clock struct {
	hasDate bool // month and day were read
	hasYear bool // the year was read too
	hasTime bool // hours and minutes were read

	year, month, day     int
	hour, min, sec, nsec int
	offset               int // seconds east of UTC when zoned
	zoned                bool
}

// full reports whether the timestamp names a whole instant: a date with
// its year and a time of day.
func (c *clock) full() bool { return c.hasDate && c.hasYear && c.hasTime }

// resolve turns c into an instant in UTC. Zone-less values are read in loc
// (UTC when nil). A value without a year takes the year of ref, one year
// earlier when that would put it more than a day after ref. It fails when
// there is no date or a part is out of range.
func (c *clock) resolve(loc *time.Location, ref time.Time) (time.Time, bool) {
	if !c.hasDate || c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 ||
		c.hour > 23 || c.min > 59 || c.sec > 60 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	if c.hasYear {
		if c.day > daysIn(c.month, c.year) {
			return time.Time{}, false
		}
		return c.at(c.year, loc), true
	}
	if ref.IsZero() {
		ref = time.Now()
	}
	year := ref.In(loc).Year()
	limit := ref.Add(24 * time.Hour)
	for tries := 0; tries < 9; tries++ {
		if c.day <= daysIn(c.month, year) {
			if t := c.at(year, loc); !t.After(limit) {
				return t, true
			}
		}
		year--
	}
	return time.Time{}, false
}

// at builds the instant of c in the given year.
func (c *clock) at(year int, loc *time.Location) time.Time {
	m := time.Month(c.month)
	if c.zoned {
		t := time.Date(year, m, c.day, c.hour, c.min, c.sec, c.nsec, time.UTC)
		return t.Add(-time.Duration(c.offset) * time.Second)
	}
	return time.Date(year, m, c.day, c.hour, c.min, c.sec, c.nsec, loc).UTC()
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseTime parses s, the whole string apart from surrounding spaces, as a
// timestamp in one of the supported layouts: ISO 8601 / RFC 3339 with "T"
// or a space, with or without a fraction ("." or ","), zone "Z", an
// offset or none (also a date alone); "2006/01/02 15:04:05";
// "02/Jan/2006:15:04:05 -0700"; "02-Jan-2006 15:04:05.000";
// "Mon Jan _2 15:04:05 2006"; "Mon, 02 Jan 2006 15:04:05 GMT"; syslog's
// "Jan _2 15:04:05" (the year is inferred from the current time); and
// epoch numbers, read by magnitude as seconds, milliseconds, microseconds or
// nanoseconds, fractions allowed. Zone-less timestamps are read in loc (UTC
// when nil). The result is in UTC. Numbers below 1e8 are not timestamps.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, ok := epochTime(s); ok {
		return t, true
	}
	var c clock
	n, ok := scanStamp(s, &c, true)
	if !ok || n != len(s) {
		return time.Time{}, false
	}
	return c.resolve(loc, time.Time{})
}

// scanStamp reads a timestamp at the start of s into c and returns the
// bytes it used. With dateOnly, an ISO date without a time is accepted.
// It does not read epoch numbers.
func scanStamp(s string, c *clock, dateOnly bool) (int, bool) {
	if len(s) < 8 {
		if dateOnly {
			return 0, false
		}
		return scanTimeOfDay(s, 0, c)
	}
	b := s[0]
	switch {
	case isDigit(b):
		if isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) {
			n, ok := scanISO(s, c)
			if ok && (c.hasTime || dateOnly) {
				return n, true
			}
			return 0, false
		}
		if n, ok := scanDayMonthYear(s, 0, c); ok {
			return n, true
		}
		*c = clock{}
		return scanTimeOfDay(s, 0, c)
	case isLetter(b):
		i := 0
		if isWeekday(s) {
			i = 3
			if i < len(s) && s[i] == ',' {
				i++
			}
			if i >= len(s) || s[i] != ' ' {
				return 0, false
			}
			i++
			if i < len(s) && isDigit(s[i]) {
				return scanDayMonthYear(s, i, c)
			}
		}
		return scanMonthFirst(s, i, c)
	}
	return 0, false
}

// scanISO reads "2006-01-02" (also with "/" or "." between the parts),
// then optionally "T" or a space and a time of day with zone.
func scanISO(s string, c *clock) (int, bool) {
	if len(s) < 10 {
		return 0, false
	}
	sep := s[4]
	if sep != '-' && sep != '/' && sep != '.' || s[7] != sep {
		return 0, false
	}
	y, ok1 := num(s, 0, 4)
	mo, ok2 := num(s, 5, 2)
	d, ok3 := num(s, 8, 2)
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	c.hasDate, c.hasYear = true, true
	c.year, c.month, c.day = y, mo, d
	i := 10
	if i+1 < len(s) && (s[i] == 'T' || s[i] == 't' || s[i] == ' ' || s[i] == '_') && isDigit(s[i+1]) {
		if n, ok := scanTimeOfDay(s, i+1, c); ok {
			return n, true
		}
		c.hasTime = false
	}
	return i, true
}

// scanTimeOfDay reads "15:04[:05][.000000000]" at s[i:] and a zone after it.
func scanTimeOfDay(s string, i int, c *clock) (int, bool) {
	h, ok1 := num(s, i, 2)
	if !ok1 || i+5 > len(s) || s[i+2] != ':' {
		return 0, false
	}
	m, ok2 := num(s, i+3, 2)
	if !ok2 {
		return 0, false
	}
	c.hour, c.min, c.sec, c.nsec = h, m, 0, 0
	i += 5
	if i+2 < len(s) && s[i] == ':' && isDigit(s[i+1]) {
		sec, ok := num(s, i+1, 2)
		if !ok {
			return 0, false
		}
		c.sec = sec
		i += 3
		if i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDigit(s[i+1]) {
			i++
			scale := 100000000
			for ; i < len(s) && isDigit(s[i]); i++ {
				c.nsec += int(s[i]-'0') * scale
				scale /= 10
			}
		}
	}
	c.hasTime = true
	return scanZone(s, i, c), true
}

// scanZone reads an optional zone at s[i:]: "Z", "+07:00", "+0700", "+07",
// or after one space "+0700", "+07:00" (optionally followed by an
// abbreviation, as Go prints times), "UTC" or "GMT". It returns the end.
func scanZone(s string, i int, c *clock) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case 'Z', 'z':
		c.zoned, c.offset = true, 0
		return i + 1
	case '+', '-':
		if n, ok := scanOffset(s, i, c, false); ok {
			return n
		}
	case ' ':
		if i+1 >= len(s) {
			return i
		}
		if s[i+1] == '+' || s[i+1] == '-' {
			n, ok := scanOffset(s, i+1, c, true)
			if !ok {
				return i
			}
			// An abbreviation after a numeric offset says nothing more.
			if n+1 < len(s) && s[n] == ' ' {
				j := n + 1
				for j < len(s) && j-n <= 6 && s[j] >= 'A' && s[j] <= 'Z' {
					j++
				}
				if j-n-1 >= 3 && j-n-1 <= 5 && (j == len(s) || !isAlnum(s[j])) {
					n = j
				}
			}
			return n
		}
		if n := utcName(s, i+1); n > 0 {
			c.zoned, c.offset = true, 0
			return n
		}
	case 'U', 'G':
		if n := utcName(s, i); n > 0 {
			c.zoned, c.offset = true, 0
			return n
		}
	}
	return i
}

// utcName returns the end of "UTC" or "GMT" at s[i:] when a word boundary
// follows, else 0.
func utcName(s string, i int) int {
	if i+3 > len(s) {
		return 0
	}
	w := s[i : i+3]
	if w != "UTC" && w != "GMT" {
		return 0
	}
	if i+3 < len(s) && isAlnum(s[i+3]) {
		return 0
	}
	return i + 3
}

// scanOffset reads "+07:00", "+0700" or (unless spaced) "+07" at s[i:].
func scanOffset(s string, i int, c *clock, spaced bool) (int, bool) {
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	h, ok := num(s, i+1, 2)
	if !ok || h > 23 {
		return 0, false
	}
	j := i + 3
	m := 0
	switch {
	case j < len(s) && s[j] == ':':
		if m, ok = num(s, j+1, 2); !ok {
			return 0, false
		}
		j += 3
	case j < len(s) && isDigit(s[j]):
		if m, ok = num(s, j, 2); !ok {
			return 0, false
		}
		j += 2
	default:
		if spaced {
			return 0, false
		}
	}
	if m > 59 || (j < len(s) && isDigit(s[j])) {
		return 0, false
	}
	c.zoned = true
	c.offset = sign * (h*3600 + m*60)
	return j, true
}

// scanDayMonthYear reads "02/Jan/2006:15:04:05 -0700",
// "02-Jan-2006 15:04:05.000" or "02 Jan 2006 15:04:05 GMT" at s[i:].
func scanDayMonthYear(s string, i int, c *clock) (int, bool) {
	d := 0
	j := i
	for j < len(s) && j-i < 2 && isDigit(s[j]) {
		d = d*10 + int(s[j]-'0')
		j++
	}
	if j == i || j+9 > len(s) {
		return 0, false
	}
	sep := s[j]
	if sep != '/' && sep != '-' && sep != ' ' {
		return 0, false
	}
	mo := monthIndex(s[j+1:])
	if mo == 0 || s[j+4] != sep {
		return 0, false
	}
	y, ok := num(s, j+5, 4)
	if !ok {
		return 0, false
	}
	c.hasDate, c.hasYear = true, true
	c.year, c.month, c.day = y, mo, d
	j += 9
	if j+1 < len(s) && (s[j] == ':' || s[j] == ' ') && isDigit(s[j+1]) {
		return scanTimeOfDay(s, j+1, c)
	}
	return 0, false
}

// scanMonthFirst reads "Jan _2 15:04:05[.000]" (syslog), optionally with
// the year after the day or after the time ("Jan _2 15:04:05 2006",
// "Jan _2 15:04:05 MST 2006" with MST one of UTC, GMT), at s[i:].
func scanMonthFirst(s string, i int, c *clock) (int, bool) {
	mo := monthIndex(s[i:])
	if mo == 0 || i+3 >= len(s) || s[i+3] != ' ' {
		return 0, false
	}
	j := i + 4
	if j < len(s) && s[j] == ' ' {
		j++
	}
	d := 0
	k := j
	for k < len(s) && k-j < 2 && isDigit(s[k]) {
		d = d*10 + int(s[k]-'0')
		k++
	}
	if k == j || k >= len(s) || s[k] != ' ' {
		return 0, false
	}
	c.hasDate, c.month, c.day = true, mo, d
	k++
	if y, ok := num(s, k, 4); ok && k+4 < len(s) && s[k+4] == ' ' {
		c.hasYear, c.year = true, y
		k += 5
	}
	n, ok := scanTimeOfDay(s, k, c)
	if !ok || !c.hasTime {
		return 0, false
	}
	if c.hasYear {
		return n, true
	}
	// "Jan _2 15:04:05 2006" and "Jan _2 15:04:05 UTC 2006" (the zone
	// was read with the time).
	if n < len(s) && s[n] == ' ' {
		if y, ok := num(s, n+1, 4); ok && (n+5 == len(s) || !isAlnum(s[n+5])) {
			c.hasYear, c.year = true, y
			return n + 5, true
		}
	}
	return n, true
}

// epochTime reads s as a whole number of seconds, milliseconds,
// microseconds or nanoseconds since 1970, chosen by magnitude, with an
// optional fraction or exponent.
func epochTime(s string) (time.Time, bool) {
	if len(s) == 0 || !isDigit(s[0]) {
		return time.Time{}, false
	}
	var n uint64
	i := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		if i >= 19 {
			return time.Time{}, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	frac := ""
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		frac = s[i+1 : j]
		i = j
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return time.Time{}, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 1e8 || f >= 1e19 {
			return time.Time{}, false
		}
		return epochFloat(f), true
	}
	if n < 1e8 {
		return time.Time{}, false
	}
	switch {
	case n < 1e11:
		return time.Unix(int64(n), fracNanos(frac, 9)).UTC(), true
	case n < 1e14:
		return time.Unix(int64(n/1e3), int64(n%1e3)*1e6+fracNanos(frac, 6)).UTC(), true
	case n < 1e17:
		return time.Unix(int64(n/1e6), int64(n%1e6)*1e3+fracNanos(frac, 3)).UTC(), true
	}
	return time.Unix(int64(n/1e9), int64(n%1e9)).UTC(), true
}

// epochFloat is epochTime for a number written with an exponent.
func epochFloat(f float64) time.Time {
	var ns float64
	switch {
	case f < 1e11:
		ns = f * 1e9
	case f < 1e14:
		ns = f * 1e6
	case f < 1e17:
		ns = f * 1e3
	default:
		ns = f
	}
	sec := int64(ns / 1e9)
	return time.Unix(sec, int64(ns-float64(sec)*1e9)).UTC()
}

// fracNanos returns the fraction digits as nanoseconds of a unit that has
// width decimal places of nanoseconds (9 for seconds, 6 for milliseconds).
func fracNanos(frac string, width int) int64 {
	var v int64
	for i := 0; i < width; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	return v
}

// leadingStamp finds a timestamp at the very start of a text line, bare or
// in square brackets, followed by the end of the line or a byte that is not
// a letter or digit. It also reads the epoch seconds (10 digits, optional
// fraction) or milliseconds (13 digits) of this century that some access
// logs start with. It returns the bytes used.
func leadingStamp(s string, c *clock) (int, bool) {
	if len(s) < 5 {
		return 0, false
	}
	if s[0] == '[' {
		end := strings.IndexByte(s[1:min(len(s), 72)], ']')
		if end < 5 {
			return 0, false
		}
		inner := strings.TrimSpace(s[1 : 1+end])
		if n, ok := scanStamp(inner, c, false); ok && n == len(inner) {
			return end + 2, true
		}
		*c = clock{}
		return 0, false
	}
	if isDigit(s[0]) {
		if n, ok := leadingEpoch(s, c); ok {
			return n, true
		}
	}
	n, ok := scanStamp(s, c, false)
	if !ok || !c.hasTime || (n < len(s) && isAlnum(s[n])) {
		*c = clock{}
		return 0, false
	}
	return n, true
}

// leadingEpoch reads the epoch prefix described at leadingStamp into c as
// a UTC date and time.
func leadingEpoch(s string, c *clock) (int, bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i != 10 && i != 13 {
		return 0, false
	}
	end := i
	if i == 10 && i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		end = i + 1
		for end < len(s) && isDigit(s[end]) {
			end++
		}
	}
	if end < len(s) && s[end] != ' ' && s[end] != '\t' {
		return 0, false
	}
	t, ok := epochTime(s[:end])
	if !ok || t.Year() < 2000 || t.Year() >= 2100 {
		return 0, false
	}
	y, mo, d := t.Date()
	*c = clock{
		hasDate: true, hasYear: true, hasTime: true, zoned: true,
		year: y, month: int(mo), day: d,
		hour: t.Hour(), min: t.Minute(), sec: t.Second(), nsec: t.Nanosecond(),
	}
	return end, true
}

// num reads exactly n decimal digits at s[i:].
func num(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for j := i; j < i+n; j++ {
		if !isDigit(s[j]) {
			return 0, false
		}
		v = v*10 + int(s[j]-'0')
	}
	return v, true
}

// monthIndex returns 1..12 for a three-letter English month name (any
// case) at the start of s, else 0.
func monthIndex(s string) int {
	if len(s) < 3 {
		return 0
	}
	a, b, c := lower(s[0]), lower(s[1]), lower(s[2])
	switch a {
	case 'j':
		switch {
		case b == 'a' && c == 'n':
			return 1
		case b == 'u' && c == 'n':
			return 6
		case b == 'u' && c == 'l':
			return 7
		}
	case 'f':
		if b == 'e' && c == 'b' {
			return 2
		}
	case 'm':
		if b == 'a' && c == 'r' {
			return 3
		}
		if b == 'a' && c == 'y' {
			return 5
		}
	case 'a':
		if b == 'p' && c == 'r' {
			return 4
		}
		if b == 'u' && c == 'g' {
			return 8
		}
	case 's':
		if b == 'e' && c == 'p' {
			return 9
		}
	case 'o':
		if b == 'c' && c == 't' {
			return 10
		}
	case 'n':
		if b == 'o' && c == 'v' {
			return 11
		}
	case 'd':
		if b == 'e' && c == 'c' {
			return 12
		}
	}
	return 0
}

// isWeekday reports whether s starts with a three-letter English weekday
// name (any case) that is not followed by a letter.
func isWeekday(s string) bool {
	if len(s) < 4 || isLetter(s[3]) {
		return false
	}
	var w [3]byte
	for i := range w {
		w[i] = lower(s[i])
	}
	switch string(w[:]) {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
func isAlnum(b byte) bool  { return isDigit(b) || isLetter(b) }
func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
