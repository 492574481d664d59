package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/trace"
)

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		name   string
		report func() *trace.Report
	}{
		{"full", fullReport},
		{"empty", emptyReport},
		{"warnings", warningsReport},
		{"untimed", untimedReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JSON(&buf, tt.report()); err != nil {
				t.Fatal(err)
			}
			golden(t, "json-"+tt.name+".golden", buf.Bytes())
		})
	}
}

// TestJSONRoundTrip decodes the output strictly into the view structs and
// compares it with the view of the report: the document holds every field
// and no other.
func TestJSONRoundTrip(t *testing.T) {
	for name, report := range map[string]func() *trace.Report{
		"full": fullReport, "empty": emptyReport, "warnings": warningsReport, "untimed": untimedReport,
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JSON(&buf, report()); err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(&buf)
			dec.DisallowUnknownFields()
			var got jsonReport
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
			if dec.More() {
				t.Fatal("more than one JSON value")
			}
			if want := expectedView(report()); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip differs:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestJSONInvalidUTF8 checks that text which is not UTF-8 still gives a
// valid document, with U+FFFD in place of the bad bytes.
func TestJSONInvalidUTF8(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(buf.Bytes()) || !json.Valid(buf.Bytes()) {
		t.Fatal("output is not valid UTF-8 JSON")
	}
	var got jsonReport
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if msg := got.Events[0].Message; !strings.Contains(msg, "bad \uFFFD\uFFFD bytes") || !strings.Contains(msg, "\x1b[31madmin") {
		t.Errorf("message = %q", msg)
	}
}

// TestJSONNeverNull checks that arrays and the fields object are present
// and not null, for a report whose slices and maps are all nil.
func TestJSONNeverNull(t *testing.T) {
	r := &trace.Report{
		Query: trace.Query{ID: "X"},
		Trace: trace.Trace{ID: "X", Events: []trace.Event{{Service: "a", Message: "m"}}},
	}
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	arrays := []string{
		"query.keys", "query.sources", "summary.path", "summary.stages", "summary.sources.list",
		"events", "services", "hops", "linked_ids", "warnings",
	}
	for _, p := range arrays {
		if v, ok := lookup(doc, p).([]any); !ok || v == nil {
			t.Errorf("%s = %#v, want an array", p, lookup(doc, p))
		}
	}
	ev := doc["events"].([]any)[0].(map[string]any)
	if f, ok := ev["fields"].(map[string]any); !ok || f == nil {
		t.Errorf("events[0].fields = %#v, want an object", ev["fields"])
	}
	for _, p := range []string{"query.since", "query.until", "summary.start", "summary.end"} {
		v, present := lookupOK(doc, p)
		if !present || v != nil {
			t.Errorf("%s = %#v (present %v), want null", p, v, present)
		}
	}
	if v, present := ev["time"]; !present || v != nil {
		t.Errorf("events[0].time = %#v, want null", v)
	}
}

func TestJSONValues(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, fullReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want any
	}{
		{"schema_version", 1.0},
		{"query.since", "2025-03-02T07:00:00Z"},
		{"summary.start", "2025-03-02T09:14:07.118Z"},
		{"summary.end", "2025-03-02T09:14:09.902Z"},
		{"summary.duration_ms", 2784.0},
		{"summary.services", 6.0},
		{"summary.errors", 1.0},
		{"summary.bytes_scanned", 3117000000.0},
		{"summary.passes", 3.0},
		{"summary.elapsed_ms", 463.0},
		{"summary.sources.scanned", 1.0},
		{"summary.sources.failed", 0.0},
		{"summary.sources.files", 214.0},
		{"summary.sources.skipped", 2.0},
		{"summary.sources.truncated", false},
	}
	for _, tt := range tests {
		if got := lookup(doc, tt.path); got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.path, got, tt.want)
		}
	}
	if !strings.Contains(buf.String(), `"message": "confirmation sent to [REDACTED:email]"`) {
		t.Error("HTML characters are escaped or the message is missing")
	}
}

func TestMillis(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want float64
	}{
		{"zero", 0, 0},
		{"microseconds kept", 1234567 * time.Nanosecond, 1.235},
		{"sub-microsecond rounds down", 400 * time.Nanosecond, 0},
		{"seconds", 2784 * time.Millisecond, 2784},
		{"negative", -1500 * time.Microsecond, -1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := millis(tt.in); got != tt.want {
				t.Errorf("millis(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestSchemaDocumented checks that docs/json-schema.md names every key the
// document can hold.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "json-schema.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			key := strings.Split(f.Tag.Get("json"), ",")[0]
			if !bytes.Contains(doc, []byte("`"+key+"`")) {
				t.Errorf("docs/json-schema.md does not document `%s` (%s.%s)", key, typ.Name(), f.Name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(jsonReport{}))
}

func lookup(doc map[string]any, path string) any {
	v, _ := lookupOK(doc, path)
	return v
}

func lookupOK(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// expectedView is the whole document JSON should write for r: the view
// with its events, built plainly from the domain types.
func expectedView(r *trace.Report) jsonReport {
	v := jsonView(r)
	for _, e := range r.Trace.Events {
		fields := e.Fields
		if fields == nil {
			fields = map[string]any{}
		}
		v.Events = append(v.Events, jsonEvent{
			Time:    jsonTime(e.Time),
			Service: e.Service,
			Level:   string(e.Level),
			Message: e.Message,
			Fields:  fields,
			Matched: jsonMatch{Key: e.Matched.Key, Value: e.Matched.Value, Via: e.Matched.Via},
			Origin:  origin(e.Origin),
			Raw:     e.Raw,
		})
	}
	return v
}

// TestEventsEncodeAsEncodingJSON checks the hand-written event encoder
// against encoding/json on events with every kind of field value.
func TestEventsEncodeAsEncodingJSON(t *testing.T) {
	events := append(fullReport().Trace.Events, hostileReport().Trace.Events...)
	events = append(events, trace.Event{Fields: map[string]any{
		"n": json.Number("12.50"), "neg": json.Number("-3e7"), "b": true, "nil": nil, "f": 1.5, "i": 42,
		"empty": map[string]any{}, "list": []any{"a", json.Number("1"), map[string]any{"z": "\u2028\u2029<>&"}, []any{}},
		"deep": map[string]any{"a": map[string]any{"b": []any{nil, false}}},
		"ctl":  "\x00\x01\b\f\n\r\t\x7f\xff\"quote\"",
		"strs": []string{"x", "y"},
	}})
	for i := range events {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		fields := events[i].Fields
		if fields == nil {
			fields = map[string]any{}
		}
		e := events[i]
		if err := enc.Encode(jsonEvent{
			Time: jsonTime(e.Time), Service: e.Service, Level: string(e.Level), Message: e.Message, Fields: fields,
			Matched: jsonMatch{Key: e.Matched.Key, Value: e.Matched.Value, Via: e.Matched.Via}, Origin: origin(e.Origin), Raw: e.Raw,
		}); err != nil {
			t.Fatal(err)
		}
		got := string(appendEvent(nil, &events[i]))
		if w := "    " + strings.TrimSuffix(want.String(), "\n"); got != w {
			t.Errorf("event %d:\ngot:\n%s\nwant:\n%s", i, got, w)
		}
	}
}

// TestJSONManyEvents checks that events streamed in parallel chunks come
// out complete and in order.
func TestJSONManyEvents(t *testing.T) {
	r := fullReport()
	base := r.Trace.Events
	r.Trace.Events = nil
	for i := 0; i < 5*chunkItems+7; i++ {
		e := base[i%len(base)]
		e.Origin.Line = int64(i)
		r.Trace.Events = append(r.Trace.Events, e)
	}
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got jsonReport
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != len(r.Trace.Events) {
		t.Fatalf("%d events, want %d", len(got.Events), len(r.Trace.Events))
	}
	for i, e := range got.Events {
		if e.Origin.Line != int64(i) {
			t.Fatalf("event %d has line %d: out of order", i, e.Origin.Line)
		}
	}
}
