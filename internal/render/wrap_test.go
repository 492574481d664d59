package render

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapLine(t *testing.T) {
	tests := []struct {
		name string
		s    string
		w, n int
		want []string
	}{
		{"fits", "short line", 20, 3, []string{"short line"}},
		{"empty", "", 20, 3, []string{""}},
		{"at spaces", "aaa bbb ccc ddd", 8, 3, []string{"aaa bbb", "ccc ddd"}},
		{"cut on the last line", "aaa bbb ccc ddd eee", 8, 2, []string{"aaa bbb", "ccc ddd…"}},
		{"long word cut", "abcdefghijkl mn", 5, 4, []string{"abcde", "fghij", "kl mn"}},
		{"spaces collapsed at breaks", "aaa    bbb", 5, 3, []string{"aaa", "bbb"}},
		{"wide runes", "注文が完了しました", 6, 3, []string{"注文が", "完了し", "ました"}},
		{"one line allowed", "aaa bbb ccc", 5, 1, []string{"aaa …"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapLine(tt.s, tt.w, tt.n, "…")
			if !slices.Equal(got, tt.want) {
				t.Errorf("wrapLine(%q, %d, %d) = %q, want %q", tt.s, tt.w, tt.n, got, tt.want)
			}
		})
	}
}

func FuzzWrapLine(f *testing.F) {
	f.Add("reserved 3 items in warehouse FRA-2 after checking availability", 20, 3)
	f.Add("注文が完了しました 注文", 7, 2)
	f.Fuzz(func(t *testing.T, s string, w, n int) {
		if !utf8.ValidString(s) || w < 2 || w > 200 || n < 1 || n > 10 {
			return
		}
		s = clean(s)
		got := wrapLine(s, w, n, "…")
		if len(got) == 0 || len(got) > n {
			t.Fatalf("%d lines for n=%d", len(got), n)
		}
		for _, l := range got {
			if width(l) > w {
				t.Fatalf("line %q is %d wide, more than %d", l, width(l), w)
			}
		}
		if !strings.HasSuffix(got[len(got)-1], "…") {
			joined := strings.Join(strings.Fields(strings.Join(got, " ")), "")
			if want := strings.Join(strings.Fields(s), ""); joined != want {
				t.Fatalf("text lost: %q from %q", got, s)
			}
		}
	})
}
