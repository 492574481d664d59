package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Cost model for choosing anchors, in units of "one vectorised pass over
// 1 KiB held in cache" (about 15 ns). A candidate costs a return from the
// search, a check and a restart; every member id costs one more check.
const (
	costPairPass  = 1.0 // two compares per position
	costBytePass  = 0.8 // bytes.IndexByte
	costCandidate = 1.0
	costMember    = 0.3
	maxAnchorSpan = 32 // anchor bytes are taken from the first 32 bytes of an id
	maxAnchorDist = 16 // and lie at most 16 bytes apart
	memberIndexAt = 5  // members sharing an offset are indexed from this many on

	// Planning from a sample: how many anchors are measured per id (at
	// least minShortlist, about shortlistBudget over all ids), how many
	// anchors shared by several ids, the largest sample, and the weight in
	// bytes of the static estimate against the measured count.
	minShortlist    = 4
	shortlistBudget = 96
	sharedShortlist = 32
	maxSample       = 128 << 10
	priorBytes      = 16 << 10
	maxThirdCands   = 4096 // candidates examined to choose a third byte
)

// anchor is what ids are grouped by: b1 at a position of the id and b2 d
// bytes after it; d == 0 means b1 alone. A group searches for its anchor
// with a filter that may check a third byte.
type anchor struct {
	b1, b2 byte
	d      int
}

// staticRate estimates the probability that a is found at a position of
// log text, from byteFreq.
func (a anchor) staticRate() float64 {
	p := byteFreq(a.b1) / 1e4
	if a.d > 0 {
		p *= byteFreq(a.b2) / 1e4
	}
	return p
}

// passCost is the cost of one search for a over 1 KiB, candidates aside.
func (a anchor) passCost(rate float64) float64 {
	if a.d == 0 {
		return costBytePass
	}
	if pairSIMD {
		return costPairPass
	}
	// The scalar search stops at every occurrence of the rarer byte.
	single := min(byteFreq(a.b1), byteFreq(a.b2)) / 1e4
	return costBytePass + 1024*max(single, rate)*costCandidate
}

// cost estimates the cost per KiB of searching a for m ids, when a occurs
// at a position with probability rate.
func (a anchor) cost(rate float64, m int) float64 {
	return a.passCost(rate) + 1024*rate*(costCandidate+costMember*float64(m))
}

// filter returns the filter that searches for a alone.
func (a anchor) filter() filter {
	b2 := a.b2
	if a.d == 0 {
		b2 = a.b1
	}
	return filter{b1: a.b1, b2: b2, b3: a.b1, d: a.d, rareSecond: a.d > 0 && byteFreq(a.b2) < byteFreq(a.b1)}
}

// group is a set of ids found through one anchor, searched with a filter
// that may check a third byte that all of them hold.
type group struct {
	anchor
	f filter
	// offsets lists each distinct offset of b1 inside the members' ids.
	offsets []offsetSet
}

// offsetSet holds the ids of a group whose anchor starts at off.
type offsetSet struct {
	off int
	ids [][]byte
	// byPrefix indexes ids of at least 4 bytes by their first 4 bytes when
	// the set is large; short holds the others then.
	byPrefix map[uint32][][]byte
	short    [][]byte
}

// matcher finds the occurrences of any of a set of ids.
type matcher struct {
	groups  []group
	teddies []*teddy
	// maxRight is the largest number of bytes an id extends from its
	// anchor position onwards (len(id)-off); a candidate at q can be
	// verified once q+maxRight bytes are present.
	maxRight int
}

// checkIDs validates ids (non-empty, no newline) and returns them without
// duplicates and without ids that contain another of them, since the
// shorter id finds every record the longer one would; sorted by length,
// then bytes.
func checkIDs(ids [][]byte) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, errors.New("no ids to search for")
	}
	for _, id := range ids {
		if len(id) == 0 {
			return nil, errors.New("empty id")
		}
		if bytes.IndexByte(id, '\n') >= 0 {
			return nil, fmt.Errorf("id %q holds a newline", id)
		}
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, func(a, b []byte) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return bytes.Compare(a, b)
	})
	out := sorted[:0:0]
next:
	for _, id := range sorted {
		for _, kept := range out {
			if bytes.Contains(id, kept) {
				continue next
			}
		}
		out = append(out, id)
	}
	return out, nil
}

// newMatcher prepares the search for ids, which checkIDs has returned.
// sample is data like the data to be searched; the anchors that occur
// least in it are preferred. Without a sample, byteFreq decides.
func newMatcher(ids [][]byte, sample []byte) *matcher {
	sample = sample[:min(len(sample), maxSample)]
	m := &matcher{groups: chooseGroups(ids, sample)}
	m.useTeddies(sample)
	for _, g := range m.groups {
		for _, os := range g.offsets {
			for _, id := range os.ids {
				m.maxRight = max(m.maxRight, len(id)-os.off)
			}
		}
	}
	for _, t := range m.teddies {
		m.maxRight = max(m.maxRight, t.maxRight())
	}
	return m
}

// keyUse records that an id holds an anchor, first at offset off.
type keyUse struct {
	id  int
	off int
}

// candidate is an anchor that may be chosen, with the ids that hold it and
// its estimated rate of occurrence.
type candidate struct {
	anchor
	uses []keyUse
	rate float64
}

// chooseGroups assigns every id to a group so that the expected cost of
// the searches and checks is small: greedily, the anchor with the lowest
// cost per id it still covers is taken next.
func chooseGroups(ids [][]byte, sample []byte) []group {
	cands := candidates(ids, sample)
	covered := make([]bool, len(ids))
	left := len(ids)
	var groups []group
	for left > 0 {
		best, bestScore := -1, 0.0
		for i, c := range cands {
			m := 0
			for _, u := range c.uses {
				if !covered[u.id] {
					m++
				}
			}
			if m == 0 {
				continue
			}
			if score := c.cost(c.rate, m) / float64(m); best < 0 || score < bestScore {
				best, bestScore = i, score
			}
		}
		c := cands[best]
		g := group{anchor: c.anchor, f: c.anchor.filter()}
		byOff := make(map[int][][]byte)
		var offs []int
		for _, u := range c.uses {
			if covered[u.id] {
				continue
			}
			covered[u.id] = true
			left--
			if _, ok := byOff[u.off]; !ok {
				offs = append(offs, u.off)
			}
			byOff[u.off] = append(byOff[u.off], ids[u.id])
		}
		slices.Sort(offs)
		for _, off := range offs {
			g.offsets = append(g.offsets, newOffsetSet(off, byOff[off]))
		}
		g.addThird(sample)
		groups = append(groups, g)
	}
	return groups
}

// candidates lists the anchors chooseGroups picks from, in a fixed order.
// Without a sample these are all anchors of all ids with their static
// rates. With one, a shortlist (each id's statically rarest anchors and
// the best anchors shared by several ids) is measured in the sample: the
// static estimate cannot see that "TXN-" opens every line of a log.
func candidates(ids [][]byte, sample []byte) []candidate {
	uses := make(map[anchor][]keyUse)
	perID := make([][]anchor, len(ids))
	for i, id := range ids {
		seen := make(map[anchor]bool)
		add := func(a anchor, off int) {
			if !seen[a] {
				seen[a] = true
				uses[a] = append(uses[a], keyUse{id: i, off: off})
				perID[i] = append(perID[i], a)
			}
		}
		span := min(len(id), maxAnchorSpan)
		// With the vectorised pair search, a single byte is an anchor
		// only of a one-byte id: a byte that is rare in the sample can be
		// common in other files (the H of "HTTP" in an access log), a
		// pair of bytes at a distance much less often, and the pair
		// costs little more to search.
		single := !pairSIMD || len(id) == 1
		for p := 0; p < span; p++ {
			if single {
				add(anchor{b1: id[p]}, p)
			}
			for d := 1; d <= maxAnchorDist && p+d < span; d++ {
				add(anchor{b1: id[p], b2: id[p+d], d: d}, p)
			}
		}
	}
	keys := make([]anchor, 0, len(uses))
	if len(sample) == 0 {
		for a := range uses {
			keys = append(keys, a)
		}
	} else {
		chosen := make(map[anchor]bool)
		k := max(minShortlist, shortlistBudget/len(ids))
		for _, as := range perID {
			slices.SortFunc(as, func(x, y anchor) int { return cmpFloat(x.cost(x.staticRate(), 1), y.cost(y.staticRate(), 1)) })
			for _, a := range as[:min(k, len(as))] {
				chosen[a] = true
			}
		}
		var shared []anchor
		for a, u := range uses {
			if len(u) > 1 {
				shared = append(shared, a)
			}
		}
		perUse := func(a anchor) float64 { m := len(uses[a]); return a.cost(a.staticRate(), m) / float64(m) }
		slices.SortFunc(shared, func(x, y anchor) int {
			if c := cmpFloat(perUse(x), perUse(y)); c != 0 {
				return c
			}
			return cmpAnchor(x, y)
		})
		for _, a := range shared[:min(sharedShortlist, len(shared))] {
			chosen[a] = true
		}
		for a := range chosen {
			keys = append(keys, a)
		}
	}
	slices.SortFunc(keys, cmpAnchor)
	out := make([]candidate, 0, len(keys))
	for _, a := range keys {
		c := candidate{anchor: a, uses: uses[a], rate: a.staticRate()}
		if len(sample) > 0 {
			n := countAnchor(sample, a, len(sample)/64)
			c.rate = (float64(n) + c.rate*priorBytes) / float64(len(sample)+priorBytes)
		}
		out = append(out, c)
	}
	return out
}

// countAnchor counts the occurrences of a in sample, stopping above limit.
func countAnchor(sample []byte, a anchor, limit int) int {
	n := 0
	f := a.filter()
	for i := 0; i < len(sample) && n <= limit; i++ {
		j := f.search(sample[i:])
		if j < 0 {
			break
		}
		i += j
		n++
	}
	return n
}

func cmpAnchor(x, y anchor) int {
	if x.b1 != y.b1 {
		return int(x.b1) - int(y.b1)
	}
	if x.b2 != y.b2 {
		return int(x.b2) - int(y.b2)
	}
	return x.d - y.d
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// addThird makes g's filter check a third byte that every member holds at
// the same distance from the anchor, the one that rules out the most
// candidates in sample (without a sample, the statically rarest).
func (g *group) addThird(sample []byte) {
	type third struct {
		b byte
		e int
	}
	var common map[third]bool
	for _, os := range g.offsets {
		for _, id := range os.ids {
			here := make(map[third]bool)
			for e := max(-os.off, -maxAnchorSpan); e < min(len(id)-os.off, maxAnchorSpan); e++ {
				if e != 0 && e != g.d {
					here[third{id[os.off+e], e}] = true
				}
			}
			if common == nil {
				common = here
				continue
			}
			for t := range common {
				if !here[t] {
					delete(common, t)
				}
			}
		}
	}
	if len(common) == 0 {
		return
	}
	thirds := make([]third, 0, len(common))
	for t := range common {
		thirds = append(thirds, t)
	}
	slices.SortFunc(thirds, func(x, y third) int {
		if c := cmpFloat(byteFreq(x.b), byteFreq(y.b)); c != 0 {
			return c
		}
		if x.e != y.e {
			return x.e - y.e
		}
		return int(x.b) - int(y.b)
	})
	best := thirds[0]
	if len(sample) > 0 {
		// Count how many of the pair's candidates each third byte keeps.
		var cands []int
		for i := 0; i < len(sample) && len(cands) < maxThirdCands; i++ {
			j := g.f.search(sample[i:])
			if j < 0 {
				break
			}
			i += j
			cands = append(cands, i)
		}
		if len(cands) == 0 {
			return // rare enough already
		}
		bestKept := len(cands) + 1
		for _, t := range thirds {
			kept := 0
			for _, q := range cands {
				if j := q + t.e; j < 0 || j >= len(sample) || sample[j] == t.b {
					kept++
				}
			}
			if kept < bestKept {
				best, bestKept = t, kept
			}
		}
		if bestKept*2 > len(cands) {
			return // not worth a check per candidate
		}
	}
	g.f.b3, g.f.e = best.b, best.e
}

// rate estimates how often g's filter finds a candidate at a position of
// sample; from the static estimate without one.
func (g *group) rate(sample []byte) float64 {
	static := g.staticRate()
	if g.f.e != 0 {
		static *= byteFreq(g.f.b3) / 1e4
	}
	if len(sample) == 0 {
		return static
	}
	n := 0
	for i := 0; i < len(sample) && n <= len(sample)/64; i++ {
		j := g.f.search(sample[i:])
		if j < 0 {
			break
		}
		i += j
		n++
	}
	return (float64(n) + static*priorBytes) / float64(len(sample)+priorBytes)
}

func newOffsetSet(off int, ids [][]byte) offsetSet {
	s := offsetSet{off: off, ids: ids}
	if len(ids) < memberIndexAt {
		return s
	}
	s.byPrefix = make(map[uint32][][]byte)
	for _, id := range ids {
		if len(id) < 4 {
			s.short = append(s.short, id)
			continue
		}
		k := binary.LittleEndian.Uint32(id)
		s.byPrefix[k] = append(s.byPrefix[k], id)
	}
	return s
}

// find returns, in hits' storage, the anchor position in [lo, hi) of
// every occurrence of an id that lies wholly in h, sorted ascending
// without duplicates. The anchor position lies inside the occurrence, so
// it is on the id's line.
func (m *matcher) find(hits []int, h []byte, lo, hi int) []int {
	hits = hits[:0]
	for gi := range m.groups {
		hits = m.groups[gi].find(hits, h, lo, hi)
	}
	for _, t := range m.teddies {
		hits = t.find(hits, h, lo, hi)
	}
	if len(m.groups)+len(m.teddies) > 1 {
		slices.Sort(hits)
		hits = slices.Compact(hits)
	}
	return hits
}

// find appends the anchor positions in [lo, hi) of g's ids that lie wholly
// in h.
func (g *group) find(hits []int, h []byte, lo, hi int) []int {
	// The anchor's second byte may lie past hi.
	end := min(hi+g.d, len(h))
	for q := lo; q < hi; q++ {
		i := g.f.search(h[q:end])
		if i < 0 {
			break
		}
		q += i
		if g.verify(h, q) {
			hits = append(hits, q)
		}
	}
	return hits
}

// verify reports whether an id of g occurs in h with its anchor at q.
func (g *group) verify(h []byte, q int) bool {
	for oi := range g.offsets {
		os := &g.offsets[oi]
		s := q - os.off
		if s < 0 {
			continue
		}
		rest := h[s:]
		if os.byPrefix == nil {
			for _, id := range os.ids {
				if bytes.HasPrefix(rest, id) {
					return true
				}
			}
			continue
		}
		for _, id := range os.short {
			if bytes.HasPrefix(rest, id) {
				return true
			}
		}
		if len(rest) >= 4 {
			for _, id := range os.byPrefix[binary.LittleEndian.Uint32(rest)] {
				if bytes.HasPrefix(rest, id) {
					return true
				}
			}
		}
	}
	return false
}
