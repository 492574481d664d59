package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// hostileHTMLReport carries records written to break out of HTML, script,
// attribute, URL and template contexts; each tries to set a window
// property or the document's title when it runs.
func hostileHTMLReport() *trace.Report {
	payloads := []string{
		`<script>window.__pwned=1;document.title="pwned"</script>`,
		`<img src=x onerror="window.__pwned=2;document.title='pwned'">`,
		`</script><script>window.__pwned=3</script>`,
		`javascript:window.__pwned=4`,
		`"'><svg onload=window.__pwned=5>` + "`${window.__pwned=6}`",
		"<!-- \u2028\u2029 --> ]]> &amp; &lt;b&gt;",
		`{{constructor.constructor('window.__pwned=7')()}}`,
	}
	var events []trace.Event
	for i, p := range payloads {
		e := ev(float64(i*10), "svc-"+string(rune('a'+i%3)), trace.LevelWarn, "hostile "+p, "evil.log", int64(i+1))
		e.Raw = p
		e.Fields = map[string]any{"href": "javascript:window.__pwned=8", "<b>": p}
		e.Matched = trace.Match{Key: "transaction_id", Value: "X<script>", Via: p}
		events = append(events, e)
	}
	events[0].Service = `<img src=x onerror="window.__pwned=9">`
	rep := &trace.Report{
		Query: trace.Query{ID: `TXN-</script><script>window.__pwned=10</script>`, Sources: []string{"./logs"}},
		Trace: assemble(`TXN-</script><script>window.__pwned=10</script>`, events),
		LinkedIDs: []trace.LinkedID{
			{Key: "request_id", Value: `<script>window.__pwned=11</script>`, Depth: 1, Via: payloads[1], From: events[1].Origin, Events: 1},
		},
		Warnings: []trace.Warning{{Source: payloads[3], Message: payloads[0]}},
		Verifications: []trace.Verification{
			{Service: events[0].Service, Endpoint: "https://x/", OK: true, Status: 200, Response: map[string]any{"html": payloads[2]}},
			{Service: "svc-b", Endpoint: "https://y/", Error: payloads[1]},
		},
		Stats: trace.Stats{Sources: []trace.SourceStats{{Source: payloads[1], Failed: true, Error: payloads[0]}}},
	}
	return rep
}

func TestMoreFormatsGolden(t *testing.T) {
	reports := []struct {
		name   string
		report func() *trace.Report
	}{
		{"full", fullReport},
		{"empty", emptyReport},
		{"warnings", warningsReport},
		{"untimed", untimedReport},
		{"hostile", hostileReport},
	}
	formats := []struct {
		name, ext string
		write     func(io.Writer, *trace.Report) error
	}{
		{"mermaid", "mmd", Mermaid},
		{"csv", "csv", CSV},
		{"ndjson", "ndjson", NDJSON},
	}
	for _, f := range formats {
		for _, r := range reports {
			t.Run(f.name+"/"+r.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf, r.report()); err != nil {
					t.Fatal(err)
				}
				golden(t, f.name+"-"+r.name+".golden", buf.Bytes())
			})
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	for _, mk := range []func() *trace.Report{fullReport, hostileReport, hostileHTMLReport, warningsReport} {
		r := mk()
		var buf bytes.Buffer
		if err := CSV(&buf, r); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(buf.String(), "\r\n") {
			t.Errorf("%s: rows do not end in CRLF", r.Query.ID)
		}
		rd := csv.NewReader(&buf)
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("%s: reading back: %v", r.Query.ID, err)
		}
		want := 1 + len(r.Trace.Events) + len(r.Verifications)
		if len(rows) != want {
			t.Fatalf("%s: %d rows, want %d", r.Query.ID, len(rows), want)
		}
		for i, e := range r.Trace.Events {
			row := rows[i+1]
			if len(row) != len(csvHeader()) {
				t.Fatalf("row %d has %d cells", i+1, len(row))
			}
			// The reader turns a quoted CRLF into LF.
			crlf := strings.NewReplacer("\r\n", "\n")
			if row[4] != crlf.Replace(cell(e.Message)) || row[12] != crlf.Replace(cell(e.Raw)) || row[2] != cell(e.Service) {
				t.Errorf("row %d: message %q raw %q, want %q %q", i+1, row[4], row[12], e.Message, e.Raw)
			}
		}
		for i, v := range r.Verifications {
			row := rows[1+len(r.Trace.Events)+i]
			if row[3] != "verification" || row[2] != cell(v.Service) || !strings.HasPrefix(row[4], map[bool]string{true: "ok: HTTP", false: "failed: "}[v.OK]) {
				t.Errorf("verification row %d: %q", i, row)
			}
		}
		for i := range r.Trace.Events {
			row := rows[i+1]
			var fields map[string]any
			if err := json.Unmarshal([]byte(row[11]), &fields); err != nil {
				t.Errorf("row %d: fields %q: %v", i+1, row[11], err)
			}
		}
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := cell(tt.in); got != tt.want {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNDJSONLines(t *testing.T) {
	for _, mk := range []func() *trace.Report{fullReport, emptyReport, warningsReport, untimedReport, hostileHTMLReport} {
		r := mk()
		var buf bytes.Buffer
		if err := NDJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if want := len(r.Trace.Events) + len(r.Verifications) + 1; len(lines) != want {
			t.Fatalf("%s: %d lines, want %d", r.Query.ID, len(lines), want)
		}
		for i, l := range lines {
			var obj map[string]any
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			want := "event"
			switch {
			case i == len(lines)-1:
				want = "summary"
			case i >= len(r.Trace.Events):
				want = "verification"
			}
			if obj["type"] != want {
				t.Errorf("line %d: type %v, want %s", i+1, obj["type"], want)
			}
			if want == "event" && obj["message"] != r.Trace.Events[i].Message {
				t.Errorf("line %d: message %q", i+1, obj["message"])
			}
		}
	}
}

func TestMermaidHostileNames(t *testing.T) {
	events := []trace.Event{
		ev(0, "a\nparticipant evil", trace.LevelInfo, "x", "a.log", 1),
		ev(5, "b;note over a: injected", trace.LevelError, "y", "b.log", 1),
		ev(9, "c#%%{init}%%<br>", trace.LevelInfo, "z", "c.log", 1),
	}
	r := &trace.Report{Query: trace.Query{ID: "T\n%%{init: {}}%%"}, Trace: assemble("T", events)}
	var buf bytes.Buffer
	if err := Mermaid(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// sequenceDiagram, title, 3 participants, 2 hops, 1 error note.
	if n := strings.Count(out, "\n"); n != 8 {
		t.Errorf("%d lines, want 8:\n%s", n, out)
	}
	for _, bad := range []string{"%%", "<br>", "\nparticipant evil", "\nnote over"} {
		body := strings.SplitN(out, "\n", 2)[1]
		if strings.Contains(body, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
}

func TestHTMLStatic(t *testing.T) {
	r := hostileHTMLReport()
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(strings.ToLower(page), "<script"); n != 2 {
		t.Errorf("%d <script openings, want 2", n)
	}
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("%d </script closings, want 2", n)
	}
	for _, bad := range []string{"<img", "<svg onload", "\u2028", "\u2029", "<!--"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data block")
	}
	var fromPage, direct any
	if err := json.Unmarshal([]byte(m[1]), &fromPage); err != nil {
		t.Fatalf("data block is not JSON: %v", err)
	}
	var doc bytes.Buffer
	if err := JSON(&doc, r); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc.Bytes(), &direct); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromPage)
	b, _ := json.Marshal(direct)
	if !bytes.Equal(a, b) {
		t.Error("data block does not decode to the JSON document")
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no CSP meta tag")
	}
	for _, part := range []string{"default-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp[1], part) {
			t.Errorf("CSP %q lacks %q", csp[1], part)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp[1], bad) {
			t.Errorf("CSP %q allows %q", csp[1], bad)
		}
	}
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	for name, body := range map[string][]string{"script": script, "style": style} {
		if body == nil {
			t.Fatalf("no inline %s", name)
		}
		sum := sha256.Sum256([]byte(body[1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp[1], h) {
			t.Errorf("CSP does not allow the inline %s by hash %s", name, h)
		}
	}
	if strings.Contains(reportJS, "innerHTML") || strings.Contains(reportJS, "eval(") || strings.Contains(reportJS, "new Function") {
		t.Error("the report script uses innerHTML, eval or new Function")
	}
}

func TestWriteScriptJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"a":"b"}`, `{"a":"b"}`},
		{"markup", `"</script><b>&"`, `"\u003c/script\u003e\u003cb\u003e\u0026"`},
		{"separators", "\"a\u2028b\u2029c\"", `"a\u2028b\u2029c"`},
		{"other three-byte runes", `"€…‐"`, `"€…‐"`},
		{"truncated rune at end", "\"\xe2\x80", "\"\xe2\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeScriptJSON(&b, []byte(tt.in))
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}

// TestHTMLLarge checks that a report of 10 000 events renders quickly
// and stays one page.
func TestHTMLLarge(t *testing.T) {
	r := largeReport(10_000)
	start := time.Now()
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("rendering took %s", d)
	}
	if n := strings.Count(buf.String(), `"service": "svc-`); n < 10_000 {
		t.Errorf("%d events in the page", n)
	}
}

// largeReport is a trace of n events over eight services.
func largeReport(n int) *trace.Report {
	events := make([]trace.Event, n)
	levels := []trace.Level{trace.LevelInfo, trace.LevelDebug, trace.LevelInfo, trace.LevelWarn, trace.LevelInfo, trace.LevelError}
	for i := range events {
		svc := "svc-" + string(rune('a'+(i/50)%8))
		events[i] = ev(float64(i)*1.7, svc, levels[i%len(levels)], "step "+strings.Repeat("x", i%40)+" of the request", svc+".log", int64(i+1))
	}
	return &trace.Report{
		Query: trace.Query{ID: "TXN-LARGE", Sources: []string{"./logs"}},
		Trace: assemble("TXN-LARGE", events),
		Stats: trace.Stats{Sources: []trace.SourceStats{{Source: "./logs", Files: 8, Bytes: 5_000_000, Records: n}}},
	}
}
