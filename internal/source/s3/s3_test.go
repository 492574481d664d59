package s3

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob/blobtest"
	"github.com/pipetracker/pipetracker/internal/source/file"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// The test credentials: they must never appear in output.
const (
	testKeyID  = "AKIAPIPETRACKERTEST1"
	testSecret = "pipetracker-secret-do-not-print-3f9c2a7b"
)

// server is the in-process S3 server of the package's tests.
var server *fakeS3

func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           testKeyID,
		"AWS_SECRET_ACCESS_KEY":       testSecret,
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_ENDPOINT_URL")
	os.Unsetenv("AWS_ENDPOINT_URL_S3")
	os.Unsetenv("AWS_PROFILE")
	server = startFake()
	code := m.Run()
	server.srv.Close()
	os.Exit(code)
}

// clock is the fake's time source: objects get the time set before they
// are put as their LastModified.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

type fakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	clock   *clock

	mu      sync.Mutex // serialises puts with their clock setting
	buckets atomic.Int64
}

func startFake() *fakeS3 {
	c := &clock{}
	be := s3mem.New(s3mem.WithTimeSource(c))
	// Signed requests are checked for skew against the real clock.
	fk := gofakes3.New(be, gofakes3.WithTimeSkewLimit(0))
	return &fakeS3{srv: httptest.NewServer(fk.Server()), backend: be, clock: c}
}

// bucket creates a new bucket holding objects (key → bytes as stored),
// each last modified at mod[key] (now when absent), and returns its name.
func (f *fakeS3) bucket(t testing.TB, objects map[string][]byte, mod map[string]time.Time) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%d", f.buckets.Add(1))
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, data := range objects {
		f.clock.mu.Lock()
		f.clock.t = mod[k]
		f.clock.mu.Unlock()
		if _, err := f.backend.PutObject(name, k, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.mu.Lock()
	f.clock.t = time.Time{}
	f.clock.mu.Unlock()
	return name
}

// isRead tells GetObject requests (path-style: /bucket/key).
func isRead(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/") >= 1 &&
		r.URL.Query().Get("list-type") == ""
}

// fastBackoff keeps the SDK's retries quick in tests.
type fastBackoff struct{}

func (fastBackoff) BackoffDelay(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil }

// testDriver lists 50 keys a page and retries quickly.
func testDriver() source.Driver { return driver(tuning{pageSize: 50, backoff: fastBackoff{}}) }

// withPrefix returns files under prefix, compressed as their names say.
func withPrefix(t testing.TB, prefix string, files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[prefix+k] = blobtest.Compress(t, k, v)
	}
	return out
}

func TestContract(t *testing.T) {
	sourcetest.Run(t, testDriver(), func(t *testing.T, files map[string][]byte) source.Spec {
		b := server.bucket(t, withPrefix(t, "logs/app/", files), nil)
		return source.Spec{Location: "s3://" + b + "/logs/app", Options: map[string]string{"endpoint": server.srv.URL}}
	}, sourcetest.Exact())
}

// TestCorpusAccuracy traces the known ids of a generated corpus stored as
// hundreds of objects (several listing pages, gzip and plain, near misses)
// and compares the events with those of the same files read from disk
// and with the corpus's exact answers.
func TestCorpusAccuracy(t *testing.T) {
	c := blobtest.NewCorpus(t, 3<<20, 300)
	if len(c.Objects) < 300 {
		t.Fatalf("corpus of %d objects", len(c.Objects))
	}
	b := server.bucket(t, prefixed("prod/", c.Objects), prefixedTimes("prod/", c.ModTimes))
	reg := source.NewRegistry(file.Driver(), testDriver())
	s3spec := source.Spec{Location: "s3://" + b + "/prod?endpoint=" + server.srv.URL}
	for _, tr := range c.Manifest.Traces {
		for _, follow := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/follow=%v", tr.ID, follow), func(t *testing.T) {
				want := blobtest.ManifestRows(tr.NoFollow)
				if follow {
					want = blobtest.ManifestRows(tr.Follow)
				}
				got, rep := blobtest.Trace(t, t.Context(), reg, s3spec, c.Manifest, tr.ID, follow)
				disk, _ := blobtest.Trace(t, t.Context(), reg, source.Spec{Location: c.Dir}, c.Manifest, tr.ID, follow)
				blobtest.Compare(t, "s3 against disk", got, disk)
				blobtest.Compare(t, "s3 against the manifest", got, want)
				if len(rep.Warnings) > 0 {
					t.Errorf("warnings: %s", blobtest.Warnings(rep))
				}
				if st := rep.Stats.Sources[0]; st.Files != len(c.Objects) {
					t.Errorf("read %d objects, the bucket holds %d", st.Files, len(c.Objects))
				}
			})
		}
	}
}

func prefixed(prefix string, objects map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(objects))
	for k, v := range objects {
		out[prefix+k] = v
	}
	return out
}

func prefixedTimes(prefix string, times map[string]time.Time) map[string]time.Time {
	out := make(map[string]time.Time, len(times))
	for k, v := range times {
		out[prefix+k] = v
	}
	return out
}

func TestFaults(t *testing.T) {
	c := blobtest.NewCorpus(t, 2<<20, 120)
	b := server.bucket(t, prefixed("prod/", c.Objects), prefixedTimes("prod/", c.ModTimes))
	reg := source.NewRegistry(file.Driver(), testDriver())
	blobtest.RunFaults(t, c, server.srv.URL, isRead, reg, func(t *testing.T, proxy string) source.Spec {
		return source.Spec{Location: "s3://" + b + "/prod", Options: map[string]string{"endpoint": proxy}}
	})
}

func TestClientSettings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		env       map[string]string
		loc       string
		endpoint  string // "" for none
		pathStyle bool
		region    string
	}{
		{"aws", nil, "s3://logs/x", "", false, "us-east-1"},
		{"region option", nil, "s3://logs/x?region=eu-west-3", "", false, "eu-west-3"},
		{"endpoint option", nil, "s3://logs/x?endpoint=http://127.0.0.1:9000", "http://127.0.0.1:9000", true, "us-east-1"},
		{"endpoint without path style", nil, "s3://logs/x?endpoint=https://r2.example&path_style=false", "https://r2.example", false, "us-east-1"},
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9001"}, "s3://logs/x", "http://127.0.0.1:9001", true, "us-east-1"},
		{"AWS_ENDPOINT_URL_S3", map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9002", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "s3://logs/x", "http://127.0.0.1:9002", true, "us-east-1"},
		{"the option wins", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "s3://logs/x?endpoint=http://127.0.0.1:9003", "http://127.0.0.1:9003", true, "us-east-1"},
		{"path style forced", nil, "s3://logs/x?path_style=true", "", true, "us-east-1"},
		{"no region anywhere, custom endpoint", map[string]string{"AWS_REGION": ""}, "s3://logs/x?endpoint=http://127.0.0.1:9000", "http://127.0.0.1:9000", true, "us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			src, err := open(source.Spec{Location: tc.loc}, tuning{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := src.st.clientOf(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			o := c.Options()
			ep := ""
			if o.BaseEndpoint != nil {
				ep = *o.BaseEndpoint
			}
			if ep != tc.endpoint || o.UsePathStyle != tc.pathStyle || o.Region != tc.region {
				t.Errorf("endpoint %q, path style %v, region %q; want %q, %v, %q", ep, o.UsePathStyle, o.Region, tc.endpoint, tc.pathStyle, tc.region)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct{ loc, err string }{
		{"s3://", "no bucket"},
		{"s3://logs/x?concurency=2", `unknown option "concurency"`},
		{"s3://logs/x?path_style=maybe", "path_style"},
		{"s3://logs/x?endpoint=127.0.0.1:9000", "option endpoint"},
		{"s3://logs/x?timezone=Nowhere/Else", "timezone"},
	} {
		t.Run(tc.loc, func(t *testing.T) {
			_, err := Driver().Open(source.Spec{Location: tc.loc})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("open: %v, want an error about %q", err, tc.err)
			}
		})
	}
}

// TestWindowAndLimits checks that the time window, include/exclude and
// max_files use what the listing says, and that the summary counts what
// was skipped and why.
func TestWindowAndLimits(t *testing.T) {
	recent := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	old := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	hit := []byte("2025-10-21T10:00:00Z INFO hit transaction_id=TXN-1\n")
	objects := map[string][]byte{
		"w/checkout/2025/10/21/app.log": hit,
		"w/checkout/2025/10/14/app.log": hit,
		"w/payments/pay-2025-10-21.log": hit,
		"w/payments/pay-2025-09-01.log": hit,
		"w/orders/app.log":              hit,
		"w/orders/app.log.1":            hit,
		"w/orders/tmp/scratch.log":      hit,
	}
	mod := map[string]time.Time{"w/payments/pay-2025-09-01.log": old, "w/orders/app.log.1": recent.Add(-time.Hour)}
	for k := range objects {
		if _, ok := mod[k]; !ok {
			mod[k] = recent
		}
	}
	b := server.bucket(t, objects, mod)
	since := time.Date(2025, 10, 21, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		query   string
		q       source.Query
		want    string
		skipped map[string]int
	}{
		{"window", "", source.Query{Since: since},
			"checkout/2025/10/21/app.log orders/app.log orders/app.log.1 orders/tmp/scratch.log payments/pay-2025-10-21.log",
			map[string]int{source.SkipOld: 1, source.SkipOutside: 1}},
		{"exclude and max_files", "?exclude=tmp/**,**/tmp/**&include=orders/**", source.Query{MaxFiles: 1},
			"orders/app.log",
			map[string]int{source.SkipExcluded: 5, source.SkipMaxFiles: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := testDriver().Open(source.Spec{Location: "s3://" + b + "/w" + tc.query, Options: map[string]string{"endpoint": server.srv.URL}})
			if err != nil {
				t.Fatal(err)
			}
			q := tc.q
			q.IDs = []string{"TXN-1"}
			var c sourcetest.Collector
			stats, err := src.Scan(t.Context(), &q, &c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.Records() {
				got = append(got, r.Path)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("read %q, want %q", strings.Join(got, " "), tc.want)
			}
			if fmt.Sprint(stats.SkippedBy) != fmt.Sprint(tc.skipped) {
				t.Errorf("skipped %v, want %v", stats.SkippedBy, tc.skipped)
			}
		})
	}
}

// TestLinkedPassesReadLocalCopies checks that a second scan (a linked-id
// pass) reads the copies kept on the first, and that Close removes them.
func TestLinkedPassesReadLocalCopies(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	files := map[string][]byte{}
	for i := range 30 {
		files[fmt.Sprintf("svc%d/app-%d.log", i%3, i)] = []byte(fmt.Sprintf("2025-10-21T10:00:00Z INFO x transaction_id=TXN-%03d request_id=req-%03d\n", i, i))
	}
	b := server.bucket(t, withPrefix(t, "p/", files), nil)
	for _, tc := range []struct {
		name      string
		spool     string
		wantReads int64
	}{
		{"kept", "", 0},
		{"not kept", "0", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := blobtest.NewProxy(t, server.srv.URL, isRead)
			opts := map[string]string{"endpoint": p.URL}
			if tc.spool != "" {
				opts["spool_mb"] = tc.spool
			}
			src, err := testDriver().Open(source.Spec{Location: "s3://" + b + "/p", Options: opts})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &sourcetest.Collector{}); err != nil {
				t.Fatal(err)
			}
			before := p.Counts().Reads
			var c sourcetest.Collector
			if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"req-002"}}, &c); err != nil {
				t.Fatal(err)
			}
			if n := p.Counts().Reads - before; n != tc.wantReads {
				t.Errorf("the second pass read %d objects from the store, want %d", n, tc.wantReads)
			}
			if len(c.Records()) != 1 {
				t.Errorf("second pass: %v", c.Records())
			}
			if err := src.(interface{ Close() error }).Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in the temporary directory: %v", left)
			}
		})
	}
}

// A body cut short is read on from the byte it reached, with Range and
// If-Match on the listed ETag, and the scan sees no break; a store that
// ignores Range makes the Bucket read the object again from its start.
func TestResume(t *testing.T) {
	b := server.bucket(t, blobtest.ResumeObjects(), nil)
	drv := testDriver()
	scan := func(t *testing.T, url string) ([]sourcetest.Rec, []string) {
		src, err := drv.Open(source.Spec{Location: "s3://" + b + "/logs/", Options: map[string]string{"endpoint": url}})
		if err != nil {
			t.Fatal(err)
		}
		var col sourcetest.Collector
		if _, err := src.Scan(t.Context(), &source.Query{IDs: blobtest.ResumeIDs}, &col); err != nil {
			t.Fatal(err)
		}
		return col.Records(), col.Warnings()
	}
	blobtest.RunResume(t, server.srv.URL, isRead, scan, func(t *testing.T, h http.Header) {
		if rng, ifMatch := h.Get("Range"), h.Get("If-Match"); !strings.HasPrefix(rng, "bytes=") || ifMatch == "" {
			t.Errorf("a read went on with Range %q and If-Match %q, want both", rng, ifMatch)
		}
	})
}
