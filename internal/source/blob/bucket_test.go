package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// memStore is a Store in memory whose reads can be made to fail.
type memStore struct {
	entries []Entry
	data    map[string][]byte
	// fault, when set, says how read n (from 0) of key fails: the reader
	// breaks after cut bytes (cut < 0: it does not), or open fails.
	fault func(key string, n int) (cut int, openErr error)

	mu    sync.Mutex
	opens map[string]int
}

func newMemStore(mod time.Time, files map[string][]byte) *memStore {
	s := &memStore{data: map[string][]byte{}, opens: map[string]int{}}
	for k, v := range files {
		s.entries = append(s.entries, Entry{Key: "pre/" + k, Rel: k, Size: int64(len(v)), ModTime: mod, Version: "1"})
		s.data["pre/"+k] = v
	}
	return s
}

func (s *memStore) List(ctx context.Context, fn func(Entry) error) error {
	for _, e := range s.entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *memStore) Open(ctx context.Context, e Entry) (io.ReadCloser, error) {
	s.mu.Lock()
	n := s.opens[e.Key]
	s.opens[e.Key]++
	s.mu.Unlock()
	data := s.data[e.Key]
	if s.fault != nil {
		cut, err := s.fault(e.Key, n)
		if err != nil {
			return nil, err
		}
		if cut >= 0 && cut < len(data) {
			return io.NopCloser(io.MultiReader(bytes.NewReader(data[:cut]), failingReader{io.ErrUnexpectedEOF})), nil
		}
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (s *memStore) openCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.opens {
		n += c
	}
	return n
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// recordText returns n records, all holding TXN-1, every fifth with a stack
// trace of three continuation lines.
func recordText(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "2025-10-21T10:00:%02d.%03dZ ERROR step %d failed transaction_id=TXN-1\n", i/1000%60, i%1000, i)
		if i%5 == 0 {
			b.WriteString("java.lang.IllegalStateException: declined\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)\n")
		}
	}
	return b.Bytes()
}

func scanBucket(t *testing.T, st Store, spec source.Spec, cfg Config, q source.Query) (*sourcetest.Collector, source.Stats, error) {
	t.Helper()
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Millisecond
	}
	b := NewBucket(st, spec, cfg)
	t.Cleanup(func() { b.Close() })
	var c sourcetest.Collector
	stats, err := b.Scan(t.Context(), &q, &c)
	return &c, stats, err
}

func TestBucketReadsAgainAfterFault(t *testing.T) {
	plain := recordText(400)
	files := map[string][]byte{"svc/app.log": plain, "svc/app.log.1.gz": gz(t, plain)}
	want, _, err := scanBucket(t, newMemStore(time.Time{}, files), source.Spec{}, Config{}, source.Query{IDs: []string{"TXN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Records()) != 800 {
		t.Fatalf("baseline: %d records, want 800", len(want.Records()))
	}
	half := func(key string) int { return len(files[strings.TrimPrefix(key, "pre/")]) / 2 }
	for _, tc := range []struct {
		name  string
		fault func(key string, n int) (int, error)
		// lost names the objects expected in a warning; their records
		// are a prefix of the baseline's.
		lost []string
	}{
		{"cut once", func(k string, n int) (int, error) {
			if n == 0 {
				return half(k), nil
			}
			return -1, nil
		}, nil},
		{"cut near the start once", func(k string, n int) (int, error) {
			if n == 0 {
				return 100, nil
			}
			return -1, nil
		}, nil},
		{"cut earlier the second time", func(k string, n int) (int, error) {
			switch n {
			case 0:
				return half(k), nil
			case 1:
				return half(k) / 2, nil
			}
			return -1, nil
		}, []string{"pre/svc/app.log", "pre/svc/app.log.1.gz"}},
		{"cut every time", func(k string, n int) (int, error) { return half(k), nil },
			[]string{"pre/svc/app.log", "pre/svc/app.log.1.gz"}},
		{"open fails once", func(k string, n int) (int, error) {
			if n == 0 {
				return 0, errors.New("503 slow down")
			}
			return -1, nil
		}, nil},
		{"open fails every time", func(k string, n int) (int, error) {
			if k == "pre/svc/app.log" {
				return 0, errors.New("403 access denied")
			}
			return -1, nil
		}, []string{"pre/svc/app.log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore(time.Time{}, files)
			st.fault = tc.fault
			c, stats, err := scanBucket(t, st, source.Spec{}, Config{}, source.Query{IDs: []string{"TXN-1"}})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, r := range c.Records() {
				k := fmt.Sprintf("%s:%d", r.Path, r.Line)
				if seen[k] {
					t.Errorf("record %s sent twice", k)
				}
				seen[k] = true
			}
			got := map[string][]sourcetest.Rec{}
			for _, r := range c.Records() {
				got[r.Path] = append(got[r.Path], r)
			}
			base := map[string][]sourcetest.Rec{}
			for _, r := range want.Records() {
				base[r.Path] = append(base[r.Path], r)
			}
			warns := strings.Join(c.Warnings(), "\n")
			for path, recs := range base {
				lost := slices.Contains(tc.lost, "pre/"+path)
				g := got[path]
				if !lost {
					if !slices.Equal(g, recs) {
						t.Errorf("%s: %d records, want the %d of a whole read", path, len(g), len(recs))
					}
					continue
				}
				if !strings.Contains(warns, "pre/"+path) {
					t.Errorf("no warning names %s: %q", path, warns)
				}
				// What was found before the fault is kept whole, except
				// the last record, which the fault may have cut short.
				if len(g) > len(recs) {
					t.Fatalf("%s: %d records, more than the %d there are", path, len(g), len(recs))
				}
				for i, r := range g {
					if r.Line != recs[i].Line || i < len(g)-1 && r.Data != recs[i].Data {
						t.Errorf("%s: record %d is %v, want %v", path, i, r, recs[i])
					}
				}
				if len(g) == 0 && tc.name == "cut every time" {
					t.Errorf("%s: the records before the fault were lost", path)
				}
			}
			if len(tc.lost) == 0 && len(c.Warnings()) > 0 {
				t.Errorf("warnings after a fault that a second read mended: %q", c.Warnings())
			}
			if want := 2 - stats.SkippedBy[source.SkipUnreadable]; stats.Files != want {
				t.Errorf("stats count %d objects read, want %d (%+v)", stats.Files, want, stats)
			}
		})
	}
}

func TestBucketSpool(t *testing.T) {
	files := map[string][]byte{"a/x.log": recordText(10), "b/y.log.gz": gz(t, recordText(20)), "c/big.log": recordText(3000)}
	for _, tc := range []struct {
		name       string
		spool      int64
		wantOpens2 int // store reads in the second scan
	}{
		{"kept", 64 << 20, 0},
		{"none", 0, 3},
		{"too small for the big one", 64 << 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore(time.Time{}, files)
			b := NewBucket(st, source.Spec{}, Config{SpoolBytes: tc.spool})
			q := &source.Query{IDs: []string{"TXN-1"}}
			var c1, c2 sourcetest.Collector
			if _, err := b.Scan(t.Context(), q, &c1); err != nil {
				t.Fatal(err)
			}
			opens := st.openCount()
			if _, err := b.Scan(t.Context(), q, &c2); err != nil {
				t.Fatal(err)
			}
			if n := st.openCount() - opens; n != tc.wantOpens2 {
				t.Errorf("second scan read %d objects from the store, want %d", n, tc.wantOpens2)
			}
			if !slices.Equal(c1.Records(), c2.Records()) {
				t.Error("the second scan found other records")
			}
			dir := ""
			if b.spool != nil {
				dir = b.spool.dir
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if dir != "" {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("spool directory %s still there after Close: %v", dir, err)
				}
			}
		})
	}
}

func TestBucketSpoolPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	st := newMemStore(time.Time{}, map[string][]byte{"x.log": recordText(5)})
	b := NewBucket(st, source.Spec{}, Config{SpoolBytes: 1 << 20})
	if _, err := b.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &sourcetest.Collector{}); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(tmp, "pipetracker-objects-*"))
	if len(dirs) != 1 {
		t.Fatalf("spool directories: %v", dirs)
	}
	fi, err := os.Stat(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("spool directory mode %v, want 0700", fi.Mode().Perm())
	}
	b.Close()
	if dirs, _ := filepath.Glob(filepath.Join(tmp, "*")); len(dirs) != 0 {
		t.Errorf("left behind: %v", dirs)
	}
}

func TestBucketSelection(t *testing.T) {
	old := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	recent := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	hit := []byte("2025-10-21T10:00:00Z INFO hit TXN-1\n")
	st := &memStore{data: map[string][]byte{}, opens: map[string]int{}}
	add := func(rel string, mod time.Time, size int) {
		data := append(bytes.Repeat([]byte("2025-10-21T10:00:00Z INFO padding\n"), size), hit...)
		st.entries = append(st.entries, Entry{Key: "logs/" + rel, Rel: rel, Size: int64(len(data)), ModTime: mod})
		st.data["logs/"+rel] = data
	}
	add("checkout/2025/10/21/app.log", recent, 0)
	add("checkout/2025/10/19/app.log", recent, 0)       // dated before the window
	add("checkout/2025/10/23/app.log", recent, 0)       // dated after it
	add("payments/app-2025-10-21.log.gz", recent, 0)    // not gzip, read as text
	add("payments/app-2025-10-18.log", recent, 0)       // dated before
	add("payments/old.log", old, 0)                     // last written before the window
	add("orders/app.log", recent.Add(-time.Hour), 1000) // too large
	add("orders/app.log.1", recent.Add(-2*time.Hour), 0)
	add("orders/debug.txt", recent, 0)
	since := time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC)
	until := time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		opts    map[string]string
		q       source.Query
		want    []string
		skipped map[string]int
	}{
		{"everything", nil, source.Query{}, []string{
			"checkout/2025/10/19/app.log", "checkout/2025/10/21/app.log", "checkout/2025/10/23/app.log",
			"orders/app.log", "orders/app.log.1", "orders/debug.txt",
			"payments/app-2025-10-18.log", "payments/app-2025-10-21.log.gz", "payments/old.log",
		}, nil},
		{"window", nil, source.Query{Since: since, Until: until}, []string{
			"checkout/2025/10/21/app.log", "orders/app.log", "orders/app.log.1", "orders/debug.txt", "payments/app-2025-10-21.log.gz",
		}, map[string]int{source.SkipOld: 1, source.SkipOutside: 3}},
		{"include and exclude", map[string]string{"include": "*.log*,orders/**", "exclude": "checkout/2025/10/1*/**,*.txt"}, source.Query{}, []string{
			"checkout/2025/10/21/app.log", "checkout/2025/10/23/app.log", "orders/app.log", "orders/app.log.1",
			"payments/app-2025-10-18.log", "payments/app-2025-10-21.log.gz", "payments/old.log",
		}, map[string]int{source.SkipExcluded: 2}},
		{"size and count", map[string]string{"include": "orders/*"}, source.Query{MaxFiles: 1, MaxFileBytes: 1000}, []string{
			"orders/debug.txt",
		}, map[string]int{source.SkipExcluded: 6, source.SkipTooLarge: 1, source.SkipMaxFiles: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Name = func(e Entry) string { return "mem://b/" + e.Key }
			q := tc.q
			q.IDs = []string{"TXN-1"}
			c, stats, err := scanBucket(t, st, source.Spec{}, cfg, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.Records() {
				got = append(got, r.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("read\n%q\nwant\n%q", got, tc.want)
			}
			skipped := 0
			for _, n := range tc.skipped {
				skipped += n
			}
			if tc.skipped == nil {
				tc.skipped = map[string]int{}
			}
			if stats.SkippedBy == nil {
				stats.SkippedBy = map[string]int{}
			}
			if fmt.Sprint(stats.SkippedBy) != fmt.Sprint(tc.skipped) || stats.Skipped != skipped {
				t.Errorf("skipped %d %v, want %d %v", stats.Skipped, stats.SkippedBy, skipped, tc.skipped)
			}
			for reason, n := range tc.skipped {
				if reason == source.SkipExcluded || n == 0 {
					continue
				}
				if !strings.Contains(strings.Join(c.Warnings(), "\n"), "mem://b/logs/") {
					t.Errorf("no warning names what %s left out: %q", reason, c.Warnings())
				}
			}
		})
	}
}

func TestBucketMaxRecords(t *testing.T) {
	st := newMemStore(time.Time{}, map[string][]byte{"a.log": recordText(300), "b.log": recordText(300)})
	c, stats, err := scanBucket(t, st, source.Spec{}, Config{MaxRecords: 250, Concurrency: 1}, source.Query{IDs: []string{"TXN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Records()); n != 250 {
		t.Errorf("%d records, want the cap of 250", n)
	}
	if !stats.Truncated || !strings.Contains(strings.Join(c.Warnings(), "\n"), "max_records 250") {
		t.Errorf("truncated %v, warnings %q", stats.Truncated, c.Warnings())
	}
}

func TestBucketServiceAndTimezoneOptions(t *testing.T) {
	data := []byte("2025-10-21 10:00:00,000 INFO order TXN-1 placed\n{\"ts\":\"2025-10-21T10:00:01Z\",\"service\":\"inner\",\"msg\":\"x TXN-1\"}\n")
	for _, tc := range []struct {
		name     string
		spec     source.Spec
		opts     map[string]string
		service  []string
		time     string
		parsed   bool
		wantZone bool
	}{
		{"from the path", source.Spec{}, nil, []string{"checkout", "checkout"}, "", false, false},
		{"spec service", source.Spec{Service: "billing"}, nil, []string{"billing", "billing"}, "", false, false},
		{"service option", source.Spec{}, map[string]string{"service": "billing"}, []string{"billing", "billing"}, "2025-10-21T10:00:00Z", true, false},
		{"timezone option", source.Spec{}, map[string]string{"timezone": "Europe/Paris"}, []string{"checkout", "inner"}, "2025-10-21T08:00:00Z", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			st := newMemStore(time.Time{}, map[string][]byte{"checkout/app.log": data})
			b := NewBucket(st, tc.spec, cfg)
			var got []source.Record
			out := &funcOutput{record: func(r *source.Record) error {
				cp := *r
				cp.Data = slices.Clone(r.Data)
				got = append(got, cp)
				return nil
			}}
			if _, err := b.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, out); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d records", len(got))
			}
			for i, r := range got {
				if r.Service != tc.service[i] {
					t.Errorf("record %d: service %q, want %q", i, r.Service, tc.service[i])
				}
				if (r.Fields != nil) != tc.parsed {
					t.Errorf("record %d: parsed here %v, want %v", i, r.Fields != nil, tc.parsed)
				}
			}
			if tc.time != "" && got[0].Time.UTC().Format(time.RFC3339) != tc.time {
				t.Errorf("time %v, want %s", got[0].Time, tc.time)
			}
		})
	}
}

type funcOutput struct {
	mu     sync.Mutex
	record func(*source.Record) error
}

func (o *funcOutput) Record(r *source.Record) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.record(r)
}
func (o *funcOutput) Warn(string)         {}
func (o *funcOutput) Progress(int, int64) {}

func TestBucketEmptyListing(t *testing.T) {
	_, _, err := scanBucket(t, &memStore{}, source.Spec{}, Config{}, source.Query{IDs: []string{"x"}})
	if !errors.Is(err, ErrNoObjects) {
		t.Errorf("scan of an empty store: %v, want ErrNoObjects", err)
	}
}

func TestBucketBinarySkippedOnce(t *testing.T) {
	st := newMemStore(time.Time{}, map[string][]byte{"a.log": recordText(3), "core.bin": append([]byte{0, 1, 2}, recordText(3)...)})
	b := NewBucket(st, source.Spec{}, Config{})
	for pass := range 2 {
		var c sourcetest.Collector
		stats, err := b.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c)
		if err != nil {
			t.Fatal(err)
		}
		if stats.SkippedBy[source.SkipBinary] != 1 || !strings.Contains(strings.Join(c.Warnings(), ""), "pre/core.bin") {
			t.Errorf("pass %d: skipped %v, warnings %q", pass, stats.SkippedBy, c.Warnings())
		}
	}
	if n := st.opens["pre/core.bin"]; n != 1 {
		t.Errorf("the binary object was read %d times, want once", n)
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Get "http://user:pw@127.0.0.1:9000/b/k?X-Amz-Signature=abc&x-id=GetObject": EOF`,
			`Get "http://***@127.0.0.1:9000/b/k?X-Amz-Signature=***&x-id=GetObject": EOF`},
		{"https://storage.googleapis.com/b/o?access_token=ya29.x&alt=media", "https://storage.googleapis.com/b/o?access_token=***&alt=media"},
		{"no url here", "no url here"},
	} {
		if got := Scrub(tc.in); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBucketSpoolRemovedAfterCancel cancels a scan while objects are
// being copied (as Ctrl-C does) and checks that Close leaves nothing.
func TestBucketSpoolRemovedAfterCancel(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	files := map[string][]byte{}
	for i := range 20 {
		files[fmt.Sprintf("s/%02d.log", i)] = recordText(2000)
	}
	b := NewBucket(newMemStore(time.Time{}, files), source.Spec{}, Config{SpoolBytes: 1 << 30, Concurrency: 4})
	ctx, cancel := context.WithCancel(t.Context())
	var c sourcetest.Collector
	c.OnRecord = func(*source.Record) error { cancel(); return nil }
	if _, err := b.Scan(ctx, &source.Query{IDs: []string{"TXN-1"}}, &c); !errors.Is(err, context.Canceled) {
		t.Fatalf("scan: %v, want context.Canceled", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) == 0 {
		t.Fatal("nothing was copied before the cancellation: the test tests nothing")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// feedCollector is a Collector that is also a Feed with fixed more ids.
type feedCollector struct {
	sourcetest.Collector
	more []string
	cov  *Coverage
}

func (f *feedCollector) MoreIDs() []string   { return f.more }
func (f *feedCollector) Coverage() *Coverage { return f.cov }
func (f *feedCollector) Focus() time.Time    { return time.Time{} }

func TestBucketFeed(t *testing.T) {
	files := map[string][]byte{
		"a.log": []byte("2025-10-21T10:00:00Z INFO a transaction_id=TXN-1 request_id=req-9\n"),
		"b.log": []byte("2025-10-21T10:00:01Z INFO b request_id=req-9\n"),
	}
	st := newMemStore(time.Time{}, files)
	b := NewBucket(st, source.Spec{}, Config{SpoolBytes: 0})
	cov := &Coverage{}
	first := &feedCollector{more: []string{"req-9"}, cov: cov}
	if _, err := b.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, first); err != nil {
		t.Fatal(err)
	}
	if n := len(first.Records()); n != 2 {
		t.Errorf("first scan found %d records, want both: the id fed during the scan is searched too", n)
	}
	opens := st.openCount()
	second := &feedCollector{cov: cov}
	if _, err := b.Scan(t.Context(), &source.Query{IDs: []string{"req-9"}}, second); err != nil {
		t.Fatal(err)
	}
	if n := st.openCount() - opens; n != 0 || len(second.Records()) != 0 {
		t.Errorf("the second scan read %d objects and sent %d records; both were searched for req-9 already", n, len(second.Records()))
	}
}
