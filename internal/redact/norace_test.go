//go:build !race

package redact

// hostileSize is the size of the texts of TestHostileTextIsLinear.
const hostileSize = 1 << 20
