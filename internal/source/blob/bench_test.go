package blob

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchCorpus returns about size bytes of mixed log text (JSON lines,
// logfmt, log4j-style text with stack traces, access logs, syslog) full of
// transaction ids, request ids and UUIDs, and ids that occur nowhere in it.
// With every > 0, one line in every lines holds one of the returned ids.
func benchCorpus(size, nids, every int) (data []byte, ids []string) {
	rng := rand.New(rand.NewPCG(42, uint64(nids)))
	hex := func(n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	uuid := func() string { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-9" + hex(3) + "-" + hex(12) }
	txn := func() string { return fmt.Sprintf("TXN-%d", 10000+rng.IntN(80000)) }
	req := func() string { return "req-" + hex(8) }

	// Search ids: TXN-9… never occurs at random; random request ids and
	// UUIDs do not collide in practice (BenchmarkScan checks).
	for i := range nids {
		var id string
		switch i % 3 {
		case 0:
			id = fmt.Sprintf("TXN-9%04d", rng.IntN(10000))
		case 1:
			id = req()
		default:
			id = uuid()
		}
		ids = append(ids, id)
	}
	services := []string{"gateway", "checkout", "payments", "orders", "inventory", "shipping", "notify"}
	levels := []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}
	var b bytes.Buffer
	b.Grow(size + 4096)
	for line := 0; b.Len() < size; line++ {
		t := fmt.Sprintf("2025-10-21T%02d:%02d:%02d.%03dZ", 8+line/3600000%12, line/60000%60, line/1000%60, line%1000)
		id := txn()
		if every > 0 && line%every == every-1 {
			id = ids[rng.IntN(len(ids))]
		}
		svc := services[rng.IntN(len(services))]
		lvl := levels[rng.IntN(len(levels))]
		switch rng.IntN(5) {
		case 0:
			fmt.Fprintf(&b, `{"ts":"%s","level":"%s","service":"%s","msg":"order placed","transaction_id":"%s","request_id":"%s","duration_ms":%d,"user":"u-%d"}`+"\n",
				t, lvl, svc, id, uuid(), rng.IntN(900), rng.IntN(99999))
		case 1:
			fmt.Fprintf(&b, "time=%s level=%s msg=\"payment authorized\" service=%s request_id=%s transaction_id=%s amount=%d.%02d currency=EUR\n",
				t, lvl, svc, req(), id, rng.IntN(500), rng.IntN(100))
		case 2:
			fmt.Fprintf(&b, "%s %s  [http-nio-8080-exec-%d] c.e.%s.OrderService - Created order %d for customer %d txn=%s\n",
				t[:10]+" "+t[11:23], lvl, rng.IntN(20), svc, rng.IntN(999999), rng.IntN(99999), id)
			if lvl == "ERROR" {
				b.WriteString("java.lang.IllegalStateException: inventory reservation failed\n")
				for range 5 + rng.IntN(10) {
					fmt.Fprintf(&b, "\tat com.example.%s.Service%d.handle(Service%d.java:%d)\n", svc, rng.IntN(40), rng.IntN(40), rng.IntN(400))
				}
				b.WriteString("\t... 42 more\n")
			}
		case 3:
			fmt.Fprintf(&b, "10.0.%d.%d - - [21/Oct/2025:%s +0000] \"GET /api/v1/orders/%d?txn=%s HTTP/1.1\" %d %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.%03d\n",
				rng.IntN(255), rng.IntN(255), t[11:19], rng.IntN(999999), id, []int{200, 200, 201, 404, 500}[rng.IntN(5)], rng.IntN(90000), rng.IntN(1000))
		default:
			fmt.Fprintf(&b, "Oct 21 %s host-%d %s[%d]: request %s handled for %s in %dms\n",
				t[11:19], rng.IntN(9), svc, 1000+rng.IntN(9000), req(), id, rng.IntN(300))
		}
	}
	return b.Bytes(), ids
}

// BenchmarkScan measures Scan over an in-memory corpus: 1, 10 and 100 ids,
// on data without any hit and on data where one line in 1000 (and, for one
// id, one in 100: a hot key) holds an id.
func BenchmarkScan(b *testing.B) {
	const size = 16 << 20
	for _, nids := range []int{1, 10, 100} {
		for _, every := range []int{0, 1000, 100} {
			if every == 100 && nids != 1 {
				continue
			}
			name := fmt.Sprintf("ids=%d/hit-free", nids)
			if every > 0 {
				name = fmt.Sprintf("ids=%d/hits=1in%d", nids, every)
			}
			b.Run(name, func(b *testing.B) {
				data, ids := benchCorpus(size, nids, every)
				s, err := NewScanner(ids, testStarts, Options{})
				if err != nil {
					b.Fatal(err)
				}
				records := 0
				emit := func([]byte, int64) error { records++; return nil }
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for b.Loop() {
					records = 0
					if _, err := s.Scan(context.Background(), bytes.NewReader(data), emit); err != nil {
						b.Fatal(err)
					}
				}
				if every == 0 && records != 0 {
					b.Fatalf("%d records in hit-free data", records)
				}
				if every > 0 && records == 0 {
					b.Fatal("no records")
				}
			})
		}
	}
}

// BenchmarkCount is the floor for comparison: one vectorised pass that
// counts newlines, as every scan does once.
func BenchmarkCount(b *testing.B) {
	data, _ := benchCorpus(16<<20, 1, 0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bytes.Count(data, newline)
	}
}
