package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	if got, want := Formats(), []string{"text", "json", "html", "ndjson", "csv", "mermaid"}; !slices.Equal(got, want) {
		t.Errorf("Formats() = %q, want %q", got, want)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		wantErr error
		prefix  string
	}{
		{name: "text", format: "text", prefix: "ORD-77120 · 6 services"},
		{name: "json", format: "json", prefix: "{\n  \"schema_version\": 1,"},
		{name: "case-insensitive", format: "JSON", prefix: "{\n"},
		{name: "html", format: "html", prefix: "<!DOCTYPE html>\n"},
		{name: "ndjson", format: "ndjson", prefix: `{"type":"event","time":"2025-03-02T09:14:07.118Z"`},
		{name: "csv", format: "csv", prefix: "time,offset_ms,service,level,message,"},
		{name: "mermaid", format: "mermaid", prefix: "sequenceDiagram\n"},
		{name: "unknown", format: "xml", wantErr: ErrUnknownFormat},
		{name: "empty name", format: "", wantErr: ErrUnknownFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.format, fullReport(), Options{Unicode: true})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				for _, f := range Formats() {
					if !strings.Contains(err.Error(), f) {
						t.Errorf("error %q does not name the choice %q", err, f)
					}
				}
				if buf.Len() != 0 {
					t.Errorf("wrote %d bytes on error", buf.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), tt.prefix) {
				t.Errorf("output starts %q, want prefix %q", buf.String()[:min(buf.Len(), 40)], tt.prefix)
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteErrors(t *testing.T) {
	boom := errors.New("disk full")
	for _, f := range Formats() {
		t.Run(f, func(t *testing.T) {
			if err := Write(failingWriter{boom}, f, fullReport(), Options{}); !errors.Is(err, boom) {
				t.Errorf("err = %v, want it to wrap %v", err, boom)
			}
			if err := Write(&bytes.Buffer{}, f, nil, Options{}); err == nil {
				t.Error("nil report: no error")
			}
		})
	}
}

// TestJSONUnencodable checks that a field value JSON cannot hold is
// written as its text, so that one odd value never costs the report.
func TestJSONUnencodable(t *testing.T) {
	r := fullReport()
	r.Trace.Events[0].Fields = map[string]any{"c": make(chan int)}
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Events []struct{ Fields map[string]any }
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if c, ok := doc.Events[0].Fields["c"].(string); !ok || !strings.HasPrefix(c, "0x") {
		t.Errorf("channel field written as %#v, want its text", doc.Events[0].Fields["c"])
	}
}
