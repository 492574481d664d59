package kafka

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
)

// TestRecords reads a topic of several partitions holding JSON and text
// payloads, keys and headers, and checks what each record becomes.
func TestRecords(t *testing.T) {
	topic := newTopic(t, cluster.c, "records", 4)
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	hdr := func(r *kgo.Record, k, v string) *kgo.Record {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		return r
	}
	key := func(r *kgo.Record, k string) *kgo.Record { r.Key = []byte(k); return r }
	produce(t, cluster.prod,
		rec(topic, 0, at, `{"ts":"2025-10-21T10:00:00Z","level":"info","service":"checkout","transaction_id":"TXN-1"}`),
		rec(topic, 0, at, `{"level":"info","msg":"no time","transaction_id":"TXN-1"}`+"\n"),
		rec(topic, 1, at, "2025-10-21T10:00:01Z ERROR payment failed transaction_id=TXN-1\r\n"),
		rec(topic, 1, at, "2025-10-21T10:00:02Z INFO unrelated transaction_id=TXN-10"),
		hdr(rec(topic, 2, at, `{"msg":"header only","level":"warn"}`), "request_id", "TXN-1"),
		key(rec(topic, 2, at, "plain text without the id"), "TXN-1"),
		hdr(key(rec(topic, 3, at, "noise"), "other"), "request_id", "other"),
		rec(topic, 3, at, ""),
	)
	src := open(t, topic, nil)
	var out records
	st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out.recs, func(a, b source.Record) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return int(a.Line - b.Line)
	})
	type want struct {
		path    string
		line    int64
		data    string
		service string
		parsed  bool
	}
	wants := []want{
		{topic + "/0", 0, `{"ts":"2025-10-21T10:00:00Z","level":"info","service":"checkout","transaction_id":"TXN-1"}`, topic, false},
		{topic + "/0", 1, `{"level":"info","msg":"no time","transaction_id":"TXN-1"}`, topic, false},
		{topic + "/1", 0, "2025-10-21T10:00:01Z ERROR payment failed transaction_id=TXN-1", topic, false},
		{topic + "/1", 1, "2025-10-21T10:00:02Z INFO unrelated transaction_id=TXN-10", topic, false},
		{topic + "/2", 0, `{"msg":"header only","level":"warn"}`, topic, true},
		{topic + "/2", 1, "plain text without the id", topic, true},
	}
	if len(out.recs) != len(wants) {
		t.Fatalf("got %d records, want %d: %+v", len(out.recs), len(wants), out.recs)
	}
	for i, w := range wants {
		g := out.recs[i]
		if g.Path != w.path || g.Line != w.line || string(g.Data) != w.data || g.Service != w.service || (g.Fields != nil) != w.parsed {
			t.Errorf("record %d: got %s:%d %q service %q fields %v; want %s:%d %q %q parsed=%v",
				i, g.Path, g.Line, g.Data, g.Service, g.Fields, w.path, w.line, w.data, w.service, w.parsed)
		}
		if !w.parsed && !g.Time.Equal(at) {
			t.Errorf("record %d: time %v, want the record timestamp %v", i, g.Time, at)
		}
	}
	hdrRec := out.recs[4]
	kafka, _ := hdrRec.Fields["kafka"].(map[string]any)
	headers, _ := kafka["headers"].(map[string]any)
	if headers["request_id"] != "TXN-1" || hdrRec.Level != "warn" || hdrRec.Message != "header only" {
		t.Errorf("header record: fields %v level %q message %q", hdrRec.Fields, hdrRec.Level, hdrRec.Message)
	}
	if k, _ := out.recs[5].Fields["kafka"].(map[string]any); k["key"] != "TXN-1" || k["topic"] != topic {
		t.Errorf("key record: fields %v", out.recs[5].Fields)
	}
	if st.Files != 4 || st.Skipped != 0 || st.Truncated {
		t.Errorf("stats %+v, want 4 partitions read", st)
	}
	if st.Since.IsZero() || st.Until.Sub(st.Since) != DefaultWindow {
		t.Errorf("stats window %v..%v, want the default window", st.Since, st.Until)
	}
	if len(out.warn) != 0 {
		t.Errorf("warnings: %q", out.warn)
	}
}

// TestServiceOption checks the service a record gets when its payload
// names none: the entry's service, else the option, else the topic.
func TestServiceOption(t *testing.T) {
	topic := newTopic(t, cluster.c, "service", 1)
	produce(t, cluster.prod, rec(topic, 0, time.Now(), "x TXN-S"))
	for _, tc := range []struct {
		name, entry, option, want string
	}{
		{name: "topic", want: topic},
		{name: "option", option: "payments", want: "payments"},
		{name: "entry wins", entry: "billing", option: "payments", want: "billing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := source.Spec{Location: "kafka://" + cluster.addrs + "/" + topic, Service: tc.entry}
			if tc.option != "" {
				spec.Options = map[string]string{"service": tc.option}
			}
			src, err := Open(spec, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := collect(t, src, &source.Query{IDs: []string{"TXN-S"}})
			if err != nil {
				t.Fatal(err)
			}
			if rs := c.Records(); len(rs) != 1 || rs[0].Service != tc.want {
				t.Errorf("got %v, want service %q", rs, tc.want)
			}
		})
	}
}

// TestWindowBoundaries checks that --since and --until select, in every
// partition, exactly the records stamped within them, both included.
func TestWindowBoundaries(t *testing.T) {
	topic := newTopic(t, cluster.c, "window", 3)
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Millisecond)
	until := since.Add(time.Hour)
	ms := time.Millisecond
	stamps := map[int32][]time.Time{
		0: {since.Add(-ms), since, since.Add(ms), until.Add(-ms), until, until.Add(ms)},
		1: {since.Add(-time.Hour), since.Add(-ms)},             // all before
		2: {since.Add(30 * time.Minute), until.Add(time.Hour)}, // one inside
	}
	var recs []*kgo.Record
	for part, ts := range stamps {
		for i, at := range ts {
			recs = append(recs, rec(topic, part, at, fmt.Sprintf("p%d r%d TXN-W", part, i)))
		}
	}
	produce(t, cluster.prod, recs...)
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{name: "both bounds", since: since, until: until, want: []string{"p0 r1", "p0 r2", "p0 r3", "p0 r4", "p2 r0"}},
		{name: "since only", since: until, want: []string{"p0 r4", "p0 r5", "p2 r1"}},
		{name: "until only", until: since, want: []string{"p0 r0", "p0 r1", "p1 r0", "p1 r1"}},
		{name: "empty window", since: until.Add(10 * time.Minute), until: until.Add(20 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := open(t, topic, nil)
			c, st, err := collect(t, src, &source.Query{IDs: []string{"TXN-W"}, Since: tc.since, Until: tc.until})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.Records() {
				got = append(got, r.Data[:5])
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if st.Files != 3 {
				t.Errorf("read %d partitions, want 3", st.Files)
			}
			if chosen := tc.since.IsZero() || tc.until.IsZero(); chosen == st.Since.IsZero() {
				t.Errorf("stats window %v..%v; the window was chosen: %v", st.Since, st.Until, chosen)
			}
		})
	}
}

// TestDefaultWindow checks that without --since/--until only the last
// default_window is read.
func TestDefaultWindow(t *testing.T) {
	topic := newTopic(t, cluster.c, "default", 1)
	now := time.Now()
	produce(t, cluster.prod,
		rec(topic, 0, now.Add(-50*time.Hour), "old TXN-D"),
		rec(topic, 0, now.Add(-25*time.Hour), "day TXN-D"),
		rec(topic, 0, now.Add(-time.Hour), "new TXN-D"),
	)
	for _, tc := range []struct {
		window string
		want   int
	}{
		{"", 1},
		{"2d", 2},
		{"3d", 3},
	} {
		t.Run("window "+tc.window, func(t *testing.T) {
			opts := map[string]string{}
			if tc.window != "" {
				opts["default_window"] = tc.window
			}
			src := open(t, topic, opts)
			c, st, err := collect(t, src, &source.Query{IDs: []string{"TXN-D"}})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(c.Records()); n != tc.want {
				t.Errorf("got %d records, want %d: %v", n, tc.want, c.Records())
			}
			if d := time.Since(st.Until); d < 0 || d > time.Minute {
				t.Errorf("window ends %v, want now", st.Until)
			}
		})
	}
}

// TestHighWatermark checks that later passes read the same offsets as the
// first: records produced after it are not read, and no scan waits for
// new data.
func TestHighWatermark(t *testing.T) {
	topic := newTopic(t, cluster.c, "hwm", 2)
	now := time.Now()
	produce(t, cluster.prod, rec(topic, 0, now, "first TXN-H req-1"), rec(topic, 1, now, "first TXN-H"))
	src := open(t, topic, nil)
	start := time.Now()
	c, _, err := collect(t, src, &source.Query{IDs: []string{"TXN-H"}})
	if err != nil || len(c.Records()) != 2 {
		t.Fatalf("first pass: %v, %v", c.Records(), err)
	}
	produce(t, cluster.prod, rec(topic, 0, time.Now(), "later TXN-H req-1"))
	c, _, err = collect(t, src, &source.Query{IDs: []string{"TXN-H", "req-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if rs := c.Records(); len(rs) != 2 {
		t.Errorf("second pass: got %v, want the 2 records of the first", rs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two passes took %v", d)
	}
	c, _, err = collect(t, open(t, topic, nil), &source.Query{IDs: []string{"TXN-H"}})
	if err != nil || len(c.Records()) != 3 {
		t.Errorf("a new trace: got %v, %v; want 3 records", c.Records(), err)
	}
}

// TestTopics checks comma lists, topic_regex, and topics that do not
// exist.
func TestTopics(t *testing.T) {
	orders := newTopic(t, cluster.c, "rx-orders", 1)
	payments := newTopic(t, cluster.c, "rx-payments", 2)
	other := newTopic(t, cluster.c, "other", 1)
	now := time.Now()
	produce(t, cluster.prod, rec(orders, 0, now, "o TXN-T"), rec(payments, 1, now, "p TXN-T"), rec(other, 0, now, "x TXN-T"))
	for _, tc := range []struct {
		name   string
		topics string
		opts   map[string]string
		want   int
		warn   string
		err    string
	}{
		{name: "comma list", topics: orders + "," + payments, want: 2},
		{name: "regex", opts: map[string]string{"topic_regex": "^(" + regexp.QuoteMeta(orders) + "|" + regexp.QuoteMeta(payments) + ")$"}, want: 2},
		{name: "list and regex", topics: other, opts: map[string]string{"topic_regex": "^" + orders + "$"}, want: 2},
		{name: "one missing", topics: orders + ",nosuch-topic", want: 1, warn: "nosuch-topic"},
		{name: "all missing", topics: "nosuch-topic", err: "nosuch-topic"},
		{name: "regex matches nothing", opts: map[string]string{"topic_regex": "^nothing-here$"}, err: "no topic matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := open(t, tc.topics, tc.opts)
			var out records
			_, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-T"}}, &out)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.recs) != tc.want {
				t.Errorf("got %d records, want %d", len(out.recs), tc.want)
			}
			if joined := strings.Join(out.warn, "\n"); tc.warn != "" && !strings.Contains(joined, tc.warn) || tc.warn == "" && joined != "" {
				t.Errorf("warnings %q, want one naming %q", out.warn, tc.warn)
			}
		})
	}
}

// TestMaxRecords checks the record cap.
func TestMaxRecords(t *testing.T) {
	topic := newTopic(t, cluster.c, "cap", 2)
	var recs []*kgo.Record
	for i := range 40 {
		recs = append(recs, rec(topic, int32(i%2), time.Now(), fmt.Sprintf("r%d TXN-M", i)))
	}
	produce(t, cluster.prod, recs...)
	src := open(t, topic, map[string]string{"max_records": "5"})
	var out records
	st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-M"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.recs) != 5 || !st.Truncated {
		t.Errorf("got %d records, truncated %v; want 5, true", len(out.recs), st.Truncated)
	}
	if len(out.warn) != 1 || !strings.Contains(out.warn[0], "max_records") {
		t.Errorf("warnings %q", out.warn)
	}
}
