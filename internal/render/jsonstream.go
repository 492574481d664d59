package render

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// The events array dominates the document (a hot id yields tens of
// thousands of events), so it is encoded by hand, in parallel chunks, and
// streamed: the rest of the document is small and goes through
// encoding/json. The bytes are exactly those encoding/json would write
// with SetEscapeHTML(false) and SetIndent("", "  "); the tests compare them.

// eventsKey is where the events array stands in a document encoded with
// no events; a key at depth 1 cannot occur inside an encoded string.
const eventsKey = "\n  \"events\": []"

// hopsKey is where the hops array stands in a document encoded with no
// hops.
const hopsKey = "\n  \"hops\": []"

// chunkItems is how many items one worker encodes at a time.
const chunkItems = 512

// writeEvents writes the elements of the events array, each indented for
// depth 2 and separated by ",\n", without the brackets.
func writeEvents(w io.Writer, events []trace.Event) error {
	return WriteParallel(w, len(events), ",\n", func(b []byte, i int) []byte {
		return appendEvent(b, &events[i])
	})
}

// WriteParallel writes items 0 to n-1, each appended to a buffer by add,
// separated by sep. Chunks of items are encoded on every core, at most
// two per core held at once, and written in order; the first write error
// ends it.
func WriteParallel(w io.Writer, n int, sep string, add func(b []byte, i int) []byte) error {
	if n == 0 {
		return nil
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	chunks := (n + chunkItems - 1) / chunkItems
	results := make([]chan []byte, chunks)
	for i := range results {
		results[i] = make(chan []byte, 1)
	}
	slots := make(chan struct{}, 2*workers) // bounds the chunks held in memory
	pool := sync.Pool{New: func() any { return new([]byte) }}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for i := range chunks {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			go func() {
				bp := pool.Get().(*[]byte)
				buf := (*bp)[:0]
				for j := i * chunkItems; j < min(n, (i+1)*chunkItems); j++ {
					if j > 0 {
						buf = append(buf, sep...)
					}
					buf = add(buf, j)
				}
				results[i] <- buf
			}()
		}
	}()
	for i := range chunks {
		buf := <-results[i]
		_, err := w.Write(buf)
		buf = buf[:0]
		pool.Put(&buf)
		<-slots
		if err != nil {
			return err
		}
	}
	return nil
}

// writeHops writes the elements of the hops array, each indented for
// depth 2 and separated by ",\n", without the brackets.
func writeHops(w io.Writer, hops []trace.Hop) {
	var b []byte
	for i := range hops {
		if i > 0 {
			b = append(b, ",\n"...)
		}
		b = appendHop(b, &hops[i])
		if len(b) >= 64<<10 {
			w.Write(b)
			b = b[:0]
		}
	}
	w.Write(b)
}

// appendHop appends one hop object at depth 2.
func appendHop(b []byte, h *trace.Hop) []byte {
	b = appendKeyString(b, "    {\n      \"from\": ", h.From)
	b = appendKeyString(b, ",\n      \"to\": ", h.To)
	b = append(b, ",\n      \"at\": "...)
	b = appendTime(b, h.At)
	b = append(b, ",\n      \"gap_ms\": "...)
	b = appendFloat(b, millis(h.Gap))
	return append(b, "\n    }"...)
}

// appendTime appends t as jsonTime's string, or null for the zero time.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...) // not written by millis
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendEvent appends one event object at depth 2.
func appendEvent(b []byte, e *trace.Event) []byte {
	b = append(b, "    {\n      \"time\": "...)
	b = appendTime(b, e.Time)
	b = appendKeyString(b, ",\n      \"service\": ", e.Service)
	b = appendKeyString(b, ",\n      \"level\": ", string(e.Level))
	b = appendKeyString(b, ",\n      \"message\": ", e.Message)
	b = append(b, ",\n      \"fields\": "...)
	if e.Fields == nil {
		b = append(b, "{}"...)
	} else {
		b = appendValue(b, e.Fields, 3)
	}
	b = appendKeyString(b, ",\n      \"matched\": {\n        \"key\": ", e.Matched.Key)
	b = appendKeyString(b, ",\n        \"value\": ", e.Matched.Value)
	b = appendKeyString(b, ",\n        \"via\": ", e.Matched.Via)
	b = appendKeyString(b, "\n      },\n      \"origin\": {\n        \"source\": ", e.Origin.Source)
	b = appendKeyString(b, ",\n        \"path\": ", e.Origin.Path)
	b = append(b, ",\n        \"line\": "...)
	b = strconv.AppendInt(b, e.Origin.Line, 10)
	b = appendKeyString(b, "\n      },\n      \"raw\": ", e.Raw)
	return append(b, "\n    }"...)
}

func appendKeyString(b []byte, key, s string) []byte {
	return AppendJSONString(append(b, key...), s)
}

// appendValue appends v as encoding/json would at the given depth of
// indentation (two spaces a level): maps with sorted keys, json.Number
// as written; other types through encoding/json itself.
func appendValue(b []byte, v any, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return AppendJSONString(b, v)
	case json.Number:
		if v == "" {
			return append(b, '0')
		}
		if validNumber(string(v)) {
			return append(b, v...)
		}
	case bool:
		return strconv.AppendBool(b, v)
	case map[string]any:
		if len(v) == 0 {
			return append(b, "{}"...)
		}
		var small [16]string
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, depth+1)
			b = AppendJSONString(b, k)
			b = append(b, ": "...)
			b = appendValue(b, v[k], depth+1)
		}
		b = appendIndent(b, depth)
		return append(b, '}')
	case []any:
		if len(v) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, depth+1)
			b = appendValue(b, x, depth+1)
		}
		b = appendIndent(b, depth)
		return append(b, ']')
	}
	return appendMarshalled(b, v, depth)
}

// appendMarshalled is the fallback for values of other types.
func appendMarshalled(b []byte, v any, depth int) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(string(spaces(2*depth)), "  ")
	if err := enc.Encode(v); err != nil {
		return AppendJSONString(b, fmt.Sprintf("%v", v))
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func appendIndent(b []byte, depth int) []byte {
	b = append(b, '\n')
	return append(b, spaces(2*depth)...)
}

var blanks = bytes.Repeat([]byte(" "), 64)

func spaces(n int) []byte {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return bytes.Repeat([]byte(" "), n)
}

// validNumber reports whether s is a JSON number, as encoding/json
// requires of a json.Number it writes as it is.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// plainRun returns the length of the run of bytes at the start of s that
// a JSON string holds as they are: ASCII from 0x20 on, but '"' and '\\'.
// Eight bytes are tested at a time.
func plainRun(s string) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		// A byte is flagged when it is below 0x20, is '"' or '\\' (zero
		// after the xor), or has its high bit set.
		if ((x-ones*0x20)|(q-ones)|(bs-ones)|x)&highs != 0 {
			break
		}
	}
	for i < len(s) {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			break
		}
		i++
	}
	return i
}

// AppendJSONString appends s quoted as encoding/json does without HTML
// escaping: invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
// It is how the JSON report writes every string.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if n := plainRun(s[i:]); n > 0 {
			i += n
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
