// Package loki reads logs from Grafana Loki
// ("loki://host:3100?query={app=~".+"}"): it adds a line filter for the
// ids to the user's stream selector, runs it through query_range page by
// page, and streams back the matching entries with their labels as fields.
package loki

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
)

// maxPageBytes bounds one response page.
const maxPageBytes = 256 << 20

// postAbove is the length of the encoded parameters above which a query
// is sent as a form in a POST body rather than in the URL.
const postAbove = 6000

// Driver returns the driver of Loki locations (scheme "loki").
// Credentials and the tenant come from the source's options or the
// LOKI_* environment variables.
// getenv looks up those variables (and, from the CLI, the secret store
// behind them); nil means the process environment.
func Driver(getenv func(string) string) source.Driver {
	if getenv == nil {
		getenv = os.Getenv
	}
	return source.Driver{
		Scheme:      "loki",
		Description: `Grafana Loki: loki://host:3100?query={app=~".+"}; the id search runs in the store`,
		Open: func(spec source.Spec) (source.Source, error) {
			return newSource(spec, getenv)
		},
	}
}

// Source queries one Loki (or a multi-tenant cluster's query front end).
// It holds an HTTP client and no other state between scans; it is safe
// for one Scan at a time.
type Source struct {
	spec   source.Spec
	name   string // the location, redacted
	cfg    *config
	client *http.Client
	wire   atomic.Int64 // bytes moved on the server's connections
	// now returns the current time; tests replace it.
	now func() time.Time
}

func newSource(spec source.Spec, getenv func(string) string) (*Source, error) {
	cfg, err := parseConfig(spec, getenv)
	if err != nil {
		return nil, err
	}
	s := &Source{spec: spec, name: source.Redact(spec.Location), cfg: cfg, now: time.Now}
	s.client = source.CountingClient(&s.wire)
	return s, nil
}

// Close releases the client's idle connections.
func (s *Source) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// lineFilter returns the LogQL line filter that keeps the lines holding
// any of ids as bytes: `|= "id"` for one id, else `|~ "a|b"` with each id
// quoted for the regular expression; the string is quoted as LogQL reads
// Go string literals, so no id can change the query's structure.
func lineFilter(ids []string) string {
	if len(ids) == 1 {
		return " |= " + strconv.Quote(ids[0])
	}
	alts := make([]string, len(ids))
	for i, id := range ids {
		alts[i] = quoteRegexp(id)
	}
	return " |~ " + strconv.Quote(strings.Join(alts, "|"))
}

// quoteRegexp returns a regular expression that matches id literally. A
// regular expression matches whole characters and cannot name a byte that
// is not UTF-8, so for an id with such bytes it matches the longest valid
// piece of it instead (a line that holds the id holds that piece as whole
// characters), or any line when the id has no valid piece: the filter then
// keeps more lines, never fewer.
func quoteRegexp(id string) string {
	if utf8.ValidString(id) {
		return regexp.QuoteMeta(id)
	}
	best, start := "", 0
	for i := 0; i <= len(id); {
		r, n := utf8.DecodeRuneInString(id[i:])
		if i == len(id) || r == utf8.RuneError && n == 1 {
			if i-start > len(best) {
				best = id[start:i]
			}
			if i == len(id) {
				break
			}
			start = i + 1
		}
		i += max(n, 1)
	}
	if best == "" {
		return "(?s:.*)"
	}
	return regexp.QuoteMeta(best)
}

// entry is one log line of a page with its stream.
type entry struct {
	labels map[string]string
	stream string // the labels, formatted
	ts     int64  // Unix nanoseconds
	line   string
}

func (e *entry) key() string {
	return e.stream + "\x00" + strconv.FormatInt(e.ts, 10) + "\x00" + e.line
}

// Scan runs the query for all of q.IDs over the window (q.Since and
// q.Until, else the default_window back from now, reported in the stats),
// oldest first, a page of at most limit entries at a time: when a page is
// full, the next one starts at the last time it held, leaving out the
// entries of that time already sent. A full page of a single time is
// followed by one more request for that time, newest first: the two
// together hold every entry of that time unless there are more than twice
// limit of them, which is reported. Scan streams the entries to out, up to
// max_records; beyond it the stats say Truncated and out gets a warning.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var st source.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if len(q.IDs) == 0 {
		return st, nil
	}
	start, end := q.Since, q.Until
	now := s.now().UTC()
	switch {
	case start.IsZero() && end.IsZero():
		end = now
		start = end.Add(-s.cfg.window)
		st.Since, st.Until = start, end
	case start.IsZero():
		// Loki needs a start: the window back from the end.
		start = end.Add(-s.cfg.window)
		st.Since, st.Until = start, end
	case end.IsZero():
		end = now
	}
	sc := &scan{s: s, out: out, st: &st, expr: s.cfg.selector + lineFilter(q.IDs), seen: map[string]bool{}}
	from, to := start.UnixNano(), end.UnixNano()+1 // end is exclusive
	for from < to {
		before := st.Bytes
		page, err := s.page(ctx, sc.expr, from, to, "forward", &st)
		if err != nil {
			return st, err
		}
		out.Progress(0, st.Bytes-before)
		if done, err := sc.send(ctx, page); done || err != nil {
			return st, err
		}
		if len(page) < s.cfg.pageSize {
			return st, nil
		}
		last := page[len(page)-1].ts
		if page[0].ts != last {
			from = last
			continue
		}
		// A full page of one time: fetch that time's newest entries too.
		probe, err := s.page(ctx, sc.expr, last, last+1, "backward", &st)
		if err != nil {
			return st, err
		}
		if done, err := sc.send(ctx, probe); done || err != nil {
			return st, err
		}
		if len(sc.seen) >= 2*s.cfg.pageSize {
			st.Truncated = true
			out.Warn(fmt.Sprintf("more than %d matching entries share the time %s: some of them were left out (raise limit up to the server's max_entries_limit_per_query)",
				2*s.cfg.pageSize, time.Unix(0, last).UTC().Format(time.RFC3339Nano)))
		}
		from = last + 1
	}
	return st, nil
}

// scan is the state of one Scan across its pages.
type scan struct {
	s    *Source
	out  source.Output
	st   *source.Stats
	expr string
	sent int
	// at and seen are the time of the last entry sent and the entries of
	// that time sent, so that a page starting at that time repeats none.
	at   int64
	seen map[string]bool
}

// send passes the entries of page (sorted by time, none older than the
// last sent) not sent yet to out. done is true when the scan must stop:
// max_records was reached with more entries to send.
func (sc *scan) send(ctx context.Context, page []entry) (done bool, err error) {
	for i := range page {
		e := &page[i]
		if e.ts != sc.at {
			sc.at, sc.seen = e.ts, map[string]bool{}
		}
		k := e.key()
		if sc.seen[k] {
			continue
		}
		if sc.sent == sc.s.cfg.maxRecords {
			sc.st.Truncated = true
			sc.out.Warn(fmt.Sprintf("max_records %d reached: more records matched and were left out (narrow the window with --since/--until or raise max_records)", sc.s.cfg.maxRecords))
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return true, err
		}
		sc.seen[k] = true
		if err := sc.out.Record(sc.s.record(e)); err != nil {
			return true, err
		}
		sc.sent++
	}
	return false, ctx.Err()
}

// queryResponse is the body of a query_range answer for a log query.
type queryResponse struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string   `json:"stream"`
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
	Error string `json:"error"`
}

// page fetches one page: at most limit entries at or after from and
// before to, oldest first (or newest first with direction "backward"); it
// returns them sorted by time, ties in the order of the streams as sent.
func (s *Source) page(ctx context.Context, expr string, from, to int64, direction string, st *source.Stats) ([]entry, error) {
	params := make(url.Values, len(s.cfg.extra)+5)
	for k, v := range s.cfg.extra {
		params[k] = v
	}
	params.Set("query", expr)
	params.Set("start", strconv.FormatInt(from, 10))
	params.Set("end", strconv.FormatInt(to, 10))
	params.Set("limit", strconv.Itoa(s.cfg.pageSize))
	params.Set("direction", direction)
	u := *s.cfg.base
	u.Path += "/loki/api/v1/query_range"
	enc := params.Encode()
	var req *http.Request
	var err error
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	if len(enc) > postAbove {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(enc))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u.RawQuery = enc
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("loki: %s: %w", s.name, err)
	}
	if s.cfg.tenant != "" {
		req.Header.Set("X-Scope-OrgID", s.cfg.tenant)
	}
	switch {
	case s.cfg.bearerToken != "":
		req.Header.Set("Authorization", "Bearer "+s.cfg.bearerToken)
	case s.cfg.username != "":
		req.SetBasicAuth(s.cfg.username, s.cfg.password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, s.failed(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return nil, s.failed(ctx, err)
	}
	st.Bytes += int64(len(body))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loki: query %s: %s: %s", s.name, resp.Status, bytes.TrimSpace(body[:min(len(body), 1024)]))
	}
	if len(body) > maxPageBytes {
		return nil, fmt.Errorf("loki: query %s: a page larger than %d MB: lower limit", s.name, maxPageBytes>>20)
	}
	var qr queryResponse
	if err := json.Unmarshal(body, &qr); err != nil {
		return nil, fmt.Errorf("loki: query %s: bad response: %w", s.name, err)
	}
	if qr.Status != "success" {
		return nil, fmt.Errorf("loki: query %s: status %q: %s", s.name, qr.Status, qr.Error)
	}
	if qr.Data.ResultType != "streams" {
		return nil, fmt.Errorf("loki: query %s: result type %q, want streams (the query must be a log query)", s.name, qr.Data.ResultType)
	}
	var out []entry
	for _, r := range qr.Data.Result {
		stream := formatLabels(r.Stream)
		for _, v := range r.Values {
			if len(v) < 2 {
				return nil, fmt.Errorf("loki: query %s: bad entry in the response", s.name)
			}
			var tsText, line string
			if err := json.Unmarshal(v[0], &tsText); err != nil {
				return nil, fmt.Errorf("loki: query %s: bad entry time: %w", s.name, err)
			}
			ts, err := strconv.ParseInt(tsText, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("loki: query %s: bad entry time %q", s.name, tsText)
			}
			if err := json.Unmarshal(v[1], &line); err != nil {
				return nil, fmt.Errorf("loki: query %s: bad entry line: %w", s.name, err)
			}
			labels := r.Stream
			if len(v) > 2 {
				// With categorized labels, structured metadata and parsed
				// labels come in a third element.
				var extra map[string]map[string]string
				if json.Unmarshal(v[2], &extra) == nil && len(extra) > 0 {
					labels = maps(r.Stream, extra["structuredMetadata"], extra["parsed"])
				}
			}
			out = append(out, entry{labels: labels, stream: stream, ts: ts, line: line})
		}
	}
	slices.SortStableFunc(out, func(a, b entry) int {
		switch {
		case a.ts < b.ts:
			return -1
		case a.ts > b.ts:
			return 1
		}
		return 0
	})
	return out, nil
}

// failed turns a client error into the scan's error: the caller's
// cancellation as is, the timeout named, anything else without the URL.
func (s *Source) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("loki: query %s: no answer within %v (option timeout): %w", s.name, s.cfg.timeout, ctx.Err())
		}
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("loki: query %s: %w", s.name, err)
}

// maps merges label sets, later ones winning.
func maps(sets ...map[string]string) map[string]string {
	out := make(map[string]string)
	for _, m := range sets {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// formatLabels writes a label set as LogQL does: {a="x", b="y"}, sorted.
func formatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// serviceLabels and levelLabels name a record's service and level when
// the options name none, in order of preference (Loki's own choice of
// service_name first).
var (
	serviceLabels = []string{"service_name", "service", "app", "application", "app_kubernetes_io_name",
		"container", "container_name", "component", "workload", "job"}
	levelLabels = []string{"level", "detected_level", "severity", "lvl"}
)

// record turns an entry into a structured record. Data is the line as
// stored; the line is parsed (Loki does not parse lines) for its message,
// level and fields, and the labels are added to the fields, winning over
// the line's. Time is the entry's. Level is a level label's, else the
// line's. Path is path_label's value, else the stream's labels; Line is
// line_label's value, else a key of the entry (a hash of its time, stream
// and line) that is the same in every scan.
func (s *Source) record(e *entry) *source.Record {
	p := logline.Parse([]byte(e.line), logline.Options{Location: s.spec.Timezone})
	fields := make(map[string]any, len(p.Fields)+len(e.labels))
	for k, v := range p.Fields {
		fields[k] = v
	}
	for k, v := range e.labels {
		fields[k] = v
	}
	level := string(p.Level)
	for _, l := range levelLabels {
		if v := e.labels[l]; v != "" {
			level = v
			break
		}
	}
	service := s.spec.Service
	if service == "" && s.cfg.serviceLabel != "" {
		service = e.labels[s.cfg.serviceLabel]
	}
	for _, l := range serviceLabels {
		if service != "" {
			break
		}
		service = e.labels[l]
	}
	if service == "" {
		service = p.Service
	}
	msg := p.Message
	if msg == "" {
		msg = e.line
	}
	rec := &source.Record{
		Data:    []byte(e.line),
		Path:    e.stream,
		Service: service,
		Time:    time.Unix(0, e.ts).UTC(),
		Level:   level,
		Message: msg,
		Fields:  fields,
	}
	if v := e.labels[s.cfg.pathLabel]; s.cfg.pathLabel != "" && v != "" {
		rec.Path = v
	}
	if n, err := strconv.ParseInt(e.labels[s.cfg.lineLabel], 10, 64); s.cfg.lineLabel != "" && err == nil && n > 0 {
		rec.Line = n
	} else {
		rec.Line = rowKey(e.ts, e.stream, e.line)
	}
	return rec
}

// rowKey returns a positive number that identifies an entry by its time,
// stream and line (FNV-1a, 63 bits).
func rowKey(ts int64, stream, line string) int64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ts))
	h.Write(b[:])
	h.Write([]byte(stream))
	h.Write([]byte{0})
	h.Write([]byte(line))
	k := int64(h.Sum64() >> 1)
	if k == 0 {
		k = 1
	}
	return k
}
