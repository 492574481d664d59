// Package corpus generates synthetic multi-service log corpora with known
// traces and records their exact answers in a manifest: the data of the
// speed benchmarks and of the accuracy tests. Command bench/gen is its CLI.
package corpus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// ErrUsage marks errors in the options.
var ErrUsage = errors.New("usage")

// Options say what corpus to write.
type Options struct {
	Out         string  // directory; created, must be empty or absent
	Size        int64   // uncompressed bytes, approximately
	Compression string  // CompRotated (or ""), CompPlain, CompGzip or CompZstd
	Hot         float64 // fraction of records that carry the hot id, 0 for none
	Seed        uint64
	Traces      int // known traces
	Workers     int // streams written at once; 0 means GOMAXPROCS
}

// LogsDir is where the logs go under Options.Out.
const LogsDir = "logs"

// corpusWindow is the time the corpus covers: six hours of one morning.
func corpusWindow() window {
	start := time.Date(2025, time.October, 21, 6, 0, 0, 0, time.UTC).UnixNano()
	return window{start: start, end: start + int64(6*time.Hour)}
}

// Manifest describes a generated corpus and the exact answers for its
// known ids. Paths are relative to Root (itself relative to the directory
// that holds the manifest), with forward slashes.
type Manifest struct {
	Generator   string       `json:"generator"`
	Seed        uint64       `json:"seed"`
	SizeTarget  int64        `json:"size_target"`
	Compression string       `json:"compression"`
	Root        string       `json:"root"`
	MatchKeys   []string     `json:"match_keys"`
	Window      Window       `json:"window"`
	Bytes       int64        `json:"bytes"` // uncompressed
	StoredBytes int64        `json:"stored_bytes"`
	Lines       int64        `json:"lines"`
	Records     int64        `json:"records"`
	Files       []fileResult `json:"files"`
	Traces      []Trace      `json:"traces"`
	Traps       []*Trap      `json:"traps"`
	Hot         *Hot         `json:"hot,omitempty"`
}

// Window is the span of record times, RFC 3339.
type Window struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Trace is the exact answer for one known id. Follow lists every record
// reached from the id through linked ids (depth at most MaxDepth);
// NoFollow only the records that hold the id itself. Both are in time
// order, ties by path then line.
type Trace struct {
	ID               string   `json:"id"`
	LinkedIDs        []Linked `json:"linked_ids"`
	MaxDepth         int      `json:"max_depth"`
	Errors           int      `json:"errors"`
	ServicesFollow   []string `json:"services_follow"`
	ServicesNoFollow []string `json:"services_no_follow"`
	Follow           []Event  `json:"follow"`
	NoFollow         []Event  `json:"no_follow"`
}

// Linked is an id found through a link: Via names the "key=value" of the
// record set it was found in.
type Linked struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Via   string `json:"via"`
	Depth int    `json:"depth"`
}

// Event is one record of a known trace. Time is the record's own time as
// written (whole seconds for nginx and RFC 3164, the inner line's time for
// Docker, the runtime's for CRI) in UTC, RFC 3339 with nanoseconds. Level
// is empty where the format states none. Key and Value say which match key
// holds which id in the record; Via and Depth how that id was found.
type Event struct {
	Service string `json:"service"`
	Time    string `json:"time"`
	Path    string `json:"path"`
	Line    int64  `json:"line"`
	Level   string `json:"level"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	Via     string `json:"via"`
	Depth   int    `json:"depth"`
}

// Hot describes the hot id: Records is the exact number of records that
// carry transaction_id=ID; none of them carries another match key.
type Hot struct {
	ID       string  `json:"id"`
	Fraction float64 `json:"fraction"`
	Records  int64   `json:"records"`
}

func (o *Options) validate() error {
	switch {
	case o.Out == "":
		return fmt.Errorf("%w: --out is required", ErrUsage)
	case o.Size < 64<<10:
		return fmt.Errorf("%w: size %d is below 64 KiB", ErrUsage, o.Size)
	case o.Hot < 0 || o.Hot > 0.5:
		return fmt.Errorf("%w: hot fraction %v outside [0, 0.5]", ErrUsage, o.Hot)
	case o.Traces < 0 || o.Traces > 1000:
		return fmt.Errorf("%w: traces %d outside [0, 1000]", ErrUsage, o.Traces)
	}
	switch o.Compression {
	case "":
		o.Compression = CompRotated
	case CompRotated, CompPlain, CompGzip, CompZstd:
	default:
		return fmt.Errorf("%w: unknown compression %q", ErrUsage, o.Compression)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// Generate writes the corpus described by opts and returns its manifest,
// which it has also written to opts.Out/manifest.json. On error the
// directory may hold a partial corpus without a manifest.
func Generate(ctx context.Context, opts Options) (*Manifest, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(opts.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%w: %s is not empty", ErrUsage, opts.Out)
	}
	root := filepath.Join(opts.Out, LogsDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}

	w := corpusWindow()
	specs := streamSpecs()
	p := newPlanner(opts.Seed, w, opts.Traces)
	results := make([]streamResult, len(specs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	for _, i := range bySizeDesc(specs) {
		g.Go(func() error {
			spec := specs[i]
			mean := meanRecordBytes(spec, i, opts.Seed, opts.Hot, 2000)
			records := spec.share * float64(opts.Size) / mean
			gap := max(int64(float64(w.length())/max(records, 1)), 1)
			sg := newStreamGen(spec, i, opts.Seed, 0, opts.Hot)
			res, err := sg.run(gctx, root, opts.Compression, w, gap, p.perStream[i])
			if err != nil {
				return fmt.Errorf("%s: %w", spec.service, err)
			}
			results[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	m := &Manifest{
		Generator:   "bench/gen",
		Seed:        opts.Seed,
		SizeTarget:  opts.Size,
		Compression: opts.Compression,
		Root:        LogsDir,
		MatchKeys:   []string{"transaction_id", "request_id", "payment_id"},
		Window: Window{
			Start: time.Unix(0, w.start).UTC().Format(time.RFC3339),
			End:   time.Unix(0, w.end).UTC().Format(time.RFC3339),
		},
		Traps: p.traps,
	}
	var hot int64
	for _, r := range results {
		for _, f := range r.files {
			m.Files = append(m.Files, f)
			m.Bytes += f.Bytes
			m.StoredBytes += f.StoredBytes
			m.Lines += f.Lines
			m.Records += f.Records
			hot += f.HotRecords
		}
	}
	sort.Slice(m.Files, func(a, b int) bool { return m.Files[a].Path < m.Files[b].Path })
	if opts.Hot > 0 {
		m.Hot = &Hot{ID: HotID, Fraction: opts.Hot, Records: hot}
	}
	for i, ids := range p.known {
		tr, err := assembleTrace(ids.txn, p.events[i], specs)
		if err != nil {
			return nil, err
		}
		m.Traces = append(m.Traces, tr)
	}
	if err := writeManifest(filepath.Join(opts.Out, "manifest.json"), m); err != nil {
		return nil, err
	}
	return m, nil
}

// bySizeDesc returns stream indices, largest share first, so that the
// longest jobs start first.
func bySizeDesc(specs []streamSpec) []int {
	idx := make([]int, len(specs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return specs[idx[a]].share > specs[idx[b]].share })
	return idx
}

// assembleTrace turns the written records of one known trace into its
// answer in both modes.
func assembleTrace(id string, metas []*eventMeta, specs []streamSpec) (Trace, error) {
	tr := Trace{ID: id}
	sorted := append([]*eventMeta(nil), metas...)
	sort.SliceStable(sorted, func(a, b int) bool {
		x, y := sorted[a], sorted[b]
		if x.written != y.written {
			return x.written < y.written
		}
		if x.path != y.path {
			return x.path < y.path
		}
		return x.line < y.line
	})
	seenLink := map[string]bool{}
	seenF, seenN := map[string]bool{}, map[string]bool{}
	for _, e := range sorted {
		if e.path == "" {
			return tr, fmt.Errorf("trace %s: a planned record was not written", id)
		}
		spec := specs[e.stream]
		ev := Event{
			Service: spec.service,
			Time:    time.Unix(0, e.written).UTC().Format(time.RFC3339Nano),
			Path:    e.path,
			Line:    e.line,
			Level:   e.lv.name(spec.format),
			Key:     e.key,
			Value:   e.value,
			Via:     e.via,
			Depth:   e.depth,
		}
		tr.Follow = append(tr.Follow, ev)
		if ev.Level == "error" {
			tr.Errors++
		}
		if !seenF[ev.Service] {
			seenF[ev.Service] = true
			tr.ServicesFollow = append(tr.ServicesFollow, ev.Service)
		}
		if e.depth == 0 {
			tr.NoFollow = append(tr.NoFollow, ev)
			if !seenN[ev.Service] {
				seenN[ev.Service] = true
				tr.ServicesNoFollow = append(tr.ServicesNoFollow, ev.Service)
			}
		}
		tr.MaxDepth = max(tr.MaxDepth, e.depth)
		if k := e.key + "=" + e.value; e.depth > 0 && !seenLink[k] {
			seenLink[k] = true
			tr.LinkedIDs = append(tr.LinkedIDs, Linked{Key: e.key, Value: e.value, Via: e.via, Depth: e.depth})
		}
	}
	sort.SliceStable(tr.LinkedIDs, func(a, b int) bool { return tr.LinkedIDs[a].Depth < tr.LinkedIDs[b].Depth })
	return tr, nil
}

// writeManifest writes m as indented JSON to path through a temporary file
// and a rename, so that a present manifest is a complete one.
func writeManifest(path string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// ParseSize reads a size such as 2MB, 1GB, 1.5GiB or 1000000 (bytes),
// case-insensitively. Decimal units are powers of 1000, binary ones
// powers of 1024.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*mult < 1 {
		return 0, fmt.Errorf("%w: invalid size %q", ErrUsage, s)
	}
	return int64(v * mult), nil
}
