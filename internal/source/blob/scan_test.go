package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// testStarts is a simple record boundary: indented lines and "Caused by:"
// continue the record before them.
func testStarts(l []byte) bool {
	return len(l) == 0 || (l[0] != ' ' && l[0] != '\t' && !bytes.HasPrefix(l, []byte("Caused by:")))
}

type rec struct {
	Line int64
	Data string
}

func (r rec) String() string { return fmt.Sprintf("%d:%q", r.Line, r.Data) }

// reference splits data into lines and records the obvious way and returns
// the records that hold an id.
func reference(data []byte, ids []string, starts func([]byte) bool) []rec {
	if len(data) == 0 {
		return nil
	}
	lines := strings.Split(string(data), "\n")
	if strings.HasSuffix(string(data), "\n") {
		lines = lines[:len(lines)-1]
	}
	var out []rec
	for a := 0; a < len(lines); {
		b := a + 1
		for b < len(lines) && !starts(trimCR([]byte(lines[b]))) {
			b++
		}
		joined := strings.Join(lines[a:b], "\n")
		for _, id := range ids {
			if strings.Contains(joined, id) {
				out = append(out, rec{int64(a + 1), strings.TrimSuffix(joined, "\r")})
				break
			}
		}
		a = b
	}
	return out
}

func scanAll(t testing.TB, r io.Reader, ids []string, opt Options) ([]rec, Result, error) {
	t.Helper()
	s, err := NewScanner(ids, testStarts, opt)
	if err != nil {
		t.Fatal(err)
	}
	var got []rec
	res, err := s.Scan(context.Background(), r, func(data []byte, line int64) error {
		got = append(got, rec{line, string(data)})
		return nil
	})
	return got, res, err
}

func TestScan(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		data string
		ids  []string
		want []rec
	}{
		{"empty input", "", []string{"ID1"}, nil},
		{"only newlines", "\n\n\n", []string{"ID1"}, nil},
		{"no hit", "a\nb\nc\n", []string{"ID1"}, nil},
		{"hit at very start", "ID1 x\nb\n", []string{"ID1"}, []rec{{1, "ID1 x"}}},
		{"hit at very end without newline", "a\nb\nx ID1", []string{"ID1"}, []rec{{3, "x ID1"}}},
		{"file is the id", "ID1", []string{"ID1"}, []rec{{1, "ID1"}}},
		{"crlf", "a\r\nx ID1\r\nb\r\n", []string{"ID1"}, []rec{{2, "x ID1"}}},
		{"crlf multi-line keeps inner cr", "x ID1\r\n\tat y\r\nz\r\n", []string{"ID1"}, []rec{{1, "x ID1\r\n\tat y"}}},
		{"stack trace follows hit", "a\nerr ID1\n\tat a.b\n\tat c.d\nCaused by: e\n\t... 2 more\nnext\n", []string{"ID1"},
			[]rec{{2, "err ID1\n\tat a.b\n\tat c.d\nCaused by: e\n\t... 2 more"}}},
		{"hit in continuation line", "a\nerr x\n\tat a.b\nCaused by: ID1\nnext ID2\n", []string{"ID1"},
			[]rec{{2, "err x\n\tat a.b\nCaused by: ID1"}}},
		{"continuation before any start", "  lead ID1\n  more\nx\n", []string{"ID1"}, []rec{{1, "  lead ID1\n  more"}}},
		{"two ids one record", "x ID1 ID2\n\tID2 again\ny\n", []string{"ID1", "ID2"}, []rec{{1, "x ID1 ID2\n\tID2 again"}}},
		{"two ids two records", "x ID1\ny\nz ID2\n", []string{"ID2", "ID1"}, []rec{{1, "x ID1"}, {3, "z ID2"}}},
		{"adjacent records", "ID1 a\nID1 b\nID1 c", []string{"ID1"}, []rec{{1, "ID1 a"}, {2, "ID1 b"}, {3, "ID1 c"}}},
		{"near miss is a byte hit", "TXN-10 a\nTXN-1 b\nTXN-2 c\n", []string{"TXN-1"}, []rec{{1, "TXN-10 a"}, {2, "TXN-1 b"}}},
		{"overlapping ids", "aaID1ID1aa\n", []string{"ID1", "D1I"}, []rec{{1, "aaID1ID1aa"}}},
		{"id containing another", "x TXN-12 y\nTXN-1\n", []string{"TXN-12", "TXN-1"}, []rec{{1, "x TXN-12 y"}, {2, "TXN-1"}}},
		{"long lines", long + "\n" + long + "ID1" + long + "\n" + long, []string{"ID1"}, []rec{{2, long + "ID1" + long}}},
		{"empty lines start records", "x ID1\n\n\tcont\n", []string{"ID1"}, []rec{{1, "x ID1"}}},
		{"partial id at end", "abc ID", []string{"ID1"}, nil},
		{"one-byte id", "abc\nxyz\nq\n", []string{"y"}, []rec{{2, "xyz"}}},
		{"id with spaces and quotes", `a "k": "v 1"` + "\n", []string{`"v 1"`}, []rec{{1, `a "k": "v 1"`}}},
		{"high bytes", "é ID1 ü\n", []string{"ID1"}, []rec{{1, "é ID1 ü"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ref := reference([]byte(tt.data), tt.ids, testStarts); !slices.Equal(ref, tt.want) {
				t.Fatalf("reference disagrees with the case: %v", ref)
			}
			for _, size := range []int{64, 100, 4096, 0} {
				for _, reader := range []struct {
					name string
					wrap func(io.Reader) io.Reader
				}{
					{"whole", func(r io.Reader) io.Reader { return r }},
					{"one byte", iotest.OneByteReader},
					{"half", iotest.HalfReader},
					{"data with EOF", iotest.DataErrReader},
				} {
					got, res, err := scanAll(t, reader.wrap(strings.NewReader(tt.data)), tt.ids, Options{BufferSize: size})
					if err != nil {
						t.Fatalf("buffer %d, %s reads: %v", size, reader.name, err)
					}
					if !slices.Equal(got, tt.want) {
						t.Fatalf("buffer %d, %s reads:\n got %v\nwant %v", size, reader.name, got, tt.want)
					}
					if res.Bytes != int64(len(tt.data)) || res.CutCount != 0 {
						t.Fatalf("buffer %d, %s reads: result %+v, want %d bytes and nothing cut", size, reader.name, res, len(tt.data))
					}
				}
			}
		})
	}
}

// TestScanRandom compares Scan with the reference on random logs, with
// buffers small enough that records and ids cross many refills.
func TestScanRandom(t *testing.T) {
	ids := []string{"TXN-1", "req-7f3a", "ab", "Q"}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := randomLog(rng, ids, 1+rng.IntN(120))
		q := ids[:1+rng.IntN(len(ids))]
		want := reference(data, q, testStarts)
		for _, size := range []int{64, 97, 256, 1 << 12} {
			got, res, err := scanAll(t, iotest.HalfReader(bytes.NewReader(data)), q, Options{BufferSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, buffer %d, ids %q, data %q:\n got %v\nwant %v", seed, size, q, data, got, want)
			}
			if res.Bytes != int64(len(data)) {
				t.Fatalf("seed %d: %d bytes, want %d", seed, res.Bytes, len(data))
			}
		}
	}
}

// TestScanManyIDs is TestScanRandom with enough ids to be searched by
// teddies.
func TestScanManyIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for seed := range 100 {
		var ids []string
		for range 6 + rng.IntN(30) {
			ids = append(ids, fmt.Sprintf("r-%x", rng.Uint32()))
		}
		data := randomLog(rng, ids, 1+rng.IntN(200))
		want := reference(data, ids, testStarts)
		for _, size := range []int{256, 1 << 12} {
			got, _, err := scanAll(t, iotest.HalfReader(bytes.NewReader(data)), ids, Options{BufferSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, buffer %d:\n got %v\nwant %v", seed, size, got, want)
			}
		}
	}
}

func randomLog(rng *rand.Rand, ids []string, lines int) []byte {
	words := []string{"alpha", "b", "TXN-10", "TXN-2", "req-7f3", "a", "x=1", "{\"k\":\"v\"}", "", "Caused by:", "\r"}
	var b bytes.Buffer
	for range lines {
		switch rng.IntN(6) {
		case 0:
			b.WriteByte('\t')
		case 1:
			b.WriteString("Caused by: ")
		case 2:
			b.WriteString("  ")
		}
		for range rng.IntN(8) {
			if rng.IntN(10) == 0 {
				b.WriteString(ids[rng.IntN(len(ids))])
			} else {
				b.WriteString(words[rng.IntN(len(words))])
			}
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		if rng.IntN(15) == 0 {
			b.WriteString(strings.Repeat("y", rng.IntN(300)))
		}
		if rng.IntN(4) == 0 {
			b.WriteByte('\r')
		}
		b.WriteByte('\n')
	}
	out := b.Bytes()
	if rng.IntN(2) == 0 && len(out) > 0 {
		out = out[:len(out)-1] // no final newline
	}
	return out
}

func TestScanContextBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("head\n")
	for i := range 30 {
		fmt.Fprintf(&b, "\tframe %d\n", i)
	}
	b.WriteString("\tID1 deep\n")
	for i := range 30 {
		fmt.Fprintf(&b, "\tafter %d\n", i)
	}
	b.WriteString("tail\n")
	data := b.String()
	tests := []struct {
		name      string
		opt       Options
		wantLine  int64
		wantLines int
	}{
		{"unbounded", Options{}, 1, 62},
		{"ten lines each way", Options{MaxContextLines: 10}, 22, 21},
		{"bytes bound", Options{MaxContextBytes: 40}, 28, 8}, // 4 lines of 10 bytes back, 3 forward
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{64, 0} {
				tt.opt.BufferSize = size
				got, _, err := scanAll(t, strings.NewReader(data), []string{"ID1"}, tt.opt)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("buffer %d: got %d records, want 1: %v", size, len(got), got)
				}
				lines := strings.Count(got[0].Data, "\n") + 1
				if got[0].Line != tt.wantLine || lines != tt.wantLines {
					t.Fatalf("buffer %d: record at line %d with %d lines, want line %d with %d lines:\n%s",
						size, got[0].Line, lines, tt.wantLine, tt.wantLines, got[0].Data)
				}
				if !strings.Contains(got[0].Data, "ID1") {
					t.Fatalf("record lost its hit: %q", got[0].Data)
				}
			}
		})
	}
}

func TestScanLongLines(t *testing.T) {
	big := strings.Repeat("z", 1000)
	tests := []struct {
		name     string
		data     string
		want     []rec
		wantCut  []int64
		wantData func(string) bool
	}{
		{
			name: "line within the cap grows the buffer",
			data: "a\n" + big[:400] + " ID1 " + big[:400] + "\nb ID1\n",
			want: []rec{{2, big[:400] + " ID1 " + big[:400]}, {3, "b ID1"}},
		},
		{
			name:    "hit early in an overlong line is cut at the end",
			data:    "a\nID1 " + big + big + "\nb ID1\n",
			wantCut: []int64{2},
			want:    []rec{{2, ""}, {3, "b ID1"}},
		},
		{
			name:    "hit late in an overlong line is cut at the start",
			data:    "a\n" + big + big + " ID1\nc\nd ID1",
			wantCut: []int64{2},
			want:    []rec{{2, ""}, {4, "d ID1"}},
		},
		{
			name: "overlong line without a hit",
			data: "ID1 a\n" + big + big + big + "\nb ID1",
			want: []rec{{1, "ID1 a"}, {3, "b ID1"}},
		},
		{
			name:    "overlong continuation ends the record before it",
			data:    "x ID1\n\t" + big + big + "\ny\n",
			want:    []rec{{1, "x ID1"}},
			wantCut: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := scanAll(t, iotest.HalfReader(strings.NewReader(tt.data)), []string{"ID1"},
				Options{BufferSize: 128, MaxLineBytes: 1024})
			if err != nil {
				t.Fatal(err)
			}
			checkCutRecords(t, got, res, tt.want, tt.wantCut)
		})
	}
}

func TestScanErrors(t *testing.T) {
	data := "a ID1\nb\nc ID1\n"
	boom := errors.New("boom")
	t.Run("emit error stops the scan", func(t *testing.T) {
		s, _ := NewScanner([]string{"ID1"}, testStarts, Options{})
		calls := 0
		_, err := s.Scan(context.Background(), strings.NewReader(data), func([]byte, int64) error {
			calls++
			return boom
		})
		if !errors.Is(err, boom) || calls != 1 {
			t.Fatalf("err %v after %d calls, want boom after 1", err, calls)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s, _ := NewScanner([]string{"ID1"}, testStarts, Options{BufferSize: 64})
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		_, err := s.Scan(ctx, strings.NewReader(strings.Repeat(data, 100)), func([]byte, int64) error {
			calls++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls > 20 {
			t.Fatalf("err %v after %d records, want context.Canceled soon", err, calls)
		}
	})
	t.Run("read error keeps what was found before it", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(data+"d ID1"), iotest.ErrReader(boom))
		got, res, err := scanAll(t, r, []string{"ID1"}, Options{})
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "byte 19") {
			t.Fatalf("err = %v, want boom at byte 19", err)
		}
		want := []rec{{1, "a ID1"}, {3, "c ID1"}, {4, "d ID1"}}
		if !slices.Equal(got, want) || res.Bytes != 19 {
			t.Fatalf("got %v, %d bytes; want %v, 19 bytes", got, res.Bytes, want)
		}
	})
	t.Run("binary data", func(t *testing.T) {
		for _, tc := range []struct {
			data string
			want error
		}{
			{"ID1 \x00 x", ErrBinary},
			{strings.Repeat("a", 8000) + "\x00ID1", ErrBinary},
			{strings.Repeat("a\n", 5000) + "\x00ID1", nil},
			{"ID1 text", nil},
		} {
			_, _, err := scanAll(t, iotest.OneByteReader(strings.NewReader(tc.data)), []string{"ID1"}, Options{DetectBinary: true})
			if !errors.Is(err, tc.want) {
				t.Fatalf("data of %d bytes: err %v, want %v", len(tc.data), err, tc.want)
			}
		}
	})
	t.Run("bad ids", func(t *testing.T) {
		for _, ids := range [][]string{nil, {""}, {"a\nb"}} {
			if _, err := NewScanner(ids, testStarts, Options{}); err == nil {
				t.Fatalf("NewScanner(%q) succeeded", ids)
			}
		}
	})
}

func TestScanProgress(t *testing.T) {
	var total int64
	data := strings.Repeat("line of text\n", 1000)
	_, res, err := scanAll(t, strings.NewReader(data), []string{"ID1"}, Options{BufferSize: 1024, Progress: func(n int64) { total += n }})
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(data)) || res.Bytes != total {
		t.Fatalf("progress %d, result %d, want %d", total, res.Bytes, len(data))
	}
}

// FuzzScan compares Scan with the reference on arbitrary data, for the ids
// listed in ids separated by "|" (several ids take the grouped and teddy
// searches), with small buffers.
func FuzzScan(f *testing.F) {
	f.Add([]byte("a ID1\n\tb\nc\n"), "ID1", uint8(64))
	f.Add([]byte("x\r\nCaused by: ID1\r\n  y\nz"), "ID1", uint8(70))
	f.Add([]byte("ID1"), "ID1", uint8(0))
	f.Add([]byte("r-1a2b r-3c4d\n\tr-5e6f\nq r-7a8b r-9c0d r-abcd\n"), "r-1a2b|r-3c4d|r-5e6f|r-7a8b|r-9c0d|r-abcd|zz", uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, idList string, size uint8) {
		var ids []string
		for _, id := range strings.Split(idList, "|") {
			if id != "" && !strings.ContainsRune(id, '\n') {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return
		}
		want := reference(data, ids, testStarts)
		got, res, err := scanAll(t, iotest.HalfReader(bytes.NewReader(data)), ids,
			Options{BufferSize: 64 + int(size), MaxLineBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
		if res.Bytes != int64(len(data)) {
			t.Fatalf("%d bytes, want %d", res.Bytes, len(data))
		}
	})
}

// checkCutRecords compares records of ID1 scanned with a 1024-byte line
// cap with want, where a want with no Data is a record that was cut: it
// holds its hit and no more than the cap. cut are the lines reported cut.
func checkCutRecords(t *testing.T, got []rec, res Result, want []rec, cut []int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Line != want[i].Line {
			t.Fatalf("record %d at line %d, want %d", i, got[i].Line, want[i].Line)
		}
		if want[i].Data == "" {
			if !strings.Contains(got[i].Data, "ID1") || len(got[i].Data) > 1024 || strings.Contains(got[i].Data, "\n") {
				t.Fatalf("cut record %d: %q", i, got[i].Data)
			}
		} else if got[i].Data != want[i].Data {
			t.Fatalf("record %d = %q, want %q", i, got[i].Data, want[i].Data)
		}
	}
	if !slices.Equal(res.Cut, cut) || res.CutCount != len(cut) {
		t.Fatalf("cut %v (%d), want %v", res.Cut, res.CutCount, cut)
	}
}
