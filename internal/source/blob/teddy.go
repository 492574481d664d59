package blob

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

const (
	teddyBytes   = 4  // fingerprint length
	teddyBuckets = 8  // one bit of a byte each
	teddyMaxIDs  = 16 // ids per teddy: two a bucket; more make the nibble sets too loose
	// Teddies are used when a plan has teddyFrom groups or more, for at
	// least teddyMinIDs ids. A teddy pass costs about as much as
	// costTeddyPass pair passes (measured: 13 against 35–70 GB/s).
	teddyFrom     = 5
	teddyMinIDs   = 4
	costTeddyPass = 3.0
	sketchBits    = 16 // 4-grams of the sample are counted in 1<<sketchBits cells
)

// teddy finds candidates for up to teddyMaxIDs ids in one pass. Each id
// has a fingerprint, four consecutive bytes of it, and belongs to one of
// eight buckets. A position is a candidate for a bucket when each of the
// four bytes from it has a low nibble and a high nibble that fingerprints
// of the bucket have at that place; byte shuffles look the nibbles up for
// 32 positions at a time.
type teddy struct {
	// masks[2j] and masks[2j+1] give, by low and high nibble of
	// fingerprint byte j, the buckets that allow it; each 16-byte table is
	// there twice, once per 128-bit lane.
	masks   [2 * teddyBytes][32]byte
	buckets [teddyBuckets][]member
}

// member is an id whose fingerprint starts at id[off].
type member struct {
	id  []byte
	off int
}

// newTeddy builds a teddy for ms (at most teddyMaxIDs ids of at least
// teddyBytes bytes), putting fingerprints that look alike in the same
// bucket so that their nibble sets stay small.
func newTeddy(ms []member) *teddy {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b member) int {
		return bytes.Compare(a.id[a.off:a.off+teddyBytes], b.id[b.off:b.off+teddyBytes])
	})
	t := &teddy{}
	for i, m := range ms {
		b := i * teddyBuckets / len(ms)
		t.buckets[b] = append(t.buckets[b], m)
		for j := range teddyBytes {
			c := m.id[m.off+j]
			lo, hi := c&15, c>>4
			t.masks[2*j][lo] |= 1 << b
			t.masks[2*j][16+lo] |= 1 << b
			t.masks[2*j+1][hi] |= 1 << b
			t.masks[2*j+1][16+hi] |= 1 << b
		}
	}
	return t
}

// bucketsAt returns the buckets that allow h[p:p+4]; p+3 < len(h).
func (t *teddy) bucketsAt(h []byte, p int) byte {
	b := byte(0xff)
	for j := range teddyBytes {
		c := h[p+j]
		b &= t.masks[2*j][c&15] & t.masks[2*j+1][c>>4]
	}
	return b
}

// nextScalar is next one position at a time: the block starts at the
// first candidate.
func (t *teddy) nextScalar(h []byte, from int) (block int, cands uint32) {
	for p := from; p+teddyBytes <= len(h); p++ {
		if t.bucketsAt(h, p) == 0 {
			continue
		}
		c := uint32(1)
		for i := 1; i < 32 && p+i+teddyBytes <= len(h); i++ {
			if t.bucketsAt(h, p+i) != 0 {
				c |= 1 << i
			}
		}
		return p, c
	}
	return -1, 0
}

// find appends the fingerprint positions in [lo, hi) of t's ids that lie
// wholly in h.
func (t *teddy) find(hits []int, h []byte, lo, hi int) []int {
	end := min(hi+teddyBytes-1, len(h))
	for from := lo; from < hi; {
		block, cands := t.next(h[:end], from)
		if block < 0 {
			break
		}
		for ; cands != 0; cands &= cands - 1 {
			q := block + bits.TrailingZeros32(cands)
			if q < hi && t.verify(h, q) {
				hits = append(hits, q)
			}
		}
		from = block + 32
	}
	return hits
}

// verify reports whether an id of t occurs in h with its fingerprint at q.
func (t *teddy) verify(h []byte, q int) bool {
	for b := t.bucketsAt(h, q); b != 0; b &= b - 1 {
		for _, m := range t.buckets[bits.TrailingZeros8(b)] {
			if s := q - m.off; s >= 0 && bytes.HasPrefix(h[s:], m.id) {
				return true
			}
		}
	}
	return false
}

// maxRight returns the largest number of bytes an id of t extends from
// its fingerprint onwards.
func (t *teddy) maxRight() int {
	r := 0
	for _, b := range t.buckets {
		for _, m := range b {
			r = max(r, len(m.id)-m.off)
		}
	}
	return r
}

// sketch counts the 4-grams of a sample, approximately (colliding 4-grams
// share a cell; counts stop at 255).
type sketch [1 << sketchBits]uint8

func newSketch(sample []byte) *sketch {
	var s sketch
	for i := 0; i+teddyBytes <= len(sample); i++ {
		if c := &s[sketchCell(sample[i:])]; *c < 255 {
			*c++
		}
	}
	return &s
}

func sketchCell(b []byte) uint32 {
	return binary.LittleEndian.Uint32(b) * 0x9e3779b1 >> (32 - sketchBits)
}

// fingerprint returns where in id (at least teddyBytes long) its
// fingerprint starts: the four bytes seen least in the sample, the
// statically rarest among equals.
func fingerprint(id []byte, s *sketch) int {
	best, bestCount, bestRate := 0, 256, 0.0
	for o := 0; o+teddyBytes <= len(id); o++ {
		count := 0
		if s != nil {
			count = int(s[sketchCell(id[o:])])
		}
		rate := 1.0
		for _, c := range id[o : o+teddyBytes] {
			rate *= byteFreq(c)
		}
		if count < bestCount || count == bestCount && rate < bestRate {
			best, bestCount, bestRate = o, count, rate
		}
	}
	return best
}

// useTeddies moves the ids of the groups that cost more per id than a
// place in a teddy (measured in sample) into teddies, when there are
// teddyFrom groups or more and at least teddyMinIDs such ids.
func (m *matcher) useTeddies(sample []byte) {
	if !pairSIMD || len(m.groups) < teddyFrom {
		return
	}
	var (
		moved []int
		ms    []member
		s     *sketch
	)
	if len(sample) >= teddyBytes {
		s = newSketch(sample)
	}
	for i := range m.groups {
		g := &m.groups[i]
		n, short := 0, false
		for _, os := range g.offsets {
			n += len(os.ids)
			for _, id := range os.ids {
				short = short || len(id) < teddyBytes
			}
		}
		if short || g.cost(g.rate(sample), n)/float64(n) <= costTeddyPass/teddyMaxIDs {
			continue
		}
		moved = append(moved, i)
		for _, os := range g.offsets {
			for _, id := range os.ids {
				ms = append(ms, member{id: id, off: fingerprint(id, s)})
			}
		}
	}
	if len(ms) < teddyMinIDs {
		return
	}
	var kept []group
	for i, g := range m.groups {
		if !slices.Contains(moved, i) {
			kept = append(kept, g)
		}
	}
	m.groups = kept
	// Spread the ids evenly over as few teddies as hold them, alike
	// fingerprints together.
	slices.SortFunc(ms, func(a, b member) int {
		return bytes.Compare(a.id[a.off:a.off+teddyBytes], b.id[b.off:b.off+teddyBytes])
	})
	n := (len(ms) + teddyMaxIDs - 1) / teddyMaxIDs
	for k := range n {
		m.teddies = append(m.teddies, newTeddy(ms[k*len(ms)/n:(k+1)*len(ms)/n]))
	}
}
