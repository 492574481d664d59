package match

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

var fuzzSeeds = []string{
	`{"transaction_id":"TXN-1","msg":"x"}`,
	`{"ctx":{"transaction_id":"TXN-1"},"order_id":12345}`,
	`{"service":{"name":"checkout"},"request_id":"r-9"}`,
	`level=info transaction_id="TXN-1" request_id=r-9 msg=ok`,
	`processing transaction_id: TXN-1. next`,
	`{"message":"handled transaction_id=\"TXN-1\" ok"}`,
	`{"log":"{\"transaction_id\":\"TXN-1\"}\n","stream":"stdout"}`,
	`{"log":"{\"msg\":\"a request_id=\\\"TXN-1\\\"\"}"}`,
	"ERROR x\n\tat y\n parent_transaction_id=TXN-1 transaction_id=TXN-12",
	`GET /x?transaction_id=TXN-1&request_id=r-9 200`,
	`transaction_id='TXN-1'; request_id = "r 9"`,
}

// fuzzFields decodes data as a JSON object with json.Number leaves, or
// returns nil.
func fuzzFields(data []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// anyLeafEquals reports whether a string or json.Number leaf anywhere in v
// equals s.
func anyLeafEquals(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case json.Number:
		return string(v) == s
	case map[string]any:
		for _, e := range v {
			if anyLeafEquals(e, s) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if anyLeafEquals(e, s) {
				return true
			}
		}
	}
	return false
}

func FuzzFind(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "transaction_id", "TXN-1", false)
		f.Add([]byte(s), "service.name", "checkout", true)
	}
	f.Fuzz(func(t *testing.T, data []byte, key, id string, anyToken bool) {
		fields := fuzzFields(data)
		m := New([]string{key, "request_id"}, anyToken)
		ids := []string{id, "TXN-1"}
		kv, ok := m.Find(data, fields, ids)
		if !ok {
			if kv != (KV{}) {
				t.Fatalf("Find failed but returned %+v", kv)
			}
			return
		}
		if !slices.Contains(ids, kv.Value) {
			t.Fatalf("Find returned value %q, not one of %q", kv.Value, ids)
		}
		if !bytes.Contains(data, []byte(kv.Value)) && !anyLeafEquals(fields, kv.Value) && !fieldsHoldToken(fields, kv.Value) {
			t.Fatalf("Find returned %q, which the record does not hold", kv.Value)
		}
		if kv.Key == "" {
			if !anyToken {
				t.Fatalf("Find returned no key without anyToken: %+v", kv)
			}
			if !ContainsToken(data, kv.Value) && !fieldsHoldToken(fields, kv.Value) {
				t.Fatalf("Find returned %q as a token, which it is not", kv.Value)
			}
		} else if !slices.Contains(m.Keys(), kv.Key) {
			t.Fatalf("Find returned key %q, not one of %q", kv.Key, m.Keys())
		}
	})
}

func FuzzLinks(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "transaction_id")
		f.Add([]byte(s), "order_id")
	}
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		fields := fuzzFields(data)
		m := New([]string{key, "request_id", "service.name"}, false)
		links := m.Links(data, fields)
		for i, kv := range links {
			if !slices.Contains(m.Keys(), kv.Key) {
				t.Fatalf("link %+v: key not one of %q", kv, m.Keys())
			}
			if !bytes.Contains(data, []byte(kv.Value)) && !anyLeafEquals(fields, kv.Value) {
				t.Fatalf("link %+v: value neither in data nor in fields", kv)
			}
			if !plausible([]byte(kv.Value)) {
				t.Fatalf("link %+v: value is not a plausible id", kv)
			}
			if slices.Contains(links[:i], kv) {
				t.Fatalf("link %+v reported twice", kv)
			}
			if _, ok := m.Find(data, fields, []string{kv.Value}); !ok {
				t.Fatalf("link %+v: Find does not find its value", kv)
			}
		}
	})
}
