package victorialogs

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/source"
)

// Environment of BenchmarkTrace, set by bench/victorialogs.sh.
const (
	benchURLEnv      = "PIPETRACKER_BENCH_VICTORIALOGS_URL" // http://host:port of a loaded server
	benchManifestEnv = "PIPETRACKER_BENCH_MANIFEST"         // the corpus's manifest.json
)

// BenchmarkTrace traces the known ids of a generated corpus loaded into
// VictoriaLogs (bench/victorialogs.sh loads one), following links as the
// CLI does, and reports the bytes the client moved on the wire per trace
// (wire-B/op: requests and responses as sent, compressed). It checks each
// trace's events against the manifest. Without the environment it is
// skipped: the test suite loads no corpus of millions of records.
func BenchmarkTrace(b *testing.B) {
	base, manifest := os.Getenv(benchURLEnv), os.Getenv(benchManifestEnv)
	if base == "" || manifest == "" {
		b.Skipf("set %s and %s (bench/victorialogs.sh does)", benchURLEnv, benchManifestEnv)
	}
	raw, err := os.ReadFile(manifest)
	if err != nil {
		b.Fatal(err)
	}
	var m struct {
		MatchKeys []string `json:"match_keys"`
		Traces    []struct {
			ID     string            `json:"id"`
			Follow []json.RawMessage `json:"follow"`
		} `json:"traces"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	var opened []*Source
	reg := source.NewRegistry(source.Driver{Scheme: "victorialogs", Open: func(spec source.Spec) (source.Source, error) {
		s, err := newSource(spec, os.Getenv)
		if err == nil {
			opened = append(opened, s)
		}
		return s, err
	}})
	eng := engine.New(reg)
	spec := source.Spec{Location: "victorialogs://" + strings.TrimPrefix(base, "http://") + "?path_field=path&line_field=line"}
	opt := engine.Options{
		Sources: []source.Spec{spec}, Keys: m.MatchKeys, Follow: true, MaxLinkDepth: 3, MaxLinkedIDs: 100,
		Since: time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC), Until: time.Date(2025, 10, 23, 0, 0, 0, 0, time.UTC),
	}
	var wire int64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tr := m.Traces[i%len(m.Traces)]
		opened = opened[:0]
		rep, err := eng.Trace(b.Context(), tr.ID, opt)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Warnings) > 0 {
			b.Fatalf("%s: warnings %v", tr.ID, rep.Warnings)
		}
		if got, want := len(rep.Trace.Events), len(tr.Follow); got != want {
			b.Fatalf("%s: %d events, the manifest lists %d", tr.ID, got, want)
		}
		for _, s := range opened {
			wire += s.wire.Load()
		}
	}
	b.ReportMetric(float64(wire)/float64(b.N), "wire-B/op")
}
