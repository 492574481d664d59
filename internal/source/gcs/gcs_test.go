package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob/blobtest"
	"github.com/pipetracker/pipetracker/internal/source/file"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// server is the in-process Cloud Storage server of the package's tests.
var server *fakeGCS

func TestMain(m *testing.M) {
	var err error
	server, err = startFake()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(emulatorEnv, strings.TrimPrefix(server.srv.URL(), "http://"))
	code := m.Run()
	server.srv.Stop()
	os.Exit(code)
}

// startFake starts an in-process Cloud Storage server.
func startFake() (*fakeGCS, error) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1",
	})
	if err != nil {
		return nil, err
	}
	return &fakeGCS{srv: srv}, nil
}

// privateFake starts a server of the test's own: the fake finds an
// object by looking through all it holds, which would weigh on timings.
func privateFake(tb testing.TB) *fakeGCS {
	tb.Helper()
	f, err := startFake()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.srv.Stop)
	return f
}

type fakeGCS struct {
	srv     *fakestorage.Server
	buckets atomic.Int64
}

// bucket creates a new bucket holding objects (key → bytes as stored),
// each last updated at mod[key] (now when absent), and returns its name.
func (f *fakeGCS) bucket(t testing.TB, objects map[string][]byte, mod map[string]time.Time) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%d", f.buckets.Add(1))
	f.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
	for k, data := range objects {
		when, ok := mod[k]
		if !ok {
			when = time.Now()
		}
		f.srv.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: name, Name: k, Updated: when, Created: when},
			Content:     data,
		})
	}
	return name
}

// emulate points the clients made from now on at host ("127.0.0.1:PORT").
func emulate(t *testing.T, url string) {
	t.Setenv(emulatorEnv, strings.TrimPrefix(url, "http://"))
}

// isRead tells object media requests of the JSON API.
func isRead(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("alt") == "media"
}

// testDriver lists 50 objects a page and retries quickly.
func testDriver(scheme string) source.Driver {
	return driver(scheme, tuning{pageSize: 50, backoff: &gax.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Multiplier: 2}})
}

func withPrefix(t testing.TB, prefix string, files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[prefix+k] = blobtest.Compress(t, k, v)
	}
	return out
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

func TestContract(t *testing.T) {
	for _, scheme := range []string{"gs", "gcs"} {
		t.Run(scheme, func(t *testing.T) {
			sourcetest.Run(t, testDriver(scheme), func(t *testing.T, files map[string][]byte) source.Spec {
				b := server.bucket(t, withPrefix(t, "logs/app/", files), nil)
				return source.Spec{Location: scheme + "://" + b + "/logs/app/"}
			}, sourcetest.Exact())
		})
	}
}

// TestCorpusAccuracy traces the known ids of a generated corpus stored as
// hundreds of objects (several listing pages, gzip and plain, near misses)
// and compares the events with those of the same files read from disk
// and with the corpus's exact answers.
func TestCorpusAccuracy(t *testing.T) {
	c := blobtest.NewCorpus(t, 3<<20, 300)
	b := server.bucket(t, prefixed("prod/", c.Objects), prefixedTimes("prod/", c.ModTimes))
	reg := source.NewRegistry(file.Driver(), testDriver("gs"))
	spec := source.Spec{Location: "gs://" + b + "/prod"}
	for _, tr := range c.Manifest.Traces {
		for _, follow := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/follow=%v", tr.ID, follow), func(t *testing.T) {
				want := blobtest.ManifestRows(tr.NoFollow)
				if follow {
					want = blobtest.ManifestRows(tr.Follow)
				}
				got, rep := blobtest.Trace(t, t.Context(), reg, spec, c.Manifest, tr.ID, follow)
				disk, _ := blobtest.Trace(t, t.Context(), reg, source.Spec{Location: c.Dir}, c.Manifest, tr.ID, follow)
				blobtest.Compare(t, "gcs against disk", got, disk)
				blobtest.Compare(t, "gcs against the manifest", got, want)
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

func TestFaults(t *testing.T) {
	c := blobtest.NewCorpus(t, 2<<20, 120)
	b := server.bucket(t, prefixed("prod/", c.Objects), prefixedTimes("prod/", c.ModTimes))
	reg := source.NewRegistry(file.Driver(), testDriver("gs"))
	blobtest.RunFaults(t, c, server.srv.URL(), isRead, reg, func(t *testing.T, proxy string) source.Spec {
		emulate(t, proxy)
		return source.Spec{Location: "gs://" + b + "/prod"}
	})
}

// TestAttempts counts the requests the driver sends when the server keeps
// failing: maxAttempts for each listing page and for each object read
// (which the bucket scan tries twice), with no other request.
func TestAttempts(t *testing.T) {
	b := server.bucket(t, map[string][]byte{"logs/a.log": []byte("x TXN-1\n"), "logs/b.log": []byte("TXN-1 y\n")}, nil)
	drv := testDriver("gs")
	scan := func(t *testing.T, f blobtest.Faults) (blobtest.Counts, []string, error) {
		p := blobtest.NewProxy(t, server.srv.URL(), isRead)
		p.Set(f)
		emulate(t, p.URL)
		src, err := drv.Open(source.Spec{Location: "gs://" + b + "/logs/"})
		if err != nil {
			t.Fatal(err)
		}
		defer src.(*Source).Close()
		var col sourcetest.Collector
		_, err = src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &col)
		return p.Counts(), col.Warnings(), err
	}
	t.Run("listing", func(t *testing.T) {
		cn, _, err := scan(t, blobtest.Faults{ErrorRate: 1})
		if err == nil || !strings.Contains(err.Error(), "500") && !strings.Contains(err.Error(), "503") {
			t.Errorf("scan error %v, want the server's answer", err)
		}
		if cn.Requests != maxAttempts {
			t.Errorf("%d requests, want %d", cn.Requests, maxAttempts)
		}
	})
	t.Run("read", func(t *testing.T) {
		cn, warns, err := scan(t, blobtest.Faults{Fail: func(p string) bool { return strings.HasSuffix(p, "a.log") }})
		if err != nil {
			t.Fatal(err)
		}
		if len(warns) != 1 || !strings.Contains(warns[0], "a.log") {
			t.Errorf("warnings %q, want one naming a.log", warns)
		}
		if cn.Failed != 2*maxAttempts || cn.Reads != 2*maxAttempts+1 {
			t.Errorf("%d reads of which %d failed, want %d and %d", cn.Reads, cn.Failed, 2*maxAttempts+1, 2*maxAttempts)
		}
	})
}

func TestRetryable(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&googleapi.Error{Code: 503}, true},
		{&googleapi.Error{Code: 500}, true},
		{&googleapi.Error{Code: 429}, true},
		{&googleapi.Error{Code: 408}, true},
		{&googleapi.Error{Code: 404}, false},
		{&googleapi.Error{Code: 403}, false},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{refused, true},
		{&url.Error{Op: "Get", URL: "http://x", Err: errors.New("tls: bad certificate")}, false},
		{&net.DNSError{Err: "no such host", IsTemporary: true}, true},
		{&net.DNSError{Err: "no such host", IsNotFound: true}, false},
		{context.Canceled, false},
		{&url.Error{Op: "Get", URL: "http://x", Err: context.DeadlineExceeded}, false},
		{errors.New("other"), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestEmulatorEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:4443":          "http://127.0.0.1:4443/storage/v1/",
		"http://127.0.0.1:4443":   "http://127.0.0.1:4443/storage/v1/",
		"https://gcs.local:8443/": "https://gcs.local:8443/storage/v1/",
	} {
		if got := emulatorEndpoint(in); got != want {
			t.Errorf("emulatorEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResume cuts reads of objects short: a read broken off goes on from
// where it stopped, in the same generation (see blobtest.RunResume).
func TestResume(t *testing.T) {
	b := server.bucket(t, blobtest.ResumeObjects(), nil)
	drv := testDriver("gs")
	scan := func(t *testing.T, url string) ([]sourcetest.Rec, []string) {
		emulate(t, url)
		src, err := drv.Open(source.Spec{Location: "gs://" + b + "/logs/"})
		if err != nil {
			t.Fatal(err)
		}
		defer src.(*Source).Close()
		var col sourcetest.Collector
		if _, err := src.Scan(t.Context(), &source.Query{IDs: blobtest.ResumeIDs}, &col); err != nil {
			t.Fatal(err)
		}
		return col.Records(), col.Warnings()
	}
	blobtest.RunResume(t, server.srv.URL(), isRead, scan, nil)
}
