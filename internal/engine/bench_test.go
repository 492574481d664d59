package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pipetracker/pipetracker/bench/corpus"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/file"
)

// BenchmarkTrace measures whole traces over a generated corpus held in the
// page cache: a rare id without and with link following (plain and gzip
// files) and a hot id. MB/s are of uncompressed log text searched once.
func BenchmarkTrace(b *testing.B) {
	corpora := &benchCorpora{root: b.TempDir()}
	for _, tc := range []struct {
		name   string
		comp   string
		hot    bool
		follow bool
	}{
		{"rare/no-follow", corpus.CompPlain, false, false},
		{"rare/follow", corpus.CompPlain, false, true},
		{"rare/gzip/no-follow", corpus.CompGzip, false, false},
		{"rare/gzip/follow", corpus.CompGzip, false, true},
		{"hot/no-follow", corpus.CompPlain, true, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			logs, m := corpora.get(b, tc.comp)
			id := m.Traces[0].ID
			if tc.hot {
				id = m.Hot.ID
			}
			reg := source.NewRegistry(file.Driver())
			opt := Options{
				Sources: []source.Spec{{Location: logs}},
				Keys:    m.MatchKeys, Follow: tc.follow, MaxLinkDepth: 3, MaxLinkedIDs: 100,
			}
			b.SetBytes(m.Bytes)
			b.ReportAllocs()
			events := 0
			for b.Loop() {
				rep, err := New(reg).Trace(context.Background(), id, opt)
				if err != nil {
					b.Fatal(err)
				}
				events = len(rep.Trace.Events)
			}
			want := len(m.Traces[0].NoFollow)
			switch {
			case tc.hot:
				want = int(m.Hot.Records)
			case tc.follow:
				want = len(m.Traces[0].Follow)
			}
			if events != want {
				b.Fatalf("%d events, want %d", events, want)
			}
		})
	}
}

// benchCorpora generates, once per compression, a 64 MB corpus of
// bench/gen with a hot id in 1 % of the records, under root.
type benchCorpora struct {
	root string
	logs map[string]string
	man  map[string]*corpus.Manifest
}

func (c *benchCorpora) get(b *testing.B, comp string) (string, *corpus.Manifest) {
	b.Helper()
	if logs, ok := c.logs[comp]; ok {
		return logs, c.man[comp]
	}
	dir := filepath.Join(c.root, comp)
	m, err := corpus.Generate(context.Background(), corpus.Options{Out: dir, Size: 64 << 20, Compression: comp, Hot: 0.01, Seed: 1, Traces: 5})
	if err != nil {
		b.Fatal(err)
	}
	if c.logs == nil {
		c.logs, c.man = map[string]string{}, map[string]*corpus.Manifest{}
	}
	c.logs[comp], c.man[comp] = filepath.Join(dir, m.Root), m
	return c.logs[comp], m
}
