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
