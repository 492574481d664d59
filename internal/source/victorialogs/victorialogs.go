// Package victorialogs reads logs from VictoriaLogs
// ("victorialogs://host:9428?query=<LogsQL filter>"): it pushes the search
// for the ids down into LogsQL and streams back the matching records, their
// fields already parsed by the store.
package victorialogs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pipetracker/pipetracker/internal/source"
)

// maxLine bounds one JSON line of a response (one record with its fields).
const maxLine = 64 << 20

// Driver returns the driver of VictoriaLogs locations (scheme
// "victorialogs"). Credentials and the tenant come from the source's
// options or the VICTORIALOGS_* environment variables.
// getenv looks up those variables (and, from the CLI, the secret store
// behind them); nil means the process environment.
func Driver(getenv func(string) string) source.Driver {
	if getenv == nil {
		getenv = os.Getenv
	}
	return source.Driver{
		Scheme:      "victorialogs",
		Description: "VictoriaLogs: victorialogs://host:9428?query=<LogsQL filter>; the id search runs in the store",
		Open: func(spec source.Spec) (source.Source, error) {
			return newSource(spec, getenv)
		},
	}
}

// Source queries one VictoriaLogs server (a single node or a cluster's
// query front end). It holds an HTTP client and no other state between
// scans; it is safe for one Scan at a time.
type Source struct {
	spec   source.Spec
	name   string // the location, redacted
	cfg    *config
	client *http.Client
	// wire counts the bytes read from and written to the server's
	// connections (compressed as sent), over the source's life.
	wire atomic.Int64
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

// Scan runs one query for all of q.IDs over the window (q.Since and
// q.Until, else the default_window back from now, reported in the stats)
// and streams the matching records to out, up to max_records; beyond it
// the stats say Truncated and out gets a warning.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var st source.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if len(q.IDs) == 0 {
		return st, nil
	}
	start, end := q.Since, q.Until
	if start.IsZero() && end.IsZero() {
		end = s.now().UTC()
		start = end.Add(-s.cfg.window)
		st.Since, st.Until = start, end
	}
	req, err := s.request(ctx, q.IDs, start, end)
	if err != nil {
		return st, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	resp, err := s.client.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return st, s.ctxErr(ctx, ctx.Err())
		}
		return st, fmt.Errorf("victorialogs: query %s: %w", s.name, stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return st, fmt.Errorf("victorialogs: query %s: %s: %s", s.name, resp.Status, bytes.TrimSpace(msg))
	}
	n, err := s.read(ctx, resp.Body, out, &st)
	if err != nil {
		if ctx.Err() != nil {
			return st, s.ctxErr(ctx, ctx.Err())
		}
		return st, err
	}
	if n > s.cfg.maxRecords {
		st.Truncated = true
		out.Warn(fmt.Sprintf("max_records %d reached: more records matched and were left out (narrow the window with --since/--until or raise max_records)", s.cfg.maxRecords))
	}
	return st, nil
}

// ctxErr is the error of a scan whose context ended: the caller's
// cancellation as is, or the source's own timeout.
func (s *Source) ctxErr(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("victorialogs: query %s: no answer within %v (option timeout): %w", s.name, s.cfg.timeout, err)
	}
	return err
}

// request builds the POST to /select/logsql/query: the user's query, the
// id filter as extra_filters, the window, and limit one past max_records
// so that truncation shows.
func (s *Source) request(ctx context.Context, ids []string, start, end time.Time) (*http.Request, error) {
	form := make(url.Values, len(s.cfg.extra)+5)
	for k, v := range s.cfg.extra {
		form[k] = v
	}
	form.Set("query", s.cfg.filter)
	form.Add("extra_filters", idFilter(s.cfg.fields, ids, s.cfg.substr))
	if !start.IsZero() {
		form.Set("start", start.UTC().Format(time.RFC3339Nano))
	}
	if !end.IsZero() {
		// end is exclusive; the engine re-checks the exact bound.
		form.Set("end", end.UTC().Add(time.Nanosecond).Format(time.RFC3339Nano))
	}
	form.Set("limit", strconv.Itoa(s.cfg.maxRecords+1))
	u := *s.cfg.base
	u.Path += "/select/logsql/query"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", s.name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.cfg.accountID != "" {
		req.Header.Set("AccountID", s.cfg.accountID)
	}
	if s.cfg.projectID != "" {
		req.Header.Set("ProjectID", s.cfg.projectID)
	}
	switch {
	case s.cfg.bearerToken != "":
		req.Header.Set("Authorization", "Bearer "+s.cfg.bearerToken)
	case s.cfg.username != "":
		req.SetBasicAuth(s.cfg.username, s.cfg.password)
	}
	return req, nil
}

// idFilter returns the LogsQL filter that matches a record holding any of
// ids in one of fields ("*" for every field). Each id is a literal quoted
// as LogsQL reads Go string literals, so that no id can change the query's
// structure. With substr it is a substring; else a phrase, which
// VictoriaLogs finds where no word character (letter, digit, '_') touches
// it: every place where the engine's re-check can accept it, whose token
// characters include those. The one place the re-check accepts that a
// phrase misses is right after the letter of a JSON escape written out in
// the text ("\nTXN-1"), so each id that starts with a word character is
// also searched as a phrase behind each such escape.
func idFilter(fields, ids []string, substr bool) string {
	var alts []string
	for _, id := range ids {
		if substr {
			alts = append(alts, "*"+strconv.Quote(id)+"*")
			continue
		}
		alts = append(alts, strconv.Quote(id))
		if r, _ := utf8.DecodeRuneInString(id); r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			for _, esc := range []string{`\b`, `\f`, `\n`, `\r`, `\t`} {
				alts = append(alts, strconv.Quote(esc+id))
			}
		}
	}
	group := "(" + strings.Join(alts, " OR ") + ")"
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		if f == "*" {
			parts = append(parts, "*:"+group)
			continue
		}
		parts = append(parts, strconv.Quote(f)+":"+group)
	}
	return strings.Join(parts, " OR ")
}

// read streams the JSON lines of body to out and returns how many records
// the server sent (at most max_records are passed on).
func (s *Source) read(ctx context.Context, body io.Reader, out source.Output, st *source.Stats) (int, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	n := 0
	var rec rowRecord
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			st.Bytes += int64(len(line)) + 1
			out.Progress(0, int64(len(line))+1)
			if err := ctx.Err(); err != nil {
				return n, err
			}
			n++
			if n > s.cfg.maxRecords {
				return n, nil
			}
			var row map[string]any
			d := json.NewDecoder(bytes.NewReader(line))
			d.UseNumber()
			if derr := d.Decode(&row); derr != nil {
				return n, fmt.Errorf("victorialogs: %s: bad response line: %w", s.name, derr)
			}
			s.toRecord(row, &rec)
			if err := out.Record(&rec.Record); err != nil {
				return n, err
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("victorialogs: read %s: %w", s.name, err)
		}
	}
}

// readLine returns the next line of br without its newline, or an error
// for a line longer than maxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, frag...)
			if len(long) > maxLine {
				return nil, fmt.Errorf("response line longer than %d bytes", maxLine)
			}
			continue
		}
		if long != nil {
			frag = append(long, frag...)
		}
		return bytes.TrimRight(frag, "\r\n"), err
	}
}

// stripURL drops the URL from a client error: it names the server, which
// the source's redacted name already does.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
