package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The records come out as a JSON array of the same strings, in order,
// whatever bytes they hold.
func TestEncode(t *testing.T) {
	texts := []string{"plain", `"quoted" and \back\`, "tab\there\nnew line", "\x00\x01\x1f ctl", "ünïcode"}
	for i := range 1200 { // more than two chunks
		texts = append(texts, strings.Repeat("x", i%7))
	}
	recs := make([]kept, len(texts))
	for i, s := range texts {
		recs[i] = kept{data: []byte(s)}
	}
	var out bytes.Buffer
	if err := write(&out, recs); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !slices.Equal(got, texts) {
		t.Errorf("got %d strings, want the %d given, in order", len(got), len(texts))
	}
}

// The records of the id come out by path and line, or with --parse by
// their time, whatever file holds them.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a/app.log": "2025-10-21T09:00:03Z INFO three id=X-1\n2025-10-21T09:00:04Z INFO other id=X-2\n2025-10-21T09:00:05Z INFO five id=X-1\n",
		"b/app.log": "2025-10-21T09:00:01Z INFO one id=X-1\n2025-10-21T09:00:04Z INFO four id=X-1\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		parse bool
		want  []string
	}{
		{false, []string{"three", "five", "one", "four"}},
		{true, []string{"one", "three", "four", "five"}},
	} {
		var out bytes.Buffer
		n, err := run(&out, dir, "X-1", c.parse)
		if err != nil {
			t.Fatal(err)
		}
		var recs []string
		if err := json.Unmarshal(out.Bytes(), &recs); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, strings.Fields(r)[2])
		}
		if n != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("parse %v: %d records %q, want %q", c.parse, n, got, c.want)
		}
	}
}
