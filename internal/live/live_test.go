package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// harness follows dir and collects what Run emits and warns.
type harness struct {
	t      *testing.T
	dir    string
	events chan trace.Event
	warns  chan string
	cancel context.CancelFunc
	done   chan error
}

// start writes files into a new directory and follows it.
func start(t *testing.T, files map[string]string, opt Options) *harness {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		write(t, filepath.Join(dir, name), text, false)
	}
	if opt.Sources == nil {
		opt.Sources = []source.Spec{{Location: dir}}
	}
	return startIn(t, dir, opt)
}

// startIn runs Run with opt until the test ends, once it has started;
// files the test writes go to dir.
func startIn(t *testing.T, dir string, opt Options) *harness {
	t.Helper()
	if opt.Keys == nil {
		opt.Keys = []string{"transaction_id", "request_id"}
	}
	if opt.IDs == nil {
		opt.IDs = []string{"TXN-1"}
	}
	opt.Interval = 10 * time.Millisecond
	h := &harness{t: t, dir: dir, events: make(chan trace.Event, 100), warns: make(chan string, 100), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	started := make(chan struct{})
	opt.Started = func() { close(started) }
	opt.Warn = func(msg string) { h.warns <- msg }
	go func() {
		h.done <- Run(ctx, opt, func(ev trace.Event) error { h.events <- ev; return nil })
	}()
	// The test writes once the first listing is done.
	select {
	case <-started:
	case err := <-h.done:
		t.Fatalf("Run ended before it started: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func write(t *testing.T, path, text string, appendTo bool) {
	t.Helper()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// want waits for events whose messages are msgs, in order, then checks
// that nothing else comes.
func (h *harness) want(msgs ...string) []trace.Event {
	h.t.Helper()
	var got []trace.Event
	for _, m := range msgs {
		select {
		case ev := <-h.events:
			if !strings.HasPrefix(ev.Message, m+" ") {
				h.t.Fatalf("event %q, want %q", ev.Message, m)
			}
			got = append(got, ev)
		case <-time.After(5 * time.Second):
			h.t.Fatalf("no event %q", m)
		}
	}
	select {
	case ev := <-h.events:
		h.t.Fatalf("unexpected event %q", ev.Message)
	case <-time.After(80 * time.Millisecond):
	}
	return got
}

func line(ts int, msg, kv string) string {
	return fmt.Sprintf("2025-10-21T09:00:%02dZ INFO %s %s\n", ts, msg, kv)
}

func TestFollow(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"appended records, old ones not repeated", func(t *testing.T, h *harness) {
			p := filepath.Join(h.dir, "api", "app.log")
			write(t, p, line(2, "new", "transaction_id=TXN-1")+line(3, "other", "transaction_id=TXN-2"), true)
			evs := h.want("new")
			if evs[0].Service != "api" || evs[0].Matched.Value != "TXN-1" || evs[0].Origin.Path != "api/app.log" {
				t.Errorf("event %+v", evs[0])
			}
		}},
		{"a line is emitted once it is complete", func(t *testing.T, h *harness) {
			p := filepath.Join(h.dir, "api", "app.log")
			write(t, p, "2025-10-21T09:00:05Z INFO half transaction_id=TX", true)
			h.want()
			write(t, p, "N-1\n", true)
			h.want("half")
		}},
		{"rotation by rename", func(t *testing.T, h *harness) {
			p := filepath.Join(h.dir, "api", "app.log")
			// Written just before the rename: still read from the old file.
			write(t, p, line(4, "before", "transaction_id=TXN-1"), true)
			if err := os.Rename(p, p+".1"); err != nil {
				t.Fatal(err)
			}
			write(t, p, line(5, "after", "transaction_id=TXN-1"), false)
			h.want("before", "after")
			// A writer that still holds the old file: followed under its
			// new name, from where it was read.
			time.Sleep(50 * time.Millisecond)
			write(t, p+".1", line(6, "late", "transaction_id=TXN-1"), true)
			h.want("late")
		}},
		{"truncation", func(t *testing.T, h *harness) {
			p := filepath.Join(h.dir, "api", "app.log")
			write(t, p, line(6, "shorter", "transaction_id=TXN-1"), false)
			evs := h.want("shorter")
			if evs[0].Origin.Line != 1 {
				t.Errorf("line %d, want 1", evs[0].Origin.Line)
			}
		}},
		{"a new file is read from its start", func(t *testing.T, h *harness) {
			write(t, filepath.Join(h.dir, "worker", "w.log"), line(1, "first", "x=1")+line(2, "hit", "transaction_id=TXN-1"), false)
			evs := h.want("hit")
			if evs[0].Origin.Line != 2 || evs[0].Service != "worker" {
				t.Errorf("event %+v", evs[0].Origin)
			}
		}},
		{"compressed files are not followed", func(t *testing.T, h *harness) {
			write(t, filepath.Join(h.dir, "api", "old.log.gz"), line(1, "gz", "transaction_id=TXN-1"), false)
			h.want()
		}},
		{"linked ids are followed", func(t *testing.T, h *harness) {
			p := filepath.Join(h.dir, "api", "app.log")
			write(t, p, line(7, "link", "transaction_id=TXN-1 request_id=REQ-9"), true)
			write(t, p, line(8, "via link", "request_id=REQ-9"), true)
			evs := h.want("link", "via link")
			if evs[1].Matched.Value != "REQ-9" {
				t.Errorf("matched %+v", evs[1].Matched)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, map[string]string{
				"api/app.log": line(1, "old", "transaction_id=TXN-1") + line(1, "old2", "transaction_id=TXN-1"),
			}, Options{Follow: true})
			tt.run(t, h)
		})
	}
}

func TestFollowTimeWindow(t *testing.T) {
	h := start(t, map[string]string{"a.log": ""}, Options{Until: time.Date(2025, 10, 21, 9, 0, 10, 0, time.UTC)})
	p := filepath.Join(h.dir, "a.log")
	write(t, p, line(20, "late", "transaction_id=TXN-1")+line(9, "in time", "transaction_id=TXN-1"), true)
	h.want("in time")
}

func TestNoLinksWithoutFollow(t *testing.T) {
	h := start(t, map[string]string{"a.log": ""}, Options{})
	p := filepath.Join(h.dir, "a.log")
	write(t, p, line(7, "link", "transaction_id=TXN-1 request_id=REQ-9")+line(8, "via link", "request_id=REQ-9"), true)
	h.want("link")
}

func TestNotFollowable(t *testing.T) {
	err := Run(context.Background(), Options{Sources: []source.Spec{{Location: "s3://b/p"}, {Location: "-"}, {Location: "exec:journalctl"}}}, nil)
	if !errors.Is(err, ErrNotFollowable) {
		t.Fatalf("Run = %v", err)
	}
	local, others := Followable([]source.Spec{{Location: "./logs"}, {Location: "s3://user:pw@b/p"}})
	if len(local) != 1 || len(others) != 1 || strings.Contains(others[0], "pw") {
		t.Errorf("Followable = %v %v", local, others)
	}
}
