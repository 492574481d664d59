package gcs

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/googleapis/gax-go/v2"

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
