package blob

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTeddyIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const alpha = "0123abcd-\n"
	for trial := range 3000 {
		var ms []member
		for range 1 + rng.IntN(teddyMaxIDs) {
			id := make([]byte, teddyBytes+rng.IntN(6))
			for i := range id {
				id[i] = alpha[rng.IntN(len(alpha)-1)]
			}
			ms = append(ms, member{id: id, off: rng.IntN(len(id) - teddyBytes + 1)})
		}
		td := newTeddy(ms)
		h := make([]byte, rng.IntN(400))
		for i := range h {
			h[i] = alpha[rng.IntN(len(alpha))]
		}
		start := 0
		if len(h) > 0 {
			start = rng.IntN(3) % (len(h) + 1)
		}
		hh := h[start:]
		// The naive answer: the first position holding, for some bucket,
		// bytes that each match a fingerprint of the bucket nibble-wise.
		want := -1
		for p := 0; p+teddyBytes <= len(hh) && want < 0; p++ {
			for b := range teddyBuckets {
				ok := true
				for j := range teddyBytes {
					lo, hi := false, false
					for _, m := range td.buckets[b] {
						c := m.id[m.off+j]
						lo = lo || c&15 == hh[p+j]&15
						hi = hi || c>>4 == hh[p+j]>>4
					}
					ok = ok && lo && hi
				}
				if ok && len(td.buckets[b]) > 0 {
					want = p
					break
				}
			}
		}
		// next's first candidate is the naive answer, in both versions.
		for name, next := range map[string]func([]byte, int) (int, uint32){"next": td.next, "nextScalar": td.nextScalar} {
			block, cands := next(hh, 0)
			got := -1
			if block >= 0 {
				if cands == 0 {
					t.Fatalf("trial %d: %s returned block %d without candidates", trial, name, block)
				}
				got = block + bits.TrailingZeros32(cands)
			}
			if got != want {
				t.Fatalf("trial %d: %s finds %d, want %d", trial, name, got, want)
			}
		}
		// Every occurrence of a member is found by find.
		hits := td.find(nil, hh, 0, len(hh))
		for _, m := range ms {
			for s := 0; s+len(m.id) <= len(hh); s++ {
				if bytes.Equal(hh[s:s+len(m.id)], m.id) {
					found := false
					for _, q := range hits {
						found = found || q >= s && q < s+len(m.id)
					}
					if !found {
						t.Fatalf("trial %d: %q at %d not found (hits %v)", trial, m.id, s, hits)
					}
				}
			}
		}
	}
}

func TestTeddyPlan(t *testing.T) {
	data, ids := benchCorpus(1<<20, 40, 0)
	var hexIDs [][]byte
	for _, id := range ids {
		if !strings.HasPrefix(id, "TXN-") {
			hexIDs = append(hexIDs, []byte(id))
		}
	}
	minimal, _ := checkIDs(hexIDs)
	m := newMatcher(minimal, data)
	if pairSIMD && len(m.teddies) == 0 {
		t.Fatalf("%d random hex ids searched with %d groups and no teddy", len(hexIDs), len(m.groups))
	}
	held := 0
	for _, td := range m.teddies {
		for _, b := range td.buckets {
			held += len(b)
		}
	}
	for _, g := range m.groups {
		for _, os := range g.offsets {
			held += len(os.ids)
		}
	}
	if held != len(minimal) {
		t.Fatalf("the plan holds %d ids, want %d", held, len(minimal))
	}
}
