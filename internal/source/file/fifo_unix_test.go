//go:build unix

package file

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

func TestNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "live.log")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		w.Write(compress(t, "x.gz", []byte("2025-10-21T10:00:00Z INFO a TXN-1 req-9\n\tat x\n2025-10-21T10:00:01Z INFO b req-9\n")))
	}()
	src, err := Driver().Open(source.Spec{Location: p})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"live.log:1:live"}, {"live.log:1:live", "live.log:3:live"}}
	for pass, id := range []string{"TXN-1", "req-9"} {
		var c sourcetest.Collector
		st, err := src.Scan(t.Context(), &source.Query{IDs: []string{id}}, &c)
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(c.Records()); !slices.Equal(got, want[pass]) || st.Files != 1 {
			t.Fatalf("pass %d: records %q, stats %+v; want %q", pass, got, st, want[pass])
		}
	}
	closer, ok := src.(io.Closer)
	if !ok {
		t.Fatal("the source of a pipe holds a spool but is no io.Closer")
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
}
