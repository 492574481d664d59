package logline

import (
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	opt := Options{ModTime: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, s := range samples {
		data := []byte(s.data)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				Parse(data, opt)
			}
		})
	}
}

func BenchmarkStartsRecord(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"text", "2024-01-02 15:04:05,123 ERROR [main] com.shop.Orders - failed transaction_id=TXN-48213"},
		{"json", samples[0].data},
		{"frame", "\tat com.shop.Orders.place(Orders.java:42)"},
		{"exception", "java.lang.IllegalStateException: declined (code 51)"},
		{"docker", dockerLine(b, "\tat com.shop.Orders.place(Orders.java:42)")},
		{"cri", criLine("2024-01-02 15:04:05.120 INFO [main] c.s.Cart - cart updated")},
	} {
		line := []byte(c.line)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				StartsRecord(line)
			}
		})
	}
}

// BenchmarkDecodeObject compares the package's JSON reader with
// encoding/json on the same line.
func BenchmarkDecodeObject(b *testing.B) {
	s := samples[0].data
	b.Run("logline", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			decodeObject(s)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			stdDecode(s)
		}
	})
}

// BenchmarkParseLines parses one line of each of the speed corpus's
// seven services (bench/gen), as a hot id's trace does tens of thousands
// of times.
func BenchmarkParseLines(b *testing.B) {
	opt := Options{ModTime: time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC)}
	for _, c := range []struct{ name, line string }{
		{"json", `{"ts":"2025-10-21T10:30:00.018Z","level":"debug","logger":"checkout.api","msg":"order received","ctx":{"transaction_id":"TXN-3331206","customer":"c-58690","order":{"id":"ORD-599377","items":"6","total":"437.28"}},"host":"checkout-7d9f-0"}`},
		{"access", `10.2.8.179 - - [21/Oct/2025:10:30:03 +0000] "GET /api/catalog/items/SKU-41383?lang=en&currency=EUR HTTP/1.1" 200 7172 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15" rt=0.138 transaction_id=TXN-HOT`},
		{"logfmt", `time=2025-10-21T12:00:03.443+02:00 level=info msg="released 3 items" transaction_id=TXN-HOT sku=SKU-52196 qty=3 warehouse=ams-2 dur_ms=14 caller=reserve.go:86`},
		{"java", `2025-10-21 10:48:05,521 INFO  [pool-3-thread-2] c.s.ledger.FxService - fx rate applied transaction_id=TXN-HOT amount=62.43 EUR entry=LE-285433`},
		{"docker", `{"log":"2025-10-21T10:00:00.171 DEBUG [mailer] queued order confirmation transaction_id=TXN-HOT template=cart-reminder provider=smtp to=c***@example.com latency_ms=405\n","stream":"stdout","time":"2025-10-21T10:00:00.171840242Z"}`},
		{"syslog", `<134>1 2025-10-21T10:30:00.507596Z psp-1 psp 2222 charge - refund processed transaction_id=TXN-HOT amount=273.43 currency=EUR auth_code=A89215`},
		{"text", `[2025-10-21 10:00:09.148] INFO  shipping.labels - label created shipment_id=SH-17256752 carrier=ups weight_g=1040 order_id=ORD-027372 transaction_id=TXN-HOT`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.line)))
			b.ReportAllocs()
			for b.Loop() {
				ParseString(c.line, opt)
			}
		})
	}
}
