package redact

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pipetracker/pipetracker/bench/corpus"

	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/file"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// benchReport is a report of n events, a third of them carrying personal
// data, the way a busy trace looks.
func benchReport(n int) *trace.Report {
	rep := &trace.Report{Query: trace.Query{ID: "TXN-48213"}, Trace: trace.Trace{ID: "TXN-48213"}}
	for i := range n {
		msg := fmt.Sprintf("2025-10-21T09:14:%02d.123Z INFO checkout transaction_id=TXN-48213 step=%d duration_ms=%d status=200", i%60, i, i*7)
		if i%3 == 0 {
			msg += fmt.Sprintf(" customer=anna%d@example.com card=4111 1111 1111 1111 phone=+44 20 7946 %04d", i, i%10000)
		}
		rep.Trace.Events = append(rep.Trace.Events, trace.Event{
			Message: msg, Raw: msg,
			Fields:  map[string]any{"transaction_id": "TXN-48213", "step": json.Number(fmt.Sprint(i)), "user": map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "token": "abc"}},
			Matched: trace.Match{Key: "transaction_id", Value: "TXN-48213"},
		})
	}
	return rep
}

func BenchmarkReport(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	base := benchReport(1000)
	var size int64
	for _, ev := range base.Trace.Events {
		size += int64(len(ev.Message) + len(ev.Raw))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		rep := benchReport(1000)
		b.StartTimer()
		r.Report(rep)
	}
}

func BenchmarkString(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, s string }{
		{"clean", "2025-10-21T09:14:03.123Z INFO checkout transaction_id=TXN-48213 step=4 duration_ms=28 status=200 order_id=ORD-2025-000123"},
		{"dirty", "2025-10-21T09:14:03.123Z INFO checkout transaction_id=TXN-48213 customer=anna@example.com card=4111 1111 1111 1111 password=hunter2"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.s)))
			for b.Loop() {
				r.String(tc.s, []string{"TXN-48213"}, nil)
			}
		})
	}
}

// BenchmarkExamples redacts the report of the bundled example trace, the
// trace of the README.
func BenchmarkExamples(b *testing.B) {
	reg := source.NewRegistry(file.Driver())
	opt := engine.Options{
		Sources: []source.Spec{{Location: "../../examples/logs"}},
		Keys:    []string{"transaction_id", "request_id", "payment_id"},
		Follow:  true, MaxLinkDepth: 3, MaxLinkedIDs: 100,
	}
	benchTraceReport(b, reg, "TXN-48213", opt)
}

// benchTraceReport traces id once and then measures the redaction of
// copies of its report. MB/s are of the events' raw text.
func benchTraceReport(b *testing.B, reg *source.Registry, id string, opt engine.Options) {
	b.Helper()
	base, err := engine.New(reg).Trace(context.Background(), id, opt)
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, ev := range base.Trace.Events {
		size += int64(len(ev.Raw))
	}
	b.SetBytes(size)
	b.ReportMetric(float64(len(base.Trace.Events)), "events")
	for b.Loop() {
		rep := *base
		rep.Trace.Events = slices.Clone(base.Trace.Events)
		r.Report(&rep)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(base.Trace.Events)), "ns/event")
}

// hotTrace generates a corpus of 32 MiB with a hot id in 1 % of the
// records, and returns what traces that id.
func hotTrace(b *testing.B) (*source.Registry, string, engine.Options) {
	b.Helper()
	dir := b.TempDir()
	m, err := corpus.Generate(context.Background(), corpus.Options{Out: dir, Size: 32 << 20, Compression: corpus.CompPlain, Hot: 0.01, Seed: 1, Traces: 1})
	if err != nil {
		b.Fatal(err)
	}
	opt := engine.Options{
		Sources: []source.Spec{{Location: filepath.Join(dir, m.Root)}},
		Keys:    m.MatchKeys,
	}
	return source.NewRegistry(file.Driver()), m.Hot.ID, opt
}

// BenchmarkHotTrace redacts the events of a hot id (1 % of the records) of
// a generated corpus: the speed benchmark's worst case for redaction.
func BenchmarkHotTrace(b *testing.B) {
	reg, id, opt := hotTrace(b)
	benchTraceReport(b, reg, id, opt)
}

// BenchmarkPrecheck looks at the hot id's events of a generated corpus as
// the scan workers do (Precheck), one after the other.
func BenchmarkPrecheck(b *testing.B) {
	reg, id, opt := hotTrace(b)
	rep, err := engine.New(reg).Trace(context.Background(), id, opt)
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	events := rep.Trace.Events
	var size int64
	for _, ev := range events {
		size += int64(len(ev.Raw))
	}
	b.SetBytes(size)
	for b.Loop() {
		for i := range events {
			events[i].Clean = r.Precheck(events[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
}

// BenchmarkScan computes the features of log lines of the usual sizes,
// with masks (where the processor has the vector instructions) and a byte
// at a time.
func BenchmarkScan(b *testing.B) {
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, s := range scanLines {
		size += int64(len(s))
	}
	for _, tc := range []struct {
		name string
		scan func(string, *nameEnds) features
	}{
		{"dispatch", scan},
		{"bytes", scanScalar},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				for _, s := range scanLines {
					tc.scan(s, r.ends)
				}
			}
		})
	}
}
