package match

import (
	"bytes"
	"cmp"
	"slices"
	"unsafe"
)

// KV is a key and the value it holds in a record.
type KV struct{ Key, Value string }

// Matcher decides whether records hold ids under its match keys. It is
// immutable and safe for concurrent use.
type Matcher struct {
	// keys are the match keys in the order given, without empty names
	// and without repeats (compared ASCII case-insensitively).
	keys []string
	// longest lists indexes into keys, longest name first, so that the
	// most specific key wins where several end at the same byte
	// ("service.name" before "name").
	longest  []int
	anyToken bool
}

// New returns a Matcher for the match keys. Empty names and repeats
// (ASCII case-insensitive) are dropped. With anyToken, Find also accepts
// an id that stands anywhere in a record as a whole token.
func New(keys []string, anyToken bool) *Matcher {
	m := &Matcher{anyToken: anyToken}
	for _, k := range keys {
		if k == "" || slices.ContainsFunc(m.keys, func(have string) bool { return equalFold(have, k) }) {
			continue
		}
		m.keys = append(m.keys, k)
	}
	m.longest = make([]int, len(m.keys))
	for i := range m.longest {
		m.longest[i] = i
	}
	slices.SortStableFunc(m.longest, func(a, b int) int { return cmp.Compare(len(m.keys[b]), len(m.keys[a])) })
	return m
}

// Keys returns the match keys.
func (m *Matcher) Keys() []string { return slices.Clone(m.keys) }

// Find returns the first of ids that the record holds: under one of the
// keys (key-aware), or with anyToken as a whole token anywhere (then Key
// is ""; when the id also stands under a key, report that key). data is
// the raw record (may be multi-line), fields the parsed fields (nested
// map[string]any with json.Number or string leaves, may be nil).
//
// A key holds an id when, in data, the key name (ASCII case-insensitive,
// whole, optionally after a dotted prefix) is followed by an optional
// quote, "=" or ":" with optional spaces around it, and the id as the
// whole value: quoted (also with escaped quotes, as inside a JSON string)
// or unquoted and ended by whitespace, one of `,;)]}&|"'<>`, a JSON
// escape, the end of data, or a '.', ':' or '/' not followed by a token
// byte. In fields, a key holds an id when a string or json.Number leaf at
// any depth equals it under the key's name or its dotted path. Where
// several keys hold the id, the longest one at the first place in data
// is reported, else the first configured key that holds it in fields.
// Find does not allocate.
func (m *Matcher) Find(data []byte, fields map[string]any, ids []string) (KV, bool) {
	// The first id that data holds, under a key or as a token.
	hit, key := len(ids), -1
	for j, id := range ids {
		if id == "" {
			continue
		}
		if k := m.textKey(data, id); k >= 0 {
			hit, key = j, k
			break
		}
		if m.anyToken && ContainsToken(data, id) {
			hit = j
			break
		}
	}
	if fields == nil {
		return m.result(ids, hit, key)
	}
	// Fields can hold an earlier id, or the key of a token hit.
	fj, fk := -1, -1
	n := hit
	if key < 0 && hit < len(ids) {
		n++
	}
	if n > 0 && len(m.keys) > 0 {
		fj, fk = m.fieldsKey(fields, ids[:n])
	}
	if m.anyToken {
		limit := hit
		if fj >= 0 {
			limit = fj
		}
		for _, id := range ids[:limit] {
			if id != "" && fieldsHoldToken(fields, id) {
				return KV{Value: id}, true
			}
		}
	}
	if fj >= 0 {
		return KV{Key: m.keys[fk], Value: ids[fj]}, true
	}
	return m.result(ids, hit, key)
}

// result is Find's answer for a hit at ids[hit] under key (-1: as a
// token); hit == len(ids) means none.
func (m *Matcher) result(ids []string, hit, key int) (KV, bool) {
	switch {
	case key >= 0:
		return KV{Key: m.keys[key], Value: ids[hit]}, true
	case hit < len(ids):
		return KV{Value: ids[hit]}, true
	}
	return KV{}, false
}

// textKey returns the index of the key under which data holds id, or -1.
func (m *Matcher) textKey(data []byte, id string) int {
	if len(m.keys) == 0 {
		return -1
	}
	needle := bytesOf(id)
	for off := 0; off+len(id) <= len(data); {
		i := bytes.Index(data[off:], needle)
		if i < 0 {
			break
		}
		p := off + i
		if k := m.keyOfValueAt(data, p, len(id)); k >= 0 {
			return k
		}
		off = p + 1
	}
	return -1
}

// keyOfValueAt returns the key that holds data[p:p+n] as its whole value,
// or -1.
func (m *Matcher) keyOfValueAt(data []byte, p, n int) int {
	i := p
	if i > 0 && isQuote(data[i-1]) {
		q := data[i-1]
		i--
		esc := 0
		for i > 0 && data[i-1] == '\\' && esc <= maxEscape {
			esc++
			i--
		}
		if esc > maxEscape || !closesAt(data, p+n, q, esc) {
			return -1
		}
	} else if !valueEndsAt(data, p+n) {
		return -1
	}
	for i > 0 && isBlank(data[i-1]) {
		i--
	}
	if i == 0 || !isSeparator(data[i-1]) {
		return -1
	}
	return m.keyBefore(data, i-1)
}

// keyBefore returns the index of the longest key whose name ends just
// before the separator at data[sep] (after optional spaces and an
// optional, possibly escaped, quote), or -1.
func (m *Matcher) keyBefore(data []byte, sep int) int {
	end := sep
	for end > 0 && isBlank(data[end-1]) {
		end--
	}
	if end > 0 && isQuote(data[end-1]) {
		end--
		for esc := 0; end > 0 && data[end-1] == '\\'; esc++ {
			if esc == maxEscape {
				return -1
			}
			end--
		}
	}
	for _, k := range m.longest {
		key := m.keys[k]
		start := end - len(key)
		if start < 0 || !equalFold(data[start:end], key) {
			continue
		}
		if keyByteBefore(data, start) {
			continue
		}
		return k
	}
	return -1
}

// Links returns the values the record holds under the match keys, each
// key/value once, in order of appearance, leaving out values that are not
// plausible ids (empty, "-", "null", "nil", "none", "undefined", "0",
// "true", "false", shorter than 3 bytes, longer than 256 bytes, containing
// whitespace or control characters). It reads the same forms Find
// accepts: key=value, key: value and quoted values in text (also inside
// JSON strings) and JSON fields at any depth, dotted names included.
// Values found only in fields are placed by their first occurrence in
// data, those absent from data last.
func (m *Matcher) Links(data []byte, fields map[string]any) []KV {
	if len(m.keys) == 0 {
		return nil
	}
	var c collector
	for off := 0; off < len(data); {
		i := bytes.IndexAny(data[off:], "=:")
		if i < 0 {
			break
		}
		sep := off + i
		off = sep + 1
		k := m.keyBefore(data, sep)
		if k < 0 {
			continue
		}
		start, end, ok := valueAfter(data, sep)
		if !ok || !plausible(data[start:end]) {
			continue
		}
		c.add(KV{Key: m.keys[k], Value: string(data[start:end])}, start, false, k)
	}
	if fields != nil {
		m.walkFields(fields, func(k int, v string) bool {
			if plausible(bytesOf(v)) {
				pos := bytes.Index(data, bytesOf(v))
				if pos < 0 {
					pos = len(data)
				}
				c.add(KV{Key: m.keys[k], Value: v}, pos, true, k)
			}
			return false
		})
	}
	return c.sorted()
}

// collector gathers the links of one record without repeats.
type collector struct {
	found []link
	seen  map[KV]bool
}

type link struct {
	kv        KV
	pos       int
	fromField bool
	key       int
}

func (c *collector) add(kv KV, pos int, fromField bool, key int) {
	if c.seen[kv] {
		return
	}
	if c.seen == nil {
		c.seen = make(map[KV]bool)
	}
	c.seen[kv] = true
	c.found = append(c.found, link{kv: kv, pos: pos, fromField: fromField, key: key})
}

// sorted returns the links by position in data; at one position text
// before fields, then by key order and value, so that the result does not
// depend on map iteration order.
func (c *collector) sorted() []KV {
	if len(c.found) == 0 {
		return nil
	}
	slices.SortStableFunc(c.found, func(a, b link) int {
		if r := cmp.Compare(a.pos, b.pos); r != 0 {
			return r
		}
		if a.fromField != b.fromField {
			if a.fromField {
				return 1
			}
			return -1
		}
		if !a.fromField {
			return 0
		}
		if r := cmp.Compare(a.key, b.key); r != 0 {
			return r
		}
		return cmp.Compare(a.kv.Value, b.kv.Value)
	})
	out := make([]KV, len(c.found))
	for i, l := range c.found {
		out[i] = l.kv
	}
	return out
}

// bytesOf views s as bytes without copying; the result must not be
// modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
