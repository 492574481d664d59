// Command pipetracker answers "what happened to request X?": it finds every
// log record that belongs to one request across many services' logs and
// shows them as one timeline.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// Most of what a trace allocates is kept until it is written: the events
// found (tens of thousands for a hot id) and their fields. A collection
// therefore finds little garbage and mostly marks the same events again;
// collecting when the heap has grown by 400 % rather than 100 % takes a
// quarter of the CPU off a hot id's trace, for a heap at most five times
// what is live (measured in docs/performance.md). A trace of a rare id
// keeps so little that the collector hardly runs either way.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// The first Ctrl-C cancels the trace, which then cleans up (temporary
	// spools, the progress line) and exits; a second one kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	stopProfile := startProfile(os.Getenv, os.Stderr)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}
