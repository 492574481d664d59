package loki

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeLoki answers /loki/api/v1/query_range as Loki documents it, over
// entries it holds per tenant: the stream selector (=, !=, =~, !~) and a
// chain of line filters (|=, !=, |~, !~) are applied, entries in
// [start, end) are ordered by time (forward or backward; ties by label
// set) and cut at limit, and the
// result is grouped by label set (stream labels and structured metadata).
// A limit above maxLimit is refused, as Loki refuses one above
// max_entries_limit_per_query.
type fakeLoki struct {
	srv      *httptest.Server
	maxLimit int
	// auth, when set, is the Authorization header every request must carry.
	auth string

	mu       sync.Mutex
	entries  map[string][]fakeEntry // by X-Scope-OrgID
	requests []url.Values
	headers  []http.Header
}

type fakeEntry struct {
	labels map[string]string // stream labels and structured metadata
	key    string            // the labels, formatted
	ts     int64
	line   string
}

func newFake(t *testing.T) *fakeLoki {
	f := &fakeLoki{maxLimit: 5000, entries: make(map[string][]fakeEntry)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// host returns the server's host:port.
func (f *fakeLoki) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeLoki) add(tenant string, labels map[string]string, ts int64, line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries[tenant] = append(f.entries[tenant], fakeEntry{labels: labels, key: formatLabels(labels), ts: ts, line: line})
}

func (f *fakeLoki) log() ([]url.Values, []http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests), slices.Clone(f.headers)
}

func (f *fakeLoki) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/loki/api/v1/query_range" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Form)
	f.headers = append(f.headers, r.Header.Clone())
	f.mu.Unlock()
	if f.auth != "" && r.Header.Get("Authorization") != f.auth {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	start, err1 := strconv.ParseInt(r.Form.Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(r.Form.Get("end"), 10, 64)
	limit, err3 := strconv.Atoi(r.Form.Get("limit"))
	dir := r.Form.Get("direction")
	if err1 != nil || err2 != nil || err3 != nil || dir != "forward" && dir != "backward" {
		http.Error(w, "bad start, end, limit or direction", http.StatusBadRequest)
		return
	}
	if limit > f.maxLimit {
		http.Error(w, fmt.Sprintf("max entries limit per query exceeded, limit > max_entries_limit (%d > %d)", limit, f.maxLimit), http.StatusBadRequest)
		return
	}
	keep, err := parseQuery(r.Form.Get("query"))
	if err != nil {
		http.Error(w, "parse error: "+err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var hits []fakeEntry
	for _, e := range f.entries[r.Header.Get("X-Scope-OrgID")] {
		if e.ts >= start && e.ts < end && keep(e) {
			hits = append(hits, e)
		}
	}
	f.mu.Unlock()
	slices.SortStableFunc(hits, func(a, b fakeEntry) int {
		if a.ts != b.ts {
			return cmp.Compare(a.ts, b.ts)
		}
		return strings.Compare(a.key, b.key)
	})
	if dir == "backward" {
		slices.Reverse(hits)
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	type stream struct {
		Stream map[string]string `json:"stream"`
		Values [][2]string       `json:"values"`
	}
	var streams []*stream
	by := make(map[string]*stream)
	for _, e := range hits {
		k := e.key
		s := by[k]
		if s == nil {
			s = &stream{Stream: e.labels}
			by[k] = s
			streams = append(streams, s)
		}
		s.Values = append(s.Values, [2]string{strconv.FormatInt(e.ts, 10), e.line})
	}
	resp := map[string]any{
		"status": "success",
		"data": map[string]any{
			"resultType": "streams",
			"result":     streams,
			"stats":      map[string]any{"summary": map[string]any{"totalEntriesReturned": len(hits)}},
		},
	}
	if streams == nil {
		resp["data"].(map[string]any)["result"] = []any{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// parseQuery reads a stream selector followed by line filters.
func parseQuery(q string) (func(fakeEntry) bool, error) {
	s := strings.TrimSpace(q)
	if !strings.HasPrefix(s, "{") {
		return nil, fmt.Errorf("want a stream selector")
	}
	s = s[1:]
	var tests []func(fakeEntry) bool
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			s = s[1:]
			break
		}
		i := strings.IndexAny(s, "=!")
		if i <= 0 {
			return nil, fmt.Errorf("bad matcher at %q", s)
		}
		name := strings.TrimSpace(s[:i])
		s = s[i:]
		var op string
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s, o) {
				op = o
				break
			}
		}
		s = strings.TrimLeft(s[len(op):], " ")
		val, rest, err := quoted(s)
		if err != nil {
			return nil, err
		}
		s = rest
		if op == "=~" || op == "!~" {
			val = "^(?:" + val + ")$" // label matchers are anchored
		}
		test, err := compare(op, val, func(e fakeEntry) string { return e.labels[name] })
		if err != nil {
			return nil, err
		}
		tests = append(tests, test)
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		var op string
		switch {
		case strings.HasPrefix(s, "|="):
			op = "contains"
		case strings.HasPrefix(s, "!="):
			op = "!contains"
		case strings.HasPrefix(s, "|~"):
			op = "=~"
		case strings.HasPrefix(s, "!~"):
			op = "!~"
		default:
			return nil, fmt.Errorf("unexpected %q", s)
		}
		s = strings.TrimLeft(s[2:], " ")
		val, rest, err := quoted(s)
		if err != nil {
			return nil, err
		}
		s = rest
		test, err := compare(op, val, func(e fakeEntry) string { return e.line })
		if err != nil {
			return nil, err
		}
		tests = append(tests, test)
	}
	return func(e fakeEntry) bool {
		for _, t := range tests {
			if !t(e) {
				return false
			}
		}
		return true
	}, nil
}

// quoted reads a Go-quoted or backquoted string at the start of s.
func quoted(s string) (string, string, error) {
	p, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", fmt.Errorf("want a string at %q", s)
	}
	v, err := strconv.Unquote(p)
	return v, s[len(p):], err
}

func compare(op, val string, get func(fakeEntry) string) (func(fakeEntry) bool, error) {
	switch op {
	case "=":
		return func(e fakeEntry) bool { return get(e) == val }, nil
	case "!=":
		return func(e fakeEntry) bool { return get(e) != val }, nil
	case "contains":
		return func(e fakeEntry) bool { return strings.Contains(get(e), val) }, nil
	case "!contains":
		return func(e fakeEntry) bool { return !strings.Contains(get(e), val) }, nil
	}
	re, err := regexp.Compile(val)
	if err != nil {
		return nil, err
	}
	if op == "!~" {
		return func(e fakeEntry) bool { return !re.MatchString(get(e)) }, nil
	}
	return func(e fakeEntry) bool { return re.MatchString(get(e)) }, nil
}
