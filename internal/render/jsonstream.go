package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
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

// chunkEvents is how many events one worker encodes at a time.
const chunkEvents = 512

// writeEvents writes the elements of the events array, each indented for
// depth 2 and separated by ",\n", without the brackets.
func writeEvents(w io.Writer, events []trace.Event) error {
	if len(events) == 0 {
		return nil
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	chunks := (len(events) + chunkEvents - 1) / chunkEvents
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
				lo, hi := i*chunkEvents, min(len(events), (i+1)*chunkEvents)
				for j := lo; j < hi; j++ {
					if j > 0 {
						buf = append(buf, ",\n"...)
					}
					buf = appendEvent(buf, &events[j])
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

// appendEvent appends one event object at depth 2.
func appendEvent(b []byte, e *trace.Event) []byte {
	b = append(b, "    {\n      \"time\": "...)
	if e.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = e.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.999999999Z07:00")
		b = append(b, '"')
	}
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
	return appendJSONString(append(b, key...), s)
}

// appendValue appends v as encoding/json would at the given depth of
// indentation (two spaces a level): maps with sorted keys, json.Number
// as written; other types through encoding/json itself.
func appendValue(b []byte, v any, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case json.Number:
		if v == "" {
			return append(b, '0')
		}
		if _, err := strconv.ParseFloat(string(v), 64); err == nil && json.Valid([]byte(v)) {
			return append(b, v...)
		}
	case bool:
		return strconv.AppendBool(b, v)
	case map[string]any:
		if len(v) == 0 {
			return append(b, "{}"...)
		}
		keys := make([]string, 0, len(v))
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
			b = appendJSONString(b, k)
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
		return appendJSONString(b, fmt.Sprintf("%v", v))
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

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does without HTML
// escaping: invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
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
