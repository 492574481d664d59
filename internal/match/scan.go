package match

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// Plausible ids are between minID and maxID bytes long.
const (
	minID = 3
	maxID = 256
)

// maxEscape bounds the backslashes read before a quote (a string escaped
// for JSON five times over has 31), so that a run of backslashes cannot
// make a scan quadratic.
const maxEscape = 31

// ContainsToken reports whether id stands in data as a whole token: not
// preceded or followed by a letter, digit, '-' or '_'. A letter that ends
// a JSON escape such as \n does not count as a letter before the id.
func ContainsToken(data []byte, id string) bool {
	if id == "" {
		return false
	}
	needle := bytesOf(id)
	for off := 0; off+len(id) <= len(data); {
		i := bytes.Index(data[off:], needle)
		if i < 0 {
			return false
		}
		p := off + i
		if !wordBefore(data, p) && !wordAt(data, p+len(id)) {
			return true
		}
		off = p + 1
	}
	return false
}

// valueAfter returns the bounds of the value that follows the separator
// at data[sep]: after optional blanks, either a quoted value up to the
// matching closing quote (escaped as the opening one was), or an unquoted
// value up to the first byte where valueEndsAt holds. ok is false when
// there is no value or it cannot be a plausible id (too long, unclosed).
func valueAfter(data []byte, sep int) (start, end int, ok bool) {
	i := sep + 1
	for i < len(data) && isBlank(data[i]) {
		i++
	}
	j := i
	for j < len(data) && data[j] == '\\' {
		j++
	}
	if j < len(data) && isQuote(data[j]) {
		q, esc := data[j], j-i
		if esc > maxEscape {
			return 0, 0, false
		}
		start = j + 1
		limit := min(len(data), start+maxID+esc+1)
		for e := start; e < limit; e++ {
			if data[e] != q {
				continue
			}
			run := 0
			for e-run-1 >= start && data[e-run-1] == '\\' {
				run++
			}
			if run == esc {
				return start, e - esc, true
			}
		}
		return 0, 0, false
	}
	for e := i; e <= len(data); e++ {
		if e-i > maxID {
			return 0, 0, false
		}
		if valueEndsAt(data, e) {
			return i, e, e > i
		}
	}
	return 0, 0, false
}

// closesAt reports whether data at i holds esc backslashes and then q: the
// closing quote of a value opened by esc backslashes and q.
func closesAt(data []byte, i int, q byte, esc int) bool {
	if i+esc >= len(data) {
		return false
	}
	for k := i; k < i+esc; k++ {
		if data[k] != '\\' {
			return false
		}
	}
	return data[i+esc] == q
}

// valueEndsAt reports whether an unquoted value may end just before
// data[i]: at the end of data, whitespace or a control character, one of
// `,;)]}&|"'<>`, a JSON escape (a backslash and an escape letter), or a
// '.', ':' or '/' that no token byte follows.
func valueEndsAt(data []byte, i int) bool {
	if i >= len(data) {
		return true
	}
	c := data[i]
	if c >= utf8.RuneSelf {
		r, _ := utf8.DecodeRune(data[i:])
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}
	switch c {
	case ',', ';', ')', ']', '}', '&', '|', '"', '\'', '<', '>':
		return true
	case '.', ':', '/':
		return !wordAt(data, i+1)
	case '\\':
		return i+1 < len(data) && isEscapeLetter(data[i+1])
	}
	return c <= ' ' || c == 0x7f
}

// wordAt reports whether a token character (letter, digit, '-', '_')
// starts at data[i].
func wordAt(data []byte, i int) bool {
	if i >= len(data) {
		return false
	}
	if c := data[i]; c < utf8.RuneSelf {
		return isWordByte(c)
	}
	r, _ := utf8.DecodeRune(data[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordBefore reports whether a token character ends just before data[i].
// The letter of a JSON escape (the n of \n) is not one: in a JSON string
// it stands for a control character.
func wordBefore(data []byte, i int) bool {
	if i <= 0 {
		return false
	}
	if c := data[i-1]; c < utf8.RuneSelf {
		return isWordByte(c) && !escapedLetter(data, i-1)
	}
	r, _ := utf8.DecodeLastRune(data[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// keyByteBefore reports whether the key name starting at data[start] is
// glued to a longer name: a key byte stands just before it. A '.' (a
// dotted prefix) or any other byte is a boundary.
func keyByteBefore(data []byte, start int) bool { return wordBefore(data, start) }

// escapedLetter reports whether data[i] is the letter of a JSON escape
// that stands for a control character: one of bfnrt after an odd run of
// backslashes.
func escapedLetter(data []byte, i int) bool {
	switch data[i] {
	case 'b', 'f', 'n', 'r', 't':
	default:
		return false
	}
	run := 0
	for i-run-1 >= 0 && data[i-run-1] == '\\' && run <= maxEscape {
		run++
	}
	return run%2 == 1 && run <= maxEscape
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func isEscapeLetter(c byte) bool {
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u':
		return true
	}
	return false
}

func isQuote(c byte) bool     { return c == '"' || c == '\'' }
func isBlank(c byte) bool     { return c == ' ' || c == '\t' }
func isSeparator(c byte) bool { return c == '=' || c == ':' }

// equalFold reports whether a and b are equal under ASCII case folding.
func equalFold[T string | []byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// plausible reports whether v can be an id: 3 to 256 bytes, not a
// placeholder such as "null" or "none", no whitespace or control
// characters. ("-" and "0" are too short.)
func plausible(v []byte) bool {
	if len(v) < minID || len(v) > maxID {
		return false
	}
	for _, no := range [...]string{"null", "nil", "none", "undefined", "true", "false"} {
		if equalFold(v, no) {
			return false
		}
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
		i += size
	}
	return true
}
