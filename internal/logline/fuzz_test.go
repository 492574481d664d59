package logline

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// samples are records in every format, used as fuzz seeds and benchmark
// inputs.
var samples = []struct {
	name string
	data string
}{
	{"json", `{"time":"2024-01-02T15:04:05.123Z","level":"info","service":"orders","msg":"order placed","transaction_id":"TXN-48213","request_id":"REQ-7","order":{"id":"O-1","amount":12.5,"items":[1,2,3]}}`},
	{"json_epoch", `{"level":30,"time":1700000000123,"pid":1,"hostname":"web-1","name":"checkout","msg":"payment accepted","transaction_id":"TXN-48213"}`},
	{"logfmt", `time=2024-01-02T15:04:05.123Z level=info service=payments msg="charge accepted" transaction_id=TXN-48213 amount=12.50 duration=35ms`},
	{"text_log4j", `2024-01-02 15:04:05,123 ERROR [http-nio-8080-exec-1] com.shop.payments.Gateway - charge declined transaction_id=TXN-48213 code=51`},
	{"text_python", `2024-01-02 15:04:05,123 - inventory.reserve - WARNING - stock low for sku=AB-1 transaction_id=TXN-48213`},
	{"access", `203.0.113.9 - - [02/Jan/2024:15:04:05 +0000] "POST /api/orders?txn=TXN-48213 HTTP/1.1" 201 512 "-" "Mozilla/5.0 (X11; Linux x86_64)" request_id=REQ-7`},
	{"syslog3164", `<134>Jan  2 15:04:05 web-1 shipping[4711]: label printed transaction_id=TXN-48213`},
	{"syslog5424", `<165>1 2024-01-02T15:04:05.003Z web-1 notify 4711 ID47 [meta@32473 transaction_id="TXN-48213"] email sent`},
	{"docker", `{"log":"{\"level\":\"info\",\"msg\":\"cart updated\",\"transaction_id\":\"TXN-48213\"}\n","stream":"stdout","time":"2024-01-02T15:04:05.123456789Z"}`},
	{"cri", `2024-01-02T15:04:05.123456789Z stdout F 2024-01-02 15:04:05.120 INFO [main] c.s.Cart - cart updated transaction_id=TXN-48213`},
	{"multiline", "2024-01-02 15:04:05,123 ERROR [main] com.shop.Orders - failed transaction_id=TXN-48213\n" +
		"java.lang.IllegalStateException: declined (code 51)\n\tat com.shop.Orders.place(Orders.java:42)\n" +
		"\tat com.shop.Api.handle(Api.java:7)\nCaused by: java.io.IOException: closed\n\t... 12 more"},
}

func isLevel(l trace.Level) bool {
	switch l {
	case trace.LevelNone, trace.LevelTrace, trace.LevelDebug, trace.LevelInfo,
		trace.LevelWarn, trace.LevelError, trace.LevelFatal:
		return true
	}
	return false
}

func isFormat(f Format) bool {
	switch f {
	case FormatJSON, FormatLogfmt, FormatText, FormatAccess, FormatSyslog, FormatDocker, FormatCRI:
		return true
	}
	return false
}

// FuzzParse checks that Parse never panics, that its time is UTC or zero,
// its level and format are known values, and that a continuation line is
// appended to the message of the first line unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s.data), int16(0))
	}
	f.Add([]byte("Feb 29 10:00:00 h app: x"), int16(-300))
	f.Add([]byte(`{"log":"partial","stream":"stdout","time":"2024-01-02T15:04:05Z"}`+"\n"+`{"log":"rest\n","stream":"stdout"}`), int16(60))
	f.Add([]byte("2016-10-06T00:17:09Z stdout P a\n2016-10-06T00:17:09Z stdout F b"), int16(120))
	f.Fuzz(func(t *testing.T, data []byte, east int16) {
		opt := Options{
			Location: time.FixedZone("fuzz", int(east)*60),
			ModTime:  time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
		}
		r := Parse(data, opt)
		if !r.Time.IsZero() && r.Time.Location() != time.UTC {
			t.Fatalf("Time %v is not UTC", r.Time)
		}
		if !isLevel(r.Level) {
			t.Fatalf("Level %q is not a normalised level", r.Level)
		}
		if !isFormat(r.Format) {
			t.Fatalf("Format %q is unknown", r.Format)
		}
		if bytes.IndexByte(data, '\n') >= 0 {
			return
		}
		const cont = "\n\tat x.Y(Y.java:1)"
		r2 := Parse(append(data[:len(data):len(data)], cont...), opt)
		if r2.Message != r.Message+cont || r2.Format != r.Format || !r2.Time.Equal(r.Time) || r2.Level != r.Level {
			t.Fatalf("with a continuation line: %+v; alone: %+v", r2, r)
		}
	})
}

// FuzzStartsRecord checks that StartsRecord never panics, that indented
// lines never start a record, and that Docker and CRI lines are decided
// by the line inside them.
func FuzzStartsRecord(f *testing.F) {
	for _, s := range []string{
		"2024-01-02 15:04:05 INFO x", "\tat a.B(B.java:1)", "Caused by: x", "... 3 more",
		"ValueError: bad", "com.foo.BarException", "main.main()", "goroutine 1 [running]:",
		"net/http.(*conn).serve(0xc0)", "at a.B(Native Method)", "", "plain",
		`{"log":"\tx\n","stream":"stdout"}`, criLine("Caused by: y"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		got := StartsRecord(line)
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && got {
			t.Fatalf("indented line %q starts a record", line)
		}
		if _, wrapped := criPrefix(line); wrapped || bytes.HasPrefix(line, []byte(`{"log":"`)) {
			return // a wrapper inside a wrapper is decided by the outer one
		}
		if cri := StartsRecord([]byte(criLine(string(line)))); cri != got {
			t.Fatalf("StartsRecord(%q) = %v, inside a CRI line %v", line, got, cri)
		}
		if len(line) < 180 && utf8.Valid(line) {
			b, err := json.Marshal(string(line) + "\n")
			if err != nil {
				t.Fatal(err)
			}
			d := []byte(`{"log":` + string(b) + `,"stream":"stdout"}`)
			if docker := StartsRecord(d); docker != got {
				t.Fatalf("StartsRecord(%q) = %v, inside a Docker line %v", line, got, docker)
			}
		}
	})
}
