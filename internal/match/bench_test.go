package match

import (
	"strings"
	"testing"
)

// benchRecords are typical records of a few hundred bytes.
var benchRecords = map[string]string{
	"text": `2024-05-01 10:00:00,123 INFO  [http-nio-8080-exec-7] c.e.payments.ChargeService - charged card for order ord-88213 amount=42.10 currency=EUR transaction_id=TXN-48213 request_id=req-7f3a9 latency_ms=37`,
	"json": `{"@timestamp":"2024-05-01T10:00:00.123Z","level":"info","service":{"name":"payments"},"message":"charged card for order ord-88213","ctx":{"transaction_id":"TXN-48213","request_id":"req-7f3a9"},"amount":42.1,"latency_ms":37}`,
}

func BenchmarkFind(b *testing.B) {
	m := New([]string{"transaction_id", "request_id", "service.name"}, false)
	for _, format := range []string{"text", "json"} {
		data := []byte(benchRecords[format])
		fields := parseFields(b, benchRecords[format])
		for _, c := range []struct {
			name string
			ids  []string
		}{
			{"hit", []string{"TXN-48213"}},
			{"miss", []string{"TXN-99999"}},
			{"near-miss", []string{"TXN-4821"}},
		} {
			b.Run(format+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					m.Find(data, fields, c.ids)
				}
			})
		}
	}
	b.Run("multiline/hit", func(b *testing.B) {
		data := []byte("2024-05-01 10:00:00 ERROR payment failed\n" +
			strings.Repeat("\tat com.example.payments.ChargeService.charge(ChargeService.java:42)\n", 30) +
			"Caused by: timeout transaction_id=TXN-48213")
		ids := []string{"TXN-48213"}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			m.Find(data, nil, ids)
		}
	})
}

func BenchmarkLinks(b *testing.B) {
	m := New([]string{"transaction_id", "request_id", "service.name"}, false)
	for _, format := range []string{"text", "json"} {
		data := []byte(benchRecords[format])
		fields := parseFields(b, benchRecords[format])
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				m.Links(data, fields)
			}
		})
	}
}
