package blob

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
)

func scanBytesAll(t testing.TB, data []byte, ids []string, opt Options) ([]rec, Result, error) {
	t.Helper()
	s, err := NewScanner(ids, testStarts, opt)
	if err != nil {
		t.Fatal(err)
	}
	var got []rec
	res, err := s.scanBytes(context.Background(), data, nil, func(d []byte, line int64) error {
		got = append(got, rec{line, string(d)})
		return nil
	})
	return got, res, err
}

// TestScanBytesRandom compares the scan of data held whole in memory with
// the reference, on the logs TestScanRandom and TestScanManyIDs use.
func TestScanBytesRandom(t *testing.T) {
	ids := []string{"TXN-1", "req-7f3a", "ab", "Q"}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := randomLog(rng, ids, 1+rng.IntN(120))
		q := ids[:1+rng.IntN(len(ids))]
		got, res, err := scanBytesAll(t, data, q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(data, q, testStarts); !slices.Equal(got, want) {
			t.Fatalf("seed %d, ids %q, data %q:\n got %v\nwant %v", seed, q, data, got, want)
		}
		if res.Bytes != int64(len(data)) {
			t.Fatalf("seed %d: %d bytes, want %d", seed, res.Bytes, len(data))
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for seed := range 100 {
		var many []string
		for range 6 + rng.IntN(30) {
			many = append(many, fmt.Sprintf("r-%x", rng.Uint32()))
		}
		data := randomLog(rng, many, 1+rng.IntN(200))
		got, _, err := scanBytesAll(t, data, many, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(data, many, testStarts); !slices.Equal(got, want) {
			t.Fatalf("many ids, seed %d:\n got %v\nwant %v", seed, got, want)
		}
	}
}

// TestScanBytesLongLines checks that lines longer than MaxLineBytes are
// treated as Scan treats them: a hit's line cut to the cap around the hit,
// and such lines never joined to a record as continuation.
func TestScanBytesLongLines(t *testing.T) {
	big := strings.Repeat("z", 1000)
	tests := []struct {
		name    string
		data    string
		want    []rec // Data "" for a cut record
		wantCut []int64
	}{
		{"line within the cap", "a\n" + big[:400] + " ID1 " + big[:400] + "\nb ID1\n",
			[]rec{{2, big[:400] + " ID1 " + big[:400]}, {3, "b ID1"}}, nil},
		{"hit early in an overlong line", "a\nID1 " + big + big + "\nb ID1\n", []rec{{2, ""}, {3, "b ID1"}}, []int64{2}},
		{"hit late in an overlong line", "a\n" + big + big + " ID1\nc\nd ID1", []rec{{2, ""}, {4, "d ID1"}}, []int64{2}},
		{"overlong line without a hit", "ID1 a\n" + big + big + big + "\nb ID1", []rec{{1, "ID1 a"}, {3, "b ID1"}}, nil},
		{"overlong continuation ends the record before it", "x ID1\n\t" + big + big + "\ny\n", []rec{{1, "x ID1"}}, nil},
		{"overlong line before a continuation", big + big + "\n\tID1 here\n", []rec{{2, "\tID1 here"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := scanBytesAll(t, []byte(tt.data), []string{"ID1"}, Options{BufferSize: 128, MaxLineBytes: 1024})
			if err != nil {
				t.Fatal(err)
			}
			checkCutRecords(t, got, res, tt.want, tt.wantCut)
		})
	}
}

// collect is a source.Output that keeps records.
type collect struct {
	recs []rec
}

func (c *collect) Record(r *source.Record) error {
	c.recs = append(c.recs, rec{r.Line, string(r.Data)})
	return nil
}
func (c *collect) Warn(string)         {}
func (c *collect) Progress(int, int64) {}

// bigLog returns a log of at least size bytes with ids scattered in it,
// and releases of mapped pages on the way (size well above mapChunk).
func bigLog(size int, ids []string) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	var b bytes.Buffer
	for b.Len() < size {
		b.Write(randomLog(rng, ids, 200))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestScanObjectMapped checks that a plain file large enough to be mapped
// gives the records a read of it gives, and that a compressed one is
// read instead.
func TestScanObjectMapped(t *testing.T) {
	ids := []string{"TXN-1", "req-7f3a"}
	data := bigLog(3*mapChunk+12345, ids)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.log")
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	packed := filepath.Join(dir, "packed.log")
	if err := os.WriteFile(packed, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _, err := scanAll(t, bytes.NewReader(data), ids, Options{})
	if err != nil || len(want) == 0 {
		t.Fatalf("reference scan: %v, %d records", err, len(want))
	}
	for _, name := range []string{plain, packed} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc, err := NewScanner(ids[:2], testStarts, Options{DetectBinary: true})
			if err != nil {
				t.Fatal(err)
			}
			var out collect
			o, err := ScanObject(context.Background(), sc, f, Object{Name: name}, &out)
			if err != nil || o.Fault != nil {
				t.Fatalf("scan: %v, fault %v", err, o.Fault)
			}
			if !slices.Equal(out.recs, want) {
				t.Fatalf("%d records, want %d; first difference at %d", len(out.recs), len(want), firstDiff(out.recs, want))
			}
			if o.Bytes != int64(len(data)) {
				t.Errorf("%d bytes, want %d", o.Bytes, len(data))
			}
		})
	}
}

func firstDiff(a, b []rec) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestScanMappedShrunk truncates a mapped file while it is searched: the
// scan ends with a read error instead of crashing the process.
func TestScanMappedShrunk(t *testing.T) {
	data := bigLog(4*mapChunk, []string{"TXN-1"})
	name := filepath.Join(t.TempDir(), "shrinking.log")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := NewScanner([]string{"TXN-1"}, testStarts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	res, mapped, err := scanMapped(context.Background(), sc, f, func(d []byte, _ int64) error {
		records++
		if records == 1 {
			if err := os.Truncate(name, 0); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	if !mapped {
		t.Skip("files are not mapped on this system")
	}
	if !errors.Is(err, errShrunk) {
		t.Fatalf("err %v after %d records, want %v", err, records, errShrunk)
	}
	if res.Bytes != int64(len(data)) {
		t.Errorf("bytes %d, want %d", res.Bytes, len(data))
	}
}

// TestScanMappedCancel checks that a mapped scan stops promptly when its
// context ends.
func TestScanMappedCancel(t *testing.T) {
	data := bigLog(8*mapChunk, []string{"TXN-1"})
	name := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := NewScanner([]string{"TXN-1"}, testStarts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	records := 0
	_, mapped, err := scanMapped(ctx, sc, f, func([]byte, int64) error {
		records++
		cancel()
		return nil
	})
	if !mapped {
		t.Skip("files are not mapped on this system")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// Cancellation is seen within a chunk of the first record.
	if want := reference(data[:min(len(data), 2*mapChunk)], []string{"TXN-1"}, testStarts); records > len(want)+1 {
		t.Errorf("%d records after cancel, want at most %d", records, len(want)+1)
	}
}

// TestScanMappedLineNumbers checks the line numbers of hits far apart in
// a mapped file: the newlines between them are counted over pages that
// were released behind the search.
func TestScanMappedLineNumbers(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("TXN-1 first\n")
	filler := 0
	for b.Len() < 5*mapChunk {
		b.WriteString("2025-10-21T10:00:00Z INFO nothing to see here, move along please\n")
		filler++
	}
	b.WriteString("TXN-1 last\n")
	name := filepath.Join(t.TempDir(), "sparse.log")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := NewScanner([]string{"TXN-1"}, testStarts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out collect
	if _, err := ScanObject(context.Background(), sc, f, Object{Name: name}, &out); err != nil {
		t.Fatal(err)
	}
	want := []rec{{1, "TXN-1 first"}, {int64(filler + 2), "TXN-1 last"}}
	if !slices.Equal(out.recs, want) {
		t.Errorf("records %v, want %v", out.recs, want)
	}
}
