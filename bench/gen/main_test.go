package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "no output directory", args: []string{"--size", "1MB"}, want: 2},
		{name: "bad size", args: []string{"--out", t.TempDir(), "--size", "huge"}, want: 2},
		{name: "two compressions", args: []string{"--out", t.TempDir(), "--gzip", "--zstd"}, want: 2},
		{name: "plain and gzip", args: []string{"--out", t.TempDir(), "--plain", "--gzip"}, want: 2},
		{name: "hot out of range", args: []string{"--out", t.TempDir(), "--hot", "0.9"}, want: 2},
		{name: "directory not empty", args: []string{"--out", full, "--size", "1MB"}, want: 2},
		{name: "stray argument", args: []string{"--out", t.TempDir(), "extra"}, want: 2},
		{name: "ok", args: []string{"--out", filepath.Join(t.TempDir(), "new"), "--size", "200KB", "--traces", "1"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d; stderr: %s", got, tt.want, stderr.String())
			}
		})
	}
}
