package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/bench/corpus"
)

// BenchmarkTraceHot runs the whole trace command, JSON written to
// /dev/null, for the hot id of a generated corpus (1 % of the records),
// with redaction (the default) and without: the difference is what
// redaction costs the worst case of the speed benchmark. MB/s are of the
// corpus searched.
func BenchmarkTraceHot(b *testing.B) {
	dir := b.TempDir()
	m, err := corpus.Generate(context.Background(), corpus.Options{Out: dir, Size: 64 << 20, Compression: corpus.CompPlain, Hot: 0.01, Seed: 1, Traces: 1})
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"trace", m.Hot.ID, "--source", filepath.Join(dir, m.Root), "--no-follow", "--quiet", "--format", "json", "-o", "/dev/null"}
	for _, k := range m.MatchKeys {
		args = append(args, "-k", k)
	}
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"redact", nil},
		{"no-redact", []string{"--no-redact"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(m.Bytes)
			var stderr strings.Builder
			for b.Loop() {
				stderr.Reset()
				if code := run(context.Background(), append(args, tc.extra...), getenv, strings.NewReader(""), io.Discard, &stderr); code != 0 {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
			}
		})
	}
}
