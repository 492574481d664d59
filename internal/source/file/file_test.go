package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// compress returns data gzip- or zstd-compressed as name's suffix says.
func compress(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch {
	case strings.HasSuffix(name, ".gz"):
		w = gzip.NewWriter(&b)
	case strings.HasSuffix(name, ".zst"):
		zw, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		return data
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFiles stores files under dir, compressing .gz and .zst names.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, compress(t, name, data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestContract(t *testing.T) {
	sourcetest.Run(t, Driver(), func(t *testing.T, files map[string][]byte) source.Spec {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		return source.Spec{Location: dir}
	}, sourcetest.Exact())
}

func TestContractStdin(t *testing.T) {
	contents := make(map[string][]byte)
	d := source.Driver{Scheme: "stdin", Open: func(spec source.Spec) (source.Source, error) {
		return StdinDriver(bytes.NewReader(contents[spec.Options["fixture"]])).Open(spec)
	}}
	sourcetest.Run(t, d, func(t *testing.T, files map[string][]byte) source.Spec {
		if len(files) != 1 {
			t.Fatalf("standard input holds one stream, got %d files", len(files))
		}
		key := fmt.Sprint(len(contents))
		for name, data := range files {
			contents[key] = compress(t, name, data)
		}
		return source.Spec{Location: "-", Options: map[string]string{"fixture": key}}
	}, sourcetest.OneStream(stdinPath), sourcetest.Exact())
}

// scanLoc scans loc for ids with q's other settings.
func scanLoc(t *testing.T, spec source.Spec, q source.Query) (*sourcetest.Collector, source.Stats, error) {
	t.Helper()
	src, err := Driver().Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	var c sourcetest.Collector
	st, err := src.Scan(t.Context(), &q, &c)
	return &c, st, err
}

func paths(recs []sourcetest.Rec) []string {
	var ps []string
	for _, r := range recs {
		ps = append(ps, fmt.Sprintf("%s:%d:%s", r.Path, r.Line, r.Service))
	}
	return ps
}

func TestLocations(t *testing.T) {
	const hit = "2025-10-21T10:00:00Z INFO hit TXN-1\n"
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"logs/checkout/app.log":      []byte(hit),
		"logs/checkout/app.log.1":    []byte("x\n" + hit),
		"logs/checkout/app.log.2.gz": []byte(hit),
		"logs/payments/deep/p.log":   []byte(hit),
		"logs/payments/p.txt":        []byte(hit),
		"logs/orders.log":            []byte(hit),
		"logs/2025-10-20/old.log":    []byte(hit),
	})
	tests := []struct {
		name string
		loc  string
		want []string
	}{
		{"directory", "logs", []string{
			"2025-10-20/old.log:1:2025-10-20", "checkout/app.log:1:checkout", "checkout/app.log.1:2:checkout",
			"checkout/app.log.2.gz:1:checkout", "orders.log:1:orders", "payments/deep/p.log:1:payments", "payments/p.txt:1:payments",
		}},
		{"directory with trailing slash", "logs/", []string{
			"2025-10-20/old.log:1:2025-10-20", "checkout/app.log:1:checkout", "checkout/app.log.1:2:checkout",
			"checkout/app.log.2.gz:1:checkout", "orders.log:1:orders", "payments/deep/p.log:1:payments", "payments/p.txt:1:payments",
		}},
		{"single file", "logs/checkout/app.log.2.gz", []string{"app.log.2.gz:1:app"}},
		{"glob with rotation", "logs/*/app.log*", []string{"checkout/app.log:1:checkout", "checkout/app.log.1:2:checkout", "checkout/app.log.2.gz:1:checkout"}},
		{"glob at the root", "logs/*.log", []string{"orders.log:1:orders"}},
		{"double star", "logs/**/*.log", []string{"2025-10-20/old.log:1:2025-10-20", "checkout/app.log:1:checkout", "orders.log:1:orders", "payments/deep/p.log:1:payments"}},
		{"glob matching a directory", "logs/pay*", []string{"payments/deep/p.log:1:payments", "payments/p.txt:1:payments"}},
		{"character class", "logs/checkout/app.log.[12]*", []string{"app.log.1:2:app", "app.log.2.gz:1:app"}}, // the root is logs/checkout
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, st, err := scanLoc(t, source.Spec{Location: filepath.Join(dir, tt.loc)}, source.Query{IDs: []string{"TXN-1"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(c.Records()); !slices.Equal(got, tt.want) {
				t.Fatalf("records\n got %q\nwant %q", got, tt.want)
			}
			if st.Files != len(tt.want) || len(c.Warnings()) != 0 {
				t.Fatalf("stats %+v, warnings %q", st, c.Warnings())
			}
		})
	}
	t.Run("relative glob", func(t *testing.T) {
		t.Chdir(filepath.Join(dir, "logs"))
		c, _, err := scanLoc(t, source.Spec{Location: "*/app.log"}, source.Query{IDs: []string{"TXN-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(c.Records()); !slices.Equal(got, []string{"checkout/app.log:1:checkout"}) {
			t.Fatalf("records %q", got)
		}
	})
	for _, loc := range []string{"nope", "logs/nope/*.log", "logs/*.nothing", "nope/*/x"} {
		t.Run("missing "+loc, func(t *testing.T) {
			full := filepath.Join(dir, loc)
			_, _, err := scanLoc(t, source.Spec{Location: full}, source.Query{IDs: []string{"TXN-1"}})
			if err == nil || !strings.Contains(err.Error(), full) {
				t.Fatalf("err = %v, want an error naming %s", err, full)
			}
		})
	}
	t.Run("bad glob", func(t *testing.T) {
		if _, err := Driver().Open(source.Spec{Location: "logs/[a"}); err == nil {
			t.Fatal("opened a malformed glob")
		}
	})
	t.Run("service setting", func(t *testing.T) {
		c, _, err := scanLoc(t, source.Spec{Location: filepath.Join(dir, "logs/orders.log"), Service: "shop"}, source.Query{IDs: []string{"TXN-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(c.Records()); !slices.Equal(got, []string{"orders.log:1:shop"}) {
			t.Fatalf("records %q", got)
		}
	})
}

func TestSymlinks(t *testing.T) {
	const hit = "2025-10-21T10:00:00Z INFO hit TXN-1\n"
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"a/app.log": []byte(hit), "b/b.log": []byte(hit)})
	links := map[string]string{
		"a/loop":       "..",             // back to the root: a loop
		"a/self":       ".",              // itself
		"b-again":      "b",              // the same directory twice
		"a/current":    "app.log",        // the same file twice
		"a/broken.log": "does-not-exist", // dangling
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	c, st, err := scanLoc(t, source.Spec{Location: dir}, source.Query{IDs: []string{"TXN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(c.Records()), []string{"a/app.log:1:a", "b/b.log:1:b"}; !slices.Equal(got, want) {
		t.Fatalf("records %q, want %q", got, want)
	}
	warnings := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"loop back to", "already read as", "broken symbolic link"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no warning saying %q in:\n%s", want, warnings)
		}
	}
	if st.Files != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := []struct {
		name string
		size int
		age  time.Duration
	}{
		{"a.log", 100, 5 * time.Hour},
		{"b.log", 5000, 1 * time.Hour},
		{"c.log", 100, 3 * time.Hour},
		{"d.log", 100, 2 * time.Hour},
		{"e.log.gz", 100, 4 * time.Hour},
	}
	for _, f := range files {
		line := "2025-10-21T10:00:00Z INFO hit TXN-1 "
		data := []byte(line + strings.Repeat("x", f.size-len(line)-1) + "\n")
		writeFiles(t, dir, map[string][]byte{f.name: data})
		mt := now.Add(-f.age)
		if err := os.Chtimes(filepath.Join(dir, f.name), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		q         source.Query
		want      []string // files read
		warning   string
		skipped   int
		truncated bool
		skippedBy map[string]int
	}{
		{"no limits", source.Query{}, []string{"a.log", "b.log", "c.log", "d.log", "e.log.gz"}, "", 0, false, nil},
		{"since", source.Query{Since: now.Add(-150 * time.Minute)}, []string{"b.log", "d.log"},
			"skipped 3 files last modified before", 3, false, map[string]int{source.SkipOld: 3}},
		{"max files keeps the newest", source.Query{MaxFiles: 2}, []string{"b.log", "d.log"},
			"max_files 2 reached: left out 3 older files: " + filepath.Join(dir, "a.log"), 3, true, map[string]int{source.SkipMaxFiles: 3}},
		{"max file bytes", source.Query{MaxFileBytes: 1000}, []string{"a.log", "c.log", "d.log", "e.log.gz"},
			"skipped 1 file larger than 1000 B: " + filepath.Join(dir, "b.log") + " (4.9 KiB)", 1, true, map[string]int{source.SkipTooLarge: 1}},
		{"all limits", source.Query{Since: now.Add(-270 * time.Minute), MaxFileBytes: 1000, MaxFiles: 1}, []string{"d.log"},
			"left out 2 older files", 4, true, map[string]int{source.SkipOld: 1, source.SkipTooLarge: 1, source.SkipMaxFiles: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.IDs = []string{"TXN-1"}
			c, st, err := scanLoc(t, source.Spec{Location: dir}, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.Records() {
				got = append(got, r.Path)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("read %q, want %q", got, tt.want)
			}
			warnings := strings.Join(c.Warnings(), "\n")
			if (tt.warning == "") != (warnings == "") || !strings.Contains(warnings, tt.warning) {
				t.Fatalf("warnings %q, want one containing %q", warnings, tt.warning)
			}
			if st.Skipped != tt.skipped || st.Truncated != tt.truncated || st.Files != len(tt.want) {
				t.Fatalf("stats %+v, want %d read, %d skipped, truncated %v", st, len(tt.want), tt.skipped, tt.truncated)
			}
			if tt.skippedBy == nil {
				tt.skippedBy = map[string]int{}
			}
			if st.SkippedBy == nil {
				st.SkippedBy = map[string]int{}
			}
			if !reflect.DeepEqual(st.SkippedBy, tt.skippedBy) {
				t.Fatalf("skipped by %v, want %v", st.SkippedBy, tt.skippedBy)
			}
		})
	}
}

func TestProblemFiles(t *testing.T) {
	const hit = "2025-10-21T10:00:00Z INFO hit TXN-1\n"
	good := bytes.Repeat([]byte("2025-10-21T10:00:00Z INFO filler line\n"), 3000)
	good = append(good, hit...)
	gz := compress(t, "x.gz", good)
	tests := []struct {
		name     string
		files    map[string][]byte // written as is
		open     func(name string) (io.ReadCloser, error)
		chmod    string // made unreadable when not root
		wantRecs []string
		warning  string
		stats    source.Stats
	}{
		{
			name:     "binary file",
			files:    map[string][]byte{"a.log": []byte(hit), "img.bin": []byte("\x89PNG\x00\x00TXN-1"), "z.bin": []byte("\x00TXN-1")},
			wantRecs: []string{"a.log:1:a"},
			warning:  "skipped 2 binary files: ",
			stats:    source.Stats{Files: 1, Bytes: int64(len(hit)) + 11 + 6, Skipped: 2, SkippedBy: map[string]int{source.SkipBinary: 2}}, // binary probes count as read
		},
		{
			name:     "truncated gzip",
			files:    map[string][]byte{"a.log": []byte(hit), "t.log.gz": gz[:len(gz)*3/4]},
			wantRecs: []string{"a.log:1:a"},
			warning:  "t.log.gz: gzip data corrupt or truncated near compressed byte",
			stats:    source.Stats{Files: 2},
		},
		{
			name:     "truncated gzip keeps records before the fault",
			files:    map[string][]byte{"t.log.gz": compress(t, "x.gz", append([]byte(hit), good...))[:len(gz)/2]},
			wantRecs: []string{"t.log.gz:1:t"},
			warning:  "unexpected EOF",
			stats:    source.Stats{Files: 1},
		},
		{
			name:  "file that cannot be opened",
			files: map[string][]byte{"a.log": []byte(hit), "locked.log": []byte(hit)},
			open: func(name string) (io.ReadCloser, error) {
				if strings.HasSuffix(name, "locked.log") {
					return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrPermission}
				}
				return os.Open(name)
			},
			wantRecs: []string{"a.log:1:a"},
			warning:  "locked.log: cannot read: permission denied",
			stats:    source.Stats{Files: 1, Bytes: int64(len(hit)), Skipped: 1, SkippedBy: map[string]int{source.SkipUnreadable: 1}},
		},
		{
			name:     "file without read permission",
			files:    map[string][]byte{"a.log": []byte(hit), "locked.log": []byte(hit)},
			chmod:    "locked.log",
			wantRecs: []string{"a.log:1:a"},
			warning:  "locked.log: cannot read: permission denied",
			stats:    source.Stats{Files: 1, Bytes: int64(len(hit)), Skipped: 1, SkippedBy: map[string]int{source.SkipUnreadable: 1}},
		},
		{
			name:  "file that vanishes",
			files: map[string][]byte{"a.log": []byte(hit), "gone.log": []byte(hit)},
			open: func(name string) (io.ReadCloser, error) {
				if strings.HasSuffix(name, "gone.log") {
					os.Remove(name)
				}
				return os.Open(name)
			},
			wantRecs: []string{"a.log:1:a"},
			warning:  "gone.log: cannot read: no such file or directory",
			stats:    source.Stats{Files: 1, Bytes: int64(len(hit)), Skipped: 1, SkippedBy: map[string]int{source.SkipUnreadable: 1}},
		},
		{
			name:     "directory named like a file",
			files:    map[string][]byte{"a.log": []byte(hit), "dir.log/inner.log": []byte(hit)},
			wantRecs: []string{"a.log:1:a", "dir.log/inner.log:1:dir.log"},
			stats:    source.Stats{Files: 2, Bytes: 2 * int64(len(hit))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chmod != "" && os.Geteuid() == 0 {
				t.Skip("permissions do not bind root; the fake open case covers this")
			}
			dir := t.TempDir()
			for name, data := range tt.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.chmod != "" {
				if err := os.Chmod(filepath.Join(dir, tt.chmod), 0); err != nil {
					t.Fatal(err)
				}
			}
			src, err := newSource(source.Spec{Location: dir}, testStarts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.open != nil {
				src.open = tt.open
			}
			var c sourcetest.Collector
			st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c)
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(c.Records()); !slices.Equal(got, tt.wantRecs) {
				t.Fatalf("records %q, want %q", got, tt.wantRecs)
			}
			warnings := strings.Join(c.Warnings(), "\n")
			if (tt.warning == "") != (warnings == "") || !strings.Contains(warnings, tt.warning) {
				t.Fatalf("warnings %q, want one containing %q", warnings, tt.warning)
			}
			if tt.stats.Bytes == 0 {
				tt.stats.Bytes = st.Bytes // decompressed length up to the fault
			}
			if !reflect.DeepEqual(st, tt.stats) {
				t.Fatalf("stats %+v, want %+v", st, tt.stats)
			}
		})
	}
}

func testStarts(l []byte) bool { return len(l) == 0 || (l[0] != ' ' && l[0] != '\t') }

func TestLongLineAndBoundaries(t *testing.T) {
	long := strings.Repeat("abcdefghij", 500_000) // 5 MB: longer than the buffer
	var b strings.Builder
	for i := range 100_000 { // about 4.8 MB: records cross buffer refills
		if i%9999 == 0 {
			fmt.Fprintf(&b, "2025-10-21T10:00:00Z ERROR n=%d TXN-1\n\tat frame\n", i)
		} else {
			fmt.Fprintf(&b, "2025-10-21T10:00:00Z INFO n=%06d ok\n", i)
		}
	}
	body := b.String()
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"long.log":      []byte("TXN-1 first\n" + long + "TXN-1" + long + "\nlast TXN-1"),
		"many.log.zst":  []byte(body),
		"many.log":      []byte(body),
		"crlf.log":      []byte("a\r\nTXN-1 b\r\n\tc\r\n"),
		"no-newline.gz": []byte("x\nTXN-1"),
	})
	c, st, err := scanLoc(t, source.Spec{Location: dir}, source.Query{IDs: []string{"TXN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := c.Records()
	byPath := map[string][]sourcetest.Rec{}
	for _, r := range recs {
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	if l := byPath["long.log"]; len(l) != 3 || l[0].Data != "TXN-1 first" || l[1].Line != 2 || len(l[1].Data) != 2*len(long)+5 || l[2].Line != 3 || l[2].Data != "last TXN-1" {
		t.Errorf("long.log: %d records", len(l))
	}
	for _, name := range []string{"many.log", "many.log.zst"} {
		l := byPath[name]
		if len(l) != 11 {
			t.Errorf("%s: %d records, want 11", name, len(l))
			continue
		}
		for k, r := range l {
			wantLine := int64(k*9999 + 1 + k) // each hit adds a frame line
			if r.Line != wantLine || !strings.HasSuffix(r.Data, "TXN-1\n\tat frame") {
				t.Errorf("%s record %d: line %d %q, want line %d", name, k, r.Line, r.Data, wantLine)
			}
		}
	}
	if l := byPath["crlf.log"]; len(l) != 1 || l[0].Data != "TXN-1 b\r\n\tc" || l[0].Line != 2 {
		t.Errorf("crlf.log: %v", l)
	}
	if l := byPath["no-newline.gz"]; len(l) != 1 || l[0].Data != "TXN-1" || l[0].Line != 2 {
		t.Errorf("no-newline.gz: %v", l)
	}
	files, bytes := c.Progressed()
	if files != 5 || bytes != st.Bytes || st.Files != 5 {
		t.Errorf("progress %d files %d bytes, stats %+v", files, bytes, st)
	}
}

func TestOutputErrorStops(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		writeFiles(t, dir, map[string][]byte{fmt.Sprintf("f%02d.log", i): []byte("TXN-1\nTXN-1\n")})
	}
	src, err := Driver().Open(source.Spec{Location: dir})
	if err != nil {
		t.Fatal(err)
	}
	full := errors.New("output full")
	var c sourcetest.Collector
	c.OnRecord = func(*source.Record) error { return full }
	if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c); !errors.Is(err, full) {
		t.Fatalf("err = %v, want the output's error", err)
	}
	if n := len(c.Records()); n > 4 {
		t.Fatalf("%d records sent after the output failed", n)
	}
}

func TestRecordModTime(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"a.log": []byte("TXN-1\n")})
	mt := time.Date(2024, 12, 31, 23, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "a.log"), mt, mt); err != nil {
		t.Fatal(err)
	}
	src, _ := Driver().Open(source.Spec{Location: dir})
	var got time.Time
	out := &sourcetest.Collector{OnRecord: func(r *source.Record) error { got = r.ModTime; return nil }}
	if _, err := src.Scan(context.Background(), &source.Query{IDs: []string{"TXN-1"}}, out); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(mt) {
		t.Fatalf("ModTime %v, want %v", got, mt)
	}
}
