package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// hostileDocs returns documents of about 1 MiB whose shapes make a naive
// YAML parser take time in proportion to the square of their size.
func hostileDocs() map[string]string {
	const n = maxFileSize
	var keys strings.Builder
	for i := 0; keys.Len() < n; i++ {
		fmt.Fprintf(&keys, "k%d: v\n", i)
	}
	docs := map[string]string{
		"many top-level keys":          keys.String(),
		"many nested keys":             "output:\n" + strings.Repeat("  k: v\n", n/7),
		"deep flow sequences":          "a: " + strings.Repeat("[", n/2),
		"deep flow mappings":           "a: " + strings.Repeat("{a: ", n/4),
		"compact sequences":            strings.Repeat("- ", n/2),
		"explicit keys":                strings.Repeat("? ", n/2),
		"anchors on one value":         "a: " + strings.Repeat("&a ", n/3),
		"unclosed flow sequence":       "match_keys: [" + strings.Repeat("a, ", n/3),
		"unclosed flow mapping":        "output: {" + strings.Repeat("a: 1, ", n/7),
		"many flow nests at the limit": "match_keys:\n" + strings.Repeat("- "+strings.Repeat("[", 32)+strings.Repeat("]", 32)+"\n", n/67),
		"many list entries":            "match_keys:\n" + strings.Repeat("  - a\n", n/6),
		"many source mappings":         "log_sources:\n" + strings.Repeat("- a: 1\n", n/7),
	}
	for name, doc := range docs {
		if len(doc) > maxFileSize {
			docs[name] = doc[:maxFileSize]
		}
	}
	return docs
}

// TestHostileDocumentsFinish checks that no document within the size limit
// keeps Parse busy; the bound is far above the time taken (under 2 s on 2
// slow cores) and far below the minutes such documents cost unchecked.
func TestHostileDocumentsFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("parses several 1 MiB documents")
	}
	for name, doc := range hostileDocs() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("h.yaml", []byte(doc), Options{})
			// A guard against the parser's quadratic shapes (minutes before
			// the input limits), not a speed claim: generous enough for the
			// race detector on a busy machine.
			if elapsed := time.Since(start); elapsed > 60*time.Second {
				t.Errorf("Parse took %v", elapsed)
			}
			problemsOf(t, err)
		})
	}
}

func BenchmarkParse(b *testing.B) {
	seed, err := os.ReadFile("testdata/pipetracker.yaml")
	if err != nil {
		b.Fatal(err)
	}
	docs := []struct {
		name string
		data []byte
	}{
		{"seed", seed},
		{"template", InitTemplate()},
		{"3000-sources", []byte("log_sources:\n" + manySources(3000))},
	}
	for _, d := range docs {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(d.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("b.yaml", d.data, Options{KnownScheme: knownSchemes}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
