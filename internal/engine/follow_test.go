package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/file"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// randomShop returns log files whose records carry values of a small pool
// under three keys (and traps: a longer key, a value inside another), so
// that links chain in every order across files.
func randomShop(rng *rand.Rand) map[string]string {
	pool := make([]string, 14)
	for i := range pool {
		pool[i] = fmt.Sprintf("V%02d", i)
	}
	keys := []string{"k1", "k2", "k3", "parent_k1"}
	files := make(map[string]string)
	for s := range 2 + rng.IntN(5) {
		var b strings.Builder
		for l := range 5 + rng.IntN(40) {
			fmt.Fprintf(&b, "2025-10-21T09:00:%02d.%03dZ INFO step %d", rng.IntN(60), rng.IntN(1000), l)
			for range rng.IntN(4) {
				v := pool[rng.IntN(len(pool))]
				if rng.IntN(10) == 0 {
					v += "x" // a near miss
				}
				fmt.Fprintf(&b, " %s=%s", keys[rng.IntN(len(keys))], v)
			}
			b.WriteByte('\n')
		}
		files[fmt.Sprintf("svc%d/app.log", s)] = b.String()
	}
	return files
}

// comparable is what must not depend on how the sources were read.
type comparable struct {
	Events []string
	Linked []trace.LinkedID
	Warn   []string
}

func viewOf(rep *trace.Report) comparable {
	var c comparable
	for _, e := range rep.Trace.Events {
		c.Events = append(c.Events, fmt.Sprintf("%s:%d %s=%s via %q", e.Origin.Path, e.Origin.Line, e.Matched.Key, e.Matched.Value, e.Matched.Via))
	}
	for _, l := range rep.LinkedIDs {
		l.From.Source = ""
		c.Linked = append(c.Linked, l)
	}
	for _, w := range rep.Warnings {
		c.Warn = append(c.Warn, w.Message)
	}
	return c
}

// TestFollowLiveMatchesPasses traces random shops twice: through a source
// that searches exactly the ids of each pass, and through the file source,
// which takes ids as they are learned and skips what it searched. The
// events, their matches and the linked ids must be the same.
func TestFollowLiveMatchesPasses(t *testing.T) {
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 99))
		files := randomShop(rng)
		dir := t.TempDir()
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		reg := source.NewRegistry(
			source.Driver{Scheme: "mem", Open: func(source.Spec) (source.Source, error) { return &memSource{files: files}, nil }},
			file.Driver(),
		)
		opt := Options{
			Keys:         []string{"k1", "k2", "k3"},
			Follow:       true,
			MaxLinkDepth: 1 + rng.IntN(3),
			MaxLinkedIDs: 2 + rng.IntN(8),
		}
		id := fmt.Sprintf("V%02d", rng.IntN(4))
		opt.Sources = []source.Spec{{Location: "mem://shop"}}
		want, err := New(reg).Trace(context.Background(), id, opt)
		if err != nil {
			t.Fatal(err)
		}
		opt.Sources = []source.Spec{{Location: dir}}
		got, err := New(reg).Trace(context.Background(), id, opt)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := viewOf(got), viewOf(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("seed %d, id %s, depth %d, max ids %d:\n got %+v\nwant %+v\nfiles %v",
				seed, id, opt.MaxLinkDepth, opt.MaxLinkedIDs, g, w, files)
		}
	}
}

// TestFollowDeterministic checks that which linked ids are kept under the
// cap, and through which event, does not depend on the order in which the
// records arrive.
func TestFollowDeterministic(t *testing.T) {
	recs := fixedSource{
		{Data: []byte("k1=T-1 k2=B-1"), Path: "z/0", Line: 1},
		{Data: []byte("k1=T-1 k2=A-1"), Path: "a/0", Line: 1},
		{Data: []byte("k2=A-1 k3=C-1"), Path: "a/0", Line: 2},
	}
	var first comparable
	for i := range 2 {
		src := recs
		if i == 1 {
			src = fixedSource{recs[2], recs[0], recs[1]}
		}
		reg := source.NewRegistry(source.Driver{Scheme: "fixed", Open: func(source.Spec) (source.Source, error) { return src, nil }})
		rep, err := New(reg).Trace(context.Background(), "T-1", Options{
			Sources: []source.Spec{{Location: "fixed://x"}},
			Keys:    []string{"k1", "k2", "k3"}, Follow: true, MaxLinkDepth: 3, MaxLinkedIDs: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		v := viewOf(rep)
		if len(v.Linked) != 1 || v.Linked[0].Value != "A-1" || v.Linked[0].From.Path != "a/0" {
			t.Fatalf("order %d: linked %+v, want A-1 from a/0 (first in order of origin)", i, v.Linked)
		}
		if i == 0 {
			first = v
		} else if !reflect.DeepEqual(v, first) {
			t.Fatalf("reordered records changed the trace:\n%+v\n%+v", v, first)
		}
	}
}
