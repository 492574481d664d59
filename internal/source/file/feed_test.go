package file

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// feedOutput is a blob.Feed: a collector with ids to add and a coverage.
type feedOutput struct {
	sourcetest.Collector
	more []string
	cov  *blob.Coverage
}

func (f *feedOutput) MoreIDs() []string        { return f.more }
func (f *feedOutput) Coverage() *blob.Coverage { return f.cov }
func (f *feedOutput) Focus() time.Time         { return time.Time{} }

// TestScanWithFeed checks that the ids a feed adds are searched too, and
// that later scans of the same trace read only what they have not searched.
func TestScanWithFeed(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"a/1.log":    []byte("2025-10-21T10:00:00Z INFO start TXN-1 r=R-9\n"),
		"b/2.log":    []byte("2025-10-21T10:00:01Z INFO R-9 here\n"),
		"c/3.log.gz": []byte("2025-10-21T10:00:02Z INFO R-9 again\n2025-10-21T10:00:03Z INFO TXN-1 too\n"),
	})
	src, err := Driver().Open(source.Spec{Location: dir})
	if err != nil {
		t.Fatal(err)
	}
	cov := &blob.Coverage{}
	scan := func(ids []string, more []string) ([]string, source.Stats) {
		t.Helper()
		out := &feedOutput{more: more, cov: cov}
		st, err := src.Scan(t.Context(), &source.Query{IDs: ids}, out)
		if err != nil {
			t.Fatal(err)
		}
		got := paths(out.Records())
		slices.Sort(got)
		return got, st
	}

	got, st := scan([]string{"TXN-1"}, []string{"R-9"})
	if want := []string{"a/1.log:1:a", "b/2.log:1:b", "c/3.log.gz:1:c", "c/3.log.gz:2:c"}; !slices.Equal(got, want) {
		t.Errorf("first scan: %v, want %v", got, want)
	}
	if st.Files != 3 {
		t.Errorf("first scan read %d files, want 3", st.Files)
	}

	got, st = scan([]string{"R-9"}, nil)
	if len(got) != 0 || st.Files != 0 || st.Bytes != 0 {
		t.Errorf("second scan, all searched already: records %v, %d files, %d bytes", got, st.Files, st.Bytes)
	}

	got, st = scan([]string{"R-9", "TXN-2"}, nil)
	if len(got) != 0 || st.Files != 3 {
		t.Errorf("a new id: records %v, %d files read, want none and 3", got, st.Files)
	}

	// A file that changed is searched again for everything asked.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "b", "2.log"), later, later); err != nil {
		t.Fatal(err)
	}
	got, st = scan([]string{"R-9"}, nil)
	if want := []string{"b/2.log:1:b"}; !slices.Equal(got, want) || st.Files != 1 {
		t.Errorf("after a change: %v from %d files, want %v from 1", got, st.Files, want)
	}

	// Without a feed, every scan searches everything, as the contract says.
	var c sourcetest.Collector
	if _, err := src.Scan(t.Context(), &source.Query{IDs: []string{"R-9"}}, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Records()) != 3 {
		t.Errorf("scan without a feed: %d records, want 3", len(c.Records()))
	}
}
