package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	uni := Options{Unicode: true}
	tests := []struct {
		name   string
		report func() *trace.Report
		opt    Options
	}{
		{"plain", fullReport, uni},
		{"color", fullReport, Options{Unicode: true, Color: true}},
		{"ascii", fullReport, Options{}},
		{"verbose", fullReport, Options{Unicode: true, Verbose: true}},
		{"narrow", fullReport, Options{Unicode: true, Width: 60}},
		{"empty", emptyReport, uni},
		{"empty-verbose", emptyReport, Options{Unicode: true, Verbose: true}},
		{"warnings", warningsReport, uni},
		{"warnings-verbose-color", warningsReport, Options{Unicode: true, Verbose: true, Color: true}},
		{"untimed", untimedReport, uni},
		{"multiline", hostileReport, uni},
		{"multiline-verbose", hostileReport, Options{Unicode: true, Verbose: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, tt.report(), tt.opt); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !tt.opt.Color && strings.Contains(out, "\x1b") {
				t.Errorf("output without colour contains an escape character:\n%q", out)
			}
			if tt.opt.Color && !strings.Contains(out, "\x1b[") {
				t.Errorf("output with colour contains no SGR sequence")
			}
			if tt.opt.Color && strings.Count(out, "\x1b[0m") != strings.Count(out, "\x1b[")-strings.Count(out, "\x1b[0m") {
				t.Errorf("unbalanced colour sequences")
			}
			golden(t, "text-"+tt.name+".golden", buf.Bytes())
		})
	}
}

// TestTextASCII checks that without Unicode the decorations are ASCII:
// with ASCII log text the whole output is.
func TestTextASCII(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, fullReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	for i, c := range buf.Bytes() {
		if c >= 0x80 {
			t.Fatalf("non-ASCII byte %#x at %d in:\n%s", c, i, buf.Bytes())
		}
	}
}

// TestTextWidth checks that every line fits a width that leaves the
// message column enough room (Verbose detail lines are exempt: they are
// shown in full).
func TestTextWidth(t *testing.T) {
	for _, w := range []int{60, 80, 100, 160} {
		var buf bytes.Buffer
		if err := Text(&buf, fullReport(), Options{Unicode: true, Width: w}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(buf.String(), "\n") {
			if width(l) > w {
				t.Errorf("width %d: line of %d columns: %q", w, width(l), l)
			}
		}
	}
}

func TestTextLines(t *testing.T) {
	tests := []struct {
		name   string
		report func() *trace.Report
		opt    Options
		want   []string
		absent []string
	}{
		{
			name:   "header and path",
			report: fullReport,
			opt:    Options{Unicode: true},
			want: []string{
				"ORD-77120 · 6 services · 9 events · 2025-03-02 09:14:07.118Z → 09:14:09.902Z (2.784 s) · 1 error\n",
				"edge → checkout → stock → ledger ✗ → psp → notifier\n",
				"linked: request_id=r-5c1e9a7b-44d2… (checkout) · payment_id=pm_88f2 (psp)\n  · parcel_id=P-90211 (notifier)\n",
				"scanned 214 files, 3.1 GB in 0.46 s · 2 skipped · nothing truncated\n",
				"gap 2.430 s",
				"\nelapsed 0.46 s\n",
			},
			absent: []string{"origin:", "raw:", "passes"},
		},
		{
			name:   "stack trace capped",
			report: fullReport,
			opt:    Options{Unicode: true},
			want:   []string{"│     at c.shop.ledger.Charge.run(Charge.java:88)", "│ … 3 more lines"},
			absent: []string{"Caused by"},
		},
		{
			name:   "verbose shows everything",
			report: fullReport,
			opt:    Options{Unicode: true, Verbose: true},
			want: []string{
				"Caused by: c.shop.psp.Declined: code 51",
				"origin: ./logs ledger/app.log.2.gz:8812 · matched transaction_id=ORD-77120",
				"raw:",
				"elapsed 0.46 s in 3 passes (scan 0.40 s · parse 0.03 s · assemble 0.01 s)\n",
				"  ./logs: 214 files · 3.1 GB · 57 records · 2 skipped · 0.40 s\n",
			},
			absent: []string{"more lines"},
		},
		{
			name:   "empty",
			report: emptyReport,
			opt:    Options{Unicode: true},
			want:   []string{"TXN-404 · no events found\nscanned 12 files, 1.2 MB in 0.05 s · nothing truncated\n\nelapsed 0.05 s\n"},
		},
		{
			name:   "ascii",
			report: fullReport,
			opt:    Options{},
			want:   []string{"ledger (x) -> psp", " -- gap 2.430 s ---", "<- via request_id", "r-5c1e9a7b-44..."},
		},
		{
			name:   "untimed",
			report: untimedReport,
			opt:    Options{Unicode: true},
			want:   []string{"2025-03-02 23:59:59.000Z → 2025-03-03 00:00:00.500Z (1.500 s)\n  · 0 errors · 3 untimed\n", "\n       ?  batch", " ── +? ─"},
		},
		{
			name:   "failures",
			report: warningsReport,
			opt:    Options{Unicode: true},
			want: []string{
				"1 source failed · truncated by limits",
				"warnings:\n  ./logs: 2 files skipped",
				"  exec:journalctl -o json -u nginx: exit status 1\n    journalctl: unit nginx not found\n",
				"  linked-id limit 100 reached",
				"elapsed 3m12s\n",
			},
		},
		{
			name:   "terminal control is escaped",
			report: hostileReport,
			opt:    Options{Unicode: true},
			want:   []string{`\x1b[31madmin\x1b[0m`, `\x1b]0;owned\x07title`, `\u202eevil\u202c`, "bad \uFFFD\uFFFD bytes", `auth\x1b[2J`, "profile-service-with-a-…"},
			absent: []string{"\x1b", "\r", "\u202e"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, tt.report(), tt.opt); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q:\n%s", s, out)
				}
			}
		})
	}
}
