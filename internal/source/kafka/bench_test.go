package kafka

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
)

// BenchmarkScan reads 100k records of about 130 bytes over 4 partitions
// of the in-process cluster, 1% of them holding the id.
func BenchmarkScan(b *testing.B) {
	topic := newTopic(b, cluster.c, "bench", 4)
	var recs []*kgo.Record
	var size int64
	now := time.Now()
	for i := range 100000 {
		id := fmt.Sprintf("TXN-%06d", i)
		if i%100 == 0 {
			id = "TXN-BENCH"
		}
		v := fmt.Sprintf(`{"ts":"2025-10-21T10:00:00.000Z","level":"info","service":"orders","msg":"step %d","transaction_id":"%s"}`, i, id)
		size += int64(len(v))
		recs = append(recs, rec(topic, int32(i%4), now, v))
	}
	produce(b, cluster.prod, recs...)
	src, err := Open(source.Spec{Location: "kafka://" + cluster.addrs + "/" + topic}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		var out records
		if _, err := src.Scan(b.Context(), &source.Query{IDs: []string{"TXN-BENCH"}}, &out); err != nil {
			b.Fatal(err)
		}
		if len(out.recs) != 1000 {
			b.Fatalf("found %d records", len(out.recs))
		}
	}
}
