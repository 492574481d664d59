package victorialogs

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// TestContract runs the contract suite on a real VictoriaLogs. The fixture
// stores each record of the suite's files as one row of a tenant of its
// own (the record's text as _msg, the service its path implies as the
// stream, and its path and line as fields), and the source reads them with
// path_field and line_field, since a log store has no line numbers of its
// own. The suite expects every record that holds an id as bytes (TXN-10
// for TXN-1), so the source runs with match=substring; the default phrase
// match is checked against the engine's re-check in
// TestPhraseMatchKeepsWhatTheEngineAccepts.
func TestContract(t *testing.T) {
	v := single(t)
	sourcetest.Run(t, Driver(nil), func(t *testing.T, files map[string][]byte) source.Spec {
		tenant := newTenant()
		load(t, v, tenant, storetest.Records(files))
		return spec(v, tenant, map[string]string{"match": "substring", "path_field": "path", "line_field": "line"})
	})
}

// TestCluster traces across two storage nodes behind a front end, the
// records inserted through the front end.
func TestCluster(t *testing.T) {
	v := cluster(t)
	tenant := newTenant()
	var recs []storetest.Record
	base := time.Date(2025, 10, 21, 10, 0, 0, 0, time.UTC)
	for i := range 400 {
		id := fmt.Sprintf("TXN-%d", i%40)
		recs = append(recs, storetest.Record{
			Path: fmt.Sprintf("svc-%d/app.log", i%7), Line: int64(i + 1), Service: fmt.Sprintf("svc-%d", i%7),
			Time: base.Add(time.Duration(i) * time.Millisecond),
			Text: fmt.Sprintf("2025-10-21T10:00:00Z INFO step %d transaction_id=%s", i, id),
		})
	}
	load(t, v, tenant, recs)
	// Each storage node holds part of the records.
	for _, node := range v.Storage {
		n := &storetest.VictoriaLogs{URL: node}
		got, err := n.Count(t.Context(), tenant, "*")
		if err != nil {
			t.Fatal(err)
		}
		if got == 0 || got == len(recs) {
			t.Errorf("storage node %s holds %d of %d records; want a share", node, got, len(recs))
		}
	}
	src := open(t, spec(v, tenant, map[string]string{"path_field": "path", "line_field": "line"}))
	var c sourcetest.Collector
	if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-7", "TXN-13"}}, &c); err != nil {
		t.Fatal(err)
	}
	got := c.Records()
	if len(got) != 20 {
		t.Fatalf("got %d records, want 20 (TXN-7 and TXN-13, 10 each): %v", len(got), got)
	}
	for _, r := range got {
		if !strings.HasSuffix(r.Data, "=TXN-7") && !strings.HasSuffix(r.Data, "=TXN-13") {
			t.Errorf("unexpected record %v", r)
		}
	}
}

// TestPhraseMatchKeepsWhatTheEngineAccepts checks that the default phrase
// match returns every record that the engine's re-check accepts, key-aware
// and with --any, for ids placed in every way a record may hold them.
func TestPhraseMatchKeepsWhatTheEngineAccepts(t *testing.T) {
	v := single(t)
	tenant := newTenant()
	texts := []string{
		"transaction_id=TXN-1 ok", "transaction_id=TXN-10", "id TXN-1.", "x=TXN-1:", "xTXN-1 glued",
		`{"transaction_id":"TXN-1","n":1}`, `{"msg":"a\nTXN-1"}`, "path /a/TXN-1/b", "TXN-1-retry",
		"TXN-1_x", "[TXN-1]", "request_id: TXN-1", "ТXN-1 cyrillic", "é=TXN-1é", "request_id=\"TXN-1\"",
		"a\tTXN-1\tb", "TXN-1", "TXN-1x", "x-TXN-1", "request_id=req-b7;", "req-b7", "req-b7s", "Breq-b7",
	}
	var rows []map[string]any
	for i, text := range texts {
		rows = append(rows, map[string]any{"_msg": text, "service": "s", "line": i + 1, "_time": "2025-10-21T10:00:00Z"})
	}
	rows = append(rows, map[string]any{"_msg": "structured", "transaction_id": "TXN-1", "service": "s", "line": 100, "_time": "2025-10-21T10:00:00Z"})
	loadRows(t, v, tenant, rows)

	accepted := func(s *Source, ids []string, m *match.Matcher) []int64 {
		var (
			mu   sync.Mutex
			keep []int64
		)
		out := &sourcetest.Collector{OnRecord: func(r *source.Record) error {
			if _, ok := m.Find(r.Data, r.Fields, ids); ok {
				mu.Lock()
				keep = append(keep, r.Line)
				mu.Unlock()
			}
			return nil
		}}
		if _, err := s.Scan(t.Context(), &source.Query{IDs: ids}, out); err != nil {
			t.Fatal(err)
		}
		slices.Sort(keep)
		return keep
	}
	phrase := open(t, spec(v, tenant, map[string]string{"line_field": "line"}))
	substr := open(t, spec(v, tenant, map[string]string{"line_field": "line", "match": "substring"}))
	for _, tc := range []struct {
		name string
		ids  []string
		m    *match.Matcher
	}{
		{"key-aware", []string{"TXN-1"}, match.New([]string{"transaction_id", "request_id"}, false)},
		{"any token", []string{"TXN-1"}, match.New(nil, true)},
		{"keys and any", []string{"TXN-1", "req-b7"}, match.New([]string{"transaction_id", "request_id"}, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := accepted(substr, tc.ids, tc.m)
			got := accepted(phrase, tc.ids, tc.m)
			if len(want) == 0 {
				t.Fatal("the substring match found nothing the engine accepts")
			}
			if !slices.Equal(got, want) {
				t.Errorf("records the engine accepts: phrase match %v, substring match %v", got, want)
			}
		})
	}
}

// TestHostileIDs checks that ids that look like LogsQL are searched for
// as text: each finds the records that hold it, and no other.
func TestHostileIDs(t *testing.T) {
	v := single(t)
	tenant := newTenant()
	hostile := []string{
		`a"b`, `a\"b`, `back\slash`, `trail\`, `x" OR *:"`, `"`, `*`, `} | limit 1`, `a|b`,
		`; drop`, `-- c`, "line\nbreak", `AND`, `OR`, `NOT`, `_time:1h`, `{app="x"}`, `'quoted'`,
		"`tick`", `i("x")`, `~"a.*"`, `*:*`, `"" OR ""`, `%00%`, "日本-1",
	}
	var rows []map[string]any
	for i, id := range hostile {
		rows = append(rows, map[string]any{"_msg": "before id=" + id + " after", "service": "h", "line": i + 1, "_time": "2025-10-21T10:00:00Z"})
	}
	rows = append(rows, map[string]any{"_msg": "an innocent record", "service": "h", "line": 1000, "_time": "2025-10-21T10:00:00Z"})
	loadRows(t, v, tenant, rows)
	for _, mode := range []string{"phrase", "substring"} {
		src := open(t, spec(v, tenant, map[string]string{"line_field": "line", "match": mode}))
		for i, id := range hostile {
			t.Run(mode+"/"+id, func(t *testing.T) {
				var c sourcetest.Collector
				if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{id}}, &c); err != nil {
					t.Fatalf("scan: %v", err)
				}
				found := false
				for _, r := range c.Records() {
					if !strings.Contains(r.Data, id) {
						t.Errorf("record without the id returned: %v", r)
					}
					found = found || r.Line == int64(i+1)
				}
				if !found {
					t.Errorf("record %d that holds the id not returned: %v", i+1, c.Records())
				}
			})
		}
	}
}

// TestFieldsAndProvenance checks what a structured row becomes: fields,
// level, message, service from the stream, path and line from the stream
// and a row key without path_field and line_field, and an event the
// engine's re-check accepts.
func TestFieldsAndProvenance(t *testing.T) {
	v := single(t)
	tenant := newTenant()
	loadRows(t, v, tenant, []map[string]any{
		{"_msg": "payment declined", "_time": "2025-10-21T10:00:00.123456789Z", "service": "payments", "level": "ERROR",
			"transaction_id": "TXN-5", "ctx.request_id": "req-9", "amount": 12},
		{"_msg": "2025-10-21T10:00:01Z WARN retry transaction_id=TXN-5", "_time": "2025-10-21T10:00:01Z", "service": "checkout"},
	})
	src := open(t, spec(v, tenant, nil))
	var recs []source.Record
	out := &sourcetest.Collector{OnRecord: func(r *source.Record) error {
		c := *r
		c.Data = []byte(string(r.Data))
		recs = append(recs, c)
		return nil
	}}
	if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-5"}}, out); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	slices.SortFunc(recs, func(a, b source.Record) int { return a.Time.Compare(b.Time) })
	m := match.New([]string{"transaction_id", "request_id"}, false)
	for _, tc := range []struct {
		name                   string
		rec                    source.Record
		service, level, msg    string
		path                   string
		time                   time.Time
		field, fieldValue, raw string
	}{
		{"structured", recs[0], "payments", "ERROR", "payment declined", `{service="payments"}`,
			time.Date(2025, 10, 21, 10, 0, 0, 123456789, time.UTC), "ctx.request_id", "req-9", "payment declined"},
		{"text line", recs[1], "checkout", "warn", "retry transaction_id=TXN-5", `{service="checkout"}`,
			time.Date(2025, 10, 21, 10, 0, 1, 0, time.UTC), "transaction_id", "TXN-5", "2025-10-21T10:00:01Z WARN retry transaction_id=TXN-5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec
			if r.Fields == nil {
				t.Fatal("Fields is nil: the record would be parsed again")
			}
			if r.Service != tc.service || r.Level != tc.level || r.Message != tc.msg || r.Path != tc.path || !r.Time.Equal(tc.time) {
				t.Errorf("got service %q level %q message %q path %q time %v\nwant %q %q %q %q %v",
					r.Service, r.Level, r.Message, r.Path, r.Time, tc.service, tc.level, tc.msg, tc.path, tc.time)
			}
			if got := r.Fields[tc.field]; got != tc.fieldValue {
				t.Errorf("field %s = %v, want %q (fields %v)", tc.field, got, tc.fieldValue, r.Fields)
			}
			if string(r.Data) != tc.raw {
				t.Errorf("data %q, want %q", r.Data, tc.raw)
			}
			if r.Line <= 0 {
				t.Errorf("line %d, want a positive row key", r.Line)
			}
			if kv, ok := m.Find(r.Data, r.Fields, []string{"TXN-5"}); !ok || kv.Key != "transaction_id" {
				t.Errorf("the engine's re-check gives %+v, %v", kv, ok)
			}
			for _, k := range []string{"_msg", "_time", "_stream", "_stream_id"} {
				if _, ok := r.Fields[k]; ok {
					t.Errorf("field %s kept", k)
				}
			}
		})
	}
	// The row key is the same in a second scan.
	var again sourcetest.Collector
	if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-5"}}, &again); err != nil {
		t.Fatal(err)
	}
	lines := map[int64]bool{recs[0].Line: true, recs[1].Line: true}
	for _, r := range again.Records() {
		if !lines[r.Line] {
			t.Errorf("second scan: row key %d differs from the first scan's %v", r.Line, lines)
		}
	}
}

// TestWindowAndLimit checks the time range sent, the default window and
// its report, and the record cap.
func TestWindowAndLimit(t *testing.T) {
	v := single(t)
	tenant := newTenant()
	base := time.Date(2025, 10, 21, 10, 0, 0, 0, time.UTC)
	var rows []map[string]any
	for i := range 50 {
		rows = append(rows, map[string]any{
			"_msg": fmt.Sprintf("step %d TXN-W", i), "service": "w", "line": i + 1,
			"_time": base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339Nano),
		})
	}
	loadRows(t, v, tenant, rows)
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
		{"until bound is inclusive", nil, base, base, time.Time{}, 1, false, false},
		{"only since", nil, base.Add(45 * time.Hour), time.Time{}, time.Time{}, 5, false, false},
		{"default window", map[string]string{"default_window": "24h"}, time.Time{}, time.Time{}, base.Add(30 * time.Hour), 25, false, true},
		{"default window in days", map[string]string{"default_window": "1d"}, time.Time{}, time.Time{}, base.Add(30 * time.Hour), 25, false, true},
		{"max_records", map[string]string{"max_records": "7"}, base, base.Add(100 * time.Hour), time.Time{}, 7, true, false},
		{"max_records not reached", map[string]string{"max_records": "50"}, base, base.Add(100 * time.Hour), time.Time{}, 50, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := map[string]string{"line_field": "line"}
			for k, val := range tc.opts {
				opts[k] = val
			}
			src := open(t, spec(v, tenant, opts))
			if !tc.now.IsZero() {
				src.now = func() time.Time { return tc.now }
			}
			var c sourcetest.Collector
			st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-W"}, Since: tc.since, Until: tc.until}, &c)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(c.Records()); got != tc.want {
				t.Errorf("got %d records, want %d", got, tc.want)
			}
			if st.Truncated != tc.truncated {
				t.Errorf("truncated %v, want %v", st.Truncated, tc.truncated)
			}
			warned := slices.ContainsFunc(c.Warnings(), func(w string) bool { return strings.Contains(w, "max_records") })
			if warned != tc.truncated {
				t.Errorf("warnings %q", c.Warnings())
			}
			if tc.window {
				if !st.Until.Equal(tc.now) || !st.Since.Equal(tc.now.Add(-24*time.Hour)) {
					t.Errorf("window reported %v – %v, want the day before %v", st.Since, st.Until, tc.now)
				}
			} else if !st.Since.IsZero() || !st.Until.IsZero() {
				t.Errorf("window %v – %v reported though the query gave one", st.Since, st.Until)
			}
		})
	}
}

// TestTenants checks that the AccountID and ProjectID headers select the
// tenant: a source of another tenant sees nothing.
func TestTenants(t *testing.T) {
	v := single(t)
	tenant := newTenant()
	loadRows(t, v, tenant, []map[string]any{{"_msg": "only here TXN-T", "service": "t", "_time": "2025-10-21T10:00:00Z"}})
	other := tenant
	other.ProjectID++
	for _, tc := range []struct {
		name   string
		tenant storetest.Tenant
		want   int
	}{
		{"own tenant", tenant, 1},
		{"other project", other, 0},
		{"default tenant", storetest.Tenant{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := open(t, spec(v, tc.tenant, nil))
			var c sourcetest.Collector
			if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-T"}}, &c); err != nil {
				t.Fatal(err)
			}
			if got := len(c.Records()); got != tc.want {
				t.Errorf("got %d records, want %d", got, tc.want)
			}
		})
	}
}

// TestRequest checks what is sent, against a stand-in server: one request
// per scan for all ids, the filter in extra_filters, the user's query and
// pass-through parameters, credentials and tenant headers; and that
// credentials never show in errors or warnings.
func TestRequest(t *testing.T) {
	var (
		mu   sync.Mutex
		reqs []*http.Request
		form []url.Values
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		reqs = append(reqs, r)
		form = append(form, r.PostForm)
		mu.Unlock()
		if r.PostForm.Get("query") == "fail" {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"_msg":"m TXN-1","_time":"2025-10-21T10:00:00Z","_stream":"{app=\"a\"}","app":"a"}`+"\n")
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	env := map[string]string{"VICTORIALOGS_PASSWORD": "s3cret-env", "MY_TOKEN": "t0ken-env"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name    string
		loc     string
		opts    map[string]string
		headers map[string]string
		form    map[string]string
	}{
		{"basic auth from env", "victorialogs://" + host + "?query=app:a&account_id=4&project_id=5&extra_stream_filters={app=\"a\"}",
			map[string]string{"username": "u"},
			map[string]string{"Authorization": "Basic dTpzM2NyZXQtZW52", "AccountID": "4", "ProjectID": "5"},
			map[string]string{"query": "app:a", "extra_stream_filters": `{app="a"}`, "extra_filters": `*:("TXN-1" OR "\\bTXN-1" OR "\\fTXN-1" OR "\\nTXN-1" OR "\\rTXN-1" OR "\\tTXN-1" OR "req-\"2" OR "\\breq-\"2" OR "\\freq-\"2" OR "\\nreq-\"2" OR "\\rreq-\"2" OR "\\treq-\"2")`, "limit": "100001"}},
		{"bearer token from a named variable", "victorialogs://" + host + "/prefix", map[string]string{"bearer_token_env": "MY_TOKEN", "fields": "_msg, trace_id", "max_records": "9"},
			map[string]string{"Authorization": "Bearer t0ken-env", "AccountID": ""},
			map[string]string{"query": "*", "extra_filters": `"_msg":("TXN-1" OR "\\bTXN-1" OR "\\fTXN-1" OR "\\nTXN-1" OR "\\rTXN-1" OR "\\tTXN-1" OR "req-\"2" OR "\\breq-\"2" OR "\\freq-\"2" OR "\\nreq-\"2" OR "\\rreq-\"2" OR "\\treq-\"2") OR "trace_id":("TXN-1" OR "\\bTXN-1" OR "\\fTXN-1" OR "\\nTXN-1" OR "\\rTXN-1" OR "\\tTXN-1" OR "req-\"2" OR "\\breq-\"2" OR "\\freq-\"2" OR "\\nreq-\"2" OR "\\rreq-\"2" OR "\\treq-\"2")`, "limit": "10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			reqs, form = nil, nil
			mu.Unlock()
			s, err := newSource(source.Spec{Location: tc.loc, Options: tc.opts}, getenv)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var c sourcetest.Collector
			if _, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1", `req-"2`}}, &c); err != nil {
				t.Fatal(err)
			}
			if len(reqs) != 1 {
				t.Fatalf("%d requests for one scan, want 1", len(reqs))
			}
			for k, want := range tc.headers {
				if got := reqs[0].Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			for k, want := range tc.form {
				if got := form[0].Get(k); got != want {
					t.Errorf("form %s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"account_id", "project_id", "username", "fields", "max_records"} {
				if form[0].Has(k) {
					t.Errorf("option %s sent to the server", k)
				}
			}
			if !strings.HasSuffix(reqs[0].URL.Path, "/select/logsql/query") {
				t.Errorf("path %s", reqs[0].URL.Path)
			}
			if n := len(c.Records()); n != 1 {
				t.Errorf("got %d records, want 1", n)
			}
			if s.wire.Load() == 0 {
				t.Error("no bytes counted on the wire")
			}
		})
	}
	t.Run("error hides credentials", func(t *testing.T) {
		s, err := newSource(source.Spec{Location: "victorialogs://" + host + "?query=fail", Options: map[string]string{"username": "u", "password": "opt-s3cret"}}, getenv)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var c sourcetest.Collector
		_, err = s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c)
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("error %v, want the server's 400", err)
		}
		text := err.Error() + strings.Join(c.Warnings(), " ")
		for _, secret := range []string{"opt-s3cret", "s3cret-env", "dTpvcHQtczNjcmV0"} {
			if strings.Contains(text, secret) {
				t.Errorf("error shows a credential: %s", text)
			}
		}
	})
}

// TestOptions checks the reading of locations and options.
func TestOptions(t *testing.T) {
	env := map[string]string{"VICTORIALOGS_ACCOUNT_ID": "12", "VICTORIALOGS_USERNAME": "env-user"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name    string
		loc     string
		opts    map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"plus signs kept", "victorialogs://h?query=_msg:~\"a.+b\"%20AND%20x", nil, "", func(t *testing.T, c *config) {
			if c.filter != `_msg:~"a.+b" AND x` {
				t.Errorf("filter %q", c.filter)
			}
		}},
		{"defaults", "victorialogs://h:9428", nil, "", func(t *testing.T, c *config) {
			if c.base.String() != "http://h:9428" || c.filter != "*" || c.window != DefaultWindow || c.maxRecords != DefaultMaxRecords ||
				!slices.Equal(c.fields, []string{"*"}) || c.substr || c.accountID != "12" || c.username != "env-user" {
				t.Errorf("%+v", c)
			}
		}},
		{"tls and prefix", "victorialogs://h/logs/?tls=true", nil, "", func(t *testing.T, c *config) {
			if c.base.String() != "https://h/logs" {
				t.Errorf("base %s", c.base)
			}
		}},
		{"the location wins over options", "victorialogs://h?query=a:b&max_records=5", map[string]string{"max_records": "6", "account_id": "3"}, "", func(t *testing.T, c *config) {
			if c.filter != "a:b" || c.maxRecords != 5 || c.accountID != "3" {
				t.Errorf("%+v", c)
			}
		}},
		{"unknown parameters pass through", "victorialogs://h?extra_stream_filters=x&timeout=5s", nil, "", func(t *testing.T, c *config) {
			if c.extra.Get("extra_stream_filters") != "x" || c.extra.Has("timeout") || c.timeout != 5*time.Second {
				t.Errorf("extra %v timeout %v", c.extra, c.timeout)
			}
		}},
		{"user info refused", "victorialogs://u:hunter2@h:9428", nil, "credentials in the location", nil},
		{"password parameter refused", "victorialogs://h?password=hunter2", nil, "not accepted in the location", nil},
		{"no host", "victorialogs:///x", nil, "no host", nil},
		{"bad match", "victorialogs://h?match=regex", nil, "match", nil},
		{"bad window", "victorialogs://h?default_window=soon", nil, "default_window", nil},
		{"bad max_records", "victorialogs://h?max_records=0", nil, "max_records", nil},
		{"bad account", "victorialogs://h?account_id=x", nil, "account_id", nil},
		{"bad tls", "victorialogs://h?tls=maybe", nil, "tls", nil},
		{"token and user", "victorialogs://h", map[string]string{"bearer_token": "t"}, "both", nil},
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

// TestUnreachable checks that a server that does not answer fails the
// scan with an error naming the source.
func TestUnreachable(t *testing.T) {
	port, err := storetest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSource(source.Spec{Location: fmt.Sprintf("victorialogs://127.0.0.1:%d", port)}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var c sourcetest.Collector
	_, err = s.Scan(t.Context(), &source.Query{IDs: []string{"x"}}, &c)
	if err == nil || !strings.Contains(err.Error(), "victorialogs: query victorialogs://127.0.0.1") {
		t.Errorf("error %v", err)
	}
}
