package match

import "encoding/json"

// fieldsKey returns the lowest index j of ids that fields hold under a
// key, and the lowest index k of such a key; -1, -1 when none. One walk
// serves all ids.
func (m *Matcher) fieldsKey(fields map[string]any, ids []string) (j, k int) {
	j, k = -1, -1
	m.walkFields(fields, func(key int, v string) bool {
		for i, id := range ids {
			if j >= 0 && i > j {
				break
			}
			if v != id || id == "" {
				continue
			}
			if j < 0 || i < j || key < k {
				j, k = i, key
			}
		}
		return j == 0 && k == 0
	})
	return j, k
}

// fieldsHoldToken reports whether a string leaf anywhere in fields holds
// id as a whole token.
func fieldsHoldToken(fields map[string]any, id string) bool {
	for _, v := range fields {
		if anyLeafHoldsToken(v, id) {
			return true
		}
	}
	return false
}

func anyLeafHoldsToken(v any, id string) bool {
	switch v := v.(type) {
	case string:
		return ContainsToken(bytesOf(v), id)
	case json.Number:
		return ContainsToken(bytesOf(string(v)), id)
	case map[string]any:
		return fieldsHoldToken(v, id)
	case []any:
		for _, e := range v {
			if anyLeafHoldsToken(e, id) {
				return true
			}
		}
	}
	return false
}

// walkFields calls visit(k, v) with every value v that fields hold under
// the key m.keys[k], at any depth, until visit returns true; it reports
// whether one did. A field holds a value under a key when its name equals
// the key (ASCII case-insensitive) or ends in "." and the key, or when the
// key is a dotted path ("service.name") through nested objects
// ({"service":{"name":…}}), in any split of the path. Values are string
// and json.Number leaves, also as elements of an array.
func (m *Matcher) walkFields(fields map[string]any, visit func(k int, v string) bool) bool {
	for name, v := range fields {
		for k, key := range m.keys {
			if entryHolds(name, v, key, true, k, visit) {
				return true
			}
		}
		if m.nestedHolds(v, visit) {
			return true
		}
	}
	return false
}

// nestedHolds walks the objects inside v.
func (m *Matcher) nestedHolds(v any, visit func(k int, v string) bool) bool {
	switch v := v.(type) {
	case map[string]any:
		return m.walkFields(v, visit)
	case []any:
		for _, e := range v {
			if m.nestedHolds(e, visit) {
				return true
			}
		}
	}
	return false
}

// entryHolds visits the values of the field name: v when name names key,
// or the fields inside v when name is the first part of key's dotted
// path. With suffix, name may also carry a dotted prefix
// ("ctx.transaction_id").
func entryHolds(name string, v any, key string, suffix bool, k int, visit func(k int, v string) bool) bool {
	if equalFold(name, key) || suffix && len(name) > len(key) && name[len(name)-len(key)-1] == '.' && equalFold(name[len(name)-len(key):], key) {
		return leavesHold(v, k, visit)
	}
	if len(name) < len(key) && key[len(name)] == '.' && equalFold(name, key[:len(name)]) {
		if sub, ok := v.(map[string]any); ok {
			rest := key[len(name)+1:]
			for name2, v2 := range sub {
				if entryHolds(name2, v2, rest, false, k, visit) {
					return true
				}
			}
		}
	}
	return false
}

// leavesHold visits v when it is a leaf, or the leaves of an array v.
func leavesHold(v any, k int, visit func(k int, v string) bool) bool {
	switch v := v.(type) {
	case string:
		return visit(k, v)
	case json.Number:
		return visit(k, string(v))
	case []any:
		for _, e := range v {
			switch e := e.(type) {
			case string:
				if visit(k, e) {
					return true
				}
			case json.Number:
				if visit(k, string(e)) {
					return true
				}
			}
		}
	}
	return false
}
