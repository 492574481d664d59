package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// corpusFile is one file of a generated corpus as the tests read it back.
type corpusFile struct {
	path    string // relative to the logs root
	format  string
	modTime time.Time
	data    []byte
	records []corpusRecord
}

type corpusRecord struct {
	line int64
	text string // all lines of the record, joined by \n
}

// recordStart tells, per format, whether a line starts a record; every
// other line continues the record before it. Written independently of the
// generator's own renderers.
var recordStart = map[string]*regexp.Regexp{
	"nginx":          regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+ - - \[`),
	"json":           regexp.MustCompile(`^\{`),
	"docker-json":    regexp.MustCompile(`^\{"log":`),
	"logfmt":         regexp.MustCompile(`^time=`),
	"log4j":          regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `),
	"bracketed":      regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] `),
	"syslog-rfc5424": regexp.MustCompile(`^<\d{1,3}>1 `),
	"syslog-rfc3164": regexp.MustCompile(`^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d `),
	"cri":            regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+ (stdout|stderr) [FP] `),
}

// readCorpus reads every file under root, decompressing by extension, and
// splits it into records.
func readCorpus(t *testing.T, root string, m *Manifest) map[string]*corpusFile {
	t.Helper()
	formats := map[string]string{}
	for _, f := range m.Files {
		formats[f.Path] = f.Format
	}
	files := map[string]*corpusFile{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		data := raw
		switch filepath.Ext(p) {
		case ".gz":
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		case ".zst":
			zr, err := zstd.NewReader(bytes.NewReader(raw))
			if err != nil {
				return err
			}
			data, err = io.ReadAll(zr)
			zr.Close()
			if err != nil {
				return err
			}
		}
		f := &corpusFile{path: rel, format: formats[rel], modTime: info.ModTime(), data: data}
		start := recordStart[f.format]
		if start == nil {
			t.Errorf("%s: not in the manifest or unknown format %q", rel, f.format)
			return nil
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var line int64
		for sc.Scan() {
			line++
			text := sc.Text()
			if start.MatchString(text) || len(f.records) == 0 {
				f.records = append(f.records, corpusRecord{line: line, text: text})
			} else {
				f.records[len(f.records)-1].text += "\n" + text
			}
		}
		files[rel] = f
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// keyed reports whether text holds value under key, the way a key-aware
// search must see it: whole key, whole value, as JSON or key=value or
// key: value.
func keyed(text, key, value string) bool {
	if !strings.Contains(text, value) {
		return false
	}
	re := regexp.MustCompile(`(?:^|[^A-Za-z0-9_.\-])"?` + regexp.QuoteMeta(key) + `"?\s*[:=]\s*"?` + regexp.QuoteMeta(value) + `(?:[^A-Za-z0-9_\-]|$)`)
	return re.MatchString(text)
}

var valueRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.\-])"?(transaction_id|request_id|payment_id)"?\s*[:=]\s*"?([A-Za-z0-9_.\-]+)`)

// keyValues returns every match-key value in text.
func keyValues(text string) [][2]string {
	var out [][2]string
	for _, m := range valueRE.FindAllStringSubmatch(text, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

// recordTime parses the time of a record independently of the generator.
func recordTime(t *testing.T, f *corpusFile, text string) string {
	t.Helper()
	first, _, _ := strings.Cut(text, "\n")
	var ts time.Time
	var err error
	switch f.format {
	case "nginx":
		s := first[strings.IndexByte(first, '[')+1 : strings.IndexByte(first, ']')]
		ts, err = time.Parse("02/Jan/2006:15:04:05 -0700", s)
	case "json":
		var v struct{ TS string }
		if err = json.Unmarshal([]byte(first), &v); err == nil {
			ts, err = time.Parse(time.RFC3339Nano, v.TS)
		}
	case "docker-json":
		var v struct{ Log string }
		if err = json.Unmarshal([]byte(first), &v); err == nil {
			ts, err = time.Parse("2006-01-02T15:04:05.000", v.Log[:23])
		}
	case "logfmt":
		s, _, _ := strings.Cut(strings.TrimPrefix(first, "time="), " ")
		ts, err = time.Parse(time.RFC3339Nano, s)
	case "log4j":
		ts, err = time.Parse("2006-01-02 15:04:05,000", first[:23])
	case "bracketed":
		ts, err = time.Parse("2006-01-02 15:04:05.000", first[1:24])
	case "syslog-rfc5424":
		ts, err = time.Parse(time.RFC3339Nano, strings.Fields(first)[1])
	case "syslog-rfc3164":
		ts, err = time.Parse("Jan _2 15:04:05", first[:15])
		ts = ts.AddDate(f.modTime.Year(), 0, 0)
	case "cri":
		ts, err = time.Parse(time.RFC3339Nano, strings.Fields(first)[0])
	}
	if err != nil {
		t.Fatalf("%s: time of %q: %v", f.path, first, err)
	}
	return ts.UTC().Format(time.RFC3339Nano)
}

// traceOf computes the answer for id from the files alone: records that
// hold id under a match key and, when follow is set, records that hold an
// id found in them (ids at most maxDepth links away are searched).
func traceOf(t *testing.T, files map[string]*corpusFile, id string, follow bool) []Event {
	t.Helper()
	const maxDepth = 3
	type found struct {
		key, via string
		depth    int
	}
	ids := map[string]found{id: {key: "transaction_id"}}
	type pos struct {
		path string
		line int64
	}
	matched := map[pos]Event{}
	frontier := []string{id}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for depth := 0; depth <= maxDepth && len(frontier) > 0; depth++ {
		var next []string
		for _, p := range paths {
			f := files[p]
			for _, r := range f.records {
				for _, v := range frontier {
					key := ""
					for _, k := range []string{"transaction_id", "request_id", "payment_id"} {
						if keyed(r.text, k, v) {
							key = k
							break
						}
					}
					if key == "" {
						continue
					}
					at := pos{p, r.line}
					if _, ok := matched[at]; !ok {
						matched[at] = Event{
							Service: strings.SplitN(p, "/", 2)[0],
							Time:    recordTime(t, f, r.text),
							Path:    p, Line: r.line,
							Key: key, Value: v, Via: ids[v].via, Depth: depth,
						}
					}
					if !follow || depth == maxDepth {
						continue
					}
					for _, kv := range keyValues(r.text) {
						if _, ok := ids[kv[1]]; !ok {
							ids[kv[1]] = found{key: kv[0], via: key + "=" + v, depth: depth + 1}
							next = append(next, kv[1])
						}
					}
				}
			}
		}
		frontier = next
	}
	out := make([]Event, 0, len(matched))
	for _, e := range matched {
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		tx, _ := time.Parse(time.RFC3339Nano, x.Time)
		ty, _ := time.Parse(time.RFC3339Nano, y.Time)
		if !tx.Equal(ty) {
			return tx.Before(ty)
		}
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		return x.Line < y.Line
	})
	return out
}

// withoutLevel drops the level, which traceOf does not derive.
func withoutLevel(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Level = ""
		out[i] = e
	}
	return out
}

func generateSmall(t *testing.T, opts Options) (string, *Manifest) {
	t.Helper()
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	m, err := Generate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := os.ReadFile(filepath.Join(opts.Out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(disk, &back); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Fatal("manifest.json differs from the returned manifest")
	}
	return opts.Out, m
}

func TestManifestMatchesFiles(t *testing.T) {
	const size = 2_000_000
	out, m := generateSmall(t, Options{Size: size, Hot: 0.01, Seed: 3, Traces: 7})
	files := readCorpus(t, filepath.Join(out, m.Root), m)

	t.Run("files and counts", func(t *testing.T) {
		if len(files) != len(m.Files) {
			t.Fatalf("%d files on disk, manifest lists %d", len(files), len(m.Files))
		}
		var bytes, lines, records int64
		formats := map[string]bool{}
		for _, mf := range m.Files {
			f := files[mf.Path]
			if f == nil {
				t.Fatalf("%s: listed but missing", mf.Path)
			}
			n := int64(strings.Count(string(f.data), "\n"))
			if int64(len(f.data)) != mf.Bytes || n != mf.Lines || int64(len(f.records)) != mf.Records {
				t.Errorf("%s: bytes/lines/records %d/%d/%d on disk, manifest %d/%d/%d",
					mf.Path, len(f.data), n, len(f.records), mf.Bytes, mf.Lines, mf.Records)
			}
			if f.modTime.Year() != 2025 {
				t.Errorf("%s: modification time %v, want the time of its last record", mf.Path, f.modTime)
			}
			bytes += mf.Bytes
			lines += mf.Lines
			records += mf.Records
			formats[mf.Format] = true
		}
		if bytes != m.Bytes || lines != m.Lines || records != m.Records {
			t.Errorf("totals %d/%d/%d, manifest %d/%d/%d", bytes, lines, records, m.Bytes, m.Lines, m.Records)
		}
		if m.Bytes < size*9/10 || m.Bytes > size*11/10 {
			t.Errorf("corpus is %d bytes, want %d ± 10%%", m.Bytes, size)
		}
		if len(formats) != len(recordStart) {
			t.Errorf("formats %v, want all %d", formats, len(recordStart))
		}
		if lines == records {
			t.Error("no multi-line records (stack traces)")
		}
	})

	for _, tr := range m.Traces {
		t.Run("trace "+tr.ID, func(t *testing.T) {
			if got := traceOf(t, files, tr.ID, true); !reflect.DeepEqual(got, withoutLevel(tr.Follow)) {
				t.Errorf("follow mode: the files give\n%v\nthe manifest says\n%v", got, withoutLevel(tr.Follow))
			}
			if got := traceOf(t, files, tr.ID, false); !reflect.DeepEqual(got, withoutLevel(tr.NoFollow)) {
				t.Errorf("no-follow mode: the files give\n%v\nthe manifest says\n%v", got, withoutLevel(tr.NoFollow))
			}
			want := []string{"gateway", "checkout", "inventory", "ledger", "psp", "shipping", "notifier"}
			if !reflect.DeepEqual(tr.ServicesFollow, want) {
				t.Errorf("services in follow mode %v, want %v", tr.ServicesFollow, want)
			}
			if want := []string{"checkout", "inventory", "ledger"}; !reflect.DeepEqual(tr.ServicesNoFollow, want) {
				t.Errorf("services in no-follow mode %v, want %v", tr.ServicesNoFollow, want)
			}
			if tr.Errors != 1 || tr.MaxDepth != 2 || len(tr.LinkedIDs) != 3 {
				t.Errorf("errors %d, max depth %d, %d linked ids; want 1, 2, 3", tr.Errors, tr.MaxDepth, len(tr.LinkedIDs))
			}
		})
	}

	t.Run("positions", func(t *testing.T) {
		filesOf := func(tr Trace, service string) map[string]bool {
			out := map[string]bool{}
			for _, e := range tr.Follow {
				if e.Service == service {
					out[e.Path] = true
				}
			}
			return out
		}
		first := false
		for _, e := range m.Traces[0].Follow {
			if !strings.HasSuffix(e.Path, ".gz") {
				t.Errorf("trace 0 at %s:%d, want it in the oldest, compressed files", e.Path, e.Line)
			}
			first = first || e.Line == 1
		}
		if !first {
			t.Error("trace 0 does not start a file")
		}
		for _, e := range m.Traces[1].Follow {
			if strings.HasSuffix(e.Path, ".gz") || strings.Contains(filepath.Base(e.Path), ".log.") {
				t.Errorf("trace 1 at %s, want it in the newest files", e.Path)
			}
		}
		if n := len(filesOf(m.Traces[3], "checkout")); n < 2 {
			t.Errorf("trace 3 is in %d checkout files, want it across a rotation", n)
		}
		if n := len(filesOf(m.Traces[4], "ledger")); n < 2 {
			t.Errorf("trace 4 is in %d ledger files, want it across a rotation", n)
		}
	})

	t.Run("traps", func(t *testing.T) {
		perID := map[string]int{}
		for _, tp := range m.Traps {
			perID[tp.ID]++
			f := files[tp.Path]
			if f == nil {
				t.Fatalf("trap in missing file %s", tp.Path)
			}
			i := sort.Search(len(f.records), func(i int) bool { return f.records[i].line >= tp.Line })
			if i == len(f.records) || f.records[i].line != tp.Line {
				t.Fatalf("trap %s: no record starts at %s:%d", tp.Kind, tp.Path, tp.Line)
			}
			text := f.records[i].text
			if tp.Key == "" && !strings.Contains(text, tp.Value) || tp.Key != "" && !keyed(text, tp.Key, tp.Value) {
				t.Errorf("trap %s: %s:%d does not hold %s=%s: %s", tp.Kind, tp.Path, tp.Line, tp.Key, tp.Value, text)
			}
			if !strings.Contains(text, tp.ID[:len(tp.ID)-1]) && tp.Kind != "near_miss_linked" && tp.Kind != "other_key_linked" {
				t.Errorf("trap %s: %s:%d does not resemble %s", tp.Kind, tp.Path, tp.Line, tp.ID)
			}
		}
		for _, tr := range m.Traces {
			if perID[tr.ID] != 12 {
				t.Errorf("%s has %d traps, want 12", tr.ID, perID[tr.ID])
			}
		}
	})

	t.Run("hot", func(t *testing.T) {
		if m.Hot == nil {
			t.Fatal("no hot id in the manifest")
		}
		var n int64
		for _, f := range files {
			for _, r := range f.records {
				if !keyed(r.text, "transaction_id", HotID) {
					continue
				}
				n++
				if kvs := keyValues(r.text); len(kvs) != 1 {
					t.Errorf("%s:%d: hot record carries other ids %v", f.path, r.line, kvs)
				}
			}
		}
		if n != m.Hot.Records {
			t.Errorf("%d hot records in the files, manifest says %d", n, m.Hot.Records)
		}
		if frac := float64(n) / float64(m.Records); frac < 0.007 || frac > 0.013 {
			t.Errorf("hot fraction %.4f, want about 0.01", frac)
		}
	})
}

// contents returns the decompressed contents of every file by path with
// its compression suffix removed.
func contents(t *testing.T, out string, m *Manifest) map[string]string {
	t.Helper()
	files := readCorpus(t, filepath.Join(out, m.Root), m)
	got := map[string]string{}
	for p, f := range files {
		got[strings.TrimSuffix(strings.TrimSuffix(p, ".gz"), ".zst")] = string(f.data)
	}
	return got
}

func TestDeterministic(t *testing.T) {
	base := Options{Size: 300_000, Hot: 0.02, Seed: 11, Traces: 3}
	outA, a := generateSmall(t, base)
	outB, b := generateSmall(t, base)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different manifests")
	}
	if !reflect.DeepEqual(contents(t, outA, a), contents(t, outB, b)) {
		t.Error("same seed, different files")
	}
	other := base
	other.Seed = 12
	outC, c := generateSmall(t, other)
	if reflect.DeepEqual(contents(t, outA, a), contents(t, outC, c)) {
		t.Error("different seeds, same files")
	}
}

func TestCompressedCorporaHoldTheSameRecords(t *testing.T) {
	base := Options{Size: 300_000, Hot: 0.01, Seed: 5, Traces: 5}
	outP, plain := generateSmall(t, base)
	want := contents(t, outP, plain)
	tests := []struct {
		comp, ext string
		maxStored float64 // stored bytes over bytes, at most
	}{
		{comp: CompPlain, ext: ".log", maxStored: 1},
		{comp: CompGzip, ext: ".gz", maxStored: 0.3},
		{comp: CompZstd, ext: ".zst", maxStored: 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.comp, func(t *testing.T) {
			opts := base
			opts.Compression = tt.comp
			out, m := generateSmall(t, opts)
			for _, f := range m.Files {
				if ext := filepath.Ext(strings.TrimRight(f.Path, ".0123456789")); ext != tt.ext {
					t.Errorf("%s: extension %s, want %s", f.Path, ext, tt.ext)
				}
			}
			if !reflect.DeepEqual(contents(t, out, m), want) {
				t.Error("records differ from the default corpus")
			}
			if float64(m.StoredBytes) > tt.maxStored*float64(m.Bytes) {
				t.Errorf("stored %d of %d bytes", m.StoredBytes, m.Bytes)
			}
			for i := range m.Traces {
				strip := func(evs []Event) []Event {
					out := append([]Event(nil), evs...)
					for j := range out {
						out[j].Path = strings.TrimSuffix(strings.TrimSuffix(out[j].Path, ".gz"), ".zst")
					}
					return out
				}
				if !reflect.DeepEqual(strip(m.Traces[i].Follow), strip(plain.Traces[i].Follow)) {
					t.Errorf("trace %s differs from the default corpus", m.Traces[i].ID)
				}
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  bool
	}{
		{name: "gigabytes", in: "1GB", want: 1_000_000_000},
		{name: "lower case", in: "2mb", want: 2_000_000},
		{name: "fraction", in: "1.5GB", want: 1_500_000_000},
		{name: "binary", in: "1GiB", want: 1 << 30},
		{name: "short unit", in: "64K", want: 64_000},
		{name: "bytes", in: "123456", want: 123456},
		{name: "space", in: " 3 MB ", want: 3_000_000},
		{name: "zero", in: "0GB", err: true},
		{name: "negative", in: "-1MB", err: true},
		{name: "garbage", in: "lots", err: true},
		{name: "empty", in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestClockMatchesTimeFormat(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
	}{
		{name: "morning", at: time.Date(2025, 10, 21, 9, 14, 7, 166_123_456, time.UTC)},
		{name: "single-digit day", at: time.Date(2025, 3, 5, 23, 59, 59, 999_999_999, time.UTC)},
		{name: "offset crosses midnight", at: time.Date(2025, 12, 31, 22, 30, 0, 1_000, time.UTC)},
		{name: "whole second", at: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "leap day", at: time.Date(2024, 2, 29, 12, 0, 0, 5_000_000, time.UTC)},
	}
	plus2 := time.FixedZone("", logfmtOffset)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c clock
			ns := tt.at.UnixNano()
			checks := []struct{ got, want string }{
				{string(c.appendISO(nil, ns, 'T', '.', 3, 0, "Z")), tt.at.Format("2006-01-02T15:04:05.000Z")},
				{string(c.appendISO(nil, ns, ' ', ',', 3, 0, "")), tt.at.Format("2006-01-02 15:04:05,000")},
				{string(c.appendISO(nil, ns, 'T', '.', 9, 0, "Z")), tt.at.Format("2006-01-02T15:04:05.000000000Z")},
				{string(c.appendISO(nil, ns, 'T', '.', 3, logfmtOffset, "+02:00")), tt.at.In(plus2).Format("2006-01-02T15:04:05.000-07:00")},
				{string(c.appendNginx(nil, ns)), tt.at.Format("02/Jan/2006:15:04:05 -0700")},
				{string(c.append3164(nil, ns)), tt.at.Format(time.Stamp)},
			}
			for _, ch := range checks {
				if ch.got != ch.want {
					t.Errorf("got %q, want %q", ch.got, ch.want)
				}
			}
		})
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Out: t.TempDir(), Size: 50_000_000, Seed: 1})
	if err == nil {
		t.Fatal("cancelled generation succeeded")
	}
}
