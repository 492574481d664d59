//go:build race

package redact

// hostileSize is the size of the texts of TestHostileTextIsLinear: smaller
// under the race detector, which slows the scanners tenfold.
const hostileSize = 128 << 10
