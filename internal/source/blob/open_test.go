package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func gzipped(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&b)
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func zstded(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts {
		w, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// logText returns n numbered lines, every tenth holding ID1.
func logText(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, "2025-10-21T10:00:00Z line %d ID1 with some padding text to make it longer\n", i)
		} else {
			fmt.Fprintf(&b, "2025-10-21T10:00:00Z line %d ordinary text of a typical length for a log line\n", i)
		}
	}
	return b.String()
}

func TestOpen(t *testing.T) {
	text := logText(2000)
	tests := []struct {
		name   string
		data   []byte
		format Format
		want   string
	}{
		{"plain", []byte(text), Plain, text},
		{"empty", nil, Plain, ""},
		{"one byte", []byte("a"), Plain, "a"},
		{"gzip magic alone is plain when short", []byte{0x1f}, Plain, "\x1f"},
		{"zstd prefix is plain", []byte{0x28, 0xb5, 0x2f}, Plain, "\x28\xb5\x2f"},
		{"gzip", gzipped(t, text), Gzip, text},
		{"gzip members", gzipped(t, text[:1000], text[1000:5000], text[5000:]), Gzip, text},
		{"gzip of nothing", gzipped(t, ""), Gzip, ""},
		{"zstd", zstded(t, text), Zstd, text},
		{"zstd frames", zstded(t, text[:1000], text[1000:]), Zstd, text},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(iotest.HalfReader(bytes.NewReader(tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tt.format || string(got) != tt.want {
				t.Fatalf("format %s, %d bytes; want %s, %d bytes", r.Format(), len(got), tt.format, len(tt.want))
			}
		})
	}
}

func TestOpenCorrupt(t *testing.T) {
	text := logText(5000)
	gz := gzipped(t, text)
	zs := zstded(t, text)
	flipped := slices.Clone(gz)
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name     string
		data     []byte
		format   Format
		openFail bool
	}{
		{"truncated gzip", gz[:len(gz)/2], Gzip, false},
		{"gzip without its trailer", gz[:len(gz)-4], Gzip, false},
		{"corrupt gzip", flipped, Gzip, false},
		{"gzip header cut", gz[:5], Gzip, true},
		{"truncated zstd", zs[:len(zs)/2], Zstd, false},
		{"gzip then garbage", append(slices.Clone(gz), "not gzip at all"...), Gzip, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(tt.data))
			var ce *CorruptError
			if tt.openFail {
				if !errors.As(err, &ce) || ce.Format != tt.format {
					t.Fatalf("Open error %v, want a %s CorruptError", err, tt.format)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// Records before the fault are still found.
			s, _ := NewScanner([]string{"ID1"}, testStarts, Options{})
			records := 0
			res, err := s.Scan(t.Context(), r, func(data []byte, line int64) error {
				records++
				if want := fmt.Sprintf("line %d ID1", line); !bytes.Contains(data, []byte(want)) {
					t.Fatalf("record at line %d: %q", line, data)
				}
				return nil
			})
			if !errors.As(err, &ce) || ce.Format != tt.format {
				t.Fatalf("Scan error %v, want a %s CorruptError", err, tt.format)
			}
			if ce.Offset <= 0 || ce.Content != res.Bytes || !strings.Contains(err.Error(), fmt.Sprint(ce.Offset)) {
				t.Fatalf("error %v: offset %d, content %d, scanned %d", err, ce.Offset, ce.Content, res.Bytes)
			}
			if tt.name != "corrupt gzip" && records == 0 {
				t.Fatalf("no records before the fault (%d bytes read)", res.Bytes)
			}
		})
	}
}

func TestOpenReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	gz := gzipped(t, logText(3000))
	r, err := Open(io.MultiReader(bytes.NewReader(gz[:len(gz)/2]), iotest.ErrReader(boom)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	var ce *CorruptError
	if !errors.Is(err, boom) || errors.As(err, &ce) {
		t.Fatalf("err = %v, want the reader's own error", err)
	}
}
