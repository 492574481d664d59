package gcs

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob/blobtest"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// latency is what the proxy adds to every request in the speed figures.
const latency = 20 * time.Millisecond

// benchObjects returns n objects of about size bytes each, spread over
// four services, each holding TXN-BENCH on its first and last line.
func benchObjects(n, size int) map[string][]byte {
	services := []string{"gateway", "checkout", "payments", "shipping"}
	objs := make(map[string][]byte, n)
	for i := range n {
		svc := services[i%len(services)]
		objs[fmt.Sprintf("bench/%s/2025/10/21/part-%05d.log", svc, i)] = blobtest.LogObject(svc, "TXN-BENCH", i, size)
	}
	return objs
}

// scanOnce opens the location and scans it once for TXN-BENCH; it fails
// unless every object was read and two records found in each.
func scanOnce(tb testing.TB, spec source.Spec, n int) {
	tb.Helper()
	src, err := testDriver("gs").Open(spec)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.(io.Closer).Close()
	var c sourcetest.Collector
	st, err := src.Scan(tb.Context(), &source.Query{IDs: []string{"TXN-BENCH"}}, &c)
	if err != nil {
		tb.Fatal(err)
	}
	if st.Files != n || len(c.Records()) != 2*n {
		tb.Fatalf("read %d objects, %d records; want %d and %d (warnings %q)", st.Files, len(c.Records()), n, 2*n, c.Warnings())
	}
}

// timeScan returns how long one scan takes with the given concurrency,
// behind a proxy that delays every request by latency.
func timeScan(tb testing.TB, srv *fakeGCS, bucket string, n, concurrency int) time.Duration {
	p := blobtest.NewProxy(tb, srv.srv.URL(), isRead)
	p.Set(blobtest.Faults{Latency: latency})
	tb.Setenv(emulatorEnv, strings.TrimPrefix(p.URL, "http://"))
	spec := source.Spec{Location: "gs://" + bucket + "/bench", Options: map[string]string{
		"concurrency": fmt.Sprint(concurrency),
	}}
	start := time.Now()
	scanOnce(tb, spec, n)
	return time.Since(start)
}

// TestMemoryBounded scans objects much larger in all than the memory the
// scan may use: the heap must not grow with them.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 96 MiB")
	}
	const n, size = 24, 4 << 20
	b := server.bucket(t, benchObjects(n, size), nil)
	spec := source.Spec{Location: "gs://" + b + "/bench", Options: map[string]string{"spool_mb": "0"}}
	peak := blobtest.PeakHeap(func() { scanOnce(t, spec, n) })
	t.Logf("%d objects of %d MiB: live heap rose by %.1f MiB at most", n, size>>20, float64(peak)/(1<<20))
	if peak > 32<<20 {
		t.Errorf("live heap rose by %d MiB while scanning %d MiB", peak>>20, n*size>>20)
	}
}

// BenchmarkLatency scans 200 objects of 16 KiB behind 20 ms of latency a
// request, one at a time and eight at a time.
func BenchmarkLatency(b *testing.B) {
	const n, size = 200, 16 << 10
	srv := privateFake(b)
	bucket := srv.bucket(b, benchObjects(n, size), nil)
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			b.SetBytes(int64(n * size))
			for b.Loop() {
				timeScan(b, srv, bucket, n, conc)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkMemory reports how far the heap rises while scanning: it should
// not grow with the number of objects nor with their size.
func BenchmarkMemory(b *testing.B) {
	for _, tc := range []struct{ n, size int }{{200, 64 << 10}, {800, 64 << 10}, {200, 1 << 20}, {25, 16 << 20}} {
		b.Run(fmt.Sprintf("objects=%d/size=%dKiB", tc.n, tc.size>>10), func(b *testing.B) {
			bucket := server.bucket(b, benchObjects(tc.n, tc.size), nil)
			spec := source.Spec{Location: "gs://" + bucket + "/bench", Options: map[string]string{"spool_mb": "0"}}
			b.SetBytes(int64(tc.n * tc.size))
			var peak uint64
			for b.Loop() {
				peak = max(peak, blobtest.PeakHeap(func() { scanOnce(b, spec, tc.n) }))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
