package blob

import (
	"bytes"
	"context"
	"testing"
)

func TestBufClass(t *testing.T) {
	tests := []struct {
		name       string
		size, want int
	}{
		{"zero", 0, 0},
		{"one", 1, 0},
		{"power of two", 64, 6},
		{"just above", 65, 7},
		{"default", DefaultBufferSize, 21},
		{"largest pooled", 1 << (bufClasses - 1), bufClasses - 1},
		{"too large", 1<<(bufClasses-1) + 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bufClass(tt.size); got != tt.want {
				t.Errorf("bufClass(%d) = %d, want %d", tt.size, got, tt.want)
			}
		})
	}
}

func TestGetBuffer(t *testing.T) {
	tests := []struct {
		name          string
		size, wantCap int
	}{
		{"class size", 4096, 4096},
		{"rounded up", 3000, 4096},
		{"tiny", minBuffer, minBuffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bp := getBuffer(tt.size)
			if len(*bp) != tt.size || cap(*bp) != tt.wantCap {
				t.Errorf("len %d cap %d, want %d and %d", len(*bp), cap(*bp), tt.size, tt.wantCap)
			}
			putBuffer(bp)
		})
	}
}

// TestBufferReused checks that a buffer put back is handed out again, cut
// to the new size. The race detector makes a pool drop some of what is
// put, so the test tries several times.
func TestBufferReused(t *testing.T) {
	const size = 1 << 16
	for range 50 {
		bp := getBuffer(size)
		putBuffer(bp)
		if got := getBuffer(size - 100); got == bp {
			if len(*got) != size-100 {
				t.Fatalf("len %d, want %d", len(*got), size-100)
			}
			putBuffer(got)
			return
		}
	}
	t.Fatal("a buffer put back was never handed out again")
}

// TestForeignBufferNotPooled checks that a slice whose capacity is not a
// class size is not taken into a pool, where it would be too short.
func TestForeignBufferNotPooled(t *testing.T) {
	const size = 1 << 12
	for range 50 {
		b := make([]byte, size-1, size-1)
		putBuffer(&b)
		if got := getBuffer(size); cap(*got) != size {
			t.Fatalf("cap %d, want %d", cap(*got), size)
		}
	}
}

// TestScanWithUsedBuffers checks that what an earlier scan left in a
// pooled buffer never shows in a later one: buffers full of records that
// hold the id are put back, then a fresh Scanner scans data without it.
func TestScanWithUsedBuffers(t *testing.T) {
	const size = 256
	dirty := bytes.Repeat([]byte("2025-10-21 INFO TXN-1 seen\n"), size)
	for range 8 {
		bp := getBuffer(size)
		copy(*bp, dirty)
		putBuffer(bp)
	}
	clean := bytes.Repeat([]byte("2025-10-21 INFO TXN-2 seen\n"), 40)
	clean = append(clean, "2025-10-21 INFO TXN-1 last"...)
	s, err := NewScanner([]string{"TXN-1"}, testStarts, Options{BufferSize: size})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := s.Scan(context.Background(), bytes.NewReader(clean), func(data []byte, line int64) error {
		got = append(got, string(data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "2025-10-21 INFO TXN-1 last" {
		t.Fatalf("records %q", got)
	}
}

// BenchmarkScanFresh measures what a trace pays per file of a small
// corpus: a new Scanner for each scan of 32 KiB with one hit, as every
// trace builds its own Scanners.
func BenchmarkScanFresh(b *testing.B) {
	data, ids := benchCorpus(32<<10, 1, 100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewScanner(ids, testStarts, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Scan(context.Background(), bytes.NewReader(data), func([]byte, int64) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
