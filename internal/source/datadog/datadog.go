// Package datadog reads log events from Datadog through the Logs Search
// API v2 (POST /api/v2/logs/events/search), with plain net/http and typed
// request and response structs. The traced ids are added to the user's
// search query as quoted terms; the time window becomes the search's
// from/to; results are read page by page with the API's cursor.
package datadog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// ErrNoKey is returned by Open when an API or application key is not set.
var ErrNoKey = errors.New("key not set")

// Driver returns the driver of "datadog://<search query>" locations. The
// keys come from DD_API_KEY and DD_APP_KEY, the site from DD_SITE or the
// site option.
// getenv looks up those variables (and, from the CLI, the secret store
// behind them); nil means the process environment.
func Driver(getenv func(string) string) source.Driver {
	if getenv == nil {
		getenv = os.Getenv
	}
	return source.Driver{
		Scheme:      "datadog",
		Description: "Datadog Logs Search API (datadog://service:checkout env:prod), keys from DD_API_KEY and DD_APP_KEY",
		Open: func(spec source.Spec) (source.Source, error) {
			return Open(spec, getenv)
		},
	}
}

// Source searches one Datadog query. The window of its first Scan is kept
// for the later ones (linked-id passes), so that every pass searches the
// same time range.
type Source struct {
	spec           source.Spec
	set            *settings
	apiKey, appKey string
	client         *http.Client
	// backoff is the first wait before a retry (tests shorten it).
	backoff time.Duration
	now     func() time.Time

	mu     sync.Mutex
	chosen *fixedWindow
}

// fixedWindow is the window a scan chose, for the query bounds it was
// chosen for.
type fixedWindow struct {
	qSince, qUntil time.Time
	from, to       time.Time
	chosen         bool
}

// Open checks spec and the keys and returns its Source; it does not
// connect. getenv supplies DD_API_KEY, DD_APP_KEY and DD_SITE.
func Open(spec source.Spec, getenv func(string) string) (*Source, error) {
	set, err := parseLocation(spec.Location, spec.Options, getenv)
	if err != nil {
		return nil, fmt.Errorf("datadog: %w", err)
	}
	s := &Source{
		spec:    spec,
		set:     set,
		apiKey:  strings.TrimSpace(getenv(EnvAPIKey)),
		appKey:  strings.TrimSpace(getenv(EnvAppKey)),
		client:  &http.Client{Timeout: set.timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		backoff: 500 * time.Millisecond,
		now:     time.Now,
	}
	switch {
	case s.apiKey == "":
		return nil, fmt.Errorf("datadog: %w: set %s to a Datadog API key", ErrNoKey, EnvAPIKey)
	case s.appKey == "":
		return nil, fmt.Errorf("datadog: %w: set %s to an application key with the logs_read_data permission", ErrNoKey, EnvAppKey)
	}
	return s, nil
}

// Scan searches the events of the query that hold one of q.IDs, at most
// idsPerQuery ids per search, sorted by time, every page to the end or to
// max_records, and sends each event once as a parsed record: Fields are
// its attributes with host, service, status and tags; Time, Level (from
// the status), Message and Service are the event's; Data is the event's
// JSON as received, for the engine's re-check; Path is the event's id.
//
// The window is q.Since to q.Until; what they leave open is filled from
// the default_window option (back from now) and reported in Stats. Stats
// count result pages as files and answer bytes as bytes. Scan fails when
// Datadog refuses the search (keys, permission, query), stays rate limited
// beyond max_wait, keeps failing, or answers something that is not the
// documented JSON.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var st source.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	w := s.windowFor(q)
	if w.chosen {
		st.Since, st.Until = w.from, w.to
	}
	var ids []string
	for _, id := range q.IDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	b := &budget{left: s.set.maxWait}
	seen := make(map[string]bool)
	warned := make(map[string]bool)
	sent := 0
	for len(ids) > 0 {
		batch := ids[:min(len(ids), idsPerQuery)]
		ids = ids[len(batch):]
		req := &searchRequest{
			Filter: searchFilter{
				Query: Query(s.set.query, batch, s.set.fullText),
				From:  w.from.UTC().Format(timeFormat),
				// The search's upper bound is taken as exclusive: one
				// millisecond more keeps an event stamped at until.
				To:          w.to.Add(time.Millisecond).UTC().Format(timeFormat),
				Indexes:     s.set.indexes,
				StorageTier: s.set.storageTier,
			},
			Page: searchPage{Limit: PageLimit},
			Sort: "timestamp",
		}
		for {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			resp, n, err := s.search(ctx, req, b)
			if err != nil {
				return st, err
			}
			st.Files++
			st.Bytes += n
			out.Progress(1, n)
			s.warnMeta(resp, warned, out)
			for _, raw := range resp.Data {
				rec, err := s.record(raw)
				if err != nil {
					return st, err
				}
				if seen[rec.Path] {
					continue
				}
				seen[rec.Path] = true
				if sent == s.set.maxRecords {
					st.Truncated = true
					out.Warn(fmt.Sprintf("datadog: stopped at max_records (%d events); narrow the query or the window with --since/--until", s.set.maxRecords))
					return st, nil
				}
				sent++
				if err := out.Record(rec); err != nil {
					return st, err
				}
			}
			if resp.Meta.Page.After == "" || len(resp.Data) == 0 {
				break
			}
			req.Page.Cursor = resp.Meta.Page.After
		}
	}
	return st, nil
}

// Close releases the source's idle connections.
func (s *Source) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// windowFor returns the window for q's bounds, fixed on the first call.
func (s *Source) windowFor(q *source.Query) *fixedWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.chosen; w != nil && w.qSince.Equal(q.Since) && w.qUntil.Equal(q.Until) {
		return w
	}
	w := &fixedWindow{qSince: q.Since, qUntil: q.Until}
	w.from, w.to, w.chosen = source.Window(q.Since, q.Until, s.now(), s.set.window)
	s.chosen = w
	return w
}

// warnMeta reports, once each, the warnings of an answer and a search
// that timed out on Datadog's side.
func (s *Source) warnMeta(resp *searchResponse, warned map[string]bool, out source.Output) {
	var msgs []string
	if resp.Meta.Status == "timeout" {
		msgs = append(msgs, "datadog: the search timed out on Datadog's side; the events found may be incomplete")
	}
	for _, w := range resp.Meta.Warnings {
		msg := "datadog: " + strings.TrimSpace(w.Title)
		if w.Detail != "" {
			msg += ": " + strings.TrimSpace(w.Detail)
		}
		msgs = append(msgs, msg)
	}
	for _, m := range msgs {
		if !warned[m] {
			warned[m] = true
			out.Warn(m)
		}
	}
}

// record turns one event of an answer into a record.
func (s *Source) record(raw json.RawMessage) (*source.Record, error) {
	var ev event
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("datadog: malformed event in the answer: %w", err)
	}
	a := &ev.Attributes
	fields := a.Attributes
	if fields == nil {
		fields = make(map[string]any)
	}
	for k, v := range map[string]string{"host": a.Host, "service": a.Service, "status": a.Status} {
		if v != "" {
			fields[k] = v
		}
	}
	if len(a.Tags) > 0 {
		tags := make([]any, len(a.Tags))
		for i, t := range a.Tags {
			tags[i] = t
		}
		fields["tags"] = tags
	}
	id := ev.ID
	if id == "" {
		sum := sha256.Sum256(raw)
		id = "event-" + hex.EncodeToString(sum[:8])
	}
	rec := &source.Record{
		Data:    raw,
		Path:    id,
		Service: s.serviceOf(a.Service),
		Level:   level(a.Status),
		Message: a.Message,
		Fields:  fields,
	}
	if a.Timestamp != "" {
		if t, err := time.Parse(time.RFC3339Nano, a.Timestamp); err == nil {
			rec.Time = t.UTC()
		}
	}
	return rec, nil
}

// serviceOf is the service of an event: the entry's service, else the
// event's, else the service option, else "datadog".
func (s *Source) serviceOf(event string) string {
	switch {
	case s.spec.Service != "":
		return s.spec.Service
	case event != "":
		return event
	case s.set.service != "":
		return s.set.service
	}
	return "datadog"
}

// level maps a Datadog status to a level word the engine knows.
func level(status string) string {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "emergency", "emerg", "alert", "critical", "crit", "fatal":
		return "fatal"
	case "error", "err":
		return "error"
	case "warning", "warn":
		return "warn"
	case "notice", "info", "ok", "success":
		return "info"
	case "debug":
		return "debug"
	case "trace":
		return "trace"
	}
	return ""
}
