package sourcetest

import (
	"strings"
)

// corpus returns the suite's main set of files: several services in text,
// logfmt and JSON, rotated and compressed members, stack traces, a
// near-miss id (TXN-10 beside TXN-1), CRLF lines, an empty file, and hits
// on the first line and on a last line without a newline.
func corpus() map[string][]byte {
	lines := func(ls ...string) []byte { return []byte(strings.Join(ls, "\n")) }
	return map[string][]byte{
		"checkout/app.log": lines(
			"2025-10-21T10:00:00.001Z INFO checkout started transaction_id=TXN-1 request_id=req-a1",
			"2025-10-21T10:00:00.002Z INFO unrelated order transaction_id=TXN-10",
			"2025-10-21T10:00:00.003Z ERROR payment call failed transaction_id=TXN-1",
			"java.lang.IllegalStateException: declined",
			"\tat com.shop.checkout.Pay.run(Pay.java:42)",
			"\tat com.shop.checkout.Main.main(Main.java:7)",
			"Caused by: java.io.IOException: connection reset",
			"\t... 3 more",
			"2025-10-21T10:00:00.004Z WARN retrying transaction_id=TXN-2 request_id=req-b7",
			"2025-10-21T10:00:00.005Z INFO done transaction_id=TXN-1",
		),
		"checkout/app.log.1.gz": lines(
			`{"ts":"2025-10-21T09:59:59.000Z","level":"info","msg":"cart","transaction_id":"TXN-1"}`,
			`{"ts":"2025-10-21T09:59:59.500Z","level":"info","msg":"cart","transaction_id":"TXN-3"}`,
			"",
		),
		"payments/payments.log.2.zst": lines(
			"time=2025-10-21T10:00:00.010Z level=info msg=\"authorise\" transaction_id=TXN-1 request_id=req-b7",
			"time=2025-10-21T10:00:00.020Z level=error msg=\"declined\" transaction_id=TXN-10",
			"time=2025-10-21T10:00:00.030Z level=info msg=\"refund\" transaction_id=TXN-2",
			"",
		),
		"orders.log": lines(
			"2025-10-21 10:00:00,050 INFO  [main] o.Orders - created for TXN-1\r",
			"2025-10-21 10:00:00,060 ERROR [main] o.Orders - failed\r",
			"\tat o.Orders.create(Orders.java:9)\r",
			"Caused by: o.StockException: none left for TXN-2\r",
			"2025-10-21 10:00:00,070 INFO  [main] o.Orders - closed TXN-1 and TXN-2",
		),
		"empty.log": {},
	}
}

// startsRecord is the suite's reference record boundary. The suite's files
// start records only with a timestamp, "{" or "time=", and continue them
// only with indented lines, "Caused by:" and exception headers, so that
// any boundary function a driver uses agrees with it on them.
func startsRecord(line string) bool {
	line = strings.TrimSuffix(line, "\r")
	return line == "" || strings.HasPrefix(line, "20") || strings.HasPrefix(line, "{") || strings.HasPrefix(line, "time=")
}

// expected returns, sorted by path and line, the records of files that hold
// one of ids.
func expected(files map[string][]byte, ids []string) []Rec {
	var out []Rec
	for name, data := range files {
		if len(data) == 0 {
			continue
		}
		text := string(data)
		ls := strings.Split(text, "\n")
		if strings.HasSuffix(text, "\n") {
			ls = ls[:len(ls)-1]
		}
		for a := 0; a < len(ls); {
			b := a + 1
			for b < len(ls) && !startsRecord(ls[b]) {
				b++
			}
			rec := strings.Join(ls[a:b], "\n")
			for _, id := range ids {
				if strings.Contains(rec, id) {
					out = append(out, Rec{Path: name, Line: int64(a + 1), Data: strings.TrimSuffix(rec, "\r")})
					break
				}
			}
			a = b
		}
	}
	sortRecs(out)
	return out
}
