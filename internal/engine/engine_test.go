package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// memSource is a fake store: named files of lines, scanned line by line.
type memSource struct {
	files map[string]string
	err   error
	scans *int
}

func (m *memSource) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	if m.scans != nil {
		*m.scans++
	}
	var st source.Stats
	for _, path := range sortedKeys(m.files) {
		st.Files++
		for i, line := range strings.Split(m.files[path], "\n") {
			st.Bytes += int64(len(line) + 1)
			for _, id := range q.IDs {
				if strings.Contains(line, id) {
					if err := out.Record(&source.Record{Data: []byte(line), Path: path, Line: int64(i + 1), Service: strings.Split(path, "/")[0]}); err != nil {
						return st, err
					}
					break
				}
			}
		}
	}
	if m.err != nil {
		out.Warn("partial read")
	}
	return st, m.err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func registry(stores map[string]*memSource) *source.Registry {
	return source.NewRegistry(source.Driver{
		Scheme: "mem",
		Open: func(spec source.Spec) (source.Source, error) {
			s, ok := stores[strings.TrimPrefix(spec.Location, "mem://")]
			if !ok {
				return nil, errors.New("no such store")
			}
			return s, nil
		},
	})
}

var shop = map[string]string{
	"gateway/access.log": `2025-10-21T09:00:00.000Z INFO POST /orders transaction_id=T-1 request_id=R-1
2025-10-21T09:00:00.100Z INFO POST /orders transaction_id=T-2 request_id=R-2`,
	"orders/app.log": `{"ts":"2025-10-21T09:00:00.010Z","level":"info","msg":"accepted","request_id":"R-1"}
{"ts":"2025-10-21T09:00:00.020Z","level":"error","msg":"child","parent_transaction_id":"T-1"}
{"ts":"2025-10-21T09:00:00.030Z","level":"error","msg":"charge failed","request_id":"R-1","payment_id":"P-1"}`,
	"psp/psp.log": `2025-10-21T09:00:02.500Z INFO settled payment_id=P-1 parcel_id=X-1
2025-10-21T09:00:03.000Z INFO settled payment_id=P-10`,
	"notifier/n.log": `2025-10-21T09:00:04.000Z INFO sent parcel_id=X-1`,
}

func TestTraceFollowsLinks(t *testing.T) {
	keys := []string{"transaction_id", "request_id", "payment_id", "parcel_id"}
	for _, tc := range []struct {
		name     string
		follow   bool
		depth    int
		maxIDs   int
		services []string
		linked   int
		warn     string
	}{
		{"no follow", false, 3, 100, []string{"gateway"}, 0, ""},
		{"depth 1", true, 1, 100, []string{"gateway", "orders"}, 1, ""},
		{"depth 2", true, 2, 100, []string{"gateway", "orders", "psp"}, 2, ""},
		{"depth 3", true, 3, 100, []string{"gateway", "orders", "psp", "notifier"}, 3, ""},
		{"id cap", true, 3, 1, []string{"gateway", "orders"}, 1, "max_linked_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scans := 0
			reg := registry(map[string]*memSource{"shop": {files: shop, scans: &scans}})
			rep, err := New(reg).Trace(context.Background(), "T-1", Options{
				Sources: []source.Spec{{Location: "mem://shop"}},
				Keys:    keys, Follow: tc.follow, MaxLinkDepth: tc.depth, MaxLinkedIDs: tc.maxIDs,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Trace.Path(); fmt.Sprint(got) != fmt.Sprint(tc.services) {
				t.Errorf("path %v, want %v", got, tc.services)
			}
			if len(rep.LinkedIDs) != tc.linked {
				t.Errorf("%d linked ids %+v, want %d", len(rep.LinkedIDs), rep.LinkedIDs, tc.linked)
			}
			if scans != rep.Stats.Passes {
				t.Errorf("source scanned %d times, report says %d passes", scans, rep.Stats.Passes)
			}
			if tc.warn != "" && !strings.Contains(fmt.Sprint(rep.Warnings), tc.warn) {
				t.Errorf("warnings %v lack %q", rep.Warnings, tc.warn)
			}
			for _, ev := range rep.Trace.Events {
				if strings.Contains(ev.Raw, "parent_transaction_id") || strings.Contains(ev.Raw, "P-10") {
					t.Errorf("near miss matched: %s", ev.Raw)
				}
			}
		})
	}
}

func TestTraceEventProvenance(t *testing.T) {
	reg := registry(map[string]*memSource{"shop": {files: shop}})
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{
		Sources: []source.Spec{{Location: "mem://shop"}},
		Keys:    []string{"transaction_id", "request_id", "payment_id"}, Follow: true, MaxLinkDepth: 3, MaxLinkedIDs: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path string
		line int64
		key  string
		val  string
		via  string
		lvl  trace.Level
	}{
		{"gateway/access.log", 1, "transaction_id", "T-1", "", trace.LevelInfo},
		{"orders/app.log", 1, "request_id", "R-1", "transaction_id=T-1", trace.LevelInfo},
		{"orders/app.log", 3, "request_id", "R-1", "transaction_id=T-1", trace.LevelError},
		{"psp/psp.log", 1, "payment_id", "P-1", "request_id=R-1", trace.LevelInfo},
	}
	if len(rep.Trace.Events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(rep.Trace.Events), len(want), rep.Trace.Events)
	}
	for i, w := range want {
		ev := rep.Trace.Events[i]
		if ev.Origin.Path != w.path || ev.Origin.Line != w.line || ev.Matched.Key != w.key || ev.Matched.Value != w.val || ev.Matched.Via != w.via || ev.Level != w.lvl {
			t.Errorf("event %d: %+v %+v %s, want %+v", i, ev.Origin, ev.Matched, ev.Level, w)
		}
		if ev.Origin.Source != "mem://shop" {
			t.Errorf("event %d: source %q", i, ev.Origin.Source)
		}
	}
	if rep.Trace.Errors != 1 {
		t.Errorf("errors %d, want 1", rep.Trace.Errors)
	}
}

func TestTracePartialFailure(t *testing.T) {
	reg := registry(map[string]*memSource{
		"good":   {files: shop},
		"broken": {files: map[string]string{"x/y.log": "transaction_id=T-1 at 09:00"}, err: errors.New("connection reset")},
	})
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{
		Sources: []source.Spec{{Location: "mem://good"}, {Location: "mem://broken"}, {Location: "mem://missing"}},
		Keys:    []string{"transaction_id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Trace.Events) != 2 {
		t.Errorf("got %d events, want 2 (one per working or partly working source)", len(rep.Trace.Events))
	}
	st := rep.Stats.Sources
	if len(st) != 3 || st[0].Failed || !st[1].Failed || !st[2].Failed {
		t.Fatalf("source stats %+v: want good ok, broken and missing failed", st)
	}
	var msgs bytes.Buffer
	for _, w := range rep.Warnings {
		fmt.Fprintf(&msgs, "%s: %s\n", w.Source, w.Message)
	}
	for _, want := range []string{"mem://broken: partial read", "connection reset", "mem://missing", "no such store"} {
		if !strings.Contains(msgs.String(), want) {
			t.Errorf("warnings lack %q:\n%s", want, msgs.String())
		}
	}
}

func TestTraceTimeWindow(t *testing.T) {
	reg := registry(map[string]*memSource{"shop": {files: shop}})
	since := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{
		Sources: []source.Spec{{Location: "mem://shop"}},
		Keys:    []string{"transaction_id", "request_id", "payment_id"}, Follow: true, MaxLinkDepth: 3, MaxLinkedIDs: 10,
		Since: since, Until: since.Add(25 * time.Millisecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Records outside the window are not part of the trace, so the error at
	// .030 and the psp record reached through its payment_id are left out.
	var got []string
	for _, ev := range rep.Trace.Events {
		got = append(got, ev.Message)
	}
	if len(got) != 2 || !strings.Contains(got[1], "accepted") {
		t.Errorf("events in window: %q, want the gateway record and \"accepted\"", got)
	}
}

func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"TXN-1", true},
		{"", false},
		{strings.Repeat("a", MaxIDLength), true},
		{strings.Repeat("a", MaxIDLength+1), false},
		{"a\nb", false},
		{"a\x00", false},
		{"ünïcode id", true},
	} {
		if err := CheckID(tc.id); (err == nil) != tc.ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestTraceCancelled(t *testing.T) {
	reg := registry(map[string]*memSource{"shop": {files: shop}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(reg).Trace(ctx, "T-1", Options{Sources: []source.Spec{{Location: "mem://shop"}}, Keys: []string{"transaction_id"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// fixedSource returns the same records for any query.
type fixedSource []source.Record

func (f fixedSource) Scan(_ context.Context, _ *source.Query, out source.Output) (source.Stats, error) {
	for i := range f {
		if err := out.Record(&f[i]); err != nil {
			return source.Stats{}, err
		}
	}
	return source.Stats{Files: 1}, nil
}

func TestTraceRecordFallbacks(t *testing.T) {
	kafkaTime := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	own := time.Date(2025, 10, 21, 8, 0, 0, 0, time.UTC)
	recs := fixedSource{
		{Data: []byte(`payload without time transaction_id=T-1`), Path: "orders/0", Line: 7, Service: "orders", Time: kafkaTime, Level: "WARNING"},
		{Data: []byte(`2025-10-21T08:00:00Z ERROR own time transaction_id=T-1`), Path: "orders/0", Line: 8, Service: "orders", Time: kafkaTime, Level: "info"},
		{Data: []byte(`{"id":"x"}`), Path: "dd/1", Line: 1, Service: "api", Time: kafkaTime, Level: "error", Message: "structured",
			Fields: map[string]any{"transaction_id": "T-1"}},
	}
	reg := source.NewRegistry(source.Driver{Scheme: "fixed", Open: func(source.Spec) (source.Source, error) { return recs, nil }})
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{Sources: []source.Spec{{Location: "fixed://x"}}, Keys: []string{"transaction_id"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		time time.Time
		lvl  trace.Level
		msg  string
	}{
		{own, trace.LevelError, "own time transaction_id=T-1"},
		// A tie in time: origin order, dd/1 before orders/0.
		{kafkaTime, trace.LevelError, "structured"},
		{kafkaTime, trace.LevelWarn, "payload without time transaction_id=T-1"},
	}
	if len(rep.Trace.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(rep.Trace.Events), len(want))
	}
	for i, w := range want {
		ev := rep.Trace.Events[i]
		if !ev.Time.Equal(w.time) || ev.Level != w.lvl || ev.Message != w.msg {
			t.Errorf("event %d: %s %s %q, want %s %s %q", i, ev.Time, ev.Level, ev.Message, w.time, w.lvl, w.msg)
		}
	}
}

// closingSource fails to open but, as some drivers do, returns a typed nil
// pointer beside its error.
type closingSource struct{ closed *bool }

func (c *closingSource) Scan(context.Context, *source.Query, source.Output) (source.Stats, error) {
	return source.Stats{}, nil
}

func (c *closingSource) Close() error {
	*c.closed = true
	return nil
}

func TestTraceTypedNilSource(t *testing.T) {
	reg := source.NewRegistry(
		source.Driver{Scheme: "broken", Open: func(source.Spec) (source.Source, error) {
			var s *closingSource
			return s, errors.New("missing key")
		}},
		source.Driver{Scheme: "mem", Open: func(source.Spec) (source.Source, error) { return &memSource{files: shop}, nil }},
	)
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{
		Sources: []source.Spec{{Location: "broken://x"}, {Location: "mem://shop"}},
		Keys:    []string{"transaction_id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Trace.Events) != 1 || !rep.Stats.Sources[0].Failed || rep.Stats.Sources[1].Failed {
		t.Errorf("events %d, sources %+v: want the working source's event and the broken one failed", len(rep.Trace.Events), rep.Stats.Sources)
	}
}

// TestTracePrecheck checks that Precheck sees every event the trace keeps
// (and the events it drops after a look are not in the report), and that
// what it sets on an event is what the report holds.
func TestTracePrecheck(t *testing.T) {
	reg := registry(map[string]*memSource{"shop": {files: shop, scans: new(int)}})
	var mu sync.Mutex
	seen := map[string]bool{}
	rep, err := New(reg).Trace(context.Background(), "T-1", Options{
		Sources: []source.Spec{{Location: "mem://shop"}},
		Keys:    []string{"transaction_id", "request_id", "payment_id", "parcel_id"}, Follow: true, MaxLinkDepth: 3, MaxLinkedIDs: 100,
		Precheck: func(ev trace.Event) bool {
			mu.Lock()
			defer mu.Unlock()
			seen[ev.Raw] = true
			return !strings.Contains(ev.Raw, "error")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Trace.Events) != 5 {
		t.Fatalf("%d events, want 5", len(rep.Trace.Events))
	}
	for _, ev := range rep.Trace.Events {
		if !seen[ev.Raw] {
			t.Errorf("event not prechecked: %s", ev.Raw)
		}
		if want := !strings.Contains(ev.Raw, "error"); ev.Clean != want {
			t.Errorf("Clean %v, want %v: %s", ev.Clean, want, ev.Raw)
		}
	}
}
