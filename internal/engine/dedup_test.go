package engine

import (
	"hash/maphash"
	"testing"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// TestSeenBefore checks that a record is kept once per origin, also when
// two origins share a hash.
func TestSeenBefore(t *testing.T) {
	r := &run{seen: make(map[uint64]int), seed: maphash.MakeSeed()}
	keep := func(src int, path string, line int64) bool {
		if r.seenBefore(src, path, line) {
			return false
		}
		r.cands.add(trace.Event{Origin: trace.Origin{Path: path, Line: line}}, candidate{src: src})
		return true
	}
	// Make (0, "b", 2) collide with (0, "a", 1).
	r.seen[r.originHash(0, "b", 2)] = 0
	for _, tc := range []struct {
		name string
		src  int
		path string
		line int64
		kept bool
	}{
		{"first record", 0, "a", 1, true},
		{"same origin again", 0, "a", 1, false},
		{"another line", 0, "a", 2, true},
		{"another source", 1, "a", 1, true},
		{"colliding origin, first time", 0, "b", 2, true},
		{"colliding origin again", 0, "b", 2, false},
		{"first record once more", 0, "a", 1, false},
	} {
		if got := keep(tc.src, tc.path, tc.line); got != tc.kept {
			t.Errorf("%s: kept %v, want %v", tc.name, got, tc.kept)
		}
	}
	if r.cands.n != 4 {
		t.Errorf("%d candidates kept, want 4", r.cands.n)
	}
}
