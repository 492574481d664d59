//go:build !amd64 || purego

package blob

// pairSIMD reports whether filters are searched 32 positions at a time.
const pairSIMD = false

// index returns the smallest i at which f matches h, or -1: h[i] == b1,
// h[i+d] == b2, and h[i+e] == b3 unless i+e lies outside h.
func (f *filter) index(h []byte) int { return f.indexScalar(h) }

// next returns the first block of up to 32 positions in h[from:] that
// holds candidates, and a bit set for each (bit i: position block+i); -1
// when there is none.
func (t *teddy) next(h []byte, from int) (block int, cands uint32) { return t.nextScalar(h, from) }
