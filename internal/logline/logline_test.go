package logline

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// parseCase is one line (or record) of a Parse table and what must come
// out of it. Fields lists the fields that must be present with these
// values; noFields requires Fields to be empty.
type parseCase struct {
	name     string
	in       string
	opt      *Options // nil: testOptions
	format   Format
	time     string // RFC 3339 in UTC; "" means zero
	level    trace.Level
	msg      string
	service  string
	fields   map[string]any
	noFields bool
}

// testOptions reads zone-less stamps as UTC and infers syslog years from
// the first of March 2024.
var testOptions = Options{ModTime: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions
			if tt.opt != nil {
				opt = *tt.opt
			}
			got := Parse([]byte(tt.in), opt)
			if got.Format != tt.format {
				t.Errorf("Format = %q, want %q", got.Format, tt.format)
			}
			want := mustTime(t, tt.time)
			if !got.Time.Equal(want) {
				t.Errorf("Time = %v, want %v", got.Time, want)
			}
			if !got.Time.IsZero() && got.Time.Location() != time.UTC {
				t.Errorf("Time %v is not in UTC", got.Time)
			}
			if got.Level != tt.level {
				t.Errorf("Level = %q, want %q", got.Level, tt.level)
			}
			if got.Message != tt.msg {
				t.Errorf("Message = %q, want %q", got.Message, tt.msg)
			}
			if got.Service != tt.service {
				t.Errorf("Service = %q, want %q", got.Service, tt.service)
			}
			for k, v := range tt.fields {
				if gv, ok := got.Fields[k]; !ok || !reflect.DeepEqual(gv, v) {
					t.Errorf("Fields[%q] = %#v (present %v), want %#v", k, gv, ok, v)
				}
			}
			if tt.noFields && len(got.Fields) != 0 {
				t.Errorf("Fields = %v, want none", got.Fields)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	plus2 := &Options{Location: time.FixedZone("plus2", 2*3600)}
	runParseCases(t, []parseCase{
		{
			name:   "basic",
			in:     `{"time":"2024-01-02T15:04:05.123Z","level":"info","msg":"order placed","transaction_id":"TXN-1"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05.123Z", level: trace.LevelInfo, msg: "order placed",
			fields: map[string]any{"transaction_id": "TXN-1"},
		},
		{
			name:   "nested object and numbers",
			in:     `{"ts":"2024-01-02T15:04:05Z","message":"paid","order":{"id":"O-1","amount":12.50,"items":[1,"two",null,true]},"retry":3}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", msg: "paid",
			fields: map[string]any{
				"order": map[string]any{"id": "O-1", "amount": json.Number("12.50"), "items": []any{json.Number("1"), "two", nil, true}},
				"retry": json.Number("3"),
			},
		},
		{
			name:   "epoch seconds",
			in:     `{"ts":1700000000,"msg":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20Z", msg: "x",
		},
		{
			name:   "epoch fractional seconds",
			in:     `{"ts":1700000000.123,"msg":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123Z", msg: "x",
		},
		{
			name:   "epoch milliseconds (pino)",
			in:     `{"level":30,"time":1700000000123,"pid":1,"hostname":"h","msg":"hello"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123Z", level: trace.LevelInfo, msg: "hello",
		},
		{
			name:   "epoch microseconds",
			in:     `{"timestamp":1700000000123456,"msg":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123456Z", msg: "x",
		},
		{
			name:   "epoch nanoseconds",
			in:     `{"timestamp":1700000000123456789,"msg":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123456789Z", msg: "x",
		},
		{
			name:   "epoch as string",
			in:     `{"ts":"1700000000123","msg":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123Z", msg: "x",
		},
		{
			name:   "bunyan level 50",
			in:     `{"name":"api","hostname":"h","pid":1,"level":50,"msg":"failed","time":"2024-01-02T15:04:05.000Z","v":0}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "failed",
		},
		{
			name:   "ECS",
			in:     `{"@timestamp":"2024-01-02T15:04:05.123Z","log":{"level":"warn","logger":"x"},"message":"slow","service":{"name":"checkout"}}`,
			format: FormatJSON, time: "2024-01-02T15:04:05.123Z", level: trace.LevelWarn, msg: "slow", service: "checkout",
		},
		{
			name:   "dotted keys",
			in:     `{"@timestamp":"2024-01-02T15:04:05Z","log.level":"ERROR","message":"boom","service.name":"payments"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "boom", service: "payments",
		},
		{
			name:   "log4j2 instant",
			in:     `{"instant":{"epochSecond":1700000000,"nanoOfSecond":123456789},"level":"WARN","loggerName":"a.B","message":"careful"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.123456789Z", level: trace.LevelWarn, msg: "careful",
		},
		{
			name:   "protobuf seconds and nanos",
			in:     `{"timestamp":{"seconds":1700000000,"nanos":5},"severity":"ERROR","message":"x"}`,
			format: FormatJSON, time: "2023-11-14T22:13:20.000000005Z", level: trace.LevelError, msg: "x",
		},
		{
			name:   "timestamp precedence",
			in:     `{"time":"2024-01-02T00:00:00Z","@timestamp":"2024-05-06T00:00:00Z","msg":"x"}`,
			format: FormatJSON, time: "2024-05-06T00:00:00Z", msg: "x",
		},
		{
			name:   "unreadable time field is skipped",
			in:     `{"time":"soon","ts":"2024-01-02T15:04:05Z","msg":"x"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", msg: "x",
		},
		{
			name:   "zone-less time in location",
			in:     `{"datetime":"2024-01-02 15:04:05,250","msg":"x"}`,
			opt:    plus2,
			format: FormatJSON, time: "2024-01-02T13:04:05.25Z", msg: "x",
		},
		{
			name:   "eventTime",
			in:     `{"eventTime":"2024-01-02T15:04:05Z","eventName":"PutObject"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z",
		},
		{
			name:   "time_local",
			in:     `{"time_local":"02/Jan/2024:15:04:05 +0100","status":"200","request":"GET / HTTP/1.1"}`,
			format: FormatJSON, time: "2024-01-02T14:04:05Z",
		},
		{
			name:   "t key",
			in:     `{"t":"2024-01-02T15:04:05Z","lvl":"dbug","msg":"x"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", msg: "x",
		},
		{
			name:   "status as level word",
			in:     `{"status":"error","msg":"x"}`,
			format: FormatJSON, level: trace.LevelError, msg: "x",
		},
		{
			name:   "status as HTTP number is no level",
			in:     `{"status":500,"msg":"x"}`,
			format: FormatJSON, msg: "x",
		},
		{
			name:   "level wins over status",
			in:     `{"status":"error","level":"info","msg":"x"}`,
			format: FormatJSON, level: trace.LevelInfo, msg: "x",
		},
		{
			name:   "python json logger",
			in:     `{"asctime":"2024-01-02 15:04:05,123","levelname":"WARNING","name":"app","message":"careful"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05.123Z", level: trace.LevelWarn, msg: "careful",
		},
		{
			name:   "structlog event",
			in:     `{"event":"user logged in","level":"info","timestamp":"2024-01-02T15:04:05Z"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "user logged in",
		},
		{
			name:   "msg before message",
			in:     `{"message":"second","msg":"first"}`,
			format: FormatJSON, msg: "first",
		},
		{
			name:   "non-string message is skipped",
			in:     `{"msg":{"a":1},"message":"text"}`,
			format: FormatJSON, msg: "text",
		},
		{
			name:   "escapes and unicode",
			in:     `{"msg":"a\tb \"q\" \u00e9 \ud83d\ude00 \u0041"}`,
			format: FormatJSON, msg: "a\tb \"q\" é 😀 A",
		},
		{
			name:   "invalid UTF-8 becomes U+FFFD",
			in:     "{\"msg\":\"a\xffb\"}",
			format: FormatJSON, msg: "a\uFFFDb",
		},
		{
			name:   "byte order mark and spaces",
			in:     "\ufeff  {\"msg\":\"x\"}  ",
			format: FormatJSON, msg: "x",
		},
		{
			name:   "truncated JSON falls back to text",
			in:     `{"level":"error","msg":"cut off`,
			format: FormatText, msg: `{"level":"error","msg":"cut off`,
		},
		{
			name:   "trailing garbage falls back to text",
			in:     `{"msg":"x"} extra`,
			format: FormatText, msg: `{"msg":"x"} extra`,
		},
		{
			name:   "continuation lines",
			in:     "{\"level\":\"error\",\"msg\":\"failed\"}\n\tat a.B.c(B.java:1)\r\n\tat a.B.d(B.java:2)",
			format: FormatJSON, level: trace.LevelError, msg: "failed\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)",
		},
	})
}

func TestParseService(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "service string", in: `{"service":"orders","app":"x"}`, format: FormatJSON, service: "orders"},
		{name: "service object", in: `{"service":{"name":"orders"},"app":"x"}`, format: FormatJSON, service: "orders"},
		{name: "service.name dotted", in: `{"service.name":"orders","app":"x"}`, format: FormatJSON, service: "orders"},
		{name: "service before service.name", in: `{"service.name":"b","service":"a"}`, format: FormatJSON, service: "a"},
		{name: "service_name", in: `{"service_name":"orders","application":"x"}`, format: FormatJSON, service: "orders"},
		{name: "serviceName", in: `{"serviceName":"orders","component":"x"}`, format: FormatJSON, service: "orders"},
		{name: "app before application", in: `{"application":"b","app":"a"}`, format: FormatJSON, service: "a"},
		{name: "app_name", in: `{"app_name":"a","component":"c"}`, format: FormatJSON, service: "a"},
		{name: "application", in: `{"application":"a","component":"c"}`, format: FormatJSON, service: "a"},
		{name: "kubernetes nested", in: `{"kubernetes":{"container_name":"web","pod_name":"web-1"},"component":"c"}`, format: FormatJSON, service: "web"},
		{name: "kubernetes dotted", in: `{"kubernetes.container_name":"web"}`, format: FormatJSON, service: "web"},
		{name: "container_name", in: `{"container_name":"web","component":"c"}`, format: FormatJSON, service: "web"},
		{name: "component last", in: `{"component":"c"}`, format: FormatJSON, service: "c"},
		{name: "empty and non-string skipped", in: `{"service":"","app":7,"component":"c"}`, format: FormatJSON, service: "c"},
		{name: "object without name skipped", in: `{"service":{"version":"1"},"app":"a"}`, format: FormatJSON, service: "a"},
		{name: "logfmt", in: `level=info service=orders msg=x`, format: FormatLogfmt, level: trace.LevelInfo, msg: "x", service: "orders"},
		{name: "syslog field before appname", in: `<14>Feb  5 10:00:00 web1 app[3]: done service=billing`, format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelInfo, msg: "done service=billing", service: "billing", fields: map[string]any{"appname": "app"}},
		{name: "syslog JSON field before appname", in: `<14>1 2024-01-02T15:04:05Z h api 1 - - {"service":"orders","msg":"x"}`, format: FormatSyslog, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "x", service: "orders", fields: map[string]any{"appname": "api"}},
		{name: "syslog appname", in: `<14>1 2024-01-02T15:04:05Z h api 1 - - x`, format: FormatSyslog, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "x", service: "api"},
		{name: "text pair", in: `2024-01-02T15:04:05Z INFO started app=orders`, format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "started app=orders", service: "orders", fields: map[string]any{"app": "orders"}},
	})
}

func TestParseLogfmt(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:   "basic",
			in:     `time=2024-01-02T15:04:05Z level=info msg="a b" transaction_id=TXN-1`,
			format: FormatLogfmt, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "a b",
			fields: map[string]any{"transaction_id": "TXN-1", "level": "info", "msg": "a b"},
		},
		{
			name:   "escaped quotes and empty value",
			in:     `ts=1700000000.5 lvl=WARN msg="say \"hi\"" empty= path=/a?b=c`,
			format: FormatLogfmt, time: "2023-11-14T22:13:20.5Z", level: trace.LevelWarn, msg: `say "hi"`,
			fields: map[string]any{"empty": "", "path": "/a?b=c"},
		},
		{
			name:   "logrus text",
			in:     `time="2024-01-02T15:04:05+01:00" level=warning msg="disk low" free=10%`,
			format: FormatLogfmt, time: "2024-01-02T14:04:05Z", level: trace.LevelWarn, msg: "disk low",
			fields: map[string]any{"free": "10%"},
		},
		{
			name:   "after a timestamp",
			in:     `2024-01-02T15:04:05Z level=error msg=boom request_id=R-1`,
			format: FormatLogfmt, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "boom",
			fields: map[string]any{"request_id": "R-1"},
		},
		{
			name:   "a word that is not a pair makes it text",
			in:     `user=bob logged in`,
			format: FormatText, msg: "user=bob logged in",
			fields: map[string]any{"user": "bob"},
		},
	})
}

func TestParseText(t *testing.T) {
	plus2 := &Options{Location: time.FixedZone("plus2", 2*3600)}
	runParseCases(t, []parseCase{
		{
			name:   "ISO with T and Z",
			in:     `2024-01-02T15:04:05.123Z INFO order placed transaction_id=TXN-1`,
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelInfo, msg: "order placed transaction_id=TXN-1",
			fields: map[string]any{"transaction_id": "TXN-1"},
		},
		{
			name:   "ISO without T or zone is UTC",
			in:     `2024-01-02 15:04:05 WARN slow`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelWarn, msg: "slow", noFields: true,
		},
		{
			name:   "zone-less in location",
			in:     `2024-01-02 15:04:05 WARN slow`,
			opt:    plus2,
			format: FormatText, time: "2024-01-02T13:04:05Z", level: trace.LevelWarn, msg: "slow",
		},
		{
			name:   "offset in text wins over location",
			in:     `2024-01-02T15:04:05+0200 ERROR x`,
			opt:    &Options{Location: time.FixedZone("m5", -5*3600)},
			format: FormatText, time: "2024-01-02T13:04:05Z", level: trace.LevelError, msg: "x",
		},
		{
			name:   "log4j comma fraction",
			in:     `2024-01-02 15:04:05,123 ERROR [main] com.foo.Bar - payment declined code=51`,
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelError, msg: "payment declined code=51",
			fields: map[string]any{"code": "51"},
		},
		{
			name:   "logback thread before level",
			in:     `2024-01-02 15:04:05.123 [http-nio-8080-exec-1] INFO  com.foo.Bar - Started`,
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelInfo, msg: "Started",
		},
		{
			name:   "log4j class and line",
			in:     `2024-01-02 15:04:05,001 DEBUG Main:12 - value=3`,
			format: FormatText, time: "2024-01-02T15:04:05.001Z", level: trace.LevelDebug, msg: "value=3",
		},
		{
			name:   "bracketed timestamp and level",
			in:     `[2024-01-02 15:04:05.000] [WARN] retrying id="A B"`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelWarn, msg: `retrying id="A B"`,
			fields: map[string]any{"id": "A B"},
		},
		{
			name:   "bracketed ISO with zone",
			in:     `[2024-01-02T15:04:05+01:00] production.ERROR: Oops`,
			format: FormatText, time: "2024-01-02T14:04:05Z", msg: "production.ERROR: Oops",
		},
		{
			name:   "angle level",
			in:     `2024-01-02 15:04:05 <error> disk full`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "disk full",
		},
		{
			name:   "level= token",
			in:     `2024-01-02 15:04:05 level=warn something odd happened`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelWarn, msg: "something odd happened",
		},
		{
			name:   "python logging",
			in:     `2024-01-02 15:04:05,123 - payments.api - INFO - charged card`,
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelInfo, msg: "charged card",
		},
		{
			name:   "python basicConfig",
			in:     `WARNING:urllib3.connectionpool:Retrying`,
			format: FormatText, level: trace.LevelWarn, msg: "Retrying",
		},
		{
			name:   "spring boot",
			in:     `2024-01-02T15:04:05.123+01:00  INFO 12345 --- [orders] [           main] c.e.orders.OrdersApplication   : Started OrdersApplication in 2.1 seconds`,
			format: FormatText, time: "2024-01-02T14:04:05.123Z", level: trace.LevelInfo, msg: "Started OrdersApplication in 2.1 seconds",
		},
		{
			name:   "zap console with fields",
			in:     "2024-01-02T15:04:05.123Z\tINFO\tcmd/main.go:12\tserving\t{\"port\":8080,\"transaction_id\":\"T-1\"}",
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelInfo, msg: "serving",
			fields: map[string]any{"port": json.Number("8080"), "transaction_id": "T-1"},
		},
		{
			name:   "go log",
			in:     `2009/11/10 23:00:00 listening on :8080`,
			format: FormatText, time: "2009-11-10T23:00:00Z", msg: "listening on :8080",
		},
		{
			name:   "nginx error log",
			in:     `2024/01/02 15:04:05 [error] 1234#1234: *5 open() "/x" failed, client: 1.2.3.4`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: `1234#1234: *5 open() "/x" failed, client: 1.2.3.4`,
		},
		{
			name:   "apache error log",
			in:     `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 1.2.3.4:1234] AH00124: too many`,
			format: FormatText, time: "2000-10-11T14:32:52.123456Z", level: trace.LevelError, msg: "AH00124: too many",
		},
		{
			name:   "tomcat",
			in:     `11-Oct-2024 22:14:15.123 SEVERE [main] org.apache.catalina.Startup.start Failed`,
			format: FormatText, time: "2024-10-11T22:14:15.123Z", level: trace.LevelError, msg: "org.apache.catalina.Startup.start Failed",
		},
		{
			name:   "kubectl timestamps with JSON",
			in:     `2024-01-02T15:04:05.999999999Z {"level":"info","msg":"x"}`,
			format: FormatJSON, time: "2024-01-02T15:04:05.999999999Z", level: trace.LevelInfo, msg: "x",
		},
		{
			name:   "ruby logger",
			in:     `E, [2024-01-02T15:04:05.123456 #4711] ERROR -- billing: card declined`,
			format: FormatText, time: "2024-01-02T15:04:05.123456Z", level: trace.LevelError, msg: "card declined",
		},
		{
			name:   "glog",
			in:     `W0102 15:04:05.123456   12345 controller.go:42] Requeue key="a/b"`,
			format: FormatText, time: "2024-01-02T15:04:05.123456Z", level: trace.LevelWarn, msg: `Requeue key="a/b"`,
			fields: map[string]any{"key": "a/b"},
		},
		{
			name:   "squid epoch",
			in:     `1700000000.123    150 1.2.3.4 TCP_MISS/200 512 GET http://x/ - DIRECT/5.6.7.8 text/html`,
			format: FormatText, time: "2023-11-14T22:13:20.123Z", msg: "150 1.2.3.4 TCP_MISS/200 512 GET http://x/ - DIRECT/5.6.7.8 text/html",
		},
		{
			name:   "time of day only has no time",
			in:     `15:04:05.123 INFO tick`,
			format: FormatText, level: trace.LevelInfo, msg: "tick",
		},
		{
			name:   "no timestamp, level word",
			in:     `ERROR could not connect`,
			format: FormatText, level: trace.LevelError, msg: "could not connect",
		},
		{
			name:   "no timestamp, bracket level",
			in:     `[WARN] low memory`,
			format: FormatText, level: trace.LevelWarn, msg: "low memory",
		},
		{
			name:   "no timestamp, thread before level",
			in:     `[main] INFO hello`,
			format: FormatText, level: trace.LevelInfo, msg: "hello",
		},
		{
			name:   "plain line",
			in:     `- item one`,
			format: FormatText, msg: "- item one", noFields: true,
		},
		{
			name:   "level word later is no level",
			in:     `2024-01-02 15:04:05 user said ERROR twice`,
			format: FormatText, time: "2024-01-02T15:04:05Z", msg: "user said ERROR twice",
		},
		{
			name:   "capitalised rare level word is a word",
			in:     `2024-01-02 15:04:05 Fine weather today`,
			format: FormatText, time: "2024-01-02T15:04:05Z", msg: "Fine weather today",
		},
		{
			name:   "capitalised common level word",
			in:     `2024-01-02 15:04:05 Warning: disk 91% full`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelWarn, msg: "disk 91% full",
		},
		{
			name:   "message colon is not a logger",
			in:     `2024-01-02 15:04:05 ERROR Failed: connection refused`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "Failed: connection refused",
		},
		{
			name:   "key value pairs",
			in:     `2024-01-02 15:04:05 INFO done (order_id=O-7, user="Jane Doe"; amount=12.50) x==y`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo,
			msg:    `done (order_id=O-7, user="Jane Doe"; amount=12.50) x==y`,
			fields: map[string]any{"order_id": "O-7", "user": "Jane Doe", "amount": "12.50"},
		},
		{
			name:   "pair time and level when the header has none",
			in:     `request done ts=2024-01-02T15:04:05Z level=warn`,
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelWarn, msg: "request done ts=2024-01-02T15:04:05Z level=warn",
		},
		{
			name:   "timestamp glued to a word is not a timestamp",
			in:     `2024-01-02T15:04:05Zabc INFO x`,
			format: FormatText, msg: "2024-01-02T15:04:05Zabc INFO x",
		},
		{
			name:   "stack trace",
			in:     "2024-01-02 15:04:05,123 ERROR [main] a.B - failed\njava.lang.IllegalStateException: declined (code 51)\n\tat a.B.c(B.java:10)\n\t... 12 more",
			format: FormatText, time: "2024-01-02T15:04:05.123Z", level: trace.LevelError,
			msg: "failed\njava.lang.IllegalStateException: declined (code 51)\n\tat a.B.c(B.java:10)\n\t... 12 more",
		},
		{
			name:   "CRLF",
			in:     "2024-01-02 15:04:05 ERROR failed\r\nTraceback (most recent call last):\r\n  File \"x.py\", line 1\r",
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelError,
			msg: "failed\nTraceback (most recent call last):\n  File \"x.py\", line 1",
		},
		{
			name:   "empty",
			in:     ``,
			format: FormatText,
		},
		{
			name:   "NUL bytes",
			in:     "2024-01-02 15:04:05 INFO a\x00b",
			format: FormatText, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "a\x00b",
		},
	})
}

func TestParseAccess(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:   "combined 200",
			in:     `203.0.113.9 - alice [02/Jan/2006:15:04:05 -0700] "GET /orders/7?x=1 HTTP/1.1" 200 512 "https://shop/" "Mozilla/5.0 (X11)"`,
			format: FormatAccess, time: "2006-01-02T22:04:05Z", level: trace.LevelInfo, msg: "GET /orders/7?x=1 HTTP/1.1 200",
			fields: map[string]any{
				"remote_addr": "203.0.113.9", "remote_user": "alice", "request_method": "GET",
				"request_uri": "/orders/7?x=1", "server_protocol": "HTTP/1.1", "status": "200",
				"body_bytes_sent": "512", "http_referer": "https://shop/", "http_user_agent": "Mozilla/5.0 (X11)",
			},
		},
		{
			name:   "common 404 is warn",
			in:     `1.2.3.4 - - [02/Jan/2006:15:04:05 +0000] "POST /pay HTTP/2.0" 404 -`,
			format: FormatAccess, time: "2006-01-02T15:04:05Z", level: trace.LevelWarn, msg: "POST /pay HTTP/2.0 404",
			fields: map[string]any{"remote_addr": "1.2.3.4", "status": "404"},
		},
		{
			name:   "503 is error, extra pairs",
			in:     `1.2.3.4 - - [02/Jan/2006:15:04:05 +0000] "GET /x HTTP/1.1" 503 0 "-" "curl/8.0" rt=0.120 request_id=REQ-9`,
			format: FormatAccess, time: "2006-01-02T15:04:05Z", level: trace.LevelError, msg: "GET /x HTTP/1.1 503",
			fields: map[string]any{"request_id": "REQ-9", "rt": "0.120"},
		},
		{
			name:   "virtual host and escaped quote",
			in:     `shop.example:443 1.2.3.4 - - [02/Jan/2006:15:04:05 +0100] "GET /q=\"x\" HTTP/1.1" 302 5 "-" "a \"b\""`,
			format: FormatAccess, time: "2006-01-02T14:04:05Z", level: trace.LevelInfo, msg: `GET /q=\"x\" HTTP/1.1 302`,
			fields: map[string]any{"vhost": "shop.example:443", "remote_addr": "1.2.3.4", "http_user_agent": `a \"b\"`},
		},
		{
			name:   "location does not apply to a zoned stamp",
			in:     `1.2.3.4 - - [02/Jan/2006:15:04:05 +0000] "GET / HTTP/1.1" 200 1`,
			opt:    &Options{Location: time.FixedZone("plus2", 7200)},
			format: FormatAccess, time: "2006-01-02T15:04:05Z", level: trace.LevelInfo, msg: "GET / HTTP/1.1 200",
		},
		{
			name:   "bad request line",
			in:     `1.2.3.4 - - [02/Jan/2006:15:04:05 +0000] "\x16\x03\x01" 400 157 "-" "-"`,
			format: FormatAccess, time: "2006-01-02T15:04:05Z", level: trace.LevelWarn, msg: `\x16\x03\x01 400`,
		},
	})
}

func TestParseSyslog(t *testing.T) {
	jan2 := &Options{ModTime: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	runParseCases(t, []parseCase{
		{
			name:   "3164 with PRI",
			in:     `<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
			format: FormatSyslog, time: "2023-10-11T22:14:15Z", level: trace.LevelFatal,
			msg: "'su root' failed for lonvick on /dev/pts/8", service: "su",
			fields: map[string]any{"host": "mymachine", "appname": "su"},
		},
		{
			name:   "3164 severity warning with pid",
			in:     `<12>Feb  5 10:00:00 web1 nginx[812]: upstream timed out request_id=R-1`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelWarn,
			msg: "upstream timed out request_id=R-1", service: "nginx",
			fields: map[string]any{"host": "web1", "appname": "nginx", "procid": "812", "request_id": "R-1"},
		},
		{
			name:   "3164 severity debug",
			in:     `<15>Feb  5 10:00:00 web1 app: x`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelDebug, msg: "x", service: "app",
		},
		{
			name:   "3164 severity info and notice",
			in:     `<13>Feb  5 10:00:00 web1 app: x`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelInfo, msg: "x", service: "app",
		},
		{
			name:   "3164 severity error",
			in:     `<11>Feb  5 10:00:00 web1 app: x`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelError, msg: "x", service: "app",
		},
		{
			name:   "3164 without PRI, level from the message",
			in:     `Feb  5 10:00:00 web1 app[1]: ERROR payment failed`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", level: trace.LevelError, msg: "payment failed", service: "app",
		},
		{
			name:   "3164 without tag",
			in:     `Feb  5 10:00:00 web1 kernel panic imminent`,
			format: FormatSyslog, time: "2024-02-05T10:00:00Z", msg: "kernel panic imminent",
			fields: map[string]any{"host": "web1"},
		},
		{
			name:   "year inference: December read in January",
			in:     `Dec 31 23:59:59 h app: x`,
			opt:    jan2,
			format: FormatSyslog, time: "2023-12-31T23:59:59Z", msg: "x", service: "app",
		},
		{
			name:   "year inference: New Year read in January",
			in:     `Jan  1 00:00:01 h app: x`,
			opt:    jan2,
			format: FormatSyslog, time: "2024-01-01T00:00:01Z", msg: "x", service: "app",
		},
		{
			name:   "year inference: clock a little ahead",
			in:     `Jan  2 13:00:00 h app: x`,
			opt:    jan2,
			format: FormatSyslog, time: "2024-01-02T13:00:00Z", msg: "x", service: "app",
		},
		{
			name:   "zone-less syslog in location",
			in:     `Jan  1 12:00:00 h app: x`,
			opt:    &Options{ModTime: jan2.ModTime, Location: time.FixedZone("plus2", 7200)},
			format: FormatSyslog, time: "2024-01-01T10:00:00Z", msg: "x", service: "app",
		},
		{
			name:   "PRI with RFC 3339 stamp",
			in:     `<30>2024-01-02T15:04:05.123+01:00 host app[9]: started`,
			format: FormatSyslog, time: "2024-01-02T14:04:05.123Z", level: trace.LevelInfo, msg: "started", service: "app",
		},
		{
			name:   "PRI alone",
			in:     `<27>something odd`,
			format: FormatSyslog, level: trace.LevelError, msg: "something odd",
		},
		{
			name:   "rsyslog high precision",
			in:     `2024-01-02T15:04:05.123456+00:00 web1 nginx[99]: GET / done`,
			format: FormatSyslog, time: "2024-01-02T15:04:05.123456Z", msg: "GET / done", service: "nginx",
			fields: map[string]any{"host": "web1", "procid": "99"},
		},
		{
			name:   "5424",
			in:     `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event`,
			format: FormatSyslog, time: "2003-10-11T22:14:15.003Z", level: trace.LevelInfo, msg: "An application event", service: "evntslog",
			fields: map[string]any{"host": "mymachine.example.com", "appname": "evntslog", "msgid": "ID47", "iut": "3", "eventSource": "Application"},
		},
		{
			name:   "5424 offset, BOM, escaped SD",
			in:     "<11>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [a@1 q=\"x\\\"y\\]z\"][b@2 n=\"1\"] \ufeffdisk failed",
			format: FormatSyslog, time: "2003-08-24T12:14:15.000003Z", level: trace.LevelError, msg: "disk failed", service: "myproc",
			fields: map[string]any{"procid": "8710", "q": `x"y]z`, "n": "1"},
		},
		{
			name:   "5424 nil values",
			in:     `<14>1 - - - - - -`,
			format: FormatSyslog, level: trace.LevelInfo,
		},
		{
			name:   "5424 with JSON message",
			in:     `<14>1 2024-01-02T15:04:05Z h api 1 - - {"msg":"charged","transaction_id":"TXN-9"}`,
			format: FormatSyslog, time: "2024-01-02T15:04:05Z", level: trace.LevelInfo, msg: "charged", service: "api",
			fields: map[string]any{"transaction_id": "TXN-9", "host": "h"},
		},
		{
			name:   "5424 continuation",
			in:     "<11>1 2024-01-02T15:04:05Z h api 1 - - failed\n\tat x.Y(Y.java:1)",
			format: FormatSyslog, time: "2024-01-02T15:04:05Z", level: trace.LevelError, msg: "failed\n\tat x.Y(Y.java:1)", service: "api",
		},
	})
}

func TestParseContainer(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:   "docker inner JSON",
			in:     `{"log":"{\"time\":\"2024-01-02T15:04:05.5Z\",\"level\":\"error\",\"msg\":\"boom\",\"service\":\"api\"}\n","stream":"stderr","time":"2024-01-02T15:04:06.123456789Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:05.5Z", level: trace.LevelError, msg: "boom", service: "api",
			fields: map[string]any{"stream": "stderr", "level": "error"},
		},
		{
			name:   "docker inner text with full date",
			in:     `{"log":"2024-01-02 15:04:05,250 WARN [main] a.B - slow\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:05.25Z", level: trace.LevelWarn, msg: "slow",
			fields: map[string]any{"stream": "stdout"},
		},
		{
			name:   "docker inner time without date uses the runtime's",
			in:     `{"log":"15:04:05 INFO tick\n","stream":"stdout","time":"2024-01-02T15:04:06.5Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:06.5Z", level: trace.LevelInfo, msg: "tick",
		},
		{
			name:   "docker inner syslog without year uses the runtime's",
			in:     `{"log":"Jan  2 15:04:05 h app: x\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:06Z", msg: "x", service: "app",
		},
		{
			name:   "docker inner plain",
			in:     `{"log":"listening on :80\r\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:06Z", msg: "listening on :80",
			fields: map[string]any{"stream": "stdout"},
		},
		{
			name:   "docker compose service",
			in:     `{"log":"hi\n","stream":"stdout","attrs":{"com.docker.compose.service":"web"},"time":"2024-01-02T15:04:06Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:06Z", msg: "hi", service: "web",
		},
		{
			name: "docker partial lines and continuation",
			in: `{"log":"2024-01-02T15:04:05Z ERROR first half ","stream":"stdout","time":"2024-01-02T15:04:06Z"}` + "\n" +
				`{"log":"second half\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}` + "\n" +
				`{"log":"\tat a.B(B.java:1)\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}` + "\n" +
				`{"log":"\tat a.B(B.ja","stream":"stdout","time":"2024-01-02T15:04:06Z"}` + "\n" +
				`{"log":"va:2)\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`,
			format: FormatDocker, time: "2024-01-02T15:04:05Z", level: trace.LevelError,
			msg: "first half second half\n\tat a.B(B.java:1)\n\tat a.B(B.java:2)",
		},
		{
			name:   "docker-looking JSON without stream is JSON",
			in:     `{"log":"x","msg":"y"}`,
			format: FormatJSON, msg: "y",
		},
		{
			name:   "CRI full line with inner JSON",
			in:     `2016-10-06T00:17:09.669794202Z stdout F {"level":"info","msg":"ready","app":"cart"}`,
			format: FormatCRI, time: "2016-10-06T00:17:09.669794202Z", level: trace.LevelInfo, msg: "ready", service: "cart",
			fields: map[string]any{"stream": "stdout", "app": "cart"},
		},
		{
			name:   "CRI inner text with full date",
			in:     `2016-10-06T00:17:09.669794202Z stderr F 2016-10-06 00:17:08,001 ERROR x.Y - failed`,
			format: FormatCRI, time: "2016-10-06T00:17:08.001Z", level: trace.LevelError, msg: "failed",
			fields: map[string]any{"stream": "stderr"},
		},
		{
			name:   "CRI inner zone-less in location",
			in:     `2016-10-06T00:17:09Z stdout F 2016-10-06 02:17:08 INFO x`,
			opt:    &Options{Location: time.FixedZone("plus2", 7200)},
			format: FormatCRI, time: "2016-10-06T00:17:08Z", level: trace.LevelInfo, msg: "x",
		},
		{
			name:   "CRI inner without time",
			in:     `2016-10-06T00:17:09.5+02:00 stdout F WARN careful`,
			format: FormatCRI, time: "2016-10-05T22:17:09.5Z", level: trace.LevelWarn, msg: "careful",
		},
		{
			name: "CRI partial then full, then continuation",
			in: "2016-10-06T00:17:09Z stdout P {\"msg\":\"long \n" +
				"2016-10-06T00:17:09Z stdout P mess\n" +
				"2016-10-06T00:17:09Z stdout F age\",\"level\":\"error\"}\n" +
				"2016-10-06T00:17:09Z stdout F \tat a.B(B.java:1)",
			format: FormatCRI, time: "2016-10-06T00:17:09Z", level: trace.LevelError, msg: "long message\n\tat a.B(B.java:1)",
		},
		{
			name:   "CRI empty line",
			in:     `2016-10-06T00:17:09Z stdout F`,
			format: FormatCRI, time: "2016-10-06T00:17:09Z",
			fields: map[string]any{"stream": "stdout"},
		},
		{
			name:   "not CRI: unknown stream",
			in:     `2016-10-06T00:17:09Z stdin F x`,
			format: FormatText, time: "2016-10-06T00:17:09Z", msg: "stdin F x",
		},
	})
}

// TestParseLargeAndDeep checks that huge lines and deep nesting are read
// (or refused) without trouble.
func TestParseLargeAndDeep(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	r := Parse([]byte(`{"msg":"`+long+`"}`), Options{})
	if r.Format != FormatJSON || len(r.Message) != len(long) {
		t.Fatalf("huge JSON line: format %q, message of %d bytes", r.Format, len(r.Message))
	}
	deep := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	r = Parse([]byte(deep), Options{})
	if r.Format != FormatText {
		t.Fatalf("100000 levels deep: format %q, want text", r.Format)
	}
	ok := strings.Repeat(`{"a":`, 100) + `{"msg":"x"}` + strings.Repeat("}", 100)
	r = Parse([]byte(ok), Options{})
	if r.Format != FormatJSON {
		t.Fatalf("100 levels deep: format %q, want json", r.Format)
	}
	pairs := strings.Repeat("k=v ", 10000)
	r = Parse([]byte("2024-01-02 15:04:05 INFO "+pairs+"x"), Options{})
	if len(r.Fields) > maxPairs {
		t.Fatalf("%d fields from one text line, want at most %d", len(r.Fields), maxPairs)
	}
}

// TestFieldLists checks that every name of the field lists is found, in a
// small map (scanned through presentKeys) and in a large one (looked up
// directly), flat and nested.
func TestFieldLists(t *testing.T) {
	lists := []struct {
		name  string
		keys  []string
		value any
		check func(r Record) bool
	}{
		{"time", timeKeys[:], "2024-01-02T15:04:05Z", func(r Record) bool { return r.Time.Equal(mustTime(t, "2024-01-02T15:04:05Z")) }},
		{"level", levelKeys[:], "warn", func(r Record) bool { return r.Level == trace.LevelWarn }},
		{"message", messageKeys[:], "hello", func(r Record) bool { return r.Message == "hello" }},
		{"service", serviceKeys[:], "svc", func(r Record) bool { return r.Service == "svc" }},
	}
	for _, l := range lists {
		if len(l.keys) > 32 {
			t.Fatalf("%s list has %d names; the bit masks hold 32", l.name, len(l.keys))
		}
		for _, k := range l.keys {
			for _, size := range []int{0, 30} {
				m := map[string]any{}
				for i := range size {
					m["filler"+strconv.Itoa(i)] = "x"
				}
				if head, tail, dotted := strings.Cut(k, "."); dotted && size > 0 {
					m[head] = map[string]any{tail: l.value}
				} else {
					m[k] = l.value
				}
				p := parser{loc: time.UTC, ref: testOptions.ModTime}
				var r result
				p.fillFromFields(&r, m, true)
				if !l.check(r.rec) {
					t.Errorf("%s field %q in a map of %d: got %+v", l.name, k, len(m), r.rec)
				}
			}
		}
	}
}

// TestParseLinearWork feeds inputs that would take quadratic time to a
// careless parser; each must be read in well under a second.
func TestParseLinearWork(t *testing.T) {
	var cri, docker strings.Builder
	for range 4000 {
		cri.WriteString("2016-10-06T00:17:09Z stdout P " + strings.Repeat("x", 1000) + "\n")
		docker.WriteString(`{"log":"` + strings.Repeat("y", 1000) + `","stream":"stdout"}` + "\n")
	}
	cri.WriteString("2016-10-06T00:17:09Z stdout F end")
	docker.WriteString(`{"log":"end\n","stream":"stdout"}`)
	tests := []struct {
		name string
		in   string
		size int // length of the message
	}{
		{"open quotes", "2024-01-02 15:04:05 INFO " + strings.Repeat(`a="`, 300000), -1},
		{"unclosed logfmt", strings.Repeat(`a="b `, 200000), -1},
		{"brackets", strings.Repeat("[", 1<<20), -1},
		{"equals", strings.Repeat("=", 1<<20), -1},
		{"many continuation lines", "x" + strings.Repeat("\n\tat a.B(B.java:1)", 100000), -1},
		{"CRI parts", cri.String(), 4000*1000 + 3},
		{"Docker parts", docker.String(), 4000*1000 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := Parse([]byte(tt.in), Options{})
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
			if tt.size >= 0 && len(r.Message) != tt.size {
				t.Fatalf("message of %d bytes, want %d", len(r.Message), tt.size)
			}
		})
	}
}

// TestDockerInnerSharesRecord checks that a Docker record whose "log"
// holds no escape but its final \n is parsed out of the record's own
// bytes (what redaction and memory rely on), and that one with escapes
// is still decoded.
func TestDockerInnerSharesRecord(t *testing.T) {
	within := func(outer, s string) bool {
		o, p := uintptr(unsafe.Pointer(unsafe.StringData(outer))), uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= o && p+uintptr(len(s)) <= o+uintptr(len(outer))
	}
	for _, tc := range []struct {
		name, in, msg string
		shared        bool
	}{
		{"plain", `{"log":"2024-01-02 15:04:05 INFO [mailer] sent transaction_id=T-1 to=a\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`, "sent transaction_id=T-1 to=a", true},
		{"escaped quote", `{"log":"2024-01-02 15:04:05 INFO [mailer] sent \"x\" transaction_id=T-1\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`, `sent "x" transaction_id=T-1`, false},
		{"carriage return", `{"log":"2024-01-02 15:04:05 INFO [mailer] sent transaction_id=T-1\r\n","stream":"stdout","time":"2024-01-02T15:04:06Z"}`, "sent transaction_id=T-1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ParseString(tc.in, testOptions)
			if p.Message != tc.msg {
				t.Fatalf("message %q, want %q", p.Message, tc.msg)
			}
			if got := within(tc.in, p.Message); got != tc.shared {
				t.Fatalf("message shares the record's bytes: %v, want %v", got, tc.shared)
			}
			if v, _ := p.Fields["transaction_id"].(string); v != "T-1" || within(tc.in, v) != tc.shared {
				t.Fatalf("transaction_id %q, shared %v, want T-1 shared %v", v, within(tc.in, v), tc.shared)
			}
		})
	}
}

// TestFromBody checks what a store row's message text adds to the row:
// level, service and message from the text, and the text's fields the
// row lacks (the row's own win).
func TestFromBody(t *testing.T) {
	fields := map[string]any{"order_id": "ORD-1"}
	level, service, msg := FromBody(`{"level":"error","msg":"charge failed","service":"psp","order_id":"ORD-2","amount":"9.90"}`, fields, testOptions)
	if level != trace.LevelError || service != "psp" || msg != "charge failed" {
		t.Fatalf("got %q %q %q", level, service, msg)
	}
	if fields["order_id"] != "ORD-1" || fields["amount"] != "9.90" {
		t.Fatalf("fields %v", fields)
	}
	if _, _, msg := FromBody("no structure at all", map[string]any{}, testOptions); msg != "no structure at all" {
		t.Fatalf("plain text message %q", msg)
	}
}
