package logline

import (
	"bytes"
)

// StartsRecord reports whether line starts a record, false when it
// continues the record before it: a line that starts with a space or a
// tab; "Caused by:", "Suppressed:", "... 12 more", "at pkg.Fn(…)" and
// Python's "Traceback (most recent call last):" and chained-exception
// notes; an exception header without a timestamp
// ("java.lang.IllegalStateException: declined", "ValueError: bad",
// "com.foo.BarException"); and the lines of a Go panic's stack
// ("goroutine 1 [running]:", "main.main()"). Any other line starts a
// record, empty lines included. For Docker json-file and CRI lines the
// application's line inside decides. line holds no '\n'; a final '\r'
// is ignored. StartsRecord does not allocate.
func StartsRecord(line []byte) bool {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > 8 && line[0] == '{' && bytes.HasPrefix(line, []byte(`{"log":"`)) {
		var buf [192]byte
		inner := jsonStringPrefix(line[8:], buf[:0])
		if n := len(inner); n > 0 && inner[n-1] == '\r' {
			inner = inner[:n-1]
		}
		return startsInner(inner)
	}
	if len(line) >= 29 && line[10] == 'T' {
		if n, ok := criPrefix(line); ok {
			if n >= len(line) {
				return true
			}
			return startsInner(line[n+1:])
		}
	}
	return startsInner(line)
}

// startsInner is StartsRecord for an application's line.
func startsInner(l []byte) bool {
	if len(l) == 0 {
		return true
	}
	switch l[0] {
	case ' ', '\t':
		return false
	case 'C':
		if bytes.HasPrefix(l, []byte("Caused by:")) {
			return false
		}
	case 'S':
		if bytes.HasPrefix(l, []byte("Suppressed:")) {
			return false
		}
	case 'T':
		if bytes.HasPrefix(l, []byte("Traceback (most recent call last)")) ||
			bytes.HasPrefix(l, []byte("The above exception was the direct cause")) {
			return false
		}
	case 'D':
		if bytes.HasPrefix(l, []byte("During handling of the above exception")) {
			return false
		}
	case '.':
		if bytes.HasPrefix(l, []byte("... ")) && len(l) > 4 && isDigit(l[4]) {
			return false
		}
	case 'a':
		if bytes.HasPrefix(l, []byte("at ")) && isFrame(l[3:]) {
			return false
		}
	case 'g':
		if bytes.HasPrefix(l, []byte("goroutine ")) && len(l) > 10 && isDigit(l[10]) &&
			bytes.HasSuffix(l, []byte("]:")) {
			return false
		}
	case 'c':
		if bytes.HasPrefix(l, []byte("created by ")) {
			return false
		}
	}
	if isExceptionHeader(l) || isFrame(l) {
		return false
	}
	return true
}

// isFrame reports whether l is a stack frame without indentation: a
// dotted name followed by an argument list or a location in parentheses
// that ends the line ("com.foo.Bar.run(Bar.java:12)",
// "main.main()", "net/http.(*conn).serve(0xc000…)").
func isFrame(l []byte) bool {
	if len(l) < 4 || l[len(l)-1] != ')' || !isIdentStart(l[0]) {
		return false
	}
	open := bytes.IndexByte(l, '(')
	if open <= 0 {
		return false
	}
	name := l[:open]
	if open+1 < len(l) && l[open+1] == '*' {
		// Go method on a pointer: "pkg.(*T).M(…)".
		if close := bytes.IndexByte(l[open:], ')'); close > 0 {
			name = l[:open+close+1]
			rest := l[open+close+1:]
			if len(rest) == 0 || rest[0] != '.' {
				return false
			}
			open2 := bytes.IndexByte(rest, '(')
			if open2 < 0 {
				return false
			}
			name = l[:open+close+1+open2]
		}
	}
	dot := false
	for _, b := range name {
		switch {
		case b == '.':
			dot = true
		case isAlnum(b) || b == '_' || b == '$' || b == '/' || b == '-' || b == '<' || b == '>' || b == '(' || b == ')' || b == '*':
		default:
			return false
		}
	}
	return dot
}

// isExceptionHeader reports whether l starts with an exception's name
// (dotted or not, the last part ending in "Exception", "Error" or
// "Throwable", longer than that word unless dotted) followed by ": " or
// the end of the line.
func isExceptionHeader(l []byte) bool {
	if !isIdentStart(l[0]) {
		return false
	}
	i := 0
	last := 0
	for i < len(l) && i < 256 {
		b := l[i]
		if b == '.' {
			last = i + 1
		} else if !isAlnum(b) && b != '_' && b != '$' {
			break
		}
		i++
	}
	if i < len(l) && (l[i] != ':' || (i+1 < len(l) && l[i+1] != ' ')) {
		return false
	}
	seg := l[last:i]
	for _, suffix := range [...]string{"Exception", "Error", "Throwable"} {
		if bytes.HasSuffix(seg, []byte(suffix)) && (len(seg) > len(suffix) || last > 0) {
			return true
		}
	}
	return false
}

func isIdentStart(b byte) bool { return isLetter(b) || b == '_' || b == '$' }

// jsonStringPrefix decodes the start of the JSON string body at s (after
// its opening quote) into buf, up to the closing quote or buf's capacity.
// Only the escapes that matter for StartsRecord are decoded exactly; any
// other escape is written as '?'.
func jsonStringPrefix(s []byte, buf []byte) []byte {
	for i := 0; i < len(s) && len(buf) < cap(buf); i++ {
		c := s[i]
		switch c {
		case '"':
			return buf
		case '\\':
			if i+1 >= len(s) {
				return buf
			}
			i++
			switch s[i] {
			case 't':
				c = '\t'
			case 'n':
				return buf // the line ends here
			case 'r':
				c = '\r'
			case '"', '\\', '/':
				c = s[i]
			case 'u':
				c = '?'
				if i+4 < len(s) && s[i+1] == '0' && s[i+2] == '0' {
					if r, ok := hex4(string(s[i+1:i+5]), 0); ok && r < 0x80 {
						c = byte(r)
					}
				}
				i += 4
			default:
				c = '?'
			}
		}
		buf = append(buf, c)
	}
	return buf
}
