package loki

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/match"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

var noEnv = func(string) string { return "" }

// base is the time of the tests' entries.
var base = time.Date(2025, 10, 21, 10, 0, 0, 0, time.UTC)

func open(t *testing.T, loc string, opts map[string]string) *Source {
	t.Helper()
	s, err := newSource(source.Spec{Location: loc, Options: opts}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func scanAll(t *testing.T, s *Source, q *source.Query) (*sourcetest.Collector, source.Stats) {
	t.Helper()
	var c sourcetest.Collector
	st, err := s.Scan(t.Context(), q, &c)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return &c, st
}

// TestContract runs the contract suite against the stand-in Loki. The
// fixture stores each record of the suite's files as one entry: the
// record's text as the line, its time as the entry's, the service its path
// implies and the file name as stream labels, and its line number as
// structured metadata (returned among the labels), which the source reads
// with path_label and line_label, since Loki has no line numbers.
func TestContract(t *testing.T) {
	sourcetest.Run(t, Driver(nil), func(t *testing.T, files map[string][]byte) source.Spec {
		f := newFake(t)
		for _, r := range storetest.Records(files) {
			f.add("", map[string]string{"service": r.Service, "filename": r.Path, "line": strconv.FormatInt(r.Line, 10)}, r.Time.UnixNano(), r.Text)
		}
		return source.Spec{
			Location: "loki://" + f.host() + `?query={service=~".+"}`,
			Options:  map[string]string{"path_label": "filename", "line_label": "line", "default_window": "36500d"},
		}
	})
}

// TestPaging checks that a full page is followed by one that starts at the
// last time the page held, without losing or repeating the entries that
// share that time, up to the end; with Loki's default page of 5000 and
// with a small one.
func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pageSize string
		times    []int // ms after base of each matching entry
		pages    int
	}{
		{"ties across page ends", "3", []int{0, 1, 1, 1, 2, 3, 3, 4, 5, 5}, 7},
		{"more of one time than a page", "3", []int{0, 1, 1, 1, 1, 1, 2}, 4},
		{"page of exactly the rest", "5", []int{0, 1, 2, 3, 4}, 2},
		{"default page size", "", seq(12000), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			for i, ms := range tc.times {
				ts := base.Add(time.Duration(ms) * time.Millisecond).UnixNano()
				f.add("", map[string]string{"app": "a", "pod": fmt.Sprint(i % 3)}, ts, fmt.Sprintf("entry %d TXN-P", i))
				f.add("", map[string]string{"app": "a", "pod": "x"}, ts, fmt.Sprintf("noise %d", i))
			}
			opts := map[string]string{}
			if tc.pageSize != "" {
				opts["limit"] = tc.pageSize
			}
			s := open(t, "loki://"+f.host()+`?query={app="a"}`, opts)
			c, st := scanAll(t, s, &source.Query{IDs: []string{"TXN-P"}, Since: base, Until: base.Add(time.Hour)})
			recs := c.Records()
			seen := make(map[string]bool)
			for _, r := range recs {
				if seen[r.Data] {
					t.Errorf("entry sent twice: %v", r)
				}
				seen[r.Data] = true
			}
			if len(seen) != len(tc.times) || st.Truncated {
				t.Errorf("got %d distinct entries of %d, truncated %v", len(seen), len(tc.times), st.Truncated)
			}
			reqs, _ := f.log()
			if len(reqs) != tc.pages {
				t.Errorf("%d requests, want %d", len(reqs), tc.pages)
			}
			prev := int64(0)
			for i, r := range reqs {
				start, _ := strconv.ParseInt(r.Get("start"), 10, 64)
				if start < prev {
					t.Errorf("request %d starts at %d, before the previous one's %d", i, start, prev)
				}
				prev = start
				end, _ := strconv.ParseInt(r.Get("end"), 10, 64)
				probe := r.Get("direction") == "backward" && end == start+1
				if r.Get("direction") != "forward" && !probe || r.Get("query") != `{app="a"} |= "TXN-P"` {
					t.Errorf("request %d: %v", i, r)
				}
				want := tc.pageSize
				if want == "" {
					want = "5000"
				}
				if r.Get("limit") != want {
					t.Errorf("request %d limit %s, want %s", i, r.Get("limit"), want)
				}
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i / 2
	}
	return out
}

// TestOneTimeOverflow checks the warning when more entries share one time
// than a page and the newest-first request for that time hold together.
func TestOneTimeOverflow(t *testing.T) {
	f := newFake(t)
	for i := range 7 {
		f.add("", map[string]string{"app": "a", "n": fmt.Sprint(i)}, base.UnixNano(), "same time TXN-S")
	}
	f.add("", map[string]string{"app": "a"}, base.Add(time.Second).UnixNano(), "later TXN-S")
	s := open(t, "loki://"+f.host()+`?query={app="a"}`, map[string]string{"limit": "3"})
	c, st := scanAll(t, s, &source.Query{IDs: []string{"TXN-S"}, Since: base, Until: base.Add(time.Hour)})
	if !st.Truncated || len(c.Warnings()) != 1 || !strings.Contains(c.Warnings()[0], "share the time") {
		t.Errorf("truncated %v, warnings %q", st.Truncated, c.Warnings())
	}
	var got []string
	for _, r := range c.Records() {
		got = append(got, r.Path+" "+r.Data)
	}
	slices.Sort(got)
	want := []string{
		`{app="a", n="0"} same time TXN-S`, `{app="a", n="1"} same time TXN-S`, `{app="a", n="2"} same time TXN-S`,
		`{app="a", n="4"} same time TXN-S`, `{app="a", n="5"} same time TXN-S`, `{app="a", n="6"} same time TXN-S`,
		`{app="a"} later TXN-S`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant the oldest three, the newest three and the later entry: %q", got, want)
	}
}

// TestLineFilter checks the filter text, and that hostile ids find the
// lines that hold them and no others.
func TestLineFilter(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"TXN-1"}, ` |= "TXN-1"`},
		{[]string{`a"b`}, ` |= "a\"b"`},
		{[]string{"TXN-1", "req.7"}, ` |~ "TXN-1|req\\.7"`},
		{[]string{"a|b", `x\y`, "(z)"}, ` |~ "a\\|b|x\\\\y|\\(z\\)"`},
		{[]string{"line\nbreak"}, ` |= "line\nbreak"`},
	} {
		if got := lineFilter(tc.ids); got != tc.want {
			t.Errorf("lineFilter(%q) = %s, want %s", tc.ids, got, tc.want)
		}
	}
	hostile := []string{
		`a"b`, `a\"b`, `back\slash`, `trail\`, "`tick`", `"`, `} |= "x`, `a|b`, `.*`, `(x`, `[a-z]+`,
		`; drop`, `-- c`, "line\nbreak", `or`, `and`, `{app="x"}`, `$^`, `\d`, `%00`, "日本-1", `\Q`,
	}
	f := newFake(t)
	for i, id := range hostile {
		f.add("", map[string]string{"app": "h", "n": fmt.Sprint(i + 1)}, base.UnixNano(), "before id="+id+" after")
	}
	f.add("", map[string]string{"app": "h", "n": "1000"}, base.UnixNano(), "an innocent line")
	s := open(t, "loki://"+f.host()+`?query={app="h"}`, map[string]string{"line_label": "n"})
	check := func(t *testing.T, ids []string, lines ...int64) {
		c, _ := scanAll(t, s, &source.Query{IDs: ids, Since: base, Until: base})
		var got []int64
		for _, r := range c.Records() {
			if !slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(r.Data, id) }) {
				t.Errorf("line without the ids returned: %v", r)
			}
			got = append(got, r.Line)
		}
		for _, l := range lines {
			if !slices.Contains(got, l) {
				t.Errorf("line %d not returned (got %v)", l, got)
			}
		}
	}
	for i, id := range hostile {
		t.Run("one/"+id, func(t *testing.T) { check(t, []string{id}, int64(i+1)) })
	}
	t.Run("all at once", func(t *testing.T) {
		var lines []int64
		for i := range hostile {
			lines = append(lines, int64(i+1))
		}
		check(t, hostile, lines...)
	})
	reqs, _ := f.log()
	for _, r := range reqs {
		q := r.Get("query")
		if !strings.HasPrefix(q, `{app="h"} |= "`) && !strings.HasPrefix(q, `{app="h"} |~ "`) {
			t.Errorf("query %q does not keep the selector and one line filter", q)
		}
	}
}

// TestRecords checks what an entry becomes: labels as fields, the line
// parsed, service and level from labels, and a stable row key.
func TestRecords(t *testing.T) {
	f := newFake(t)
	f.add("", map[string]string{"service_name": "payments", "detected_level": "error", "pod": "p-1"},
		base.Add(123456789).UnixNano(), `{"msg":"declined","transaction_id":"TXN-5","ctx":{"request_id":"req-9"}}`)
	f.add("", map[string]string{"app": "checkout"}, base.Add(time.Second).UnixNano(), "2025-10-21T10:00:01Z WARN retry transaction_id=TXN-5")
	s := open(t, "loki://"+f.host()+`?query={pod=~".*"}`, nil)
	var recs []source.Record
	out := &sourcetest.Collector{OnRecord: func(r *source.Record) error {
		c := *r
		c.Data = []byte(string(r.Data))
		recs = append(recs, c)
		return nil
	}}
	if _, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-5"}, Since: base, Until: base.Add(time.Minute)}, out); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records", len(recs))
	}
	m := match.New([]string{"transaction_id", "request_id"}, false)
	for _, tc := range []struct {
		name                      string
		rec                       source.Record
		service, level, msg, path string
		time                      time.Time
		field                     string
		fieldValue                any
	}{
		{"json line", recs[0], "payments", "error", "declined", `{detected_level="error", pod="p-1", service_name="payments"}`,
			base.Add(123456789), "pod", "p-1"},
		{"text line", recs[1], "checkout", "warn", "retry transaction_id=TXN-5", `{app="checkout"}`,
			base.Add(time.Second), "transaction_id", "TXN-5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec
			if r.Fields == nil {
				t.Fatal("Fields is nil")
			}
			if r.Service != tc.service || r.Level != tc.level || r.Message != tc.msg || r.Path != tc.path || !r.Time.Equal(tc.time) {
				t.Errorf("got %q %q %q %q %v, want %q %q %q %q %v", r.Service, r.Level, r.Message, r.Path, r.Time,
					tc.service, tc.level, tc.msg, tc.path, tc.time)
			}
			if r.Fields[tc.field] != tc.fieldValue {
				t.Errorf("field %s = %v, want %v", tc.field, r.Fields[tc.field], tc.fieldValue)
			}
			if _, ok := m.Find(r.Data, r.Fields, []string{"TXN-5"}); !ok {
				t.Error("the engine's re-check rejects the record")
			}
			if r.Line <= 0 {
				t.Errorf("line %d", r.Line)
			}
		})
	}
	again, _ := scanAll(t, s, &source.Query{IDs: []string{"TXN-5"}, Since: base, Until: base.Add(time.Minute)})
	for _, r := range again.Records() {
		if r.Line != recs[0].Line && r.Line != recs[1].Line {
			t.Errorf("row key %d differs in a second scan", r.Line)
		}
	}
}

// TestWindowAndLimit checks the window sent, the default window and its
// report, and max_records.
func TestWindowAndLimit(t *testing.T) {
	f := newFake(t)
	for i := range 50 {
		f.add("", map[string]string{"app": "w"}, base.Add(time.Duration(i)*time.Hour).UnixNano(), fmt.Sprintf("step %d TXN-W", i))
	}
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
		{"only since", nil, base.Add(45 * time.Hour), time.Time{}, base.Add(100 * time.Hour), 5, false, false},
		{"only until", map[string]string{"default_window": "2h"}, time.Time{}, base.Add(5 * time.Hour), time.Time{}, 3, false, true},
		{"default window", map[string]string{"default_window": "1d"}, time.Time{}, time.Time{}, base.Add(30 * time.Hour), 25, false, true},
		{"max_records", map[string]string{"max_records": "7", "limit": "3"}, base, base.Add(100 * time.Hour), time.Time{}, 7, true, false},
		{"max_records not reached", map[string]string{"max_records": "50", "limit": "10"}, base, base.Add(100 * time.Hour), time.Time{}, 50, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, "loki://"+f.host()+`?query={app="w"}`, tc.opts)
			if !tc.now.IsZero() {
				s.now = func() time.Time { return tc.now }
			}
			c, st := scanAll(t, s, &source.Query{IDs: []string{"TXN-W"}, Since: tc.since, Until: tc.until})
			if got := len(c.Records()); got != tc.want {
				t.Errorf("got %d records, want %d", got, tc.want)
			}
			if st.Truncated != tc.truncated || (len(c.Warnings()) > 0) != tc.truncated {
				t.Errorf("truncated %v, warnings %q", st.Truncated, c.Warnings())
			}
			if tc.window != !st.Since.IsZero() {
				t.Errorf("window reported %v – %v", st.Since, st.Until)
			}
		})
	}
}

// TestTenantAndCredentials checks X-Scope-OrgID and the credentials sent,
// from options and the environment, and that they never show in errors.
func TestTenantAndCredentials(t *testing.T) {
	f := newFake(t)
	f.add("team-a", map[string]string{"app": "a"}, base.UnixNano(), "TXN-T in team a")
	f.add("team-b", map[string]string{"app": "a"}, base.UnixNano(), "TXN-T in team b")
	env := map[string]string{"LOKI_ORG_ID": "team-b", "LOKI_PASSWORD": "env-pw", "MY_TOKEN": "tok-1"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name     string
		opts     map[string]string
		auth     string
		want     string
		wantAuth string
	}{
		{"tenant from the environment", map[string]string{"username": "u"}, "Basic dTplbnYtcHc=", "TXN-T in team b", "Basic dTplbnYtcHc="},
		{"tenant option wins", map[string]string{"tenant": "team-a", "bearer_token_env": "MY_TOKEN"}, "Bearer tok-1", "TXN-T in team a", "Bearer tok-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.auth = tc.auth
			s, err := newSource(source.Spec{Location: "loki://" + f.host() + `?query={app="a"}`, Options: tc.opts}, getenv)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, _ := scanAll(t, s, &source.Query{IDs: []string{"TXN-T"}, Since: base, Until: base})
			if got := c.Records(); len(got) != 1 || got[0].Data != tc.want {
				t.Errorf("got %v, want %q", got, tc.want)
			}
			_, hs := f.log()
			if got := hs[len(hs)-1].Get("Authorization"); got != tc.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tc.wantAuth)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		f.auth = "Basic nobody"
		s, err := newSource(source.Spec{Location: "loki://" + f.host() + `?query={app="a"}`, Options: map[string]string{"username": "u", "password": "opt-pw"}}, getenv)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var c sourcetest.Collector
		_, err = s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-T"}, Since: base, Until: base}, &c)
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("error %v, want 401", err)
		}
		for _, secret := range []string{"opt-pw", "env-pw", "dTpvcHQtcHc"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows a credential: %v", err)
			}
		}
	})
}

// TestServerErrors checks that Loki's error text reaches the error.
func TestServerErrors(t *testing.T) {
	f := newFake(t)
	f.maxLimit = 100
	s := open(t, "loki://"+f.host()+`?query={app="a"}`, map[string]string{"limit": "500"})
	var c sourcetest.Collector
	_, err := s.Scan(t.Context(), &source.Query{IDs: []string{"x"}, Since: base, Until: base}, &c)
	if err == nil || !strings.Contains(err.Error(), "max entries limit") || !strings.Contains(err.Error(), "400") {
		t.Errorf("error %v", err)
	}
}

// TestOptions checks the reading of locations and options.
func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		loc     string
		opts    map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"defaults", `loki://h:3100?query={app=~".+"}`, nil, "", func(t *testing.T, c *config) {
			if c.base.String() != "http://h:3100" || c.selector != `{app=~".+"}` || c.pageSize != DefaultPageSize || c.maxRecords != DefaultMaxRecords || c.window != DefaultWindow {
				t.Errorf("%+v", c)
			}
		}},
		{"options and pass-through", `loki://h/prefix?query={a="b"}&tls=1&limit=100&foo=bar`, map[string]string{"query": `{c="d"} | json`, "limit": "7"}, "", func(t *testing.T, c *config) {
			if c.base.String() != "https://h/prefix" || c.selector != `{a="b"}` || c.pageSize != 100 || c.extra.Get("foo") != "bar" || c.extra.Has("limit") {
				t.Errorf("%+v", c)
			}
		}},
		{"no selector", "loki://h:3100", nil, "stream selector", nil},
		{"user info refused", `loki://u:hunter2@h?query={a="b"}`, nil, "credentials in the location", nil},
		{"token parameter refused", `loki://h?query={a="b"}&bearer_token=hunter2`, nil, "not accepted in the location", nil},
		{"bad limit", `loki://h?query={a="b"}&limit=-1`, nil, "limit", nil},
		{"bad window", `loki://h?query={a="b"}&default_window=1w`, nil, "default_window", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(source.Spec{Location: tc.loc, Options: tc.opts}, noEnv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one about %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the secret: %v", err)
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
