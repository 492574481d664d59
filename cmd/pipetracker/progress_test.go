package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine and the
// test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressLine(t *testing.T) {
	p := &progress{start: time.Unix(100, 0)}
	for _, tc := range []struct {
		name  string
		files int
		bytes int64
		at    time.Duration
		want  string
	}{
		{"nothing yet", 0, 0, 0, "pipetracker: scanning · 0 files · 0 B · 0 B/s · 0.0s"},
		{"one file", 1, 512, time.Second, "pipetracker: scanning · 1 file · 512 B · 512 B/s · 1.0s"},
		{"a gigabyte", 35, 1 << 30, 2 * time.Second, "pipetracker: scanning · 36 files · 1.0 GiB · 512.0 MiB/s · 2.0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.add(tc.files, tc.bytes-p.bytes.Load())
			if got := p.line(p.start.Add(tc.at)); got != tc.want {
				t.Errorf("line %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProgressClears checks that the line is redrawn in place and that
// stop leaves the cursor on a cleared line.
func TestProgressClears(t *testing.T) {
	var out lockedBuffer
	p := startProgress(&out, time.Millisecond)
	p.add(1, 4096)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "1 file") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	p.stop()
	p.stop() // a second stop is harmless
	s := out.String()
	if !strings.HasPrefix(s, "\r") || !strings.Contains(s, "1 file · 4.0 KiB") {
		t.Fatalf("no progress line drawn: %q", s)
	}
	if !strings.HasSuffix(s, "\r\x1b[K") || strings.Contains(s, "\n") {
		t.Errorf("line not cleared in place at the end: %q", s)
	}
	if len(out.String()) != len(s) {
		t.Error("progress written after stop")
	}
}

// TestProgressNotOnPipe checks that a trace whose stderr is not a terminal
// writes no progress line.
func TestProgressNotOnPipe(t *testing.T) {
	toRoot(t)
	code, _, stderr := result(t, "", nil, "trace", "TXN-48213", "--config", "examples/pipetracker.yaml", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "scanning") || strings.Contains(stderr, "\r") {
		t.Errorf("progress on a pipe: %q", stderr)
	}
}
