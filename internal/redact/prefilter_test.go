package redact

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// prefilterRedactors are redactors with every built-in rule on, with the
// defaults, and with a configured secret field name ending in '-', each
// paired with a copy that runs every finder on every text.
func prefilterRedactors(tb testing.TB) [][2]*Redactor {
	tb.Helper()
	var out [][2]*Redactor
	for _, opt := range []Options{
		{},
		{Rules: map[string]bool{RuleIPv4: true, RuleIPv6: true, RuleDigits: true}},
		{SecretFields: []string{"X-Auth-", "pin", "Session_ID"}},
	} {
		fast, err := New(opt)
		if err != nil {
			tb.Fatal(err)
		}
		exact, err := New(opt)
		if err != nil {
			tb.Fatal(err)
		}
		exact.exact, exact.cuts = true, false
		out = append(out, [2]*Redactor{fast, exact})
	}
	return out
}

// prefilterTexts are texts at the edges of the features: each shape a
// finder accepts, cut or glued to its neighbours.
var prefilterTexts = []string{
	"", "a", "+", "(", "0", "@", ".eyJ", "eyJ.eyJ",
	"call +44 20 7946 0958 now", "+1(415)555-2671", "x+15551234567", "+0 1234 5678",
	"(415) 555-2671", "(415)555-2671", "415-555-2671", "415.555.2671", "a415-555-2671", "#415-555-2671",
	"020 7946 0958", "06 12 34 56 78", "030-12345678", "012345 678 901", "T06:00:00", " 06:00 ",
	"123-45-6789", "078-05-1120", "123-45-678", "SSN 219-09-9999.",
	"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5500 0000 0000 0004x", "4111 1111_1111 1111",
	"DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "xDE89370400440532013000", "-DE89370400440532013000",
	"AKIAIOSFODNN7EXAMPLE", "xAKIAIOSFODNN7EXAMPLE", "/AKIAIOSFODNN7EXAMPLE+", "AKIAIOSFODNN7EXAMPLE_",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	`"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY=",
	"Authorization: Bearer abc.def-ghi_123", "authorization=Basic dXNlcjpwYXNz", "Proxy-Authorization: Negotiate YII=",
	`{\"authorization\":\"Token x1y2z3\"}`, "bearer\tAbCdEfGh1", "BEARER abcdefgh", "xbearer abcdefgh1",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "password=hunter2", `"Password": "hunter2"`, `\"token\":\"abc\"`,
	"x-auth-=1", "X_AUTH_: 2", "session_id=abc", "SESSION-ID = x", "pin:1234", "PIN:1234", "spin=1",
	"set-cookie: a=b; c=d", "cookie=abc", "anna@example.com", "user@2x.png", "a.b@c.d.co.uk", "@x",
	"10.0.0.1", "fe80::1", "2001:db8::ff00:42:8329", "12345", "1234.5678", "2025-10-21T09:14:03.123Z",
	"[2025-10-21 06:00:00.123] INFO shipping.tracking - parcel handed over shipment_id=SH-00524158 weight_g=5621",
}

func TestPrefilterExact(t *testing.T) {
	texts := slices.Clone(prefilterTexts)
	for _, c := range append(positives(), negatives()...) {
		texts = append(texts, c.text)
	}
	for i, pair := range prefilterRedactors(t) {
		for _, s := range texts {
			got, want := pair[0].Find(s, nil), pair[1].Find(s, nil)
			if !slices.Equal(got, want) {
				t.Errorf("redactor %d, %q: prefiltered %v, every finder %v", i, s, got, want)
			}
		}
	}
}

// FuzzPrefilter checks that the features never keep a finder from a text
// it finds something in.
func FuzzPrefilter(f *testing.F) {
	for _, s := range prefilterTexts {
		f.Add(s)
	}
	pairs := prefilterRedactors(f)
	f.Fuzz(func(t *testing.T, s string) {
		for i, pair := range pairs {
			got, want := pair[0].Find(s, nil), pair[1].Find(s, nil)
			if !slices.Equal(got, want) {
				t.Fatalf("redactor %d, %q: prefiltered %v, every finder %v", i, s, got, want)
			}
		}
	})
}

// cutEvent is an event whose message and fields are cuts of its raw text
// (sharing its bytes, as the parsers make them): the message raw[a:b],
// and a field for every stretch of raw between two blanks, '=' or quotes.
func cutEvent(raw string, a, b int) trace.Event {
	ev := trace.Event{Raw: raw, Message: raw[a:b], Fields: map[string]any{}}
	start := 0
	for i := 0; i <= len(raw); i++ {
		if i == len(raw) || strings.IndexByte(" =\"'", raw[i]) >= 0 {
			if i > start {
				ev.Fields[fmt.Sprintf("f%d", start)] = raw[start:i]
			}
			start = i + 1
		}
	}
	ev.Fields["whole"] = raw
	return ev
}

// cutsAgree redacts ev with and without relying on cuts of a clean raw
// text and reports a difference.
func cutsAgree(t *testing.T, ev trace.Event) {
	t.Helper()
	fast, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	slow.cuts = false
	keep := []string{"TXN-48213"}
	e1, e2, e3 := ev, ev, ev
	e1.Fields, e2.Fields, e3.Fields = maps.Clone(ev.Fields), maps.Clone(ev.Fields), maps.Clone(ev.Fields)
	c1, c2, c3 := map[string]int{}, map[string]int{}, map[string]int{}
	fast.event(&e1, keep, c1)
	slow.event(&e2, keep, c2)
	e3.Clean = fast.Precheck(e3)
	fast.event(&e3, keep, c3)
	if e1.Raw != e2.Raw || e1.Message != e2.Message || !maps.Equal(c1, c2) || !reflect.DeepEqual(e1.Fields, e2.Fields) {
		t.Fatalf("raw %q: with cuts %q %q %v %v; without %q %q %v %v", ev.Raw, e1.Raw, e1.Message, e1.Fields, c1, e2.Raw, e2.Message, e2.Fields, c2)
	}
	if e3.Raw != e2.Raw || e3.Message != e2.Message || !maps.Equal(c3, c2) || !reflect.DeepEqual(e3.Fields, e2.Fields) {
		t.Fatalf("raw %q: prechecked (clean %v) %q %q %v %v; without cuts %q %q %v %v", ev.Raw, e3.Clean, e3.Raw, e3.Message, e3.Fields, c3, e2.Raw, e2.Message, e2.Fields, c2)
	}
}

func TestCutsOfCleanRaw(t *testing.T) {
	var texts []string
	for _, c := range append(positives(), negatives()...) {
		texts = append(texts, c.text)
	}
	texts = append(texts, prefilterTexts...)
	for _, s := range texts {
		for _, raw := range []string{
			s,
			"ts=2025-10-21T09:14:03Z transaction_id=TXN-48213 v=" + s + " tail",
			`{"msg":"` + s + `","n":1}`,
			"x" + s + "y",
			"1" + s + "2",
		} {
			for _, cut := range [][2]int{{0, len(raw)}, {0, len(raw) / 2}, {len(raw) / 3, len(raw)}} {
				cutsAgree(t, cutEvent(raw, cut[0], cut[1]))
			}
		}
	}
}

// FuzzCuts checks that skipping the cuts of a raw text in which no rule
// finds anything never lets a value through that a look of its own would
// have replaced.
func FuzzCuts(f *testing.F) {
	for _, s := range prefilterTexts {
		f.Add("v="+s+" tail", uint16(0), uint16(len(s)))
	}
	f.Fuzz(func(t *testing.T, raw string, a, b uint16) {
		lo, hi := int(a)%(len(raw)+1), int(b)%(len(raw)+1)
		if lo > hi {
			lo, hi = hi, lo
		}
		cutsAgree(t, cutEvent(raw, lo, hi))
	})
}

func TestPrecheck(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := "ts=2025-10-21T09:14:03Z level=info msg=\"order placed\" transaction_id=TXN-48213 total=44.89"
	for _, tc := range []struct {
		name  string
		ev    trace.Event
		clean bool
	}{
		{"clean cuts", trace.Event{Raw: raw, Message: raw[40:52], Fields: map[string]any{"transaction_id": raw[68:77], "n": json.Number("3")}}, true},
		{"clean nested", trace.Event{Raw: raw, Fields: map[string]any{"ctx": map[string]any{"order": []any{"ORD-1", 2.5}}}}, true},
		{"e-mail in raw", trace.Event{Raw: raw + " to=anna@example.com"}, false},
		{"e-mail in a field only", trace.Event{Raw: raw, Fields: map[string]any{"to": "anna@example.com"}}, false},
		{"e-mail in the message only", trace.Event{Raw: raw, Message: "for anna@example.com"}, false},
		{"secret name", trace.Event{Raw: raw, Fields: map[string]any{"api_key": "TXN-48213"}}, false},
		{"secret name, empty value", trace.Event{Raw: raw, Fields: map[string]any{"password": ""}}, true},
		{"phone that is a kept id elsewhere", trace.Event{Raw: "caller=+4420794609581 transaction_id=+4420794609581"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			ev.Clean = r.Precheck(ev)
			if ev.Clean != tc.clean {
				t.Fatalf("Clean = %v, want %v", ev.Clean, tc.clean)
			}
		})
	}
}
