package logline

import (
	"testing"

	"github.com/pipetracker/pipetracker/internal/trace"
)

func TestNormalizeLevel(t *testing.T) {
	tests := []struct {
		in   string
		want trace.Level
	}{
		{"TRACE", trace.LevelTrace},
		{"finest", trace.LevelTrace},
		{"FINER", trace.LevelTrace},
		{"Verbose", trace.LevelTrace},
		{"TRAC", trace.LevelTrace},
		{"DEBUG", trace.LevelDebug},
		{"FINE", trace.LevelDebug},
		{"dbg", trace.LevelDebug},
		{"DEBU", trace.LevelDebug},
		{"info", trace.LevelInfo},
		{"INFORMATION", trace.LevelInfo},
		{"Informational", trace.LevelInfo},
		{"NOTICE", trace.LevelInfo},
		{"INF", trace.LevelInfo},
		{"WARN", trace.LevelWarn},
		{"WARNING", trace.LevelWarn},
		{"wrn", trace.LevelWarn},
		{"Err", trace.LevelError},
		{"ERROR", trace.LevelError},
		{"ERRO", trace.LevelError},
		{"SEVERE", trace.LevelError},
		{"FATAL", trace.LevelFatal},
		{"CRITICAL", trace.LevelFatal},
		{"crit", trace.LevelFatal},
		{"PANIC", trace.LevelFatal},
		{"dpanic", trace.LevelFatal},
		{"EMERG", trace.LevelFatal},
		{"emergency", trace.LevelFatal},
		{"alert", trace.LevelFatal},
		{"FTL", trace.LevelFatal},
		{" warning ", trace.LevelWarn},
		{"10", trace.LevelTrace},
		{"20", trace.LevelDebug},
		{"30", trace.LevelInfo},
		{"35", trace.LevelInfo},
		{"40", trace.LevelWarn},
		{"50", trace.LevelError},
		{"60", trace.LevelFatal},
		{"61", trace.LevelNone},
		{"9", trace.LevelNone},
		{"05", trace.LevelNone},
		{"100", trace.LevelNone},
		{"", trace.LevelNone},
		{"ok", trace.LevelNone},
		{"DEFAULT", trace.LevelNone},
		{"information-x", trace.LevelNone},
		{"ERROR!", trace.LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeLevel(tt.in); got != tt.want {
				t.Fatalf("NormalizeLevel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeLevelAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = NormalizeLevel("Warning")
		_ = NormalizeLevel("30")
	})
	if allocs != 0 {
		t.Fatalf("NormalizeLevel allocates %v times per call", allocs)
	}
}
