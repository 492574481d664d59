package datadog

import (
	"fmt"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// BenchmarkScan reads 5000 matching events, five pages, from the fake.
func BenchmarkScan(b *testing.B) {
	f := &fake{apiKey: testAPIKey, appKey: testAppKey}
	at := time.Now().Add(-time.Hour)
	for i := range 5000 {
		f.add(fakeEvent{ID: fmt.Sprintf("AQAAAY%08d", i), Time: at.Add(time.Duration(i) * time.Millisecond), Host: "web-1", Service: "checkout", Status: "info",
			Message: fmt.Sprintf("step %d of TXN-BENCH", i), Tags: []string{"env:prod"}, Attrs: map[string]any{"transaction_id": "TXN-BENCH", "step": i}})
	}
	srv := newBenchServer(b, f)
	src, err := Open(source.Spec{Location: "datadog://env:prod?endpoint=" + srv}, keys(nil))
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for b.Loop() {
		var out records
		st, err := src.Scan(b.Context(), &source.Query{IDs: []string{"TXN-BENCH"}}, &out)
		if err != nil || len(out.recs) != 5000 {
			b.Fatalf("%d records, %v", len(out.recs), err)
		}
		size = st.Bytes
	}
	b.SetBytes(size)
}
