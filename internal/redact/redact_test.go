package redact

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

func mustNew(t testing.TB, opt Options) *Redactor {
	t.Helper()
	r, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		in   string
		keep []string
		want string
	}{
		{"email", Options{}, "mail to anna.smith@example.com now", nil, "mail to [REDACTED:email] now"},
		{"two rules", Options{}, "card 4111 1111 1111 1111 for bob@example.org", nil, "card [REDACTED:card] for [REDACTED:email]"},
		{"card with trailing group", Options{}, "cc 4111-1111-1111-1111-2027", nil, "cc [REDACTED:card]-2027"},
		{"luhn failure survives", Options{}, "ref 4111111111111112", nil, "ref 4111111111111112"},
		{"bearer keeps scheme", Options{}, "Authorization: Bearer abcDEF123456789xyz", nil, "Authorization: Bearer [REDACTED:bearer]"},
		{"secret field json", Options{}, `{"user":"u1","password":"hunter2"}`, nil, `{"user":"u1","password":"[REDACTED:secret_field]"}`},
		{"secret field custom names", Options{SecretFields: []string{"pin"}}, "pin=1234 password=x", nil, "pin=[REDACTED:secret_field] password=x"},
		{"secret fields off", Options{Rules: map[string]bool{RuleSecretField: false}}, "password=hunter2", nil, "password=hunter2"},
		{"rule off", Options{Rules: map[string]bool{RuleEmail: false}}, "a@example.com", nil, "a@example.com"},
		{"ipv4 on", Options{Rules: map[string]bool{RuleIPv4: true}}, "from 192.168.1.20 port 22", nil, "from [REDACTED:ipv4] port 22"},
		{"digits on", Options{Rules: map[string]bool{RuleDigits: true}}, "at 2025-10-21 id 12345", nil, "at [REDACTED:digits]-10-21 id [REDACTED:digits]"},
		{"custom whole match", Options{Custom: []Custom{{"member", `MBR-\d{6}`}}}, "member MBR-123456 ok", nil, "member [REDACTED:member] ok"},
		{"custom group", Options{Custom: []Custom{{"loyalty", `loyalty=(\w+)`}}}, "loyalty=GOLD42 x", nil, "loyalty=[REDACTED:loyalty] x"},
		{"traced id kept though phone-like", Options{}, "txn +1 415 555 2671 paid, callback +1 415 555 2672", []string{"+1 415 555 2671"}, "txn +1 415 555 2671 paid, callback [REDACTED:phone]"},
		{"linked id kept though card-like", Options{}, "order 4111111111111111 card 5500005555555559", []string{"4111111111111111"}, "order 4111111111111111 card [REDACTED:card]"},
		{"id inside a secret field value", Options{}, "token=TXN-1", []string{"TXN-1"}, "token=TXN-1"},
		{"nothing", Options{}, "plain text 2025-10-21T09:14:03Z", nil, "plain text 2025-10-21T09:14:03Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustNew(t, tt.opt)
			counts := map[string]int{}
			got := r.String(tt.in, tt.keep, counts)
			if got != tt.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			n := 0
			for _, c := range counts {
				n += c
			}
			if want := strings.Count(tt.want, "[REDACTED:"); n != want {
				t.Errorf("counts %v, want %d replacements", counts, want)
			}
		})
	}
}

func TestHashMode(t *testing.T) {
	if _, err := New(Options{Mode: ModeHash}); !errors.Is(err, ErrNoHashKey) {
		t.Fatalf("hash without key: %v, want ErrNoHashKey", err)
	}
	if _, err := New(Options{Mode: "scramble"}); err == nil {
		t.Fatal("unknown mode accepted")
	}
	a := mustNew(t, Options{Mode: ModeHash, HashKey: []byte("k1")})
	b := mustNew(t, Options{Mode: ModeHash, HashKey: []byte("k1")})
	c := mustNew(t, Options{Mode: ModeHash, HashKey: []byte("k2")})
	pseudo := regexp.MustCompile(`^email:[0-9a-f]{8}$`)
	x := a.String("Anna.Smith@Example.com", nil, nil)
	if !pseudo.MatchString(x) {
		t.Fatalf("pseudonym %q", x)
	}
	if y := b.String("anna.smith@example.com", nil, nil); y != x {
		t.Errorf("same key, same address in other case: %q != %q", y, x)
	}
	if z := c.String("anna.smith@example.com", nil, nil); z == x {
		t.Errorf("other key gives the same pseudonym %q", z)
	}
	if w := a.String("zoe@example.com", nil, nil); w == x {
		t.Errorf("two addresses share pseudonym %q", w)
	}
	// A card written two ways is one card.
	if p, q := a.String("4111 1111 1111 1111", nil, nil), a.String("4111-1111-1111-1111", nil, nil); p != q {
		t.Errorf("card pseudonyms differ: %q %q", p, q)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"unknown rule", Options{Rules: map[string]bool{"emial": true}}, `unknown rule "emial"`},
		{"bad regexp", Options{Custom: []Custom{{"x", `(`}}}, `rule "x"`},
		{"unnamed", Options{Custom: []Custom{{"", `x`}}}, "no name"},
		{"builtin name", Options{Custom: []Custom{{"email", `x`}}}, "built-in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func sampleReport() *trace.Report {
	return &trace.Report{
		Query: trace.Query{ID: "TXN-4111111111111111"},
		Trace: trace.Trace{ID: "TXN-4111111111111111", Events: []trace.Event{
			{
				Message: "charged 5500 0055 5555 5559 for anna@example.com",
				Raw:     `{"msg":"charged 5500 0055 5555 5559 for anna@example.com","transaction_id":"TXN-4111111111111111","password":"hunter2"}`,
				Fields: map[string]any{
					"transaction_id": "TXN-4111111111111111",
					"password":       "hunter2",
					"amount":         json.Number("12.50"),
					"pan":            json.Number("5500005555555559"),
					"customer":       map[string]any{"email": "anna@example.com", "phones": []any{"+44 20 7946 0958", "n/a"}, "api_key": map[string]any{"v": 1}},
					"tags":           []any{"a", "b"},
				},
				Matched: trace.Match{Key: "transaction_id", Value: "TXN-4111111111111111"},
			},
			{Message: "linked request_id=+14155552671 done", Raw: "linked request_id=+14155552671 done", Matched: trace.Match{Key: "request_id", Value: "+14155552671"}},
		}},
		LinkedIDs: []trace.LinkedID{{Key: "request_id", Value: "+14155552671"}},
		Warnings:  []trace.Warning{{Message: "bad record from bob@example.org"}},
		Stats:     trace.Stats{Sources: []trace.SourceStats{{Source: "x", Error: "auth failed: Authorization: Bearer abcDEF1234567890"}}},
	}
}

func TestReport(t *testing.T) {
	rep := sampleReport()
	r := mustNew(t, Options{})
	counts := r.Report(rep)
	ev := rep.Trace.Events[0]
	out, _ := json.Marshal(rep)
	for _, leak := range []string{"anna@example.com", "bob@example.org", "hunter2", "5500 0055 5555 5559", "5500005555555559", "7946 0958", "abcDEF1234567890"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("%q left in the report: %s", leak, out)
		}
	}
	for _, kept := range []string{`"TXN-4111111111111111"`, "request_id=+14155552671"} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("id %s was masked: %s", kept, out)
		}
	}
	if ev.Fields["transaction_id"] != "TXN-4111111111111111" || ev.Fields["amount"] != json.Number("12.50") {
		t.Errorf("fields changed that must not: %v", ev.Fields)
	}
	if ev.Fields["pan"] != "[REDACTED:card]" {
		t.Errorf("numeric card field = %v", ev.Fields["pan"])
	}
	cust := ev.Fields["customer"].(map[string]any)
	if cust["api_key"] != "[REDACTED:secret_field]" || cust["email"] != "[REDACTED:email]" || !reflect.DeepEqual(cust["phones"], []any{"[REDACTED:phone]", "n/a"}) {
		t.Errorf("nested fields: %v", cust)
	}
	want := map[string]int{"card": 3, "email": 4, "secret_field": 3, "phone": 1, "bearer": 1}
	if !reflect.DeepEqual(counts, want) || !reflect.DeepEqual(rep.Redactions, want) {
		t.Errorf("counts %v, report %v; want %v", counts, rep.Redactions, want)
	}
	// The input maps were not shared with the redacted ones.
	fresh := sampleReport()
	if fresh.Trace.Events[0].Fields["password"] != "hunter2" {
		t.Fatal("sampleReport shares state")
	}
}

func TestReportLeavesUnchangedFieldsAlone(t *testing.T) {
	fields := map[string]any{"a": "plain", "n": []any{"x", json.Number("1")}}
	r := mustNew(t, Options{})
	got := r.Fields(fields, nil, nil)
	if reflect.ValueOf(got).Pointer() != reflect.ValueOf(fields).Pointer() {
		t.Error("Fields copied a map without changes")
	}
}

// TestHostileTextIsLinear feeds megabytes of dense matches and of shapes
// that make naive scanners quadratic; each must finish in seconds (about
// one on an idle core; the bound leaves room for a busy machine), where a
// quadratic scan would take hours.
func TestHostileTextIsLinear(t *testing.T) {
	r := mustNew(t, Options{Rules: map[string]bool{RuleIPv4: true, RuleIPv6: true, RuleDigits: true}})
	const n = hostileSize
	inputs := map[string]string{
		"dense emails":    strings.Repeat("a@b.co ", n/7),
		"dense cards":     strings.Repeat("4111111111111111 ", n/17),
		"at signs":        strings.Repeat("a@", n/2),
		"long local part": strings.Repeat("a.", n/2) + "@",
		"plus and digits": strings.Repeat("+1 ", n/3),
		"colons":          strings.Repeat("a:", n/2),
		"secret names":    strings.Repeat("password:", n/9),
		"unclosed quotes": strings.Repeat(`token:"`, n/7),
		"digit groups":    strings.Repeat("1234 ", n/5),
		"iban starts":     strings.Repeat("DE89 ", n/5),
		"base64 run":      strings.Repeat("aB3/", n/4),
		"hex and colons":  strings.Repeat("ab:", n/3),
		"dense distinct": func() string {
			var b strings.Builder
			for i := 0; b.Len() < n; i++ {
				b.WriteString("u" + strings.Repeat("x", i%50) + "@example.com ")
			}
			return b.String()
		}(),
	}
	for name, s := range inputs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			rep := &trace.Report{Trace: trace.Trace{Events: []trace.Event{{Message: s, Raw: s, Fields: map[string]any{"m": s}}}}}
			r.Report(rep)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("%d bytes took %v", len(s), d)
			}
		})
	}
}

// TestReportInChunks checks that redacting many events on several cores
// gives what redacting them one by one gives, counts included.
func TestReportInChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 9*eventsPerWorker + 17
	got, want := benchReport(n), benchReport(n)
	counts := r.Report(got)
	wantCounts := map[string]int{}
	keep := keptIDs(want)
	for i := range want.Trace.Events {
		r.event(&want.Trace.Events[i], keep, wantCounts)
	}
	if !reflect.DeepEqual(got.Trace.Events, want.Trace.Events) {
		t.Error("events redacted in chunks differ from events redacted one by one")
	}
	if !reflect.DeepEqual(counts, wantCounts) || counts[RuleEmail] == 0 {
		t.Errorf("counts %v, want %v (with e-mails)", counts, wantCounts)
	}
}
