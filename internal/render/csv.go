package render

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// csvHeader names the columns written by CSV.
func csvHeader() []string {
	return []string{"time", "offset_ms", "service", "level", "message", "matched_key", "matched_value", "via", "source", "path", "line", "fields", "raw"}
}

// CSV writes one header row, then one row per event in timeline order,
// quoted as RFC 4180 says (fields with commas, quotes or line breaks are
// quoted, quotes doubled, CRLF line ends). time is RFC 3339 in UTC and
// offset_ms the milliseconds since the trace's start (both empty when the
// event is untimed); fields is a JSON object. Cells taken from logs that
// begin with =, +, -, @, tab or carriage return are prefixed with a
// single quote so that a spreadsheet shows them as text instead of
// evaluating them as formulas. Verifier answers follow the events as rows
// of the same shape: level "verification", the service, the message
// "ok: HTTP <status> <answer as JSON>" or "failed: <error>", and the
// endpoint in the source column.
func CSV(w io.Writer, r *trace.Report) error {
	if r == nil {
		return errors.New("render csv: nil report")
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader()); err != nil {
		return fmt.Errorf("render csv: %w", err)
	}
	start := r.Trace.Start
	row := make([]string, len(csvHeader()))
	for i := range r.Trace.Events {
		e := &r.Trace.Events[i]
		row[0], row[1] = "", ""
		if !e.Time.IsZero() {
			row[0] = *jsonTime(e.Time)
			if !start.IsZero() {
				row[1] = strconv.FormatFloat(millis(e.Time.Sub(start)), 'f', -1, 64)
			}
		}
		row[2] = cell(e.Service)
		row[3] = string(e.Level)
		row[4] = cell(e.Message)
		row[5] = cell(e.Matched.Key)
		row[6] = cell(e.Matched.Value)
		row[7] = cell(e.Matched.Via)
		row[8] = cell(e.Origin.Source)
		row[9] = cell(e.Origin.Path)
		row[10] = strconv.FormatInt(e.Origin.Line, 10)
		row[11] = "{}"
		if len(e.Fields) > 0 {
			b, err := json.Marshal(e.Fields)
			if err != nil {
				return fmt.Errorf("render csv: fields of %s:%d: %w", e.Origin.Path, e.Origin.Line, err)
			}
			row[11] = string(b)
		}
		row[12] = cell(e.Raw)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("render csv: %w", err)
		}
	}
	for _, v := range r.Verifications {
		clear(row)
		row[2] = cell(v.Service)
		row[3] = "verification"
		row[4] = cell("failed: " + v.Error)
		if v.OK {
			row[4] = cell(fmt.Sprintf("ok: HTTP %d %s", v.Status, compactJSON(v.Response)))
		}
		row[8] = cell(v.Endpoint)
		row[11] = "{}"
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("render csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("render csv: %w", err)
	}
	return nil
}

// cell defuses a value that a spreadsheet would take for a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
