package clickhouse

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

var base = time.Date(2025, 10, 21, 10, 0, 0, 0, time.UTC)

func scan(t *testing.T, s *Source, q *source.Query) (*sourcetest.Collector, source.Stats) {
	t.Helper()
	var c sourcetest.Collector
	st, err := s.Scan(t.Context(), q, &c)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return &c, st
}

// TestContract runs the contract suite on a real ClickHouse. The fixture
// stores each record of the suite's files as one row of a table of its
// own (the record's text as the body, the service its path implies, its
// time in whole seconds), with the record's path and line in two columns
// that the source reads through path_column and line_column, since a table
// has no line numbers of its own.
func TestContract(t *testing.T) {
	c := clickhouse(t)
	sourcetest.Run(t, Driver(nil), func(t *testing.T, files map[string][]byte) source.Spec {
		var rows []row
		for _, r := range storetest.Records(files) {
			rows = append(rows, row{Time: r.Time, Service: r.Service, Body: r.Text, Path: r.Path, Line: r.Line})
		}
		return spec(c, table(t, c, rows), nil)
	})
}

// TestWhereTheIDIs checks each place a row may hold the id: the trace id,
// an attribute (any, or only the configured keys), the body; and what is
// not searched: the resource attributes, another attribute key.
func TestWhereTheIDIs(t *testing.T) {
	c := clickhouse(t)
	rows := []row{
		{Line: 1, Body: "no id here", TraceID: "ID-1"},
		{Line: 2, Body: "attribute", Attrs: [][2]string{{"transaction_id", "ID-1"}}},
		{Line: 3, Body: "other key", Attrs: [][2]string{{"order_ref", "ID-1"}}},
		{Line: 4, Body: "body holds ID-1 as a token"},
		{Line: 5, Body: "resource only", Resource: `{"deployment":"ID-1"}`},
		{Line: 6, Body: "unrelated", TraceID: "ID-2", Attrs: [][2]string{{"transaction_id", "ID-2"}}},
		{Line: 7, Body: "attribute inside a url", Attrs: [][2]string{{"http.url", "/orders?id=ID-1"}}},
	}
	for i := range rows {
		rows[i].Time, rows[i].Service, rows[i].Path = base, "s", "t"
	}
	name := table(t, c, rows)
	for _, tc := range []struct {
		name string
		opts map[string]string
		want []int64
	}{
		{"every attribute", nil, []int64{1, 2, 3, 4, 7}},
		{"configured keys", map[string]string{"attribute_keys": "transaction_id, request_id"}, []int64{1, 2, 4}},
		{"no trace id column", map[string]string{"trace_id_column": "", "attribute_keys": "transaction_id"}, []int64{2, 4}},
		{"no attributes column", map[string]string{"attributes_column": ""}, []int64{1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, spec(c, name, tc.opts))
			col, _ := scan(t, s, &source.Query{IDs: []string{"ID-1"}})
			var got []int64
			for _, r := range col.Records() {
				got = append(got, r.Line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got rows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestJSONAttributes checks the mapping of attributes kept as a JSON
// text, with escaped values.
func TestJSONAttributes(t *testing.T) {
	c := clickhouse(t)
	name := fmt.Sprintf("json_%d", server.tables.Add(1))
	if err := c.Exec(t.Context(), "CREATE TABLE pt."+name+" (ts DateTime, msg String, attrs String, svc String, n UInt32) ENGINE = MergeTree() ORDER BY ts"); err != nil {
		t.Fatal(err)
	}
	if err := c.InsertJSON(t.Context(), "pt."+name, []map[string]any{
		{"ts": base.Unix(), "msg": "one", "attrs": `{"transaction_id":"q\"1","n":5}`, "svc": "a", "n": 1},
		{"ts": base.Unix(), "msg": "two", "attrs": `{"request_id":"q\"1"}`, "svc": "b", "n": 2},
		{"ts": base.Unix(), "msg": "three", "attrs": `{"request_id":"x"}`, "svc": "b", "n": 3},
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		keys string
		want []int64
	}{
		{"any attribute", "", []int64{1, 2}},
		{"one key", "transaction_id", []int64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, source.Spec{Location: "clickhouse://" + c.Native + "/pt", Options: map[string]string{
				"table": name, "time_column": "ts", "body_column": "msg", "attributes_column": "attrs", "attributes_type": "json",
				"service_column": "svc", "line_column": "n", "trace_id_column": "", "span_id_column": "", "severity_column": "",
				"resource_attributes_column": "", "attribute_keys": tc.keys, "default_window": "36500d",
			}})
			col, _ := scan(t, s, &source.Query{IDs: []string{`q"1`}})
			var got []int64
			for _, r := range col.Records() {
				got = append(got, r.Line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got rows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestHostileIDs checks that ids that look like SQL are bound values:
// each finds the rows that hold it, and no other.
func TestHostileIDs(t *testing.T) {
	c := clickhouse(t)
	hostile := []string{
		`'`, `''`, `\`, `\'`, `a'b`, `' OR 1=1 --`, `'; DROP TABLE pt.x; --`, `?`, `? OR ?`, `@name`, `{p:String}`,
		"`x`", `%`, `_`, "line\nbreak", `"q"`, `*/ /*`, `SELECT`, `x\0y`, "日本-1", `$1`,
	}
	var rows []row
	for i, id := range hostile {
		rows = append(rows, row{Time: base, Service: "h", Path: "h", Line: int64(i + 1), Body: "before id=" + id + " after",
			Attrs: [][2]string{{"transaction_id", id}}})
	}
	rows = append(rows, row{Time: base, Service: "h", Path: "h", Line: 1000, Body: "an innocent row"})
	name := table(t, c, rows)
	for _, keys := range []string{"", "transaction_id"} {
		s := open(t, spec(c, name, map[string]string{"attribute_keys": keys}))
		for i, id := range hostile {
			t.Run(fmt.Sprintf("keys %q/%q", keys, id), func(t *testing.T) {
				col, _ := scan(t, s, &source.Query{IDs: []string{id}})
				found := false
				for _, r := range col.Records() {
					if !strings.Contains(r.Data, id) {
						t.Errorf("row without the id returned: %v", r)
					}
					found = found || r.Line == int64(i+1)
				}
				if !found {
					t.Errorf("row %d not returned: %v", i+1, col.Records())
				}
			})
		}
		t.Run(fmt.Sprintf("keys %q/all at once", keys), func(t *testing.T) {
			col, _ := scan(t, s, &source.Query{IDs: hostile})
			if n := len(col.Records()); n != len(hostile) {
				t.Errorf("got %d rows, want %d", n, len(hostile))
			}
		})
	}
	if out, err := c.Query(t.Context(), "EXISTS TABLE pt."+name); err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("the table is gone: %q %v", out, err)
	}
}

// TestRecords checks what a row becomes.
func TestRecords(t *testing.T) {
	c := clickhouse(t)
	name := table(t, c, []row{
		{Time: base, TraceID: "abc123", SpanID: "span9", Severity: "ERROR", Service: "payments", Body: "payment declined",
			Attrs: [][2]string{{"transaction_id", "TXN-5"}, {"amount", "12"}}, Resource: `{"service.name":"ignored","host.name":"h1"}`},
		{Time: base.Add(time.Second), Body: "2025-10-21T10:00:01Z WARN retry transaction_id=TXN-5",
			Resource: `{"service.name":"checkout"}`},
	})
	s := open(t, spec(c, name, map[string]string{"path_column": "", "line_column": ""}))
	var recs []source.Record
	out := &sourcetest.Collector{OnRecord: func(r *source.Record) error {
		cp := *r
		cp.Data = []byte(string(r.Data))
		recs = append(recs, cp)
		return nil
	}}
	if _, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-5"}}, out); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records", len(recs))
	}
	slices.SortFunc(recs, func(a, b source.Record) int { return a.Time.Compare(b.Time) })
	m := match.New([]string{"transaction_id", "request_id"}, false)
	for _, tc := range []struct {
		name                string
		rec                 source.Record
		service, level, msg string
		time                time.Time
		fields              map[string]string
	}{
		{"structured", recs[0], "payments", "ERROR", "payment declined", base,
			map[string]string{"trace_id": "abc123", "span_id": "span9", "transaction_id": "TXN-5", "amount": "12", "host.name": "h1"}},
		{"text body", recs[1], "checkout", "warn", "retry transaction_id=TXN-5", base.Add(time.Second),
			map[string]string{"transaction_id": "TXN-5", "service.name": "checkout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec
			if r.Fields == nil {
				t.Fatal("Fields is nil")
			}
			if r.Service != tc.service || r.Level != tc.level || r.Message != tc.msg || !r.Time.Equal(tc.time) || r.Path != "pt."+name {
				t.Errorf("got %q %q %q %v %q, want %q %q %q %v", r.Service, r.Level, r.Message, r.Time, r.Path, tc.service, tc.level, tc.msg, tc.time)
			}
			for k, v := range tc.fields {
				if r.Fields[k] != v {
					t.Errorf("field %s = %v, want %q (fields %v)", k, r.Fields[k], v, r.Fields)
				}
			}
			if _, ok := m.Find(r.Data, r.Fields, []string{"TXN-5"}); !ok {
				t.Error("the engine's re-check rejects the record")
			}
			if r.Line <= 0 {
				t.Errorf("line %d", r.Line)
			}
		})
	}
}

// TestWindowAndLimit checks the window, the default window and its
// report, and max_records.
func TestWindowAndLimit(t *testing.T) {
	c := clickhouse(t)
	var rows []row
	for i := range 50 {
		rows = append(rows, row{Time: base.Add(time.Duration(i) * time.Hour), Service: "w", Path: "w", Line: int64(i + 1), Body: fmt.Sprintf("step %d TXN-W", i)})
	}
	name := table(t, c, rows)
	for _, tc := range []struct {
		name         string
		opts         map[string]string
		since, until time.Time
		now          time.Time
		want         int
		truncated    bool
		window       bool
	}{
		{"since and until", nil, base.Add(10 * time.Hour), base.Add(19 * time.Hour), time.Time{}, 10, false, false},
		{"until is inclusive", nil, base, base, time.Time{}, 1, false, false},
		{"only since", nil, base.Add(45 * time.Hour), time.Time{}, time.Time{}, 5, false, false},
		{"default window", map[string]string{"default_window": "1d"}, time.Time{}, time.Time{}, base.Add(30 * time.Hour), 25, false, true},
		{"max_records", map[string]string{"max_records": "7"}, base, base.Add(100 * time.Hour), time.Time{}, 7, true, false},
		{"max_records not reached", map[string]string{"max_records": "50"}, base, base.Add(100 * time.Hour), time.Time{}, 50, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, spec(c, name, tc.opts))
			if !tc.now.IsZero() {
				s.now = func() time.Time { return tc.now }
			}
			col, st := scan(t, s, &source.Query{IDs: []string{"TXN-W"}, Since: tc.since, Until: tc.until})
			if got := len(col.Records()); got != tc.want {
				t.Errorf("got %d records, want %d", got, tc.want)
			}
			if st.Truncated != tc.truncated || (len(col.Warnings()) > 0) != tc.truncated {
				t.Errorf("truncated %v, warnings %q", st.Truncated, col.Warnings())
			}
			if tc.window != !st.Since.IsZero() {
				t.Errorf("window reported %v – %v", st.Since, st.Until)
			}
		})
	}
}

// TestQueryText checks that ids only ever travel as bound arguments and
// that the mapping options shape the query.
func TestQueryText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  map[string]string
		parts []string
	}{
		{"exporter's table", nil, []string{
			"SELECT `Timestamp`, `TraceId`, `SpanId`, `SeverityText`, `ServiceName`, `Body`, `LogAttributes`, `ResourceAttributes` FROM `default`.`otel_logs`",
			"`TraceId` IN (?, ?)", "arrayExists(v -> position(v, ?) > 0 OR position(v, ?) > 0, mapValues(`LogAttributes`))",
			"position(`Body`, ?) > 0", "LIMIT 100001"}},
		{"keys", map[string]string{"attribute_keys": "transaction_id,request_id", "max_records": "10"}, []string{
			"`LogAttributes`[?] IN (?, ?) OR `LogAttributes`[?] IN (?, ?)", "LIMIT 11"}},
		{"nested", map[string]string{"attributes_type": "nested", "attribute_keys": "k"}, []string{
			"`LogAttributes.key`, `LogAttributes.value`", "arrayExists((k, v) -> k = ? AND v IN (?, ?), `LogAttributes.key`, `LogAttributes.value`)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSource(source.Spec{Location: "clickhouse://h", Options: tc.opts}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{`' OR 1=1 --`, "TXN-1"}
			sql, args := s.query(ids, base, base.Add(time.Hour))
			for _, p := range tc.parts {
				if !strings.Contains(sql, p) {
					t.Errorf("query lacks %q:\n%s", p, sql)
				}
			}
			for _, id := range ids {
				if strings.Contains(sql, id) {
					t.Errorf("query text holds id %q: %s", id, sql)
				}
				if !slices.Contains(args, any(id)) {
					t.Errorf("args %v lack %q", args, id)
				}
			}
			if n := strings.Count(sql, "?"); n != len(args) {
				t.Errorf("%d placeholders, %d args", n, len(args))
			}
		})
	}
}

// TestOptions checks the reading of locations and options.
func TestOptions(t *testing.T) {
	env := map[string]string{"CLICKHOUSE_USER": "env-user", "CLICKHOUSE_PASSWORD": "env-pw", "PW": "named-pw"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name    string
		loc     string
		opts    map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"defaults", "clickhouse://h", nil, "", func(t *testing.T, c *config) {
			if c.addr != "h:9000" || c.database != "default" || c.table != "otel_logs" || c.columns["time"] != "Timestamp" || c.attrType != "map" ||
				c.username != "env-user" || c.password != "env-pw" || c.maxRecords != DefaultMaxRecords {
				t.Errorf("%+v", c)
			}
		}},
		{"location and options", "clickhouse://h:9440/logs?table=app&secure=true", map[string]string{"body_column": "Message", "password_env": "PW", "username": "u"}, "", func(t *testing.T, c *config) {
			if c.addr != "h:9440" || c.database != "logs" || c.table != "app" || !c.secure || c.columns["body"] != "Message" || c.password != "named-pw" || c.username != "u" {
				t.Errorf("%+v", c)
			}
		}},
		{"bad table", "clickhouse://h/db?table=x;drop", nil, "table name", nil},
		{"bad database", "clickhouse://h/a`b", nil, "database", nil},
		{"bad column", "clickhouse://h", map[string]string{"body_column": "Body) OR (1"}, "column name", nil},
		{"no body", "clickhouse://h", map[string]string{"body_column": ""}, "required", nil},
		{"bad kind", "clickhouse://h?attributes_type=xml", nil, "attributes_type", nil},
		{"unknown parameter", "clickhouse://h?tabel=x", nil, "unknown parameter", nil},
		{"password in the location", "clickhouse://h?password=hunter2", nil, "not accepted", nil},
		{"user info", "clickhouse://u:hunter2@h", nil, "credentials in the location", nil},
		{"short timeout", "clickhouse://h?timeout=10ms", nil, "timeout", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(source.Spec{Location: tc.loc, Options: tc.opts}, getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one about %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestWrongPassword checks that a refused login fails the scan without
// showing the password.
func TestWrongPassword(t *testing.T) {
	c := clickhouse(t)
	s := open(t, source.Spec{Location: "clickhouse://" + c.Native + "/pt", Options: map[string]string{"username": "default", "password": "wrong-pw-9"}})
	var col sourcetest.Collector
	_, err := s.Scan(t.Context(), &source.Query{IDs: []string{"x"}}, &col)
	if err == nil {
		t.Fatal("scan with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "wrong-pw-9") {
		t.Errorf("error shows the password: %v", err)
	}
}

// TestServerStopsLongQueries checks that the timeout option reaches the
// server as max_execution_time: a query over an endless, slow view that
// matches nothing is stopped by the server, well before the client would
// give up.
func TestServerStopsLongQueries(t *testing.T) {
	c := clickhouse(t)
	name := fmt.Sprintf("slow_%d", server.tables.Add(1))
	// Each block of 65536 numbers sleeps about 2.6 s (ClickHouse allows 3).
	if err := c.Exec(t.Context(), "CREATE VIEW pt."+name+" AS SELECT now() AS Timestamp, concat('x', toString(sleepEachRow(0.00004))) AS Body FROM system.numbers"); err != nil {
		t.Fatal(err)
	}
	s := open(t, source.Spec{Location: "clickhouse://" + c.Native + "/pt?table=" + name, Options: map[string]string{
		"timeout": "1s", "trace_id_column": "", "span_id_column": "", "severity_column": "", "service_column": "",
		"attributes_column": "", "resource_attributes_column": "",
	}})
	start := time.Now()
	var col sourcetest.Collector
	_, err := s.Scan(t.Context(), &source.Query{IDs: []string{"never"}, Since: base, Until: time.Now().Add(time.Hour)}, &col)
	if err == nil || !strings.Contains(err.Error(), "Timeout exceeded") {
		t.Errorf("error %v, want the server's timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %v", d)
	}
}
