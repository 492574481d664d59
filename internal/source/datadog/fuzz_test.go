package datadog

import (
	"testing"
	"unicode/utf8"
)

// FuzzTerm checks that any id, quoted by Term, reads back as exactly that
// id: one term, its value the id, nothing of it taken as syntax.
func FuzzTerm(f *testing.F) {
	for _, s := range []string{"TXN-1", `say "hi"`, `C:\tmp\x`, `a\`, `\"`, "x OR y", "-neg", "(a)", "k:v", `""`, "*"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, id string, fullText bool) {
		if id == "" || !utf8.ValidString(id) {
			return
		}
		q := Query("service:x", []string{id, id + "2"}, fullText)
		x, err := parseSearch(q)
		if err != nil {
			t.Fatalf("query %s does not parse: %v", q, err)
		}
		and, ok := x.(andExpr)
		if !ok || len(and) != 2 {
			t.Fatalf("query %s parses as %#v", q, x)
		}
		or, ok := and[1].(orExpr)
		if !ok || len(or) != 2 {
			t.Fatalf("the id group of %s parses as %#v", q, and[1])
		}
		term, ok := or[0].(termExpr)
		field := ""
		if fullText {
			field = "*"
		}
		if !ok || term.value != id || term.field != field || !term.quoted {
			t.Fatalf("id %q in %s reads back as %#v", id, q, or[0])
		}
	})
}
