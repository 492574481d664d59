package render

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/trace"
)

func TestFmtDuration(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0 ms"},
		{"sub-millisecond", 250 * time.Microsecond, "0.250 ms"},
		{"milliseconds", 12 * time.Millisecond, "12 ms"},
		{"rounds to ms", 12600 * time.Microsecond, "13 ms"},
		{"rounds up to a second", 999600 * time.Microsecond, "1.000 s"},
		{"seconds", 2784 * time.Millisecond, "2.784 s"},
		{"minutes", 3*time.Minute + 12*time.Second + 400*time.Millisecond, "3m12s"},
		{"hours", 26*time.Hour + 5*time.Second, "26h0m5s"},
		{"negative", -12 * time.Millisecond, "-12 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtDuration(tt.in); got != tt.want {
				t.Errorf("fmtDuration(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFmtSecondsAndOffset(t *testing.T) {
	tests := []struct {
		name       string
		in         time.Duration
		secs, offs string
	}{
		{"zero", 0, "0.00 s", "+0.000s"},
		{"sub-second", 463 * time.Millisecond, "0.46 s", "+0.463s"},
		{"rounding", 4999 * time.Microsecond, "0.00 s", "+0.005s"},
		{"seconds", 2430 * time.Millisecond, "2.43 s", "+2.430s"},
		{"minutes", 192*time.Second + 300*time.Millisecond, "3m12s", "+192.300s"},
		{"negative", -11 * time.Millisecond, "-0.01 s", "-0.011s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtSeconds(tt.in); got != tt.secs {
				t.Errorf("fmtSeconds(%v) = %q, want %q", tt.in, got, tt.secs)
			}
			if got := fmtOffset(tt.in); got != tt.offs {
				t.Errorf("fmtOffset(%v) = %q, want %q", tt.in, got, tt.offs)
			}
		})
	}
}

func TestFmtBytes(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1.0 KB"},
		{2048, "2.0 KB"},
		{9_960, "10 KB"},
		{48_000, "48 KB"},
		{999_499, "999 KB"},
		{999_500, "1.0 MB"},
		{1_250_000, "1.2 MB"},
		{3_117_000_000, "3.1 GB"},
		{5_000_000_000_000_000, "5.0 PB"},
		{5_000_000_000_000_000_000, "5000 PB"},
	}
	for _, tt := range tests {
		if got := fmtBytes(tt.in); got != tt.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWidthAndTruncate(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		limit int
		cut   string
	}{
		{"ascii fits", "hello", 5, 5, "hello"},
		{"ascii cut", "hello world", 11, 8, "hello w…"},
		{"wide characters", "注文が完了", 10, 7, "注文が…"},
		{"combining mark", "e\u0301te\u0301", 3, 3, "e\u0301te\u0301"},
		{"ansi takes no room", "\x1b[31mred\x1b[0m", 3, 3, "\x1b[31mred\x1b[0m"},
		{"limit below ellipsis", "hello", 5, 0, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := width(tt.in); got != tt.width {
				t.Errorf("width(%q) = %d, want %d", tt.in, got, tt.width)
			}
			got := truncate(tt.in, tt.limit, "…")
			if got != tt.cut {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.cut)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "order accepted", "order accepted"},
		{"tab", "\tat x", "    at x"},
		{"carriage return at end", "line\r", "line"},
		{"carriage return inside", "a\rb", `a\x0db`},
		{"escape sequence", "\x1b[2Jboom", `\x1b[2Jboom`},
		{"bell and del", "a\x07b\x7f", `a\x07b\x7f`},
		{"c1 control", "a\u009bb", `a\u009bb`},
		{"bidi override", "x\u202ey", `x\u202ey`},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"unicode kept", "naïve → 注文", "naïve → 注文"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.in); got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGapRule(t *testing.T) {
	// seq builds events alternating between two services at the given
	// millisecond times.
	seq := func(ms ...float64) []trace.Event {
		out := make([]trace.Event, len(ms))
		for i, m := range ms {
			out[i] = trace.Event{Service: string(rune('a' + i%2)), Time: at(m)}
		}
		return out
	}
	tests := []struct {
		name   string
		events []trace.Event
		gap    time.Duration
		want   bool
	}{
		{"a second is always marked", seq(0, 1), time.Second, true},
		{"short gap with too few hops", seq(0, 1, 2), 500 * time.Millisecond, false},
		{"ten times the median", seq(0, 10, 20, 30), 100 * time.Millisecond, true},
		{"below ten times the median", seq(0, 10, 20, 30), 99 * time.Millisecond, false},
		{"median of an even count", seq(0, 10, 30, 60, 100), 250 * time.Millisecond, true},
		{"zero median marks nothing short", seq(0, 0, 0, 0), 500 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := &textWriter{}
			if got := tw.gapRule(tt.events)(tt.gap); got != tt.want {
				t.Errorf("marked(%v) = %v, want %v", tt.gap, got, tt.want)
			}
		})
	}
}

// FuzzText renders reports built from arbitrary text and checks that the
// output is valid UTF-8, holds no escape character without colour, and
// that every timeline line fits the width.
func FuzzText(f *testing.F) {
	f.Add("checkout", "order accepted\n\tat x", "r-1", uint8(80))
	f.Add("auth\x1b[2J", "\x1b]0;t\x07\r\n\xff注文", "\u202e", uint8(0))
	f.Add("", "", "", uint8(61))
	f.Fuzz(func(t *testing.T, service, message, value string, w uint8) {
		e := ev(0, service, trace.LevelError, message, "p.log", 1)
		e.Matched = trace.Match{Key: "request_id", Value: value, Via: "transaction_id=X"}
		e2 := ev(5, service+"2", trace.LevelInfo, message, "p.log", 2)
		r := &trace.Report{
			Trace:     assemble(value, []trace.Event{e, e2}),
			LinkedIDs: []trace.LinkedID{{Key: "request_id", Value: value, From: e2.Origin}},
			Warnings:  []trace.Warning{{Source: service, Message: message}},
		}
		cols := 60 + int(w)
		var buf bytes.Buffer
		if err := Text(&buf, r, Options{Unicode: true, Width: cols}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if strings.ContainsAny(out, "\x1b\r\u202e") {
			t.Fatalf("terminal control in output: %q", out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, " +") && width(l) > cols {
				t.Fatalf("line of %d columns at width %d: %q", width(l), cols, l)
			}
		}
	})
}
