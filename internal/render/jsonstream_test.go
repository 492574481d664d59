package render

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// TestHopsEncodeAsEncodingJSON checks the hand-written hop encoder against
// encoding/json, gaps of every size and untimed hops included.
func TestHopsEncodeAsEncodingJSON(t *testing.T) {
	at := time.Date(2025, 10, 21, 9, 14, 7, 123456789, time.UTC)
	hops := []trace.Hop{
		{From: "gateway", To: "checkout", At: at, Gap: 12 * time.Millisecond},
		{From: "a\"b", To: "c\\d", At: time.Time{}, Gap: 0},
		{From: "x", To: "y", At: at.In(time.FixedZone("", 7200)), Gap: -1500 * time.Microsecond},
		{From: "x", To: "y", At: at, Gap: 400 * time.Nanosecond},
		{From: "x", To: "y", At: at, Gap: 1 * time.Microsecond},
		{From: "x", To: "y", At: at, Gap: 100 * 24 * time.Hour},
		{From: "x", To: "y", At: at, Gap: time.Duration(1<<63 - 1)},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		hops = append(hops, trace.Hop{From: "s", To: "t", At: at.Add(time.Duration(rng.Int64N(1e12))), Gap: time.Duration(rng.Int64N(1e13) - 5e12)})
	}
	for i := range hops {
		h := hops[i]
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(jsonHop{From: h.From, To: h.To, At: jsonTime(h.At), GapMS: millis(h.Gap)}); err != nil {
			t.Fatal(err)
		}
		got := string(appendHop(nil, &hops[i]))
		if w := "    " + strings.TrimSuffix(want.String(), "\n"); got != w {
			t.Errorf("hop %d:\ngot:\n%s\nwant:\n%s", i, got, w)
		}
	}
}

// TestJSONManyHops checks that a long hops array is written whole, in
// order, between the events and the linked ids.
func TestJSONManyHops(t *testing.T) {
	r := fullReport()
	r.Trace.Hops = nil
	at := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	for i := range 20000 {
		r.Trace.Hops = append(r.Trace.Hops, trace.Hop{From: "a", To: "b", At: at.Add(time.Duration(i) * time.Millisecond), Gap: time.Duration(i) * time.Microsecond})
	}
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got jsonReport
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Hops) != len(r.Trace.Hops) {
		t.Fatalf("%d hops, want %d", len(got.Hops), len(r.Trace.Hops))
	}
	for i, h := range got.Hops {
		if want := float64(i) / 1000; h.GapMS != want {
			t.Fatalf("hop %d has gap %v ms, want %v: out of order", i, h.GapMS, want)
		}
	}
}

func TestValidNumber(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"12", true}, {"12.50", true}, {"-3e7", true}, {"1E+2", true},
		{"1e400", true}, {"0.5e-3", true},
		{"", false}, {"-", false}, {"01", false}, {"1.", false}, {".5", false}, {"1e", false},
		{"1e+", false}, {"+1", false}, {"1x", false}, {"NaN", false}, {"0x10", false}, {" 1", false},
	} {
		if got := validNumber(tc.s); got != tc.ok {
			t.Errorf("validNumber(%q) = %v, want %v", tc.s, got, tc.ok)
		}
		// encoding/json writes exactly the valid ones.
		_, err := json.Marshal(json.Number(tc.s))
		if tc.s != "" && (err == nil) != tc.ok {
			t.Errorf("encoding/json disagrees on %q: %v", tc.s, err)
		}
	}
}

// TestJSONStringAsEncodingJSON checks the string encoder, with its
// eight-bytes-at-a-time run, against encoding/json on strings of every
// byte at every position.
func TestJSONStringAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("abcXYZ019 -_/:.{}\"\\\x00\x01\x1f\x7f\n\t\r<>&")
	alphabet = append(alphabet, "é€\u2028\u2029\xff\xc3"...)
	for i := range 5000 {
		n := rng.IntN(40)
		var sb strings.Builder
		for range n {
			if rng.IntN(4) == 0 {
				sb.WriteByte(byte(rng.IntN(256)))
			} else {
				sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
		}
		s := sb.String()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(AppendJSONString(nil, s)); got != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("case %d, %q:\ngot  %s\nwant %s", i, s, got, want.String())
		}
	}
}

// BenchmarkJSON writes the report of a hot id: 20,000 events and as many
// hops. MB/s are of the document written.
func BenchmarkJSON(b *testing.B) {
	r := fullReport()
	base := r.Trace.Events
	r.Trace.Events, r.Trace.Hops = nil, nil
	at := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	for i := range 20000 {
		e := base[i%len(base)]
		e.Origin.Line = int64(i)
		r.Trace.Events = append(r.Trace.Events, e)
		r.Trace.Hops = append(r.Trace.Hops, trace.Hop{From: "a", To: "b", At: at.Add(time.Duration(i) * time.Millisecond), Gap: time.Millisecond})
	}
	var cw countWriter
	if err := JSON(&cw, r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(cw))
	for b.Loop() {
		if err := JSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
