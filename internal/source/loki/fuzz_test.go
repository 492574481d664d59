package loki

import (
	"strings"
	"testing"
)

// FuzzLineFilter checks that the line filter for any ids, read back as
// Loki reads it, keeps every line that holds one of the ids, and with valid
// UTF-8 ids only those.
func FuzzLineFilter(f *testing.F) {
	f.Add("TXN-1", "req.7", "x TXN-1 y")
	f.Add(`a"b`, `\`, `before a"b after`)
	f.Add("a|b", "(x)", "a|b")
	f.Add("line\nbreak", "}", "} |= \"x")
	f.Add("\xff", "é", "\xfe")
	f.Fuzz(func(t *testing.T, id1, id2, line string) {
		if id1 == "" || id2 == "" {
			return
		}
		for _, ids := range [][]string{{id1}, {id1, id2}} {
			keep, err := parseQuery(`{app="a"}` + lineFilter(ids))
			if err != nil {
				t.Fatalf("ids %q: the query does not parse: %v", ids, err)
			}
			for _, l := range []string{line, line + id1, id2 + line, "x" + id1 + "y"} {
				holds := strings.Contains(l, ids[0]) || len(ids) > 1 && strings.Contains(l, ids[1])
				got := keep(fakeEntry{labels: map[string]string{"app": "a"}, line: l})
				if holds && !got {
					t.Fatalf("ids %q: line %q holds one and is not kept", ids, l)
				}
				valid := true
				for _, id := range ids {
					valid = valid && strings.ToValidUTF8(id, "") == id
				}
				if !holds && got && valid {
					t.Fatalf("ids %q: line %q holds none and is kept", ids, l)
				}
			}
		}
	})
}
