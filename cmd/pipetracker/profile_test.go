package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartProfile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		path    string
		written bool
		warning string
	}{
		{"unset", "", false, ""},
		{"written", filepath.Join(dir, "cpu.pprof"), true, ""},
		{"unwritable", filepath.Join(dir, "missing", "cpu.pprof"), false, envCPUProfile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			stop := startProfile(func(k string) string {
				if k == envCPUProfile {
					return tc.path
				}
				return ""
			}, &stderr)
			stop()
			if tc.warning == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tc.warning) {
				t.Errorf("stderr %q, want a warning naming %q", stderr.String(), tc.warning)
			}
			if !tc.written {
				return
			}
			data, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			// A profile is gzip-compressed protocol buffers.
			if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
				t.Errorf("profile starts with % x, want the gzip magic", data[:min(len(data), 2)])
			}
		})
	}
}
