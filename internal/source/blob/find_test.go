package blob

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestFilterIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	naive := func(h []byte, f filter) int {
		for i := 0; i+f.d < len(h); i++ {
			j := i + f.e
			if h[i] == f.b1 && h[i+f.d] == f.b2 && (j < 0 || j >= len(h) || h[j] == f.b3) {
				return i
			}
		}
		return -1
	}
	for trial := range 40000 {
		n := rng.IntN(300)
		h := make([]byte, n)
		for i := range h {
			h[i] = "abcd"[rng.IntN(4)]
		}
		if rng.IntN(2) == 0 && n > 0 {
			// Make hits rare, sometimes only in the unaligned tail.
			for i := range h {
				h[i] = 'z'
			}
			h[rng.IntN(n)] = 'a'
			h[rng.IntN(n)] = 'b'
		}
		f := filter{b1: "abz"[rng.IntN(3)], b2: "abz"[rng.IntN(3)], d: rng.IntN(20)}
		f.b3, f.e = f.b1, 0
		if rng.IntN(2) == 0 {
			f.b3, f.e = "abz"[rng.IntN(3)], rng.IntN(41)-20
		}
		off := rng.IntN(3) // unaligned starts
		if off > len(h) {
			off = 0
		}
		want := naive(h[off:], f)
		for _, rare := range []bool{false, true} {
			f.rareSecond = rare
			if got := f.index(h[off:]); got != want {
				t.Fatalf("trial %d: %+v.index(%q) = %d, want %d", trial, f, h[off:], got, want)
			}
			if got := f.indexScalar(h[off:]); got != want {
				t.Fatalf("trial %d: %+v.indexScalar(%q) = %d, want %d", trial, f, h[off:], got, want)
			}
		}
	}
}

func TestMatcherFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 2000 {
		nids := 1 + rng.IntN(12)
		var ids [][]byte
		for range nids {
			id := make([]byte, 1+rng.IntN(10))
			for i := range id {
				id[i] = "ab-1Xq"[rng.IntN(6)]
			}
			ids = append(ids, id)
		}
		h := make([]byte, rng.IntN(400))
		for i := range h {
			h[i] = "ab-1Xq \n"[rng.IntN(8)]
		}
		minimal, err := checkIDs(ids)
		if err != nil {
			t.Fatal(err)
		}
		var sample []byte
		if trial%2 == 0 {
			sample = h
		}
		m := newMatcher(minimal, sample)
		from := 0
		if len(h) > 0 && rng.IntN(3) == 0 {
			from = rng.IntN(len(h))
		}
		hits := m.find(nil, h, from, len(h))
		if !slices.IsSorted(hits) || len(slices.Compact(slices.Clone(hits))) != len(hits) {
			t.Fatalf("hits not sorted and unique: %v", hits)
		}
		// Every occurrence whose anchor can lie at or after from holds a hit,
		// and every hit lies in an occurrence.
		covered := make([]bool, len(h))
		for _, id := range ids {
			for s := 0; s+len(id) <= len(h); s++ {
				if !bytes.Equal(h[s:s+len(id)], id) {
					continue
				}
				for i := s; i < s+len(id); i++ {
					covered[i] = true
				}
				if s < from {
					continue
				}
				found := false
				for _, q := range hits {
					if q >= s && q < s+len(id) {
						found = true
					}
				}
				if !found {
					t.Fatalf("trial %d: ids %q: occurrence of %q at %d in %q has no hit (hits %v)", trial, ids, id, s, h, hits)
				}
			}
		}
		for _, q := range hits {
			if q < from || !covered[q] {
				t.Fatalf("trial %d: ids %q: hit %d (from %d) is in no occurrence in %q", trial, ids, q, from, h)
			}
		}
	}
}

func TestChooseGroups(t *testing.T) {
	uuids := make([][]byte, 40)
	for i := range uuids {
		uuids[i] = fmt.Appendf(nil, "%08x-%04x-4%03x-9%03x-%012x", i*7919, i, i, i, i*104729)
	}
	txnLog := []byte(strings.Repeat("2025-10-21T10:00:00Z INFO paid TXN-51234 for u-7\n", 2000))
	tests := []struct {
		name      string
		ids       [][]byte
		sample    []byte
		maxGroups int
		// avoid, when set, is an anchor that must not be chosen.
		avoid func(anchor) bool
	}{
		{"one id", [][]byte{[]byte("TXN-48213")}, nil, 1, nil},
		{"ids sharing a prefix", [][]byte{[]byte("req-7f3a91"), []byte("req-0b2c44"), []byte("req-99aa01"), []byte("req-5e5e5e")}, nil, 1, nil},
		{"uuids", uuids, nil, 2, nil},
		{"uuids with a sample", uuids, txnLog, 2, nil},
		{"prefix on every line of the sample", [][]byte{[]byte("TXN-48213")}, txnLog, 1, func(a anchor) bool {
			// Any anchor made only of "TXN-" bytes matches every line.
			return strings.IndexByte("TXN-", a.b1) >= 0 && (a.d == 0 || strings.IndexByte("TXN-", a.b2) >= 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := chooseGroups(tt.ids, tt.sample)
			for _, g := range groups {
				if tt.avoid != nil && tt.avoid(g.anchor) {
					t.Fatalf("chose anchor %q %q at distance %d", g.b1, g.b2, g.d)
				}
			}
			n := 0
			for _, g := range groups {
				for _, os := range g.offsets {
					n += len(os.ids)
				}
			}
			if n != len(tt.ids) || len(groups) > tt.maxGroups {
				t.Fatalf("%d groups holding %d ids, want at most %d groups holding %d", len(groups), n, tt.maxGroups, len(tt.ids))
			}
		})
	}
}
