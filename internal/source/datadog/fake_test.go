package datadog

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a Datadog Logs Search API v2 server: it checks the keys and the
// request's shape, evaluates the search query (terms, sequences, field
// terms, "*:" full text, AND, OR, NOT, "-" and parentheses), filters by
// time, sorts, and pages with an opaque cursor. Faults queued with fail
// are answered first, one per request.
type fake struct {
	apiKey, appKey string

	mu       sync.Mutex
	events   []fakeEvent
	faults   []fault
	requests []searchRequest
}

type fakeEvent struct {
	ID      string
	Time    time.Time
	Host    string
	Service string
	Status  string
	Message string
	Tags    []string
	Attrs   map[string]any
}

type fault struct {
	code   int
	header map[string]string
	body   string
}

const (
	testAPIKey = "api-key-0123456789abcdef"
	testAppKey = "app-key-fedcba9876543210"
)

// newFake starts a fake server for the test and returns it and its URL.
func newFake(t *testing.T) (*fake, string) {
	t.Helper()
	f := &fake{apiKey: testAPIKey, appKey: testAppKey}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// newBenchServer serves f for a benchmark and returns its URL.
func newBenchServer(b *testing.B, f *fake) string {
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	return srv.URL
}

func (f *fake) add(evs ...fakeEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, evs...)
}

func (f *fake) fail(fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fs...)
}

func (f *fake) seen() []searchRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"errors": []string{msg}})
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/logs/events/search" || r.Method != http.MethodPost {
		apiError(w, http.StatusNotFound, "not found")
		return
	}
	f.mu.Lock()
	var ft *fault
	if len(f.faults) > 0 {
		ft = &f.faults[0]
		f.faults = f.faults[1:]
	}
	f.mu.Unlock()
	if ft != nil {
		for k, v := range ft.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(ft.code)
		_, _ = w.Write([]byte(ft.body))
		return
	}
	switch {
	case r.Header.Get("DD-API-KEY") != f.apiKey:
		apiError(w, http.StatusUnauthorized, "Unauthorized")
		return
	case r.Header.Get("DD-APPLICATION-KEY") != f.appKey:
		apiError(w, http.StatusForbidden, "Forbidden")
		return
	case r.Header.Get("Content-Type") != "application/json":
		apiError(w, http.StatusUnsupportedMediaType, "content type")
		return
	}
	var req searchRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad body: "+err.Error())
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	from, err1 := time.Parse(time.RFC3339Nano, req.Filter.From)
	to, err2 := time.Parse(time.RFC3339Nano, req.Filter.To)
	expr, err3 := parseSearch(req.Filter.Query)
	if err := errors.Join(err1, err2, err3); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Page.Limit < 1 || req.Page.Limit > 5000 || req.Sort != "timestamp" && req.Sort != "-timestamp" {
		apiError(w, http.StatusBadRequest, "bad page or sort")
		return
	}
	f.mu.Lock()
	var hits []fakeEvent
	for _, e := range f.events {
		if !e.Time.Before(from) && e.Time.Before(to) && expr.match(&e) {
			hits = append(hits, e)
		}
	}
	f.mu.Unlock()
	slices.SortStableFunc(hits, func(a, b fakeEvent) int {
		c := a.Time.Compare(b.Time)
		if req.Sort == "-timestamp" {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		return c
	})
	start := 0
	if req.Page.Cursor != "" {
		raw, err := base64.StdEncoding.DecodeString(req.Page.Cursor)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || n < 0 || n > len(hits) {
			apiError(w, http.StatusBadRequest, "bad cursor")
			return
		}
		start = n
	}
	end := min(start+req.Page.Limit, len(hits))
	data := make([]any, 0, end-start)
	for _, e := range hits[start:end] {
		data = append(data, e.json())
	}
	meta := map[string]any{"elapsed": 3, "request_id": "req", "status": "done"}
	if end < len(hits) {
		meta["page"] = map[string]any{"after": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("offset:%d", end)))}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": meta, "links": map[string]any{}})
}

// json is the event as the API returns it.
func (e *fakeEvent) json() map[string]any {
	attrs := e.Attrs
	if attrs == nil {
		attrs = map[string]any{}
	}
	tags := e.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{
		"id":   e.ID,
		"type": "log",
		"attributes": map[string]any{
			"attributes": attrs,
			"host":       e.Host,
			"message":    e.Message,
			"service":    e.Service,
			"status":     e.Status,
			"tags":       tags,
			"timestamp":  e.Time.UTC().Format(time.RFC3339Nano),
		},
	}
}

// The search language, as far as the fake understands it.

type expr interface{ match(e *fakeEvent) bool }

type orExpr []expr
type andExpr []expr
type notExpr struct{ x expr }

// termExpr is "value", "field:value" or a quoted sequence in either.
type termExpr struct {
	field, value string
	quoted       bool
}

func (x orExpr) match(e *fakeEvent) bool {
	return slices.ContainsFunc(x, func(y expr) bool { return y.match(e) })
}

func (x andExpr) match(e *fakeEvent) bool {
	return !slices.ContainsFunc(x, func(y expr) bool { return !y.match(e) })
}

func (x notExpr) match(e *fakeEvent) bool { return !x.x.match(e) }

func (t termExpr) match(e *fakeEvent) bool {
	contains := func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(t.value)) }
	equals := func(s string) bool {
		if !t.quoted && strings.HasSuffix(t.value, "*") {
			return strings.HasPrefix(s, strings.TrimSuffix(t.value, "*"))
		}
		return s == t.value
	}
	switch {
	case t.field == "" && t.value == "*" && !t.quoted:
		return true
	case t.field == "":
		return contains(e.Message)
	case t.field == "*":
		if contains(e.Message) || contains(e.Host) || contains(e.Service) || slices.ContainsFunc(e.Tags, contains) {
			return true
		}
		return anyLeaf(e.Attrs, contains)
	case t.field == "service":
		return equals(e.Service)
	case t.field == "host":
		return equals(e.Host)
	case t.field == "status":
		return equals(e.Status)
	case strings.HasPrefix(t.field, "@"):
		v, ok := e.Attrs[t.field[1:]]
		return ok && equals(fmt.Sprint(v))
	}
	for _, tag := range e.Tags {
		if k, v, ok := strings.Cut(tag, ":"); ok && k == t.field && equals(v) {
			return true
		}
	}
	return false
}

func anyLeaf(v any, ok func(string) bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			if anyLeaf(x, ok) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if anyLeaf(x, ok) {
				return true
			}
		}
	case string:
		return ok(v)
	case nil:
	default:
		return ok(fmt.Sprint(v))
	}
	return false
}

// parseSearch parses a search query.
func parseSearch(q string) (expr, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("unexpected %v in %q", p.toks[p.i], q)
	}
	return x, nil
}

type token struct {
	kind string // "(", ")", "-", "word"
	term termExpr
	op   string // AND, OR, NOT for a bare operator word
}

// lex splits q into parentheses, "-" before a term, and terms. In a
// term, a backslash escapes the next character, and a double-quoted
// sequence (where only \" and \\ are escapes) is literal.
func lex(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '(' || c == ')':
			toks = append(toks, token{kind: string(c)})
			i++
			continue
		case c == '-' && (len(toks) == 0 || toks[len(toks)-1].kind != "-"):
			toks = append(toks, token{kind: "-"})
			i++
			continue
		}
		var (
			field, value strings.Builder
			cur          = &value
			hasField     bool
			quoted       bool
			raw          strings.Builder
		)
		for i < len(q) && q[i] != ' ' && q[i] != '\t' && q[i] != '(' && q[i] != ')' {
			switch c := q[i]; {
			case c == '\\':
				if i+1 == len(q) {
					return nil, fmt.Errorf("dangling escape in %q", q)
				}
				cur.WriteByte(q[i+1])
				raw.WriteString(q[i : i+2])
				i += 2
			case c == '"':
				j := i + 1
				for ; j < len(q) && q[j] != '"'; j++ {
					if q[j] == '\\' {
						if j+1 == len(q) || q[j+1] != '"' && q[j+1] != '\\' {
							return nil, fmt.Errorf("bad escape in a sequence of %q", q)
						}
						j++
						cur.WriteByte(q[j])
						continue
					}
					cur.WriteByte(q[j])
				}
				if j == len(q) {
					return nil, fmt.Errorf("unterminated sequence in %q", q)
				}
				quoted = true
				raw.WriteString(q[i : j+1])
				i = j + 1
			case c == ':' && !hasField:
				hasField = true
				field.WriteString(value.String())
				value.Reset()
				raw.WriteByte(c)
				i++
			default:
				cur.WriteByte(c)
				raw.WriteByte(c)
				i++
			}
		}
		t := token{kind: "word", term: termExpr{field: field.String(), value: value.String(), quoted: quoted}}
		if w := raw.String(); w == "AND" || w == "OR" || w == "NOT" {
			t.op = w
		}
		toks = append(toks, t)
	}
	return toks, nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peekOp(op string) bool {
	return p.i < len(p.toks) && p.toks[p.i].op == op
}

func (p *parser) or() (expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	out := orExpr{x}
	for p.peekOp("OR") {
		p.i++
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	if len(out) == 1 {
		return x, nil
	}
	return out, nil
}

func (p *parser) and() (expr, error) {
	var out andExpr
	for p.i < len(p.toks) && p.toks[p.i].kind != ")" && !p.peekOp("OR") {
		if p.peekOp("AND") {
			p.i++
			continue
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, errors.New("empty expression")
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *parser) unary() (expr, error) {
	if p.i == len(p.toks) {
		return nil, errors.New("unexpected end")
	}
	t := p.toks[p.i]
	p.i++
	switch {
	case t.kind == "-" || t.op == "NOT":
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case t.kind == "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.i == len(p.toks) || p.toks[p.i].kind != ")" {
			return nil, errors.New("missing )")
		}
		p.i++
		return x, nil
	case t.kind == "word" && t.op == "":
		return t.term, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.kind+t.op)
}
