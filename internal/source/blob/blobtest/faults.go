package blobtest

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/bench/corpus"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// share picks about one path in every n, the same ones on every run.
func share(path string, n uint32, salt string) bool {
	h := fnv.New32a()
	h.Write([]byte(salt + path))
	return h.Sum32()%n == 0
}

// RunFaults traces the corpus c, stored in the server at target, through
// a fault-injecting proxy. spec returns the Spec that reads the corpus
// through the proxy at the given URL (it may set environment variables
// with t.Setenv); reg must open it.
//
// Transient faults (a share of 500 and 503 answers, bodies cut half-way
// on their first read, slow bodies) must leave the answers exact, without
// a warning and without a record sent twice. Objects that always fail
// must be named in warnings, and every other matching record must still
// be found.
func RunFaults(t *testing.T, c *Corpus, target string, isRead func(*http.Request) bool, reg *source.Registry, spec func(t *testing.T, proxyURL string) source.Spec) {
	transient := Faults{
		ErrorRate: 0.1,
		Cut:       func(p string, n int) bool { return n == 0 && share(p, 4, "cut") },
		Slow:      func(p string, n int) bool { return n == 0 && share(p, 9, "slow") },
	}
	t.Run("transient", func(t *testing.T) {
		p := NewProxy(t, target, isRead)
		sp := spec(t, p.URL)
		for _, tr := range c.Manifest.Traces {
			p.Set(transient)
			got, rep := Trace(t, t.Context(), reg, sp, c.Manifest, tr.ID, true)
			Compare(t, tr.ID, got, ManifestRows(tr.Follow))
			if len(rep.Warnings) > 0 {
				t.Errorf("%s: warnings: %s", tr.ID, Warnings(rep))
			}
		}
		cn := p.Counts()
		if cn.Errors == 0 || cn.Cuts == 0 || cn.Slow == 0 {
			t.Errorf("faults injected: %+v, want some of each", cn)
		}
		t.Logf("proxy: %+v", cn)

		// At the source: every record once, the same as without faults.
		ids := make([]string, 0, len(c.Manifest.Traces))
		for _, tr := range c.Manifest.Traces {
			ids = append(ids, tr.ID)
		}
		scan := func(f Faults) ([]sourcetest.Rec, []string) {
			p.Set(f)
			src, err := reg.Open(sp)
			if err != nil {
				t.Fatal(err)
			}
			if cl, ok := src.(interface{ Close() error }); ok {
				defer cl.Close()
			}
			var col sourcetest.Collector
			if _, err := src.Scan(t.Context(), &source.Query{IDs: ids}, &col); err != nil {
				t.Fatal(err)
			}
			return col.Records(), col.Warnings()
		}
		clean, _ := scan(Faults{})
		faulty, warns := scan(transient)
		if len(warns) > 0 {
			t.Errorf("warnings: %q", warns)
		}
		seen := map[string]bool{}
		for _, r := range faulty {
			k := fmt.Sprintf("%s:%d", r.Path, r.Line)
			if seen[k] {
				t.Errorf("record %s sent twice", k)
			}
			seen[k] = true
		}
		if !slices.Equal(clean, faulty) {
			t.Errorf("with faults the source sent %d records, without %d, or other ones", len(faulty), len(clean))
		}
		if len(clean) == 0 {
			t.Error("no records at all")
		}
	})

	t.Run("permanent", func(t *testing.T) {
		broken := []string{c.Manifest.Traces[0].NoFollow[0].Path, c.Manifest.Traces[1].NoFollow[len(c.Manifest.Traces[1].NoFollow)-1].Path, "checkout/archive/part-0006.log"}
		p := NewProxy(t, target, isRead)
		f := transient
		f.Fail = func(path string) bool {
			for _, b := range broken {
				if strings.HasSuffix(path, "/"+b) {
					return true
				}
			}
			return false
		}
		sp := spec(t, p.URL)
		for _, tr := range c.Manifest.Traces {
			p.Set(f)
			got, rep := Trace(t, t.Context(), reg, sp, c.Manifest, tr.ID, false)
			var want []Row
			for _, e := range tr.NoFollow {
				if !slices.Contains(broken, e.Path) {
					want = append(want, ManifestRows([]corpus.Event{e})...)
				}
			}
			Compare(t, tr.ID, got, want)
			warns := Warnings(rep)
			for _, b := range broken {
				if !strings.Contains(warns, "/"+b+": failed twice") {
					t.Errorf("%s: no warning names %s:\n%s", tr.ID, b, warns)
				}
			}
			if n := strings.Count(warns, "\n"); n != len(broken) {
				t.Errorf("%s: %d warnings, want one per broken object:\n%s", tr.ID, n, warns)
			}
			if st := rep.Stats.Sources[0]; st.SkippedBy[source.SkipUnreadable] != len(broken) {
				t.Errorf("%s: skipped %v, want %d unreadable", tr.ID, st.SkippedBy, len(broken))
			}
		}
	})
}

// ResumeObjects are the objects RunResume expects in the store, under
// "logs/": four logs of 256 KiB, with records of TXN-9000001 and
// TXN-1000007.
func ResumeObjects() map[string][]byte {
	objects := map[string][]byte{}
	for i := range resumeObjects {
		objects[fmt.Sprintf("logs/app-%d.log", i)] = LogObject("app", "TXN-9000001", i, 256<<10)
	}
	return objects
}

// resumeObjects is how many ResumeObjects there are.
const resumeObjects = 4

// ResumeIDs are the ids RunResume's scan must ask for.
var ResumeIDs = []string{"TXN-9000001", "TXN-1000007"}

// RunResume cuts the reads of ResumeObjects, stored in the server at
// target, short through a Proxy. scan reads the store at url (the server
// itself, or the proxy) for ResumeIDs and returns the records and
// warnings.
//
// A read broken off must go on from where it stopped, with no record lost
// or sent twice and no warning, even when every object is cut three times
// over (more than the two whole reads the Bucket tries); resumed, when not
// nil, checks the headers of each read that went on from an offset. And a
// store that answers the rest of an object with the whole of it (Range
// dropped on the way) must not be taken at its word: the Bucket then reads
// the object again, with the same answer.
func RunResume(t *testing.T, target string, isRead func(*http.Request) bool, scan func(t *testing.T, url string) ([]sourcetest.Rec, []string), resumed func(t *testing.T, h http.Header)) {
	const objects = resumeObjects
	clean, _ := scan(t, target)
	if len(clean) < 8 {
		t.Fatalf("only %d records without faults", len(clean))
	}
	check := func(t *testing.T, got []sourcetest.Rec, warns []string) {
		t.Helper()
		if len(warns) > 0 {
			t.Errorf("warnings: %q", warns)
		}
		if !slices.Equal(got, clean) {
			t.Errorf("with cuts the source sent %d records, without %d, or other ones", len(got), len(clean))
		}
	}
	t.Run("cut thrice", func(t *testing.T) {
		p := NewProxy(t, target, isRead)
		p.Set(Faults{Cut: func(_ string, n int) bool { return n < 3 }})
		got, warns := scan(t, p.URL)
		check(t, got, warns)
		if cn := p.Counts(); cn.Cuts != 3*int64(objects) {
			t.Errorf("%d cuts, want 3 an object", cn.Cuts)
		}
		n := 0
		for _, h := range p.ReadHeaders() {
			if h.Get("Range") == "" {
				continue
			}
			n++
			if resumed != nil {
				resumed(t, h)
			}
		}
		if n != 3*objects {
			t.Errorf("%d reads went on from an offset, want 3 an object", n)
		}
	})
	t.Run("range ignored", func(t *testing.T) {
		p := NewProxy(t, target, isRead)
		p.Set(Faults{
			Cut:  func(_ string, n int) bool { return n == 0 },
			Edit: func(r *http.Request) { r.Header.Del("Range") },
		})
		got, warns := scan(t, p.URL)
		check(t, got, warns)
	})
}
