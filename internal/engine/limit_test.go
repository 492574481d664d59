package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/file"
)

// TestTraceMaxEvents traces an id held by 2,000 records in each of ten
// files, each file with five more records reached only through links,
// through the file source: under max_events the trace keeps exactly
// that many, stops the scan (the files not begun are not read, no pass
// follows the links), warns, and counts the source as truncated but not
// failed; without a bound it keeps them all.
func TestTraceMaxEvents(t *testing.T) {
	dir := t.TempDir()
	const files, perFile, links = 10, 2000, 5
	for f := range files {
		var b strings.Builder
		for i := range perFile {
			fmt.Fprintf(&b, "2025-10-21T09:%02d:%02d.%03dZ INFO step %d transaction_id=T-HOT request_id=R-%d-%d\n", i/60%60, i%60, f, i, f, i%links)
			fmt.Fprintf(&b, "2025-10-21T09:%02d:%02d.%03dZ INFO other transaction_id=T-%d-%d\n", i/60%60, i%60, f, f, i)
		}
		for k := range links { // reached only through the links
			fmt.Fprintf(&b, "2025-10-21T10:00:00.%03dZ INFO paid request_id=R-%d-%d\n", k, f, k)
		}
		p := filepath.Join(dir, fmt.Sprintf("svc%d", f), "app.log")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reg := source.NewRegistry(file.Driver())
	trace := func(t *testing.T, maxEvents int) (events, passes, filesRead int, truncated, failed bool, warns []string) {
		t.Helper()
		rep, err := New(reg).Trace(context.Background(), "T-HOT", Options{
			Sources:      []source.Spec{{Location: dir}},
			Keys:         []string{"transaction_id", "request_id"},
			Follow:       true,
			MaxLinkDepth: 3,
			MaxLinkedIDs: 100,
			MaxEvents:    maxEvents,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range rep.Warnings {
			warns = append(warns, w.Message)
		}
		s := rep.Stats.Sources[0]
		return len(rep.Trace.Events), rep.Stats.Passes, s.Files, s.Truncated, s.Failed, warns
	}

	events, passes, read, truncated, failed, warns := trace(t, 1500)
	if events != 1500 {
		t.Errorf("max_events 1500: %d events", events)
	}
	if passes != 1 {
		t.Errorf("max_events 1500: %d passes, want 1 (no pass after the bound)", passes)
	}
	if read >= files {
		t.Errorf("max_events 1500: %d files read of %d, want the scan stopped", read, files)
	}
	if !truncated || failed {
		t.Errorf("max_events 1500: truncated %v, failed %v; want truncated, not failed", truncated, failed)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "max_events 1500 reached") {
		t.Errorf("max_events 1500: warnings %q, want one that names the bound", warns)
	}

	events, passes, read, truncated, failed, warns = trace(t, 0)
	if want := files * (perFile + links); events != want || read != files || truncated || failed || len(warns) > 0 {
		t.Errorf("no bound: %d events, %d files, truncated %v, failed %v, warnings %q; want %d events from %d files",
			events, read, truncated, failed, warns, want, files)
	}
	if passes < 2 {
		t.Errorf("no bound: %d passes, want the links followed", passes)
	}

	// A source whose scan ended by itself, with no error, is not
	// truncated, even when it ends after the bound was reached: this one
	// has nothing to send and returns when the pass is stopped.
	reg2 := source.NewRegistry(file.Driver(), source.Driver{Scheme: "idle", Open: func(source.Spec) (source.Source, error) {
		return idleSource{}, nil
	}})
	rep, err := New(reg2).Trace(context.Background(), "T-HOT", Options{
		Sources:     []source.Spec{{Location: "idle://x"}, {Location: dir}},
		Keys:        []string{"transaction_id"},
		MaxEvents:   1500,
		Concurrency: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := rep.Stats.Sources; len(rep.Trace.Events) != 1500 || st[0].Truncated || !st[1].Truncated || st[0].Failed || st[1].Failed {
		t.Errorf("two sources: %d events, sources %+v; want 1500, the idle one whole, the files truncated", len(rep.Trace.Events), st)
	}
}

// idleSource finds nothing, and ends its scan without error once the
// pass is stopped.
type idleSource struct{}

func (idleSource) Scan(ctx context.Context, _ *source.Query, _ source.Output) (source.Stats, error) {
	<-ctx.Done()
	return source.Stats{Files: 1}, nil
}
