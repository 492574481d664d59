package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// goodLog is the record every hostile case keeps beside its bad input: the
// trace must still find it.
const goodLog = "2025-10-21T09:14:03Z INFO api good record transaction_id=TXN-1\n"

// heapPeak samples the heap while f runs and returns the most in use.
func heapPeak(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHostileInputs(t *testing.T) {
	hit := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "2025-10-21T09:15:%02dZ INFO api bad-file record %d transaction_id=TXN-1 pad=%s\n", i%60, i, strings.Repeat("p", 60))
		}
		return b.String()
	}
	tests := []struct {
		name string
		// setup writes the bad input into dir.
		setup func(t *testing.T, dir string)
		// during runs beside the trace; nil for none.
		during func(dir string, stop <-chan struct{})
		// minEvents is the least number of events (the good record is one).
		minEvents int
		// warn is a word the warnings must have; "" when none is due.
		warn string
		// maxHeap bounds the heap in use during the trace, in MiB.
		maxHeap uint64
	}{
		{name: "truncated gzip", setup: func(t *testing.T, dir string) {
			gz := gzipped(t, hit(2000))
			writeBytes(t, dir, "bad.log.gz", gz[:len(gz)/2])
		}, minEvents: 2, warn: "bad.log.gz"},
		{name: "corrupt zstd", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "bad.log.zst", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096)...))
		}, minEvents: 1, warn: "bad.log.zst"},
		{name: "corrupt gzip header", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "bad.log.gz", append([]byte{0x1f, 0x8b, 0x08, 0x00}, bytes.Repeat([]byte{0xff}, 512)...))
		}, minEvents: 1, warn: "bad.log.gz"},
		{name: "50 MB single line", setup: func(t *testing.T, dir string) {
			line := bytes.Repeat([]byte("x"), 50<<20)
			copy(line[1000:], "transaction_id=TXN-1")
			writeBytes(t, dir, "huge.log", line)
		}, minEvents: 1, maxHeap: 400},
		{name: "NUL bytes", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "nul.log", []byte("2025-10-21T09:15:00Z INFO api nul\x00\x00 transaction_id=TXN-1\n"))
		}, minEvents: 1},
		{name: "invalid UTF-8", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "bad-utf8.log", []byte("2025-10-21T09:15:00Z INFO api caf\xe9 \xff\xfe transaction_id=TXN-1 name=\xc3\x28\n"))
		}, minEvents: 2},
		{name: "directory loop through symlinks", setup: func(t *testing.T, dir string) {
			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			writeBytes(t, sub, "inner.log", []byte(hit(1)))
			if err := os.Symlink(dir, filepath.Join(sub, "loop")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(sub, filepath.Join(dir, "again")); err != nil {
				t.Fatal(err)
			}
		}, minEvents: 2},
		{name: "unreadable file", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "locked.log", []byte(hit(1)))
			if err := os.Chmod(filepath.Join(dir, "locked.log"), 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(dir, "nowhere.log"), filepath.Join(dir, "dangling.log")); err != nil {
				t.Fatal(err)
			}
		}, minEvents: 1},
		{name: "file that grows while read", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "growing.log", []byte(hit(20000)))
		}, during: func(dir string, stop <-chan struct{}) {
			f, err := os.OpenFile(filepath.Join(dir, "growing.log"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			for {
				select {
				case <-stop:
					return
				default:
					f.WriteString(hit(50))
				}
			}
		}, minEvents: 2},
		{name: "file that shrinks while read", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "shrinking.log", []byte(hit(40000)))
		}, during: func(dir string, stop <-chan struct{}) {
			for size := int64(4 << 20); size >= 0; size -= 256 << 10 {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					os.Truncate(filepath.Join(dir, "shrinking.log"), size)
				}
			}
		}, minEvents: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeBytes(t, dir, "good.log", []byte(goodLog))
			tt.setup(t, dir)
			if tt.name == "unreadable file" && os.Geteuid() == 0 {
				tt.warn = "dangling.log" // root reads any file; the dangling link remains
			} else if tt.name == "unreadable file" {
				tt.warn = "locked.log"
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if tt.during != nil {
				wg.Add(1)
				go func() { defer wg.Done(); tt.during(dir, stop) }()
			}
			var code int
			var stdout, stderr string
			runtime.GC()
			peak := heapPeak(func() {
				code, stdout, stderr = result(t, "", nil, "trace", "TXN-1", "-s", dir, "--format", "json", "--no-follow")
			})
			close(stop)
			wg.Wait()
			if code != exitFound {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if !json.Valid([]byte(stdout)) {
				t.Fatalf("output is not valid JSON")
			}
			r := decode(t, stdout)
			if r.Summary.Events < tt.minEvents {
				t.Errorf("%d events, want ≥ %d", r.Summary.Events, tt.minEvents)
			}
			if !strings.Contains(stdout, "good record") {
				t.Error("the good record was lost")
			}
			if tt.warn != "" && !strings.Contains(stderr, tt.warn) {
				t.Errorf("no warning about %s; stderr:\n%s", tt.warn, stderr)
			}
			if tt.maxHeap > 0 && peak > tt.maxHeap<<20 {
				t.Errorf("heap in use reached %d MiB, want ≤ %d MiB", peak>>20, tt.maxHeap)
			}
			t.Logf("events %d, heap peak %d MiB, warnings: %q", r.Summary.Events, peak>>20, strings.TrimSpace(stderr))
		})
	}
}

func writeBytes(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHostileConfigs(t *testing.T) {
	dir := t.TempDir()
	// Each level doubles the one before: 2^30 values once expanded.
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	bomb.WriteString("match_keys: *a30\n")
	bombPath := filepath.Join(dir, "bomb.yaml")
	writeBytes(t, dir, "bomb.yaml", []byte(bomb.String()))
	tests := []struct {
		name, path, want string
	}{
		{"alias expansion bomb", bombPath, "aliases expand the document"},
		{"config is /dev/zero", "/dev/zero", "too large"},
		{"config is a directory", dir, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var stderr string
			start := time.Now()
			peak := heapPeak(func() {
				code, _, stderr = result(t, "", nil, "trace", "TXN-1", "-s", dir, "-c", tt.path)
			})
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("took %v", d)
			}
			if peak > 256<<20 {
				t.Errorf("heap in use reached %d MiB", peak>>20)
			}
			t.Logf("%s", strings.TrimSpace(stderr))
		})
	}
}

func TestHostileIDs(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{"empty", "", "empty"},
		{"too long", strings.Repeat("a", 257), "longer than 256"},
		{"control character", "TXN-1\x1b[31m", "control"},
		{"newline", "TXN-1\nTXN-2", "control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := result(t, "", nil, "trace", tt.id, "-s", t.TempDir())
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}
