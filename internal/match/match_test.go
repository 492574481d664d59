package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

var testKeys = []string{"transaction_id", "request_id", "order_id", "service.name"}

// parseFields decodes data as the parser would: a JSON object with
// json.Number leaves, or nil when data is not one.
func parseFields(tb testing.TB, data string) map[string]any {
	tb.Helper()
	if !strings.HasPrefix(data, "{") {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

func TestFind(t *testing.T) {
	type tc struct {
		name   string
		keys   []string // testKeys when nil
		any    bool
		data   string
		fields map[string]any // parsed from data when nil and noFields is false
		noFlds bool
		ids    []string // {"TXN-1"} when nil
		want   KV
		ok     bool
	}
	hit := func(key, id string) KV { return KV{Key: key, Value: id} }
	cases := []tc{
		// JSON fields.
		{name: "json top level", data: `{"transaction_id":"TXN-1","msg":"x"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "json nested", data: `{"ctx":{"transaction_id":"TXN-1"}}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "json spaces around colon", data: `{"transaction_id" : "TXN-1"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "json number", data: `{"order_id": 12345, "x": 1}`, ids: []string{"12345"}, want: hit("order_id", "12345"), ok: true},
		{name: "json number last", data: `{"order_id":12345}`, ids: []string{"12345"}, want: hit("order_id", "12345"), ok: true},
		{name: "json number longer", data: `{"order_id": 123456}`, ids: []string{"12345"}},
		{name: "dotted key nested object", data: `{"service":{"name":"checkout"},"msg":"x"}`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "dotted key nested object deep", data: `{"resource":{"service":{"name":"checkout"}}}`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "dotted key nested needs fields", data: `{"service":{"name":"checkout"}}`, noFlds: true, ids: []string{"checkout"}},
		{name: "dotted key nested other name", data: `{"service":{"version":"checkout"}}`, ids: []string{"checkout"}},
		{name: "dotted key literal field", data: `{"service.name":"checkout"}`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "dotted key in text", data: `level=info service.name=checkout`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "fields only", data: `handled`, fields: map[string]any{"attrs": map[string]any{"transaction_id": "TXN-1"}}, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "fields array", data: `x`, fields: map[string]any{"transaction_id": []any{"TXN-0", "TXN-1"}}, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "fields json number", data: `x`, fields: map[string]any{"order_id": json.Number("12345")}, ids: []string{"12345"}, want: hit("order_id", "12345"), ok: true},
		{name: "fields dotted prefix", data: `x`, fields: map[string]any{"ctx.transaction_id": "TXN-1"}, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "fields parent key", data: `x`, fields: map[string]any{"parent_transaction_id": "TXN-1"}},
		{name: "fields longer value", data: `x`, fields: map[string]any{"transaction_id": "TXN-12"}},

		// logfmt and free text.
		{name: "logfmt bare", data: `level=info transaction_id=TXN-1 msg=ok`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "logfmt quoted", data: `transaction_id="TXN-1" msg="ok"`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text colon", data: `processing transaction_id: TXN-1 now`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text spaced equals", data: `transaction_id = TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text tab after equals", data: "transaction_id=\tTXN-1", want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text single quotes", data: `transaction_id='TXN-1'`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text json style", data: `INFO got "transaction_id": "TXN-1" from upstream`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "text multi-line record", data: "ERROR failed\n\tat x.y(Z.java:1)\n  transaction_id=TXN-1", want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "key case-insensitive", data: `Transaction_ID=TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "key upper case", data: `TRANSACTION_ID: TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "configured key upper case", keys: []string{"TraceId"}, data: `traceid=TXN-1`, want: hit("TraceId", "TXN-1"), ok: true},
		{name: "key dotted prefix", data: `ctx.transaction_id=TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "key after url query", data: `GET /pay?transaction_id=TXN-1&x=1 200`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "second occurrence holds", data: `parent_transaction_id=TXN-1 transaction_id=TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},

		// Inside JSON strings.
		{name: "escaped quotes in message", data: `{"message":"handled transaction_id=\"TXN-1\" ok"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "docker json-file inner json", data: `{"log":"{\"transaction_id\":\"TXN-1\"}\n","stream":"stdout"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "twice escaped quotes", data: `{"log":"{\"msg\":\"a transaction_id=\\\"TXN-1\\\"\"}"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "bare value before json escape", data: `{"msg":"transaction_id=TXN-1\nnext"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "key after json escape", data: `{"msg":"first\ntransaction_id=TXN-1"}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "key after escaped backslash and n", data: `{"msg":"a\\ntransaction_id=TXN-1"}`},

		// Value ends.
		{name: "end at period", data: `saw transaction_id=TXN-1.`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at period and space", data: `transaction_id=TXN-1. Next`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at colon", data: `transaction_id=TXN-1: failed`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at slash", data: `transaction_id=TXN-1/ ok`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at comma", data: `transaction_id=TXN-1,x=1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at semicolon", data: `transaction_id=TXN-1;`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at paren", data: `(transaction_id=TXN-1)`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at bracket", data: `[transaction_id=TXN-1]`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at brace", data: `{transaction_id=TXN-1}`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at pipe", data: `transaction_id=TXN-1|next`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at angle", data: `<transaction_id=TXN-1>`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at newline", data: "transaction_id=TXN-1\nmore", want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "end at non-breaking space", data: "transaction_id=TXN-1\u00a0ok", want: hit("transaction_id", "TXN-1"), ok: true},

		// Near misses.
		{name: "parent key", data: `parent_transaction_id=TXN-1`},
		{name: "parent key hyphen", data: `parent-transaction_id=TXN-1`},
		{name: "key glued after", data: `transaction_idx=TXN-1`},
		{name: "other key", data: `user_id=TXN-1`},
		{name: "no separator", data: `transaction_id TXN-1`},
		{name: "double separator", data: `transaction_id==TXN-1`},
		{name: "free text without any", data: `TXN-1 failed`},
		{name: "id is a json key", data: `{"TXN-1":"transaction_id"}`},
		{name: "longer value digits", data: `transaction_id=TXN-12345`, ids: []string{"TXN-1234"}},
		{name: "longer value hyphen", data: `transaction_id=TXN-1234-b`, ids: []string{"TXN-1234"}},
		{name: "longer value underscore", data: `transaction_id=TXN-1234_x`, ids: []string{"TXN-1234"}},
		{name: "longer value letter", data: `transaction_id=TXN-1234b`, ids: []string{"TXN-1234"}},
		{name: "value with prefix", data: `transaction_id=xTXN-1`},
		{name: "json value with prefix", data: `{"transaction_id":"xTXN-1"}`},
		{name: "json value longer", data: `{"transaction_id":"TXN-12"}`},
		{name: "quoted value with more", data: `transaction_id="TXN-1 retry"`},
		{name: "quote mismatch", data: `transaction_id="TXN-1'`},
		{name: "escaped quote inside plain quotes", data: `transaction_id="TXN-1\" x"`},
		{name: "decimal continues", data: `transaction_id=TXN-1.5`},
		{name: "colon continues", data: `transaction_id=TXN-1:2`},
		{name: "slash continues", data: `transaction_id=TXN-1/b`},
		{name: "equals continues", data: `transaction_id=TXN-1=`},
		{name: "unicode letter continues", data: `transaction_id=TXN-1é`},
		{name: "empty record", data: ``},
		{name: "id longer than record", data: `TXN`, ids: []string{"TXN-1"}},
		{name: "empty id", data: `transaction_id=`, ids: []string{""}},
		{name: "no ids", data: `transaction_id=TXN-1`, ids: []string{}},
		{name: "no keys", keys: []string{}, data: `transaction_id=TXN-1`},

		// Several ids and keys.
		{name: "first of ids wins", data: `transaction_id=TXN-1 request_id=r-99`, ids: []string{"r-99", "TXN-1"}, want: hit("request_id", "r-99"), ok: true},
		{name: "later id when first absent", data: `request_id=r-99`, ids: []string{"TXN-1", "r-99"}, want: hit("request_id", "r-99"), ok: true},
		{name: "longest key wins", keys: []string{"name", "service.name"}, data: `service.name=checkout`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "short key with dotted prefix", keys: []string{"name", "service.name"}, data: `user.name=checkout`, ids: []string{"checkout"}, want: hit("name", "checkout"), ok: true},

		// --any.
		{name: "any free text", any: true, data: `TXN-1 failed`, want: hit("", "TXN-1"), ok: true},
		{name: "any reports key", any: true, data: `x TXN-1 transaction_id=TXN-1`, want: hit("transaction_id", "TXN-1"), ok: true},
		{name: "any reports key from fields", any: true, data: `{"service":{"name":"checkout"}}`, ids: []string{"checkout"}, want: hit("service.name", "checkout"), ok: true},
		{name: "any in parens", any: true, data: `failed (TXN-1)`, want: hit("", "TXN-1"), ok: true},
		{name: "any before period", any: true, data: `failed TXN-1.`, want: hit("", "TXN-1"), ok: true},
		{name: "any parent key value", any: true, data: `parent_transaction_id=TXN-1`, want: hit("", "TXN-1"), ok: true},
		{name: "any after json escape", any: true, data: `{"msg":"a\nTXN-1"}`, want: hit("", "TXN-1"), ok: true},
		{name: "any at start and end", any: true, data: `TXN-1`, want: hit("", "TXN-1"), ok: true},
		{name: "any letter before", any: true, data: `xTXN-1`},
		{name: "any digit after", any: true, data: `TXN-12`},
		{name: "any hyphen after", any: true, data: `TXN-1-b`},
		{name: "any underscore before", any: true, data: `_TXN-1`},
		{name: "any unicode letter before", any: true, data: `éTXN-1`},
		{name: "any fields only", any: true, data: `x`, fields: map[string]any{"note": "for TXN-1 only"}, want: hit("", "TXN-1"), ok: true},
		{name: "any second occurrence", any: true, data: `TXN-12 TXN-1`, want: hit("", "TXN-1"), ok: true},
	}
	seen := make(map[string]bool)
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("case name %q repeated", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			keys := c.keys
			if keys == nil {
				keys = testKeys
			}
			ids := c.ids
			if ids == nil {
				ids = []string{"TXN-1"}
			}
			fields := c.fields
			if fields == nil && !c.noFlds {
				fields = parseFields(t, c.data)
			}
			got, ok := New(keys, c.any).Find([]byte(c.data), fields, ids)
			if got != c.want || ok != c.ok {
				t.Errorf("Find(%q, %v) = %+v, %v; want %+v, %v", c.data, ids, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestContainsToken(t *testing.T) {
	cases := []struct {
		name, data, id string
		want           bool
	}{
		{"alone", "TXN-1", "TXN-1", true},
		{"between spaces", "a TXN-1 b", "TXN-1", true},
		{"in quotes", `"TXN-1"`, "TXN-1", true},
		{"before period", "TXN-1.", "TXN-1", true},
		{"before dot and digit", "TXN-1.5", "TXN-1", true},
		{"after equals", "x=TXN-1", "TXN-1", true},
		{"letter before", "aTXN-1", "TXN-1", false},
		{"digit after", "TXN-10", "TXN-1", false},
		{"hyphen before", "-TXN-1", "TXN-1", false},
		{"underscore after", "TXN-1_", "TXN-1", false},
		{"unicode letter after", "TXN-1ü", "TXN-1", false},
		{"unicode digit before", "٣TXN-1", "TXN-1", false},
		{"json escape before", `a\nTXN-1`, "TXN-1", true},
		{"escaped backslash then n", `a\\nTXN-1`, "TXN-1", false},
		{"later occurrence", "TXN-10 TXN-1", "TXN-1", true},
		{"overlapping occurrences", "aaaa", "aaa", false},
		{"empty id", "x", "", false},
		{"empty data", "", "TXN-1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ContainsToken([]byte(c.data), c.id); got != c.want {
				t.Errorf("ContainsToken(%q, %q) = %v, want %v", c.data, c.id, got, c.want)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	long := strings.Repeat("a", 257)
	max := strings.Repeat("b", 256)
	cases := []struct {
		name   string
		keys   []string
		data   string
		fields map[string]any
		want   []KV
	}{
		{name: "linked request id", data: `transaction_id=TXN-1 request_id=r-9`,
			want: []KV{{"transaction_id", "TXN-1"}, {"request_id", "r-9"}}},
		{name: "order of appearance", data: `request_id=r-9 msg="x" transaction_id=TXN-1`,
			want: []KV{{"request_id", "r-9"}, {"transaction_id", "TXN-1"}}},
		{name: "json with nested and dotted", data: `{"service":{"name":"checkout"},"ctx":{"request_id":"r-99"},"order_id":12345}`,
			want: []KV{{"service.name", "checkout"}, {"request_id", "r-99"}, {"order_id", "12345"}}},
		{name: "json literal dotted key", data: `{"service.name":"checkout"}`,
			want: []KV{{"service.name", "checkout"}}},
		{name: "each key and value once", data: `{"transaction_id":"TXN-1","msg":"retry transaction_id=TXN-1"}`,
			want: []KV{{"transaction_id", "TXN-1"}}},
		{name: "same value under two keys", data: `transaction_id=abc request_id=abc`,
			want: []KV{{"transaction_id", "abc"}, {"request_id", "abc"}}},
		{name: "key spelled in upper case", data: `REQUEST_ID: r-9`, want: []KV{{"request_id", "r-9"}}},
		{name: "escaped quotes in message", data: `{"message":"handled request_id=\"r-9\" ok"}`, want: []KV{{"request_id", "r-9"}}},
		{name: "docker inner json", data: `{"log":"{\"request_id\":\"r-9\"}\n"}`, want: []KV{{"request_id", "r-9"}}},
		{name: "bare value before json escape", data: `{"msg":"request_id=r-9\nx"}`, want: []KV{{"request_id", "r-9"}}},
		{name: "single quotes", data: `request_id='r-9'`, want: []KV{{"request_id", "r-9"}}},
		{name: "spaced separator", data: `request_id = r-9`, want: []KV{{"request_id", "r-9"}}},
		{name: "value ends at period", data: `request_id=r-9.`, want: []KV{{"request_id", "r-9"}}},
		{name: "value keeps decimal", data: `request_id=r-9.5`, want: []KV{{"request_id", "r-9.5"}}},
		{name: "value ends at ampersand", data: `/x?request_id=r-9&a=b`, want: []KV{{"request_id", "r-9"}}},
		{name: "parent key is not a link", data: `parent_transaction_id=TXN-0 x`},
		{name: "dotted prefix is a link", data: `ctx.request_id=r-9`, want: []KV{{"request_id", "r-9"}}},
		{name: "value not an id", data: `request_id=null transaction_id=- order_id=0 a=1`},
		{name: "placeholders any case", data: `request_id=NULL transaction_id=None order_id=undefined service.name=nil`},
		{name: "booleans", data: `{"request_id":true,"transaction_id":false}`},
		{name: "too short", data: `request_id=ab`},
		{name: "longest allowed", data: `request_id=` + max, want: []KV{{"request_id", max}}},
		{name: "too long", data: `request_id=` + long},
		{name: "too long quoted", data: `request_id="` + long + `"`},
		{name: "quoted with space", data: `request_id="r 9"`},
		{name: "quoted with tab", data: "request_id=\"r\t9\""},
		{name: "unclosed quote", data: `request_id="r-9`},
		{name: "empty value", data: `request_id= x`},
		{name: "object value", data: `{"request_id":{"a":"b"}}`},
		{name: "fields absent from data", data: `handled`, fields: map[string]any{"request_id": "r-77"},
			want: []KV{{"request_id", "r-77"}}},
		{name: "fields with control character", data: `x`, fields: map[string]any{"request_id": "r\x0177"}},
		{name: "fields array", data: `x`, fields: map[string]any{"request_id": []any{"r-1", "r-2", json.Number("12345")}},
			want: []KV{{"request_id", "12345"}, {"request_id", "r-1"}, {"request_id", "r-2"}}},
		{name: "no keys", keys: []string{}, data: `request_id=r-9`},
		{name: "empty record", data: ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := c.keys
			if keys == nil {
				keys = testKeys
			}
			fields := c.fields
			if fields == nil {
				fields = parseFields(t, c.data)
			}
			m := New(keys, false)
			got := m.Links([]byte(c.data), fields)
			if !slices.Equal(got, c.want) {
				t.Errorf("Links(%q) = %v, want %v", c.data, got, c.want)
			}
			// Map order must not change the result.
			for range 20 {
				if again := m.Links([]byte(c.data), fields); !slices.Equal(again, got) {
					t.Fatalf("Links(%q) not stable: %v then %v", c.data, got, again)
				}
			}
		})
	}
}

func TestNewKeys(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"kept in order", []string{"b", "a"}, []string{"b", "a"}},
		{"repeats dropped case-insensitively", []string{"request_id", "REQUEST_ID", "x"}, []string{"request_id", "x"}},
		{"empty names dropped", []string{"", "a", ""}, []string{"a"}},
		{"none", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(c.in, false)
			got := m.Keys()
			if !slices.Equal(got, c.want) {
				t.Fatalf("Keys() = %v, want %v", got, c.want)
			}
			if len(got) > 0 {
				got[0] = "changed"
				if m.Keys()[0] == "changed" {
					t.Fatal("Keys() exposes the matcher's slice")
				}
			}
		})
	}
}

func TestFindDoesNotAllocate(t *testing.T) {
	longID := "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"
	jsonRec := `{"ts":"2024-05-01T10:00:00Z","service":{"name":"checkout"},"msg":"charged","transaction_id":"` + longID + `"}`
	fields := parseFields(t, jsonRec)
	m := New(testKeys, true)
	cases := []struct {
		name   string
		data   string
		fields map[string]any
		ids    []string
		ok     bool
	}{
		{"miss text", "2024-05-01 10:00:00 INFO payments charged transaction_id=TXN-2 amount=3", nil, []string{"TXN-1", longID}, false},
		{"miss json", jsonRec, fields, []string{"TXN-1", "TXN-2"}, false},
		{"near miss", "parent_transaction_id=" + longID + "x", nil, []string{longID}, false},
		{"hit text", "INFO charged transaction_id=" + longID, nil, []string{longID}, true},
		{"hit json", jsonRec, fields, []string{longID}, true},
		{"hit nested dotted", jsonRec, fields, []string{"checkout"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(c.data)
			var ok bool
			allocs := testing.AllocsPerRun(100, func() { _, ok = m.Find(data, c.fields, c.ids) })
			if ok != c.ok {
				t.Fatalf("Find ok = %v, want %v", ok, c.ok)
			}
			if allocs != 0 {
				t.Errorf("Find allocates %.1f times per call", allocs)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New(testKeys, false)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			id := fmt.Sprintf("TXN-%d", g)
			data := []byte(`{"transaction_id":"` + id + `","request_id":"r-` + id + `"}`)
			for range 200 {
				kv, ok := m.Find(data, nil, []string{id})
				links := m.Links(data, nil)
				if !ok || kv.Value != id || len(links) != 2 || links[1].Value != "r-"+id {
					errs <- fmt.Errorf("goroutine %d: Find = %v, %v; Links = %v", g, kv, ok, links)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLinksAreFound checks that Find accepts every value that Links
// reports, under some key.
func TestLinksAreFound(t *testing.T) {
	records := []string{
		`{"log":"{\"request_id\":\"r-9\",\"order_id\":12345}\n"}`,
		`a transaction_id = "TXN-1" b request_id: r-2; service.name='svc'`,
		`{"service":{"name":"checkout"},"m":"x order_id=o-1."}`,
	}
	m := New(testKeys, false)
	for _, r := range records {
		data := []byte(r)
		fields := parseFields(t, r)
		links := m.Links(data, fields)
		if len(links) == 0 {
			t.Fatalf("Links(%q) found nothing", r)
		}
		for _, kv := range links {
			if got, ok := m.Find(data, fields, []string{kv.Value}); !ok || got != kv {
				t.Errorf("Links(%q) gave %v but Find gives %v, %v", r, kv, got, ok)
			}
		}
	}
}
