//go:build unix

package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// quote returns s as one shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func compress(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch {
	case strings.HasSuffix(name, ".gz"):
		w = gzip.NewWriter(&b)
	case strings.HasSuffix(name, ".zst"):
		zw, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		return data
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestContract(t *testing.T) {
	sourcetest.Run(t, Driver(), func(t *testing.T, files map[string][]byte) source.Spec {
		if len(files) != 1 {
			t.Fatalf("a command's output is one stream, got %d files", len(files))
		}
		var p string
		for name, data := range files {
			p = filepath.Join(t.TempDir(), "out")
			if err := os.WriteFile(p, compress(t, name, data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return source.Spec{Location: "exec:cat " + quote(p)}
	}, sourcetest.OneStream(stdoutPath), sourcetest.Exact())
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
		err        bool
	}{
		{"words", "kubectl logs -l app=checkout --prefix", []string{"kubectl", "logs", "-l", "app=checkout", "--prefix"}, false},
		{"extra blanks", "  a \t b  ", []string{"a", "b"}, false},
		{"single quotes", `sh -c 'echo "$HOME" | wc -l'`, []string{"sh", "-c", `echo "$HOME" | wc -l`}, false},
		{"double quotes", `echo "a b" "c\"d" "e\\f" "g\h" "$x"`, []string{"echo", "a b", `c"d`, `e\f`, `g\h`, "$x"}, false},
		{"backslash", `echo a\ b \' \\`, []string{"echo", "a b", "'", `\`}, false},
		{"empty quoted argument", `printf '' ""`, []string{"printf", "", ""}, false},
		{"adjacent quotes join", `a'b'"c"d`, []string{"abcd"}, false},
		{"line continuation", "a \\\nb", []string{"a", "b"}, false},
		{"no expansion", "echo * ~ $PATH", []string{"echo", "*", "~", "$PATH"}, false},
		{"unterminated single", "echo 'a", nil, true},
		{"unterminated double", `echo "a`, nil, true},
		{"trailing backslash", `echo a\`, nil, true},
		{"empty", "   ", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitArgs(tt.line)
			if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
				t.Fatalf("splitArgs(%q) = %q, %v; want %q, error %v", tt.line, got, err, tt.want, tt.err)
			}
		})
	}
}

func open(t *testing.T, spec source.Spec) *Source {
	t.Helper()
	d := Driver()
	src, err := d.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*Source)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		command  string
		options  map[string]string
		records  int
		errParts []string
		within   time.Duration
	}{
		{
			name:     "non-zero exit keeps records and stderr",
			command:  `sh -c 'echo "2025-10-21T10:00:00Z INFO a TXN-1"; echo "broken pipe to the cluster" >&2; exit 3'`,
			records:  1,
			errParts: []string{"exec: sh -c 'echo", "exit status 3", "stderr: broken pipe to the cluster"},
		},
		{
			name:     "command not found",
			command:  "no-such-command-pipetracker --flag",
			errParts: []string{"exec: no-such-command-pipetracker --flag", "executable file not found"},
		},
		{
			name:     "timeout kills the process group",
			command:  `sh -c 'echo "2025-10-21T10:00:00Z INFO a TXN-1"; sleep 30 & sleep 30'`,
			options:  map[string]string{"timeout": "300ms"},
			records:  1,
			errParts: []string{"timed out after 300ms"},
			within:   5 * time.Second,
		},
		{
			name:     "long stderr keeps its end",
			command:  `sh -c 'i=0; while [ $i -lt 2000 ]; do echo "noise line $i" >&2; i=$((i+1)); done; exit 1'`,
			errParts: []string{"noise line 1999", "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, source.Spec{Location: "exec:" + tt.command, Options: tt.options})
			var c sourcetest.Collector
			start := time.Now()
			_, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c)
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CommandError", err)
			}
			for _, part := range tt.errParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
			if strings.Contains(err.Error(), "noise line 0\n") || len(ce.Stderr) > stderrKept+10 {
				t.Errorf("stderr kept whole: %d bytes", len(ce.Stderr))
			}
			if n := len(c.Records()); n != tt.records {
				t.Errorf("%d records, want %d", n, tt.records)
			}
			if tt.within > 0 && time.Since(start) > tt.within {
				t.Errorf("took %v", time.Since(start))
			}
			// A later pass reports the same failure.
			if _, err2 := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c); !errors.As(err2, &ce) {
				t.Errorf("second scan: %v", err2)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec source.Spec
	}{
		{"no command", source.Spec{Location: "exec:"}},
		{"bad quoting", source.Spec{Location: "exec:echo 'a"}},
		{"bad timeout", source.Spec{Location: "exec:echo", Options: map[string]string{"timeout": "soon"}}},
		{"negative timeout", source.Spec{Location: "exec:echo", Options: map[string]string{"timeout": "-1s"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Driver().Open(tt.spec); err == nil {
				t.Fatal("opened")
			}
		})
	}
}

func TestRunsOnce(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	s := open(t, source.Spec{Location: fmt.Sprintf(`exec:sh -c 'echo run >> %s; echo "2025-10-21T10:00:00Z INFO TXN-1 req-2"'`, count)})
	for _, id := range []string{"TXN-1", "req-2", "TXN-1"} {
		var c sourcetest.Collector
		st, err := s.Scan(t.Context(), &source.Query{IDs: []string{id}}, &c)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Records()) != 1 || st.Files != 1 || st.Bytes == 0 {
			t.Fatalf("pass for %s: %v, %+v", id, c.Records(), st)
		}
	}
	runs, err := os.ReadFile(count)
	if err != nil || string(runs) != "run\n" {
		t.Fatalf("the command ran %q times (%v)", runs, err)
	}
}

func TestCancelAndClose(t *testing.T) {
	t.Run("cancellation kills the command", func(t *testing.T) {
		// The record waits for the next line (it might continue it), so the
		// scan is waiting on the running command when the context ends.
		pidFile := filepath.Join(t.TempDir(), "pid")
		s := open(t, source.Spec{Location: fmt.Sprintf(`exec:sh -c 'sleep 30 & echo $! > %s; echo "x TXN-1"; sleep 30'`, pidFile)})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(200*time.Millisecond, cancel)
		c := &sourcetest.Collector{}
		start := time.Now()
		_, err := s.Scan(ctx, &source.Query{IDs: []string{"TXN-1"}}, c)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		// The background child of the command's shell is killed too.
		pid, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscan(string(pid), &n)
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if !running(n) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d of the command's group still runs", n)
			}
		}
	})
	t.Run("close stops a scan and removes the spool", func(t *testing.T) {
		s := open(t, source.Spec{Location: `exec:sh -c 'echo "x TXN-1"; sleep 30'`})
		done := make(chan error, 1)
		c := &sourcetest.Collector{}
		time.AfterFunc(200*time.Millisecond, func() { s.Close() })
		start := time.Now()
		go func() {
			_, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, c)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("scan of a closed source succeeded")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("scan still running after Close")
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("took %v", time.Since(start))
		}
		if _, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, c); err == nil {
			t.Fatal("scan after Close succeeded")
		}
	})
}

func TestKubectlPrefix(t *testing.T) {
	out := strings.Join([]string{
		"[pod/checkout-7d9f8c6b5-x2k4p/app] 2025-10-21T10:00:00Z ERROR charge failed TXN-1",
		"[pod/checkout-7d9f8c6b5-x2k4p/app] java.lang.IllegalStateException: declined",
		"[pod/checkout-7d9f8c6b5-x2k4p/app] \tat com.shop.Pay.run(Pay.java:42)",
		"[pod/payments-0/main] 2025-10-21T10:00:01Z INFO refund TXN-1",
		"[pod/payments-0/main] 2025-10-21T10:00:02Z INFO other",
		"2025-10-21T10:00:03Z INFO unprefixed TXN-1",
		"[pod/bad] 2025-10-21T10:00:04Z INFO not a prefix TXN-1",
	}, "\n") + "\n"
	p := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		service string
		want    []sourcetest.Rec
	}{
		{"services from pods", "", []sourcetest.Rec{
			{Path: "checkout-7d9f8c6b5-x2k4p/app", Line: 1, Service: "checkout",
				Data: "2025-10-21T10:00:00Z ERROR charge failed TXN-1\njava.lang.IllegalStateException: declined\n\tat com.shop.Pay.run(Pay.java:42)"},
			{Path: "payments-0/main", Line: 4, Service: "payments", Data: "2025-10-21T10:00:01Z INFO refund TXN-1"},
			{Path: "stdout", Line: 6, Service: "cat", Data: "2025-10-21T10:00:03Z INFO unprefixed TXN-1"},
			{Path: "stdout", Line: 7, Service: "cat", Data: "[pod/bad] 2025-10-21T10:00:04Z INFO not a prefix TXN-1"},
		}},
		{"service setting wins", "shop", []sourcetest.Rec{
			{Path: "checkout-7d9f8c6b5-x2k4p/app", Line: 1, Service: "shop",
				Data: "2025-10-21T10:00:00Z ERROR charge failed TXN-1\njava.lang.IllegalStateException: declined\n\tat com.shop.Pay.run(Pay.java:42)"},
			{Path: "payments-0/main", Line: 4, Service: "shop", Data: "2025-10-21T10:00:01Z INFO refund TXN-1"},
			{Path: "stdout", Line: 6, Service: "shop", Data: "2025-10-21T10:00:03Z INFO unprefixed TXN-1"},
			{Path: "stdout", Line: 7, Service: "shop", Data: "[pod/bad] 2025-10-21T10:00:04Z INFO not a prefix TXN-1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, source.Spec{Location: "exec:cat " + quote(p), Service: tt.service})
			var c sourcetest.Collector
			if _, err := s.Scan(t.Context(), &source.Query{IDs: []string{"TXN-1"}}, &c); err != nil {
				t.Fatal(err)
			}
			got := c.Records()
			slices.SortFunc(got, func(a, b sourcetest.Rec) int { return int(a.Line - b.Line) })
			if !slices.Equal(got, tt.want) {
				t.Fatalf("records\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// running reports whether process pid exists and is not a zombie waiting
// for its new parent to reap it.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
