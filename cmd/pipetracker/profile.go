package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// envCPUProfile names a file to write a CPU profile of the whole run to,
// for `go tool pprof`: how docs/performance.md splits a trace's time.
const envCPUProfile = "PIPETRACKER_CPUPROFILE"

// startProfile starts the CPU profile that envCPUProfile asks for and
// returns what ends it. A profile that cannot be started is a warning on
// stderr; the command runs anyway.
func startProfile(getenv func(string) string, stderr io.Writer) (stop func()) {
	path := getenv(envCPUProfile)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "pipetracker: warning: %s: %v\n", envCPUProfile, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "pipetracker: warning: %s: %v\n", envCPUProfile, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "pipetracker: warning: %s: %v\n", envCPUProfile, err)
		}
	}
}
