package blob

import "bytes"

// filter is what a search looks for at a candidate position i: b1 at i,
// b2 at i+d, and b3 at i+e. d == 0 makes it a single byte (b2 == b1);
// e == 0 with b3 == b1 means no third byte. e may be negative.
type filter struct {
	b1, b2, b3 byte
	d, e       int
	// rareSecond says b2 is rarer than b1: the scalar search looks for it.
	rareSecond bool
}

// at reports whether f matches h at i, which the caller keeps in range
// for b1 and b2.
func (f *filter) at(h []byte, i int) bool {
	if h[i] != f.b1 || h[i+f.d] != f.b2 {
		return false
	}
	j := i + f.e
	return j < 0 || j >= len(h) || h[j] == f.b3
}

// search returns the smallest i at which f matches h, or -1: for a single
// byte bytes.IndexByte finds candidates, for a pair the vectorised index.
func (f *filter) search(h []byte) int {
	if f.d == 0 {
		return f.indexScalar(h)
	}
	return f.index(h)
}

// indexScalar is index with bytes.IndexByte on the rarer byte of the pair.
func (f *filter) indexScalar(h []byte) int {
	n := len(h) - f.d // candidate positions are [0, n)
	if f.rareSecond {
		for i := 0; i < n; {
			j := bytes.IndexByte(h[i+f.d:], f.b2)
			if j < 0 {
				return -1
			}
			i += j
			if f.at(h, i) {
				return i
			}
			i++
		}
		return -1
	}
	for i := 0; i < n; {
		j := bytes.IndexByte(h[i:n], f.b1)
		if j < 0 {
			return -1
		}
		i += j
		if f.at(h, i) {
			return i
		}
		i++
	}
	return -1
}
