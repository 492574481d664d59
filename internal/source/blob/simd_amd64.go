//go:build amd64 && !purego

package blob

import "golang.org/x/sys/cpu"

// pairSIMD reports whether filters are searched 32 positions at a time.
var pairSIMD = cpu.X86.HasAVX2

// indexPairAVX2 returns the smallest i in [0, (len(h)-d)&^31) with
// h[i] == b1, h[i+d] == b2, and h[i+e] == b3 unless i+e lies outside h;
// -1 if there is none. It requires len(h)-d >= 32.
//
//go:noescape
func indexPairAVX2(h []byte, b1, b2, b3 byte, d, e int) int

// index returns the smallest i at which f matches h, or -1: h[i] == b1,
// h[i+d] == b2, and h[i+e] == b3 unless i+e lies outside h.
func (f *filter) index(h []byte) int {
	if !pairSIMD || len(h)-f.d < 32 {
		return f.indexScalar(h)
	}
	if i := indexPairAVX2(h, f.b1, f.b2, f.b3, f.d, f.e); i >= 0 {
		return i
	}
	done := (len(h) - f.d) &^ 31
	for i := done; i < len(h)-f.d; i++ {
		if f.at(h, i) {
			return i
		}
	}
	return -1
}

// teddyAVX2 returns the first block of 32 positions in
// [0, (len(h)-3)&^31) where some bucket of masks holds all of h[p:p+4] for
// some position p, with a bit set for each such p; block is -1 when there
// is none. It requires len(h) >= 35.
//
//go:noescape
func teddyAVX2(h []byte, masks *[8][32]byte) (block int, cands uint32)

// next returns the first block of up to 32 positions in h[from:] that
// holds candidates, and a bit set for each (bit i: position block+i); -1
// when there is none.
func (t *teddy) next(h []byte, from int) (block int, cands uint32) {
	if pairSIMD && len(h)-from >= 35 {
		if b, c := teddyAVX2(h[from:], &t.masks); b >= 0 {
			return from + b, c
		}
		from += (len(h) - from - 3) &^ 31
	}
	return t.nextScalar(h, from)
}
