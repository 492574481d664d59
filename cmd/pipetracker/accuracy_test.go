package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/bench/corpus"
)

// TestCorpusAccuracy traces every known id of a generated seven-service
// corpus (nine formats, rotation with gzip, zone offsets, near-miss ids,
// parent_transaction_id traps, a hot id) and compares the events — service,
// time, path and line, in order — with the generator's exact answer.
func TestCorpusAccuracy(t *testing.T) {
	for _, comp := range []string{corpus.CompRotated, corpus.CompZstd} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			m, err := corpus.Generate(context.Background(), corpus.Options{
				Out: dir, Size: 6 << 20, Compression: comp, Hot: 0.01, Seed: 7, Traces: 5,
			})
			if err != nil {
				t.Fatal(err)
			}
			logs := filepath.Join(dir, m.Root)
			base := []string{"--source", logs, "--format", "json"}
			for _, k := range m.MatchKeys {
				base = append(base, "--key", k)
			}
			for _, tr := range m.Traces {
				for _, mode := range []struct {
					name string
					args []string
					want []corpus.Event
				}{
					{"follow", nil, tr.Follow},
					{"no-follow", []string{"--no-follow"}, tr.NoFollow},
				} {
					t.Run(tr.ID+"/"+mode.name, func(t *testing.T) {
						args := append(append([]string{"trace", tr.ID}, base...), mode.args...)
						code, out, errs := result(t, "", nil, args...)
						if code != 0 {
							t.Fatalf("exit %d: %s", code, errs)
						}
						compareEvents(t, decode(t, out), mode.want)
					})
				}
			}
			if m.Hot != nil {
				code, out, errs := result(t, "", nil, append([]string{"trace", m.Hot.ID}, base...)...)
				if code != 0 {
					t.Fatalf("hot id: exit %d: %s", code, errs)
				}
				if got := len(decode(t, out).Events); int64(got) != m.Hot.Records {
					t.Errorf("hot id %s: %d events, want %d", m.Hot.ID, got, m.Hot.Records)
				}
			}
		})
	}
}

func compareEvents(t *testing.T, rep jsonReport, want []corpus.Event) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the manifest lists no events for this trace")
	}
	type row struct {
		service, time, origin, key, value, via string
	}
	norm := func(s string) string {
		if s == "" {
			return ""
		}
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "bad time " + strconv.Quote(s)
		}
		return ts.UTC().Format(time.RFC3339Nano)
	}
	got := make([]row, len(rep.Events))
	for i, e := range rep.Events {
		got[i] = row{service: e.Service, origin: fmt.Sprintf("%s:%d", e.Origin.Path, e.Origin.Line),
			key: e.Matched.Key, value: e.Matched.Value, via: e.Matched.Via}
		if e.Time != nil {
			got[i].time = e.Time.UTC().Format(time.RFC3339Nano)
		}
	}
	exp := make([]row, len(want))
	for i, e := range want {
		exp[i] = row{service: e.Service, time: norm(e.Time), origin: fmt.Sprintf("%s:%d", e.Path, e.Line),
			key: e.Key, value: e.Value, via: e.Via}
	}
	if len(got) != len(exp) {
		t.Errorf("got %d events, want %d", len(got), len(exp))
	}
	for i := 0; i < max(len(got), len(exp)); i++ {
		var g, w row
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			w = exp[i]
		}
		if g != w {
			t.Errorf("event %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
}
