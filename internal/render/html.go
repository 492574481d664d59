package render

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// The report's script and style, embedded in every HTML report. They are
// written for this report alone and need no library.
var (
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
)

// HTML writes r as one self-contained HTML page that works offline: a
// summary header, a service flow graph, a swimlane timeline, a filterable
// event table, the linked ids, the verifier results, the sources and the
// warnings, in a light and a dark theme.
//
// The report data is the JSON document of JSON, embedded in a
// <script type="application/json"> block with <, >, &, U+2028 and U+2029
// written as \u escapes, so no text from the logs can end the block or be
// read as markup; the page's script builds the DOM from it with
// textContent only. A Content-Security-Policy allows nothing but the
// page's own script and style (by their SHA-256 hashes): no network, no
// other inline code, no plugins, no forms.
func HTML(w io.Writer, r *trace.Report) error {
	if r == nil {
		return errors.New("render html: nil report")
	}
	var doc bytes.Buffer
	if err := JSON(&doc, r); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	title := r.Query.ID
	if r.Trace.ID != "" {
		title = r.Trace.ID
	}
	var b bytes.Buffer
	b.Grow(doc.Len() + len(reportJS) + len(reportCSS) + 2048)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", contentSecurityPolicy())
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n")
	fmt.Fprintf(&b, "<title>pipetracker · %s</title>\n", html.EscapeString(clean(title)))
	b.WriteString("<style>")
	b.WriteString(reportCSS)
	b.WriteString("</style>\n</head>\n<body>\n")
	b.WriteString("<noscript><p>This report needs JavaScript to draw its views; the data is in the JSON block of this file.</p></noscript>\n")
	b.WriteString("<div id=\"app\"></div>\n")
	b.WriteString("<script type=\"application/json\" id=\"report-data\">")
	writeScriptJSON(&b, doc.Bytes())
	b.WriteString("</script>\n<script>")
	b.WriteString(reportJS)
	b.WriteString("</script>\n</body>\n</html>\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

// contentSecurityPolicy allows only the embedded script and style.
func contentSecurityPolicy() string {
	return "default-src 'none'; script-src " + sha256Source(reportJS) +
		"; style-src " + sha256Source(reportCSS) +
		"; img-src data: blob:; base-uri 'none'; form-action 'none'; object-src 'none'"
}

func sha256Source(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// writeScriptJSON writes a JSON document for a <script> block: <, > and &
// become \u003c, \u003e and \u0026, and U+2028 and U+2029 become \u2028
// and \u2029. These characters occur only inside JSON strings, where the
// escapes denote the same text.
func writeScriptJSON(b *bytes.Buffer, doc []byte) {
	last := 0
	for i := 0; i < len(doc); i++ {
		var esc string
		switch c := doc[i]; {
		case c == '<':
			esc = `\u003c`
		case c == '>':
			esc = `\u003e`
		case c == '&':
			esc = `\u0026`
		case c == 0xE2 && i+2 < len(doc) && doc[i+1] == 0x80 && (doc[i+2] == 0xA8 || doc[i+2] == 0xA9):
			esc = `\u2028`
			if doc[i+2] == 0xA9 {
				esc = `\u2029`
			}
		default:
			continue
		}
		b.Write(doc[last:i])
		b.WriteString(esc)
		if esc[2] == '2' {
			i += 2
		}
		last = i + 1
	}
	b.Write(doc[last:])
}
