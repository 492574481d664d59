package blobtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/pipetracker/pipetracker/bench/corpus"
	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// Corpus is a generated multi-service corpus (see bench/corpus) with
// extra objects full of near misses, on disk and as objects to store.
type Corpus struct {
	// Dir is the folder that holds the logs: the root a file source reads.
	Dir      string
	Manifest *corpus.Manifest
	// Objects are the files below Dir (slash paths) as stored, compressed
	// where the files are; ModTimes their modification times, which the
	// store must give as the objects' last write (the year of RFC 3164
	// syslog stamps is inferred from it).
	Objects  map[string][]byte
	ModTimes map[string]time.Time
}

// Keys returns the corpus's object names in order.
func (c *Corpus) Keys() []string {
	keys := make([]string, 0, len(c.Objects))
	for k := range c.Objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// NewCorpus generates a corpus of about size bytes with five known traces
// and adds filler objects (half of them gzip) whose records hold near
// misses of the known ids and their linked ids and nothing that matches.
func NewCorpus(t testing.TB, size int64, filler int) *Corpus {
	t.Helper()
	out := t.TempDir()
	m, err := corpus.Generate(context.Background(), corpus.Options{
		Out: out, Size: size, Seed: 11, Traces: 5, Compression: corpus.CompRotated,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &Corpus{Dir: filepath.Join(out, m.Root), Manifest: m, Objects: map[string][]byte{}, ModTimes: map[string]time.Time{}}
	writeFiller(t, c.Dir, m, filler)
	err = filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.Dir, p)
		rel = filepath.ToSlash(rel)
		c.Objects[rel], c.ModTimes[rel] = data, fi.ModTime().UTC()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fillerServices are where filler objects go (services of the corpus).
var fillerServices = []string{"gateway", "checkout", "inventory", "ledger", "shipping"}

func writeFiller(t testing.TB, dir string, m *corpus.Manifest, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	var misses []string
	for _, tr := range m.Traces {
		misses = append(misses,
			"parent_transaction_id="+tr.ID, "transaction_id="+tr.ID+"7", "order_ref="+tr.ID,
			"transaction_id="+tr.ID+"-x", "note=\"about "+tr.ID+"\"")
		for _, l := range tr.LinkedIDs {
			misses = append(misses, l.Key+"="+l.Value+"0", "origin_"+l.Key+"="+l.Value)
		}
	}
	mod := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	for i := range n {
		var b bytes.Buffer
		for j := range 40 {
			ts := time.Date(2025, 10, 21, 6, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(6*3600)) * time.Second)
			fmt.Fprintf(&b, "%s INFO filler step=%d transaction_id=TXN-%07d request_id=r-%012x",
				ts.Format("2006-01-02T15:04:05.000Z"), j, 1000000+rng.IntN(7000000), rng.Uint64()&0x7fffffffffff)
			if j%4 == 0 {
				fmt.Fprintf(&b, " %s", misses[rng.IntN(len(misses))])
			}
			b.WriteByte('\n')
		}
		name := filepath.Join(dir, fillerServices[i%len(fillerServices)], "archive", fmt.Sprintf("part-%04d.log", i))
		data := b.Bytes()
		if i%2 == 1 {
			name += ".gz"
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

// Row is an event as the comparisons see it.
type Row struct {
	Service, Time, Origin, Key, Value, Via string
}

func (r Row) String() string {
	return fmt.Sprintf("%s %s %s %s=%s via %q", r.Origin, r.Service, r.Time, r.Key, r.Value, r.Via)
}

// ManifestRows returns the manifest's answer as rows.
func ManifestRows(events []corpus.Event) []Row {
	rows := make([]Row, len(events))
	for i, e := range events {
		tm := e.Time
		if ts, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
			tm = ts.UTC().Format(time.RFC3339Nano)
		}
		rows[i] = Row{Service: e.Service, Time: tm, Origin: fmt.Sprintf("%s:%d", e.Path, e.Line), Key: e.Key, Value: e.Value, Via: e.Via}
	}
	return rows
}

// Trace traces id over spec through the engine with reg, following linked
// ids when follow is set, and returns the events as rows with the report.
func Trace(t testing.TB, ctx context.Context, reg *source.Registry, spec source.Spec, m *corpus.Manifest, id string, follow bool) ([]Row, *trace.Report) {
	t.Helper()
	rep, err := engine.New(reg).Trace(ctx, id, engine.Options{
		Sources: []source.Spec{spec}, Keys: m.MatchKeys, Follow: follow,
		MaxLinkDepth: 3, MaxLinkedIDs: 100, Concurrency: 4,
	})
	if err != nil {
		t.Fatalf("trace %s: %v", id, err)
	}
	rows := make([]Row, len(rep.Trace.Events))
	for i, e := range rep.Trace.Events {
		rows[i] = Row{Service: e.Service, Origin: fmt.Sprintf("%s:%d", e.Origin.Path, e.Origin.Line),
			Key: e.Matched.Key, Value: e.Matched.Value, Via: e.Matched.Via}
		if !e.Time.IsZero() {
			rows[i].Time = e.Time.UTC().Format(time.RFC3339Nano)
		}
	}
	return rows, rep
}

// Compare reports the differences between two lists of rows.
func Compare(t testing.TB, what string, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d events, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := 0; i < max(len(got), len(want)) && bad < 10; i++ {
		var g, w Row
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			bad++
			t.Errorf("%s: event %d:\n got  %v\n want %v", what, i, g, w)
		}
	}
}

// Warnings returns the report's warnings as text, one per line.
func Warnings(rep *trace.Report) string {
	var b strings.Builder
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "%s: %s\n", w.Source, w.Message)
	}
	return b.String()
}

// Compress returns data gzip- or zstd-compressed as name's suffix (".gz",
// ".zst") says, else data itself.
func Compress(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	switch {
	case strings.HasSuffix(name, ".gz"):
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	case strings.HasSuffix(name, ".zst"):
		zw, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		return data
	}
	return b.Bytes()
}
