package blob

import (
	"math/bits"
	"sync"
)

// Scan buffers are shared by every Scanner of the process, so that a
// trace, which builds Scanners of its own, reuses the buffers of the
// traces before it instead of allocating megabytes anew. Buffers are
// pooled by size class (a power of two) and handed out cut to the size
// asked for; a buffer goes back to its pool only when the Scan that held
// it has returned, and emit's data is valid only during the call, so no
// record handed on still points into it.

// bufClasses is the number of size classes: buffers of up to 1 GiB are
// pooled.
const bufClasses = 31

// bufPools holds the pools of *[]byte, one per size class. It is a cache:
// what it holds has no meaning, and the collector may empty it at will.
var bufPools [bufClasses]sync.Pool

// bufClass returns the class of a buffer of size bytes: the exponent of
// the smallest power of two that holds it; -1 for a size too large to
// pool.
func bufClass(size int) int {
	c := bits.Len(uint(max(size, 1) - 1))
	if c >= bufClasses {
		return -1
	}
	return c
}

// getBuffer returns a buffer of size bytes, reused when one is free. Its
// content is undefined.
func getBuffer(size int) *[]byte {
	c := bufClass(size)
	if c < 0 {
		b := make([]byte, size)
		return &b
	}
	if bp, ok := bufPools[c].Get().(*[]byte); ok {
		*bp = (*bp)[:size]
		return bp
	}
	b := make([]byte, size, 1<<c)
	return &b
}

// putBuffer returns a buffer of getBuffer for reuse; the caller must hold
// no reference into it any more.
func putBuffer(bp *[]byte) {
	c := bufClass(cap(*bp))
	if c < 0 || cap(*bp) != 1<<c {
		return // not a buffer of getBuffer
	}
	bufPools[c].Put(bp)
}
