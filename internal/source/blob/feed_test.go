package blob

import (
	"slices"
	"testing"
	"time"
)

func TestCoverage(t *testing.T) {
	mod := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		size int64
		mod  time.Time
		want []string
	}{
		{"unchanged file", 100, mod, []string{"c"}},
		{"grown file", 120, mod, []string{"a", "b", "c"}},
		{"rewritten file", 100, mod.Add(time.Second), []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Coverage
			if got := c.Missing("f", 100, mod, []string{"a", "b"}); !slices.Equal(got, []string{"a", "b"}) {
				t.Fatalf("empty coverage: missing %v", got)
			}
			c.Add("f", 100, mod, []string{"a"})
			c.Add("f", 100, mod, []string{"b"})
			if got := c.Missing("f", tt.size, tt.mod, []string{"a", "b", "c"}); !slices.Equal(got, tt.want) {
				t.Errorf("missing %v, want %v", got, tt.want)
			}
			if got := c.Missing("g", 100, mod, []string{"a"}); !slices.Equal(got, []string{"a"}) {
				t.Errorf("another file: missing %v", got)
			}
		})
	}
	// A changed file starts its coverage afresh.
	var c Coverage
	c.Add("f", 100, mod, []string{"a"})
	c.Add("f", 200, mod, []string{"b"})
	if got := c.Missing("f", 200, mod, []string{"a", "b"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after a change: missing %v, want [a]", got)
	}
}

func TestQueue(t *testing.T) {
	base := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	type file struct {
		name string
		mod  time.Time
	}
	files := []file{
		{"a.log", base},                          // newest
		{"a.log.1", base.Add(-90 * time.Minute)}, // holds 09:00–10:30
		{"a.log.2", base.Add(-3 * time.Hour)},
		{"b.log", base.Add(-time.Minute)},
		{"b.log.1", base.Add(-2 * time.Hour)}, // rotated at 10:00
		{"c.log", time.Time{}},                // time unknown
	}
	names := func(q *Queue[file], focus time.Time, n int) []string {
		var out []string
		for range n {
			f, ok := q.Next(focus)
			if !ok {
				break
			}
			out = append(out, f.name)
		}
		return out
	}
	mod := func(f file) time.Time { return f.mod }

	q := NewQueue(slices.Clone(files), mod)
	if got := names(q, time.Time{}, 10); !slices.Equal(got, []string{"a.log", "a.log.1", "a.log.2", "b.log", "b.log.1", "c.log"}) {
		t.Errorf("without a focus: %v, want the order given", got)
	}
	if _, ok := q.Next(time.Time{}); ok {
		t.Error("Next after the last item")
	}

	for _, tc := range []struct {
		name  string
		focus time.Time
		want  []string
	}{
		// The files written at or after 09:45 come first, closest first,
		// then those written before it, latest first, then those of
		// unknown time.
		{"focus inside files", base.Add(-135 * time.Minute), []string{"b.log.1", "a.log.1", "b.log", "a.log.2", "c.log"}},
		// b.log.1 was rotated two minutes before the focus: it may hold
		// the start of the request, so it is read among the first.
		{"focus just after a rotation", base.Add(-118 * time.Minute), []string{"b.log.1", "a.log.1", "b.log", "a.log.2", "c.log"}},
		{"focus long after a rotation", base.Add(-100 * time.Minute), []string{"a.log.1", "b.log", "b.log.1", "a.log.2", "c.log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One handed out in order, then the focus is known.
			q := NewQueue(slices.Clone(files), mod)
			first := names(q, time.Time{}, 1)
			rest := names(q, tc.focus, 10)
			if !slices.Equal(first, []string{"a.log"}) || !slices.Equal(rest, tc.want) {
				t.Errorf("order %v then %v, want [a.log] then %v", first, rest, tc.want)
			}
		})
	}
}

func TestScannersShare(t *testing.T) {
	s := NewScanners(testStarts, Options{BufferSize: 256})
	a, err := s.For([]string{"x1", "y22"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.For([]string{"y22", "x1", "x1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.For([]string{"x1"})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the same ids in another order built another Scanner")
	}
	if a == c {
		t.Error("other ids share a Scanner")
	}
	if _, err := s.For([]string{"bad\nid"}); err == nil {
		t.Error("an id with a newline was accepted")
	}
	if _, err := s.For([]string{"1:ab"}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.For([]string{"ab"}); d == a || d == c {
		t.Error("distinct id sets share a Scanner")
	}
}
