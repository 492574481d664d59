//go:build amd64 && !purego

package redact

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// maskSIMD reports whether texts are classified 32 bytes at a time.
var maskSIMD = cpu.X86.HasAVX2

// classifyAVX2 writes the classes of chunks blocks of 32 bytes at p into
// m, block i into the 32-bit half first+i of every row.
//
//go:noescape
func classifyAVX2(p *byte, chunks int, m *masks, first int)

// classify fills m with the classes of the bytes of s, which is at most
// maskWords*64 bytes long.
func (m *masks) classify(s string) {
	n := len(s) / 32
	if n > 0 {
		classifyAVX2(unsafe.StringData(s), n, m, 0)
	}
	if rest := len(s) - n*32; rest > 0 {
		var tail [32]byte
		copy(tail[:], s[n*32:])
		classifyAVX2(&tail[0], 1, m, n)
	}
}
