package render

import (
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// base is the fixed start of the fixtures' traces.
var base = time.Date(2025, 3, 2, 9, 14, 7, 118_000_000, time.UTC)

// at returns base plus ms milliseconds.
func at(ms float64) time.Time {
	return base.Add(time.Duration(ms * float64(time.Millisecond)))
}

// ev builds an event; a negative ms leaves it untimed.
func ev(ms float64, service string, level trace.Level, msg string, path string, line int64) trace.Event {
	e := trace.Event{
		Service: service,
		Level:   level,
		Message: msg,
		Matched: trace.Match{Key: "transaction_id", Value: "ORD-77120"},
		Origin:  trace.Origin{Source: "./logs", Path: path, Line: line},
		Raw:     msg,
	}
	if ms >= 0 {
		e.Time = at(ms)
	}
	return e
}

// via marks e as reached through a linked id.
func via(e trace.Event, key, value, from string) trace.Event {
	e.Matched = trace.Match{Key: key, Value: value, Via: from}
	return e
}

// assemble fills the summary parts of a trace from its events, which are
// already in timeline order.
func assemble(id string, events []trace.Event) trace.Trace {
	t := trace.Trace{ID: id, Events: events}
	index := map[string]int{}
	var last *trace.Event
	for i := range events {
		e := &events[i]
		j, ok := index[e.Service]
		if !ok {
			j = len(t.Services)
			index[e.Service] = j
			t.Services = append(t.Services, trace.Service{Name: e.Service})
		}
		s := &t.Services[j]
		s.Events++
		if e.Level.IsError() {
			s.Errors++
			t.Errors++
		}
		if e.Time.IsZero() {
			t.Untimed++
			t.UntimedAt = append(t.UntimedAt, e.Origin)
			continue
		}
		if s.First.IsZero() {
			s.First = e.Time
		}
		s.Last = e.Time
		if t.Start.IsZero() {
			t.Start = e.Time
		}
		t.End = e.Time
		if last != nil && last.Service != e.Service {
			t.Hops = append(t.Hops, trace.Hop{From: last.Service, To: e.Service, At: e.Time, Gap: e.Time.Sub(last.Time)})
		}
		last = e
	}
	return t
}

const stack = "charge failed: insufficient funds\n" +
	"java.lang.IllegalStateException: declined (code 51)\n" +
	"\tat c.shop.ledger.Charge.run(Charge.java:88)\n" +
	"\tat c.shop.ledger.Charge.call(Charge.java:41)\n" +
	"\tat c.shop.ledger.Worker.process(Worker.java:212)\n" +
	"\tat c.shop.ledger.Worker.lambda$loop$0(Worker.java:97)\n" +
	"\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n" +
	"\tat java.base/java.lang.Thread.run(Thread.java:833)\n" +
	"Caused by: c.shop.psp.Declined: code 51"

// fullReport is a trace across six services with linked ids, an error
// with a stack trace, a long message and a large gap.
func fullReport() *trace.Report {
	const reqID = "r-5c1e9a7b-44d2-4c1b-9b1e-2f6a1c0d9e31"
	edge := ev(0, "edge", trace.LevelInfo, "POST /api/orders 201 (112 ms)", "edge/access.log", 17)
	edge.Fields = map[string]any{"method": "POST", "status": float64(201), "request_id": reqID, "http": map[string]any{"path": "/api/orders"}}
	edge.Raw = `{"ts":"2025-03-02T09:14:07.118Z","level":"info","msg":"POST /api/orders 201 (112 ms)","method":"POST","status":201,"request_id":"` + reqID + `","transaction_id":"ORD-77120"}`
	ledgerErr := ev(48, "ledger", trace.LevelError, stack, "ledger/app.log.2.gz", 8812)
	ledgerErr.Raw = "2025-03-02 09:14:07,166 ERROR [worker-3] transaction_id=ORD-77120 " + stack
	authorized := ev(212, "ledger", trace.LevelInfo, "charge authorized", "ledger/app.log.2.gz", 8820)
	psp := via(ev(2642, "psp", trace.LevelInfo, "callback settled", "psp/psp.log", 3), "payment_id", "pm_88f2", "transaction_id=ORD-77120")
	events := []trace.Event{
		edge,
		via(ev(4, "checkout", trace.LevelInfo, "order accepted", "checkout/checkout.log", 201), "request_id", reqID, "transaction_id=ORD-77120"),
		ev(6, "checkout", trace.LevelDebug, "pricing 3 items, total 86.40 EUR", "checkout/checkout.log", 202),
		ev(17, "stock", trace.LevelInfo, "reserved 3 items in warehouse FRA-2 after checking availability across 4 regional stores and applying the allocation policy for express orders", "stock/stock.log", 8811),
		ledgerErr,
		ev(52, "ledger", trace.LevelWarn, "retrying charge (1/3)", "ledger/app.log.2.gz", 8818),
		authorized,
		psp,
		via(ev(2784, "notifier", trace.LevelInfo, "confirmation sent to [REDACTED:email]", "notifier/notifier.log", 40), "parcel_id", "P-90211", "payment_id=pm_88f2"),
	}
	return &trace.Report{
		Query: trace.Query{
			ID:      "ORD-77120",
			Keys:    []string{"transaction_id", "request_id", "payment_id", "parcel_id"},
			Follow:  true,
			Since:   time.Date(2025, 3, 2, 7, 0, 0, 0, time.UTC),
			Sources: []string{"./logs"},
		},
		Trace: assemble("ORD-77120", events),
		LinkedIDs: []trace.LinkedID{
			{Key: "request_id", Value: reqID, Depth: 1, Via: "transaction_id=ORD-77120", From: edge.Origin, Events: 1},
			{Key: "payment_id", Value: "pm_88f2", Depth: 1, Via: "transaction_id=ORD-77120", From: authorized.Origin, Events: 1},
			{Key: "parcel_id", Value: "P-90211", Depth: 2, Via: "payment_id=pm_88f2", From: psp.Origin, Events: 1},
		},
		Stats: trace.Stats{
			Elapsed: 463 * time.Millisecond,
			Stages: []trace.Stage{
				{Name: "scan", Elapsed: 401 * time.Millisecond},
				{Name: "parse", Elapsed: 31 * time.Millisecond},
				{Name: "assemble", Elapsed: 12 * time.Millisecond},
			},
			Sources: []trace.SourceStats{
				{Source: "./logs", Files: 214, Bytes: 3_117_000_000, Skipped: 2, Records: 57, Elapsed: 402 * time.Millisecond},
			},
			Passes: 3,
		},
	}
}

// emptyReport is a trace that found nothing.
func emptyReport() *trace.Report {
	return &trace.Report{
		Query: trace.Query{ID: "TXN-404", Keys: []string{"transaction_id"}, Sources: []string{"./logs", "exec:kubectl logs -l app=edge"}},
		Trace: trace.Trace{ID: "TXN-404"},
		Stats: trace.Stats{
			Elapsed: 52 * time.Millisecond,
			Sources: []trace.SourceStats{
				{Source: "./logs", Files: 12, Bytes: 1_250_000, Elapsed: 40 * time.Millisecond},
				{Source: "exec:kubectl logs -l app=edge", Elapsed: 12 * time.Millisecond},
			},
			Passes: 1,
		},
	}
}

// warningsReport has failed and truncated sources and several warnings,
// one of them spanning lines.
func warningsReport() *trace.Report {
	events := []trace.Event{
		ev(0, "gateway", trace.LevelInfo, "GET /orders/TXN-9 200", "gateway.log", 5),
		ev(12, "orders", trace.LevelInfo, "order loaded", "orders.log", 9),
		ev(19, "orders", trace.LevelFatal, "database connection lost", "orders.log", 10),
	}
	return &trace.Report{
		Query: trace.Query{ID: "TXN-9", Keys: []string{"transaction_id"}, Sources: []string{"./logs", "exec:journalctl -o json -u nginx", "./archive"}},
		Trace: assemble("TXN-9", events),
		Warnings: []trace.Warning{
			{Source: "./logs", Message: "2 files skipped (binary): core.dump, img/logo.png"},
			{Source: "./archive", Message: "max_files 100 reached: 38 older files not read"},
			{Source: "exec:journalctl -o json -u nginx", Message: "exit status 1\njournalctl: unit nginx not found\nhint: check the unit name"},
			{Message: "linked-id limit 100 reached; 3 ids not followed"},
		},
		Verifications: []trace.Verification{
			{Service: "gateway", Endpoint: "https://gateway.internal/verify", OK: true, Status: 200, Response: map[string]any{"state": "served", "code": float64(200)}, Elapsed: 12500 * time.Microsecond},
			{Service: "orders", Endpoint: "https://orders.internal/verify", Status: 503, Error: "HTTP 503", Elapsed: 3 * time.Millisecond},
		},
		Stats: trace.Stats{
			Elapsed: 3*time.Minute + 12*time.Second + 300*time.Millisecond,
			Sources: []trace.SourceStats{
				{Source: "./logs", Files: 3, Bytes: 48_000, Skipped: 2, Records: 3, Elapsed: 5 * time.Millisecond},
				{Source: "exec:journalctl -o json -u nginx", Failed: true, Error: "exit status 1", Elapsed: 30 * time.Millisecond},
				{Source: "./archive", Files: 100, Bytes: 900_000_000, Truncated: true, Elapsed: 3 * time.Minute},
			},
			Passes: 1,
		},
	}
}

// untimedReport has events without a time, first and between timed ones,
// and a trace that crosses midnight.
func untimedReport() *trace.Report {
	midnight := time.Date(2025, 3, 2, 23, 59, 59, 0, time.UTC).Sub(base)
	ms := float64(midnight / time.Millisecond)
	events := []trace.Event{
		ev(-1, "batch", trace.LevelNone, "job picked up TXN-7", "batch/batch.log", 1),
		ev(ms, "batch", trace.LevelInfo, "export started", "batch/batch.log", 2),
		ev(-1, "batch", trace.LevelInfo, "chunk 1 of 2", "batch/batch.log", 3),
		ev(ms+1500, "export", trace.LevelInfo, "upload done", "export/export.log", 77),
		ev(-1, "export", trace.LevelWarn, "checksum not verified", "export/export.log", 78),
	}
	return &trace.Report{
		Query: trace.Query{ID: "TXN-7", Any: true, Sources: []string{"./logs"}},
		Trace: assemble("TXN-7", events),
		Stats: trace.Stats{Elapsed: 8 * time.Millisecond, Sources: []trace.SourceStats{{Source: "./logs", Files: 2, Bytes: 900, Records: 5}}, Passes: 1},
	}
}

// hostileReport carries text that must not reach a terminal as is:
// escape sequences, carriage returns, bidirectional overrides, invalid
// UTF-8 and wide characters, in a long multi-line message.
func hostileReport() *trace.Report {
	msg := "login ok for \x1b[31madmin\x1b[0m\r\n" +
		"\x1b]0;owned\x07title changed\n" +
		"rtl \u202eevil\u202c end\n" +
		"bad \xff\xfe bytes\n" +
		"注文が完了しました 注文が完了しました 注文が完了しました 注文が完了しました 注文が完了しました 注文\n" +
		"line 6\nline 7\nline 8\n\n"
	events := []trace.Event{
		ev(0, "auth\x1b[2J", trace.LevelInfo, msg, "auth.log", 1),
		ev(3, "profile-service-with-a-very-long-deployment-name", trace.LevelDebug, "profile cached", "profile.log", 2),
	}
	return &trace.Report{
		Query: trace.Query{ID: "TXN-\x1b[1mX", Keys: []string{"transaction_id"}, Sources: []string{"./logs"}},
		Trace: assemble("TXN-\x1b[1mX", events),
		Stats: trace.Stats{Elapsed: 2 * time.Millisecond, Sources: []trace.SourceStats{{Source: "./logs", Files: 2, Bytes: 2048, Records: 2}}},
	}
}
