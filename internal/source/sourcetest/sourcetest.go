// Package sourcetest is the contract suite every source driver runs: it
// stores log files in the driver's store through a Fixture, scans them, and
// checks the records against what the files hold.
package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Fixture stores the given log files (slash paths → content) in the store
// under test and returns the Spec that reads them. Files whose names end
// in ".gz" or ".zst" are meant to be stored compressed where the store
// holds files.
type Fixture func(t *testing.T, files map[string][]byte) source.Spec

// Option adjusts the suite to a kind of store.
type Option func(*config)

type config struct {
	stream string // with OneStream: the path of every record
	exact  bool
}

// OneStream says the driver reads a single stream per Spec (standard input,
// a command's output) and gives every record the path p. The suite then
// stores one file per Spec.
func OneStream(p string) Option { return func(c *config) { c.stream = p } }

// Exact says the source returns exactly the records that hold one of the
// ids as bytes, and counts the content bytes of every file in
// Stats.Bytes: what a store scanned byte by byte does. Without it, a
// source may return more records than that, never fewer.
func Exact() Option { return func(c *config) { c.exact = true } }

// Run runs the contract suite against d.
func Run(t *testing.T, d source.Driver, fx Fixture, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	su := &suite{d: d, fx: fx, c: c}
	t.Run("EveryRecordOnce", su.everyRecordOnce)
	t.Run("NearMissID", su.nearMiss)
	t.Run("SeveralIDs", su.severalIDs)
	t.Run("LinesAndPaths", su.linesAndPaths)
	t.Run("MultiLineRecords", su.multiLine)
	t.Run("NothingFound", su.nothingFound)
	t.Run("ServiceSetting", su.serviceSetting)
	t.Run("CancelledBeforeScan", su.cancelledBefore)
	t.Run("CancelledDuringScan", su.cancelledDuring)
	t.Run("SecondScan", su.secondScan)
}

type suite struct {
	d  source.Driver
	fx Fixture
	c  config
}

// Rec is a record as collected, its Data copied.
type Rec struct {
	Path    string
	Line    int64
	Service string
	Data    string
}

func (r Rec) String() string { return fmt.Sprintf("%s:%d %q", r.Path, r.Line, r.Data) }

// Collector is an Output that keeps copies of what it receives. It is safe
// for concurrent use. OnRecord, when set, is called with each record after
// it is kept; its error is returned to the source.
type Collector struct {
	OnRecord func(r *source.Record) error

	mu       sync.Mutex
	records  []Rec
	warnings []string
	files    int
	bytes    int64
}

// Record keeps a copy of r: r.Data is only valid during the call.
func (c *Collector) Record(r *source.Record) error {
	c.mu.Lock()
	c.records = append(c.records, Rec{Path: r.Path, Line: r.Line, Service: r.Service, Data: string(r.Data)})
	c.mu.Unlock()
	if c.OnRecord != nil {
		return c.OnRecord(r)
	}
	return nil
}

// Warn keeps msg.
func (c *Collector) Warn(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, msg)
}

// Progress adds up the progress reported.
func (c *Collector) Progress(files int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files += files
	c.bytes += bytes
}

// Records returns the records kept so far, sorted by path and line.
func (c *Collector) Records() []Rec {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.records)
	sortRecs(out)
	return out
}

// Warnings returns the warnings kept so far.
func (c *Collector) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.warnings)
}

// Progressed returns the sums of the progress reported.
func (c *Collector) Progressed() (files int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.files, c.bytes
}

func sortRecs(rs []Rec) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Path != rs[j].Path {
			return rs[i].Path < rs[j].Path
		}
		return rs[i].Line < rs[j].Line
	})
}

// scanResult is what one or more scans returned.
type scanResult struct {
	recs     []Rec
	warnings []string
	stats    source.Stats
}

// open stores files and opens a source for them; for a one-stream driver
// it opens one source per file, and calls back with the file name.
func (su *suite) open(t *testing.T, files map[string][]byte, edit func(*source.Spec)) map[string]source.Source {
	t.Helper()
	sets := map[string]map[string][]byte{"": files}
	if su.c.stream != "" {
		sets = make(map[string]map[string][]byte)
		for name, data := range files {
			sets[name] = map[string][]byte{name: data}
		}
	}
	srcs := make(map[string]source.Source)
	for name, set := range sets {
		spec := su.fx(t, set)
		if edit != nil {
			edit(&spec)
		}
		src, err := su.d.Open(spec)
		if err != nil {
			t.Fatalf("open %s: %v", spec.Location, err)
		}
		if c, ok := src.(io.Closer); ok {
			t.Cleanup(func() {
				if err := c.Close(); err != nil {
					t.Errorf("close %s: %v", spec.Location, err)
				}
			})
		}
		srcs[name] = src
	}
	return srcs
}

// scan scans every source with q and gathers the records, with the paths
// of a one-stream driver's records checked and replaced by the file names.
func (su *suite) scan(t *testing.T, ctx context.Context, srcs map[string]source.Source, q *source.Query) (scanResult, error) {
	t.Helper()
	var res scanResult
	names := make([]string, 0, len(srcs))
	for name := range srcs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		var c Collector
		st, err := srcs[name].Scan(ctx, q, &c)
		res.stats.Files += st.Files
		res.stats.Bytes += st.Bytes
		res.stats.Skipped += st.Skipped
		res.stats.Truncated = res.stats.Truncated || st.Truncated
		res.warnings = append(res.warnings, c.Warnings()...)
		for _, r := range c.Records() {
			if su.c.stream != "" {
				if r.Path != su.c.stream {
					t.Errorf("record %v: path %q, want %q", r, r.Path, su.c.stream)
				}
				r.Path = name
			}
			res.recs = append(res.recs, r)
		}
		if err != nil {
			return res, err
		}
	}
	sortRecs(res.recs)
	return res, nil
}

// check compares the records found for ids in files with the records the
// reference splitter finds there.
func (su *suite) check(t *testing.T, files map[string][]byte, ids []string, res scanResult) {
	t.Helper()
	want := expected(files, ids)
	got := res.recs
	seen := make(map[string]bool)
	for _, r := range got {
		key := fmt.Sprintf("%s:%d", r.Path, r.Line)
		if seen[key] {
			t.Errorf("record %s returned twice", key)
		}
		seen[key] = true
		if r.Service == "" {
			t.Errorf("record %s has no service", key)
		}
	}
	byKey := make(map[string]Rec)
	for _, r := range got {
		byKey[fmt.Sprintf("%s:%d", r.Path, r.Line)] = r
	}
	for _, w := range want {
		key := fmt.Sprintf("%s:%d", w.Path, w.Line)
		g, ok := byKey[key]
		if !ok {
			t.Errorf("missing record %v", w)
			continue
		}
		if g.Data != w.Data {
			t.Errorf("record %s:\n got %q\nwant %q", key, g.Data, w.Data)
		}
		delete(byKey, key)
	}
	if su.c.exact {
		for _, r := range got {
			if _, extra := byKey[fmt.Sprintf("%s:%d", r.Path, r.Line)]; extra {
				t.Errorf("unexpected record %v", r)
			}
		}
		total := int64(0)
		for _, data := range files {
			total += int64(len(data))
		}
		if res.stats.Bytes != total {
			t.Errorf("stats count %d bytes, the files hold %d", res.stats.Bytes, total)
		}
	}
	if t.Failed() {
		t.Logf("warnings: %q", res.warnings)
	}
}

// run stores files, scans them once for ids, and checks the result.
func (su *suite) run(t *testing.T, files map[string][]byte, ids ...string) scanResult {
	t.Helper()
	srcs := su.open(t, files, nil)
	res, err := su.scan(t, t.Context(), srcs, &source.Query{IDs: ids})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	su.check(t, files, ids, res)
	return res
}

func (su *suite) everyRecordOnce(t *testing.T) {
	res := su.run(t, corpus(), "TXN-1")
	if len(res.recs) < 6 {
		t.Errorf("found %d records, the corpus holds at least 6 with TXN-1", len(res.recs))
	}
}

func (su *suite) nearMiss(t *testing.T) {
	// TXN-10 holds TXN-1: a byte scanner returns both for TXN-1 (checked in
	// EveryRecordOnce); for TXN-10 only records that hold it.
	res := su.run(t, corpus(), "TXN-10")
	for _, r := range res.recs {
		if su.c.exact && !strings.Contains(r.Data, "TXN-10") {
			t.Errorf("record without TXN-10: %v", r)
		}
	}
}

func (su *suite) severalIDs(t *testing.T) {
	su.run(t, corpus(), "TXN-2", "req-b7", "TXN-404")
}

func (su *suite) linesAndPaths(t *testing.T) {
	files := map[string][]byte{
		"edge/first-and-last.log": []byte("2025-10-21T10:00:00Z INFO first TXN-7\n2025-10-21T10:00:01Z INFO middle\n2025-10-21T10:00:02Z INFO last TXN-7"),
		"edge/crlf.log":           []byte("2025-10-21T10:00:00Z INFO a\r\n2025-10-21T10:00:01Z ERROR b TXN-7\r\n\tat x.Y.z(Y.java:1)\r\n2025-10-21T10:00:02Z INFO c\r\n"),
		"edge/only-newlines.log":  []byte("\n\n\n"),
		"edge/empty.log":          {},
		"root.log":                []byte("time=2025-10-21T10:00:00Z level=info msg=x id=TXN-7\n"),
	}
	su.run(t, files, "TXN-7")
}

func (su *suite) multiLine(t *testing.T) {
	files := map[string][]byte{"trace.log": []byte(strings.Join([]string{
		"2025-10-21T10:00:00.000Z INFO begin TXN-5",
		"2025-10-21T10:00:00.100Z ERROR request failed",
		"java.lang.IllegalStateException: declined",
		"\tat com.shop.Pay.run(Pay.java:42)",
		"Caused by: java.io.IOException: reset by peer for TXN-5",
		"\t... 12 more",
		"2025-10-21T10:00:00.200Z ERROR TXN-5 failed again",
		"\tat com.shop.Pay.run(Pay.java:42)",
		"    indented detail",
		"2025-10-21T10:00:00.300Z INFO unrelated",
	}, "\n") + "\n")}
	res := su.run(t, files, "TXN-5")
	if len(res.recs) != 3 {
		t.Fatalf("got %d records, want 3: %v", len(res.recs), res.recs)
	}
}

func (su *suite) nothingFound(t *testing.T) {
	res := su.run(t, corpus(), "NOPE-404")
	if len(res.recs) != 0 {
		t.Errorf("found %v", res.recs)
	}
}

func (su *suite) serviceSetting(t *testing.T) {
	files := corpus()
	srcs := su.open(t, files, func(s *source.Spec) { s.Service = "billing" })
	res, err := su.scan(t, t.Context(), srcs, &source.Query{IDs: []string{"TXN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.recs) == 0 {
		t.Fatal("no records")
	}
	for _, r := range res.recs {
		if r.Service != "billing" {
			t.Errorf("record %v: service %q, want the setting's %q", r, r.Service, "billing")
		}
	}
}

func (su *suite) cancelledBefore(t *testing.T) {
	srcs := su.open(t, corpus(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	_, err := su.scan(t, ctx, srcs, &source.Query{IDs: []string{"TXN-1"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("scan with a cancelled context: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func (su *suite) cancelledDuring(t *testing.T) {
	var b strings.Builder
	for i := range 200000 {
		fmt.Fprintf(&b, "2025-10-21T10:00:00.000Z INFO step %d of a long job TXN-9\n", i)
	}
	files := map[string][]byte{"big/app.log": []byte(b.String())}
	srcs := su.open(t, files, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var c Collector
	c.OnRecord = func(*source.Record) error { cancel(); return nil }
	start := time.Now()
	_, err := srcs[su.key("big/app.log")].Scan(ctx, &source.Query{IDs: []string{"TXN-9"}}, &c)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("scan cancelled at its first record: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned after %v", d)
	}
	if n := len(c.Records()); n == 200000 {
		t.Errorf("all %d records were sent after the cancellation", n)
	}
}

// key returns the key of open's result for a single file.
func (su *suite) key(name string) string {
	if su.c.stream != "" {
		return name
	}
	return ""
}

func (su *suite) secondScan(t *testing.T) {
	files := corpus()
	if su.c.stream != "" {
		files = map[string][]byte{"checkout/app.log": files["checkout/app.log"]}
	}
	srcs := su.open(t, files, nil)
	q := &source.Query{IDs: []string{"TXN-1"}}
	first, err := su.scan(t, t.Context(), srcs, q)
	if err != nil {
		t.Fatal(err)
	}
	second, err := su.scan(t, t.Context(), srcs, q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.recs, second.recs) {
		t.Errorf("second scan differs:\n first %v\nsecond %v", first.recs, second.recs)
	}
	su.check(t, files, q.IDs, second)
	// A linked-id pass with other ids on the same source.
	third, err := su.scan(t, t.Context(), srcs, &source.Query{IDs: []string{"req-b7"}})
	if err != nil {
		t.Fatal(err)
	}
	su.check(t, files, []string{"req-b7"}, third)
	if len(third.recs) == 0 {
		t.Error("the linked-id pass found nothing")
	}
}
