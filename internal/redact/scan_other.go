//go:build !amd64 || purego

package redact

// maskSIMD reports whether texts are classified 32 bytes at a time.
const maskSIMD = false

// classify fills m with the classes of the bytes of s, which is at most
// maskWords*64 bytes long.
func (m *masks) classify(s string) { m.classifyScalar(s) }
