package datadog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

func keys(extra map[string]string) func(string) string {
	env := map[string]string{EnvAPIKey: testAPIKey, EnvAppKey: testAppKey}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// openAt opens the search query against the fake at url, with a short
// backoff.
func openAt(t *testing.T, url, query string, opts map[string]string) *Source {
	t.Helper()
	src, err := Open(source.Spec{Location: "datadog://" + query + "?endpoint=" + url, Options: opts}, keys(nil))
	if err != nil {
		t.Fatal(err)
	}
	src.backoff = 10 * time.Millisecond
	return src
}

// records keeps whole records.
type records struct {
	mu   sync.Mutex
	recs []source.Record
	warn []string
}

func (r *records) Record(rec *source.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *rec
	c.Data = append([]byte(nil), rec.Data...)
	r.recs = append(r.recs, c)
	return nil
}

func (r *records) Warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warn = append(r.warn, msg)
}

func (r *records) Progress(int, int64) {}

func scan(t *testing.T, src *Source, q *source.Query) (*records, source.Stats, error) {
	t.Helper()
	var out records
	st, err := src.Scan(t.Context(), q, &out)
	return &out, st, err
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     string
		ids      []string
		fullText bool
		want     string
	}{
		{name: "plain id", ids: []string{"TXN-1"}, fullText: true, want: `*:"TXN-1"`},
		{name: "with the user's query", user: "service:checkout env:prod", ids: []string{"TXN-1"}, fullText: true, want: `(service:checkout env:prod) *:"TXN-1"`},
		{name: "star query", user: " * ", ids: []string{"TXN-1"}, fullText: true, want: `*:"TXN-1"`},
		{name: "several ids", user: "env:prod OR env:staging", ids: []string{"TXN-1", "req-2"}, fullText: true, want: `(env:prod OR env:staging) (*:"TXN-1" OR *:"req-2")`},
		{name: "message only", ids: []string{"TXN-1"}, want: `"TXN-1"`},
		{name: "quote", ids: []string{`say "hi"`}, fullText: true, want: `*:"say \"hi\""`},
		{name: "backslash", ids: []string{`C:\tmp\x`}, fullText: true, want: `*:"C:\\tmp\\x"`},
		{name: "colon and spaces", ids: []string{"order: 42 (eu)"}, fullText: true, want: `*:"order: 42 (eu)"`},
		{name: "trailing backslash", ids: []string{`a\`}, fullText: true, want: `*:"a\\"`},
		{name: "operators inside", ids: []string{"x OR y AND -z*"}, fullText: true, want: `*:"x OR y AND -z*"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Query(tc.user, tc.ids, tc.fullText); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestQueryFindsTrickyIDs sends ids full of search syntax through the
// fake's parser: the event that holds the id is found, the others not.
func TestQueryFindsTrickyIDs(t *testing.T) {
	ids := []string{`say "hi"`, `C:\tmp\x`, "order: 42 (eu)", `a\`, `"`, `\"`, "x OR y", "-neg", "a*b?c", "key:value", `end\\`}
	f, url := newFake(t)
	at := time.Now().Add(-time.Hour)
	for i, id := range ids {
		f.add(fakeEvent{ID: fmt.Sprintf("ev%02d", i), Time: at, Service: "svc", Message: "before " + id + " after"})
	}
	f.add(fakeEvent{ID: "noise", Time: at, Service: "svc", Message: "nothing to see: x y a b c"})
	for i, id := range ids {
		t.Run(id, func(t *testing.T) {
			src := openAt(t, url, "service:svc", nil)
			out, _, err := scan(t, src, &source.Query{IDs: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range out.recs {
				var ev event
				if err := json.Unmarshal(r.Data, &ev); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(ev.Attributes.Message, id) {
					t.Errorf("event %s does not hold %q: %q", r.Path, id, ev.Attributes.Message)
				}
				got = append(got, r.Path)
			}
			if want := fmt.Sprintf("ev%02d", i); !slices.Contains(got, want) {
				t.Errorf("found %v, want %s among them", got, want)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		loc      string
		opts     map[string]string
		env      map[string]string
		query    string
		endpoint string
		err      string
	}{
		{name: "query and default site", loc: "datadog://service:checkout env:prod", query: "service:checkout env:prod", endpoint: "https://api.datadoghq.com/api/v2/logs/events/search"},
		{name: "empty query", loc: "datadog://", query: "", endpoint: "https://api.datadoghq.com/api/v2/logs/events/search"},
		{name: "eu site", loc: "datadog://x", env: map[string]string{EnvSite: "datadoghq.eu"}, query: "x", endpoint: "https://api.datadoghq.eu/api/v2/logs/events/search"},
		{name: "us5 site", loc: "datadog://x", env: map[string]string{EnvSite: "us5.datadoghq.com"}, query: "x", endpoint: "https://api.us5.datadoghq.com/api/v2/logs/events/search"},
		{name: "app prefix", loc: "datadog://x", env: map[string]string{EnvSite: "app.ddog-gov.com"}, query: "x", endpoint: "https://api.ddog-gov.com/api/v2/logs/events/search"},
		{name: "site option wins", loc: "datadog://x?site=ap1.datadoghq.com", env: map[string]string{EnvSite: "datadoghq.eu"}, query: "x", endpoint: "https://api.ap1.datadoghq.com/api/v2/logs/events/search"},
		{name: "endpoint", loc: "datadog://x?endpoint=http%3A%2F%2F127.0.0.1%3A8080%2Fproxy%2F", query: "x", endpoint: "http://127.0.0.1:8080/proxy/api/v2/logs/events/search"},
		{name: "endpoint unescaped", loc: "datadog://x?endpoint=http://127.0.0.1:8080", query: "x", endpoint: "http://127.0.0.1:8080/api/v2/logs/events/search"},
		{name: "endpoint from options", loc: "datadog://x", opts: map[string]string{"endpoint": "https://dd.proxy.internal"}, query: "x", endpoint: "https://dd.proxy.internal/api/v2/logs/events/search"},
		{name: "wildcard kept", loc: "datadog://service:check?ut", query: "service:check?ut", endpoint: "https://api.datadoghq.com/api/v2/logs/events/search"},
		{name: "wildcard then options", loc: "datadog://@http.url:*?id* ?max_records=5", query: "@http.url:*?id*", endpoint: "https://api.datadoghq.com/api/v2/logs/events/search"},
		{name: "unknown option", loc: "datadog://x?max_record=5", err: `unknown option "max_record"`},
		{name: "bad site", loc: "datadog://x", env: map[string]string{EnvSite: "evil.example.com"}, err: "not a Datadog site"},
		{name: "bad endpoint", loc: "datadog://x?endpoint=ftp://h", err: "endpoint"},
		{name: "credentials in endpoint", loc: "datadog://x?endpoint=https://u:p@h", err: "DD_API_KEY"},
		{name: "bad storage tier", loc: "datadog://x?storage_tier=cold", err: "storage_tier"},
		{name: "bad window", loc: "datadog://x?default_window=1y", err: "default_window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseLocation(tc.loc, tc.opts, keys(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.query != tc.query || s.endpoint != tc.endpoint {
				t.Errorf("query %q endpoint %q, want %q %q", s.query, s.endpoint, tc.query, tc.endpoint)
			}
		})
	}
}

func TestOpenKeys(t *testing.T) {
	for _, tc := range []struct {
		name, api, app, want string
	}{
		{name: "no api key", app: "app-secret", want: EnvAPIKey},
		{name: "no app key", api: "api-secret", want: EnvAppKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{EnvAPIKey: tc.api, EnvAppKey: tc.app}
			_, err := Open(source.Spec{Location: "datadog://x"}, func(k string) string { return env[k] })
			if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrNoKey naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows a key: %v", err)
			}
		})
	}
}

// TestPagination reads a result of several pages and checks the requests.
func TestPagination(t *testing.T) {
	f, url := newFake(t)
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	for i := range 2500 {
		f.add(fakeEvent{ID: fmt.Sprintf("ev%05d", i), Time: base.Add(time.Duration(2499-i) * time.Millisecond), Service: "checkout", Message: "step TXN-P", Tags: []string{"env:prod"}})
	}
	f.add(fakeEvent{ID: "other-env", Time: base, Service: "checkout", Message: "step TXN-P", Tags: []string{"env:dev"}})
	f.add(fakeEvent{ID: "other-id", Time: base, Service: "checkout", Message: "step TXN-Q", Tags: []string{"env:prod"}})
	src := openAt(t, url, "env:prod", nil)
	out, st, err := scan(t, src, &source.Query{IDs: []string{"TXN-P"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.recs) != 2500 {
		t.Fatalf("got %d events, want 2500", len(out.recs))
	}
	seen := map[string]bool{}
	for i, r := range out.recs {
		if seen[r.Path] {
			t.Fatalf("event %s sent twice", r.Path)
		}
		seen[r.Path] = true
		if i > 0 && r.Time.Before(out.recs[i-1].Time) {
			t.Fatalf("event %d is older than the one before", i)
		}
	}
	reqs := f.seen()
	if len(reqs) != 3 || st.Files != 3 {
		t.Fatalf("%d requests, %d pages counted; want 3", len(reqs), st.Files)
	}
	for i, r := range reqs {
		if r.Page.Limit != PageLimit || r.Sort != "timestamp" || r.Filter.Query != `(env:prod) *:"TXN-P"` || (i == 0) != (r.Page.Cursor == "") {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if st.Since.IsZero() || st.Until.Sub(st.Since) != DefaultWindow || reqs[0].Filter.From != st.Since.UTC().Format(timeFormat) {
		t.Errorf("window %v..%v, request from %s", st.Since, st.Until, reqs[0].Filter.From)
	}
}

// TestWindowBounds checks that --since and --until become the search's
// from and to, both ends included, and that later scans keep the window
// of the first.
func TestWindowBounds(t *testing.T) {
	f, url := newFake(t)
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Millisecond)
	until := since.Add(time.Hour)
	ms := time.Millisecond
	for i, at := range []time.Time{since.Add(-ms), since, until, until.Add(ms)} {
		f.add(fakeEvent{ID: fmt.Sprintf("ev%d", i), Time: at, Message: "TXN-B"})
	}
	src := openAt(t, url, "", nil)
	out, st, err := scan(t, src, &source.Query{IDs: []string{"TXN-B"}, Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.recs {
		got = append(got, r.Path)
	}
	if !slices.Equal(got, []string{"ev1", "ev2"}) || !st.Since.IsZero() {
		t.Errorf("got %v, window reported %v; want [ev1 ev2] and none reported", got, st.Since)
	}

	src = openAt(t, url, "", map[string]string{"default_window": "2h"})
	_, first, err := scan(t, src, &source.Query{IDs: []string{"TXN-B"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	_, second, err := scan(t, src, &source.Query{IDs: []string{"TXN-B", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Until.Sub(first.Since) != 2*time.Hour || !first.Until.Equal(second.Until) {
		t.Errorf("windows %v..%v then %v..%v; want 2h, the same twice", first.Since, first.Until, second.Since, second.Until)
	}
}

// TestRecordShape checks what an event becomes.
func TestRecordShape(t *testing.T) {
	f, url := newFake(t)
	at := time.Date(2025, 10, 21, 10, 0, 0, 123000000, time.UTC)
	f.add(
		fakeEvent{ID: "AQAAAYxyz", Time: at, Host: "web-1", Service: "checkout", Status: "warn", Message: "payment retried TXN-R",
			Tags: []string{"env:prod", "version:1.2"}, Attrs: map[string]any{"transaction_id": "TXN-R", "http": map[string]any{"status_code": 502}}},
		fakeEvent{ID: "AQAAAYnosvc", Time: at, Status: "emergency", Message: "TXN-R down"},
	)
	for _, tc := range []struct {
		name, entry, option string
		services            []string
	}{
		{name: "event services", services: []string{"checkout", "datadog"}},
		{name: "option fills in", option: "legacy", services: []string{"checkout", "legacy"}},
		{name: "entry wins", entry: "billing", option: "legacy", services: []string{"billing", "billing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := source.Spec{Location: "datadog://*?endpoint=" + url, Service: tc.entry}
			if tc.option != "" {
				spec.Options = map[string]string{"service": tc.option}
			}
			src, err := Open(spec, keys(nil))
			if err != nil {
				t.Fatal(err)
			}
			var out records
			if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-R"}, Since: at.Add(-time.Hour), Until: at}, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.recs) != 2 {
				t.Fatalf("got %d records", len(out.recs))
			}
			slices.SortFunc(out.recs, func(a, b source.Record) int { return strings.Compare(a.Path, b.Path) })
			r := out.recs[1]
			if r.Path != "AQAAAYxyz" || r.Line != 0 || !r.Time.Equal(at) || r.Level != "warn" || r.Message != "payment retried TXN-R" {
				t.Errorf("record %s:%d time %v level %q message %q", r.Path, r.Line, r.Time, r.Level, r.Message)
			}
			if r.Fields["host"] != "web-1" || r.Fields["service"] != "checkout" || r.Fields["status"] != "warn" || r.Fields["transaction_id"] != "TXN-R" {
				t.Errorf("fields %v", r.Fields)
			}
			if code := r.Fields["http"].(map[string]any)["status_code"]; code != json.Number("502") {
				t.Errorf("number field %v (%T), want json.Number 502", code, code)
			}
			if tags, _ := r.Fields["tags"].([]any); len(tags) != 2 || tags[0] != "env:prod" {
				t.Errorf("tags %v", r.Fields["tags"])
			}
			var ev map[string]any
			if err := json.Unmarshal(r.Data, &ev); err != nil || ev["id"] != "AQAAAYxyz" {
				t.Errorf("Data is not the event's JSON: %s", r.Data)
			}
			if out.recs[0].Level != "fatal" {
				t.Errorf("emergency became %q", out.recs[0].Level)
			}
			if got := []string{out.recs[1].Service, out.recs[0].Service}; !slices.Equal(got, tc.services) {
				t.Errorf("services %v, want %v", got, tc.services)
			}
		})
	}
}

// TestFaults checks the answers to rate limits, server errors, refused
// keys and malformed bodies.
func TestFaults(t *testing.T) {
	ok := fakeEvent{ID: "ev", Time: time.Now().Add(-time.Minute), Message: "TXN-F"}
	for _, tc := range []struct {
		name    string
		faults  []fault
		opts    map[string]string
		err     string // "" when the scan succeeds
		minTime time.Duration
		maxTime time.Duration
		calls   int // requests the fake saw succeed
	}{
		{name: "429 with reset", faults: []fault{{code: 429, header: map[string]string{"X-RateLimit-Reset": "1", "X-RateLimit-Limit": "300", "X-RateLimit-Period": "3600", "X-RateLimit-Remaining": "0"}}},
			minTime: 900 * time.Millisecond, maxTime: 5 * time.Second, calls: 1},
		{name: "429 with retry-after", faults: []fault{{code: 429, header: map[string]string{"Retry-After": "1"}}},
			minTime: 900 * time.Millisecond, maxTime: 5 * time.Second, calls: 1},
		{name: "429 beyond max_wait", faults: []fault{{code: 429, header: map[string]string{"X-RateLimit-Reset": "600"}}},
			opts: map[string]string{"max_wait": "30s"}, err: "max_wait", maxTime: time.Second},
		{name: "429 repeated past the budget", faults: []fault{
			{code: 429, header: map[string]string{"X-RateLimit-Reset": "1"}},
			{code: 429, header: map[string]string{"X-RateLimit-Reset": "1"}},
		}, opts: map[string]string{"max_wait": "1500ms"}, err: "max_wait", maxTime: 3 * time.Second},
		{name: "503 then ok", faults: []fault{{code: 503, body: "unavailable"}, {code: 502, body: "bad gateway"}}, calls: 1, maxTime: 2 * time.Second},
		{name: "500 every time", faults: []fault{{code: 500}, {code: 500}, {code: 500}}, opts: map[string]string{"retries": "2"},
			err: "HTTP 500 after 3 attempts", maxTime: 2 * time.Second},
		{name: "401", faults: []fault{{code: 401, body: `{"errors":["Unauthorized"]}`}}, err: "DD_API_KEY was not accepted"},
		{name: "403", faults: []fault{{code: 403, body: `{"errors":["Forbidden"]}`}}, err: "logs_read_data"},
		{name: "key echoed", faults: []fault{{code: 403, body: `{"errors":["bad key ` + testAppKey + `"]}`}}, err: "bad key ***"},
		{name: "400 bad query", faults: []fault{{code: 400, body: `{"errors":["invalid query"]}`}}, err: "invalid query"},
		{name: "malformed body", faults: []fault{{code: 200, body: `{"data":[{"id":`}}, err: "malformed answer"},
		{name: "event not an object", faults: []fault{{code: 200, body: `{"data":[42],"meta":{}}`}}, err: "malformed event"},
		{name: "html instead of json", faults: []fault{{code: 200, body: `<html>login</html>`}}, err: "malformed answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, url := newFake(t)
			f.add(ok)
			f.fail(tc.faults...)
			src := openAt(t, url, "", tc.opts)
			start := time.Now()
			out, _, err := scan(t, src, &source.Query{IDs: []string{"TXN-F"}})
			took := time.Since(start)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), testAPIKey) || strings.Contains(err.Error(), testAppKey) {
					t.Errorf("the error shows a key: %v", err)
				}
			} else if err != nil || len(out.recs) != 1 {
				t.Fatalf("got %d records, %v; want the event", len(out.recs), err)
			}
			if took < tc.minTime || tc.maxTime > 0 && took > tc.maxTime {
				t.Errorf("took %v, want between %v and %v", took, tc.minTime, tc.maxTime)
			}
			if n := len(f.seen()); n != tc.calls {
				t.Errorf("%d searches reached the fake, want %d", n, tc.calls)
			}
		})
	}
}

// TestCancelWhileRateLimited checks that a scan waiting out a rate limit
// returns as soon as its context is cancelled.
func TestCancelWhileRateLimited(t *testing.T) {
	f, url := newFake(t)
	f.fail(fault{code: 429, header: map[string]string{"X-RateLimit-Reset": "30"}})
	src := openAt(t, url, "", nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := src.Scan(ctx, &source.Query{IDs: []string{"x"}}, &records{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("scan returned %v after %v", err, time.Since(start))
	}
}

// TestUnreachable checks a connection that fails every time.
func TestUnreachable(t *testing.T) {
	src := openAt(t, "http://127.0.0.1:1", "", map[string]string{"retries": "1"})
	_, _, err := scan(t, src, &source.Query{IDs: []string{"x"}})
	if err == nil || !strings.Contains(err.Error(), "datadog") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %v", err)
	}
}

// TestManyIDs checks that many ids are split over several searches and
// that an event found by two of them is sent once.
func TestManyIDs(t *testing.T) {
	f, url := newFake(t)
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("ID-%02d", i))
	}
	at := time.Now().Add(-time.Minute)
	f.add(fakeEvent{ID: "both", Time: at, Message: "ID-00 and ID-59"}, fakeEvent{ID: "one", Time: at, Message: "ID-30"})
	src := openAt(t, url, "", nil)
	out, st, err := scan(t, src, &source.Query{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.recs) != 2 || st.Files != 3 || len(f.seen()) != 3 {
		t.Errorf("got %d records from %d pages, %d searches; want 2 from 3", len(out.recs), st.Files, len(f.seen()))
	}
}

// TestMaxRecordsAndWarnings checks the record cap and Datadog's own
// warnings.
func TestMaxRecordsAndWarnings(t *testing.T) {
	f, url := newFake(t)
	at := time.Now().Add(-time.Minute)
	for i := range 10 {
		f.add(fakeEvent{ID: fmt.Sprintf("ev%d", i), Time: at, Message: "TXN-C"})
	}
	src := openAt(t, url, "", map[string]string{"max_records": "4"})
	out, st, err := scan(t, src, &source.Query{IDs: []string{"TXN-C"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.recs) != 4 || !st.Truncated || len(out.warn) != 1 || !strings.Contains(out.warn[0], "max_records") {
		t.Errorf("got %d records, truncated %v, warnings %q", len(out.recs), st.Truncated, out.warn)
	}

	body := `{"data":[],"meta":{"status":"timeout","warnings":[{"code":"unknown_index","title":"Unknown index","detail":"indexes: foo"}]}}`
	f.fail(fault{code: 200, body: body})
	out, _, err = scan(t, openAt(t, url, "", nil), &source.Query{IDs: []string{"TXN-C"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.warn) != 2 || !strings.Contains(out.warn[0], "timed out") || !strings.Contains(out.warn[1], "Unknown index: indexes: foo") {
		t.Errorf("warnings %q", out.warn)
	}
}

// TestIndexesAndTier checks that the options reach the request.
func TestIndexesAndTier(t *testing.T) {
	f, url := newFake(t)
	src := openAt(t, url, "", map[string]string{"indexes": "main, web", "storage_tier": "flex", "full_text": "false"})
	if _, _, err := scan(t, src, &source.Query{IDs: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	r := f.seen()[0]
	if !slices.Equal(r.Filter.Indexes, []string{"main", "web"}) || r.Filter.StorageTier != "flex" || r.Filter.Query != `"x"` {
		t.Errorf("request filter %+v", r.Filter)
	}
}
