package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact checks that redaction never panics, never touches a kept id,
// returns valid UTF-8 for valid UTF-8 input, and finds ordered spans that
// do not overlap.
func FuzzRedact(f *testing.F) {
	for _, c := range append(positives()[:40], negatives()[:40]...) {
		f.Add(c.text, "TXN-48213")
	}
	f.Add(`{"password":"\"","token":'x`, "")
	f.Add("Authorization: \\\"Bearer", "+1")
	f.Add("+1 (((((((((((((", "")
	r, err := New(Options{Rules: map[string]bool{RuleIPv4: true, RuleIPv6: true}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s, id string) {
		var keep []string
		if id != "" {
			keep = []string{id}
		}
		spans := r.Find(s, keep)
		end := 0
		for _, sp := range spans {
			if sp.Start < end || sp.End <= sp.Start || sp.End > len(s) {
				t.Fatalf("bad span %+v after %d in %q", sp, end, s)
			}
			end = sp.End
		}
		out := r.String(s, keep, nil)
		if id != "" && strings.Contains(s, id) && strings.Count(out, id) < strings.Count(s, id) {
			t.Fatalf("kept id %q lost: %q -> %q", id, s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
		}
		if len(spans) == 0 && out != s {
			t.Fatalf("no spans but %q -> %q", s, out)
		}
	})
}
