package logline

import (
	"encoding/json"
	"unicode/utf8"
)

// maxJSONDepth is the most levels of objects and arrays, one inside the
// other, that decodeObject accepts; deeper input is not decoded (the line
// is then read as text).
const maxJSONDepth = 256

// decodeObject decodes s, which must hold one JSON object and nothing but
// white space after it, into the value encoding/json would produce with
// UseNumber: map[string]any, []any, string, json.Number, bool and nil.
// Strings without escapes share the memory of s. It reports false for
// anything that is not such an object.
func decodeObject(s string) (map[string]any, bool) {
	d := jsonDecoder{s: s}
	d.skipSpace()
	if d.i >= len(s) || s[d.i] != '{' {
		return nil, false
	}
	m, ok := d.object(0)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.i != len(s) {
		return nil, false
	}
	return m, true
}

// jsonDecoder is a small recursive-descent JSON reader over a string.
type jsonDecoder struct {
	s string
	i int
}

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// object reads an object; d.s[d.i] is '{'.
func (d *jsonDecoder) object(depth int) (map[string]any, bool) {
	if depth >= maxJSONDepth {
		return nil, false
	}
	d.i++
	m := make(map[string]any)
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// array reads an array; d.s[d.i] is '['.
func (d *jsonDecoder) array(depth int) ([]any, bool) {
	if depth >= maxJSONDepth {
		return nil, false
	}
	d.i++
	a := []any{}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// value reads any JSON value after optional white space.
func (d *jsonDecoder) value(depth int) (any, bool) {
	d.skipSpace()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		return d.str()
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '-' || isDigit(c):
		return d.number()
	case c == 't':
		return true, d.word("true")
	case c == 'f':
		return false, d.word("false")
	case c == 'n':
		return nil, d.word("null")
	}
	return nil, false
}

func (d *jsonDecoder) word(w string) bool {
	if len(d.s)-d.i < len(w) || d.s[d.i:d.i+len(w)] != w {
		return false
	}
	d.i += len(w)
	return true
}

// number reads a number as JSON's grammar has it.
func (d *jsonDecoder) number() (json.Number, bool) {
	s, start := d.s, d.i
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return "", false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return "", false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	d.i = i
	return json.Number(s[start:i]), true
}

// str reads a string; d.s[d.i] is '"'. Invalid UTF-8 and lone surrogates
// become U+FFFD as with encoding/json.
func (d *jsonDecoder) str() (string, bool) {
	s := d.s
	start := d.i + 1
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return s[start:i], true
		case c == '\\' || c < 0x20:
			return d.strSlow(start, i)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return d.strSlow(start, i)
			}
			i += size
		}
	}
	return "", false
}

// strSlow finishes a string that needs unescaping or repair; s[start:i]
// is already known to be plain.
func (d *jsonDecoder) strSlow(start, i int) (string, bool) {
	s := d.s
	b := make([]byte, 0, i-start+16)
	b = append(b, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					return "", false
				}
				i += 6
				if r >= 0xD800 && r < 0xE000 {
					if r < 0xDC00 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := hex4(s, i+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
							b = utf8.AppendRune(b, 0x10000+(r-0xD800)<<10+(r2-0xDC00))
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return "", false
}

// hex4 reads four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case isDigit(c):
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
