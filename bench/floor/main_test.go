package main

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	w := bufio.NewWriter(&out)
	w.WriteString("[\n")
	encode(w, recs)
	w.WriteString("\n]\n")
	w.Flush()
	var got []string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !slices.Equal(got, texts) {
		t.Errorf("got %d strings, want the %d given, in order", len(got), len(texts))
	}
}
