package logline

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is the reference: encoding/json with UseNumber, one object and
// nothing after it but white space.
func stdDecode(s string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// checkDecodeAgainstStd fails when decodeObject and encoding/json disagree
// on s, except for nesting deeper than decodeObject accepts.
func checkDecodeAgainstStd(t *testing.T, s string) {
	t.Helper()
	got, ok := decodeObject(s)
	want, wantOK := stdDecode(s)
	if ok != wantOK {
		if wantOK && nesting(s) > maxJSONDepth {
			return
		}
		t.Fatalf("decodeObject(%q) ok = %v, encoding/json ok = %v", s, ok, wantOK)
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeObject(%q) = %#v, encoding/json = %#v", s, got, want)
	}
}

// nesting returns the greatest bracket depth in s, strings ignored.
func nesting(s string) int {
	depth, most, in := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == '{' || c == '['):
			depth++
			most = max(most, depth)
		case !in && (c == '}' || c == ']'):
			depth--
		}
	}
	return most
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty object", `{}`},
		{"spaces", " \t{ \"a\" : 1 , \"b\" :[ ] }\r\n"},
		{"all types", `{"s":"x","n":-1.5e+3,"z":0,"t":true,"f":false,"nil":null,"a":[1,[2,{}]],"o":{"k":{}}}`},
		{"duplicate keys", `{"a":1,"a":2}`},
		{"escapes", `{"e":"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u2028"}`},
		{"surrogate pair", `{"e":"\ud83d\ude00"}`},
		{"lone high surrogate", `{"e":"\ud83dx"}`},
		{"lone low surrogate", `{"e":"\ude00"}`},
		{"high then non-low", `{"e":"\ud83d\u0041"}`},
		{"invalid utf8", "{\"e\":\"a\xff\xfeb\"}"},
		{"invalid utf8 with escape", "{\"e\":\"\\n\xc3\"}"},
		{"invalid utf8 in key", "{\"k\xff\":1}"},
		{"valid multibyte", `{"e":"日本語"}`},
		{"control char", "{\"e\":\"a\x01\"}"},
		{"bad escape", `{"e":"\x"}`},
		{"short unicode escape", `{"e":"\u12"}`},
		{"leading zero", `{"n":01}`},
		{"bare minus", `{"n":-}`},
		{"dot without digits", `{"n":1.}`},
		{"exponent without digits", `{"n":1e}`},
		{"plus sign", `{"n":+1}`},
		{"trailing comma", `{"a":1,}`},
		{"missing colon", `{"a" 1}`},
		{"unquoted key", `{a:1}`},
		{"truncated", `{"a":"b`},
		{"truncated literal", `{"a":tru}`},
		{"two objects", `{}{}`},
		{"array", `[1]`},
		{"trailing text", `{"a":1} x`},
		{"nul", "{\"a\":\"\x00\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecodeAgainstStd(t, tt.in)
		})
	}
}

func TestDecodeObjectDepth(t *testing.T) {
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		s := strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
		_, ok := decodeObject(s)
		if want := depth <= maxJSONDepth; ok != want {
			t.Errorf("depth %d: ok = %v, want %v", depth, ok, want)
		}
	}
}

// FuzzDecodeObject compares decodeObject with encoding/json.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00"}`, `{"n":-0.5e-3}`,
		"{\"e\":\"a\xff\"}", `{"a":"\ud800"}`, `{"a":1,"a":{"b":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.IndexByte(data, '{') < 0 {
			return
		}
		checkDecodeAgainstStd(t, string(data))
	})
}
