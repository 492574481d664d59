package datadog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The request and response of the Logs Search API v2
// (POST /api/v2/logs/events/search), as far as the driver uses them.

type searchRequest struct {
	Filter searchFilter `json:"filter"`
	Page   searchPage   `json:"page"`
	Sort   string       `json:"sort"`
}

type searchFilter struct {
	Query       string   `json:"query"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Indexes     []string `json:"indexes,omitempty"`
	StorageTier string   `json:"storage_tier,omitempty"`
}

type searchPage struct {
	Limit  int    `json:"limit"`
	Cursor string `json:"cursor,omitempty"`
}

type searchResponse struct {
	// Data holds the events, each kept as received.
	Data []json.RawMessage `json:"data"`
	Meta struct {
		Page struct {
			After string `json:"after"`
		} `json:"page"`
		Status   string       `json:"status"`
		Warnings []apiWarning `json:"warnings"`
	} `json:"meta"`
}

type apiWarning struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// event is one log event of a response.
type event struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Attributes map[string]any `json:"attributes"`
		Host       string         `json:"host"`
		Message    string         `json:"message"`
		Service    string         `json:"service"`
		Status     string         `json:"status"`
		Tags       []string       `json:"tags"`
		Timestamp  string         `json:"timestamp"`
	} `json:"attributes"`
}

// maxBody bounds the size of one response.
const maxBody = 256 << 20

// timeFormat is how the window's bounds are sent.
const timeFormat = "2006-01-02T15:04:05.000Z"

// budget is the time a scan may still spend waiting before retries.
type budget struct {
	left time.Duration
}

// take reports whether d fits in what is left, and takes it if so.
func (b *budget) take(d time.Duration) bool {
	if d > b.left {
		return false
	}
	b.left -= d
	return true
}

// search posts req and returns the decoded answer and its size. A 429
// answer is retried after the time its X-RateLimit-Reset or Retry-After
// header names, 5xx answers and failed connections after a growing
// backoff (or Retry-After), as long as the scan's wait budget allows
// (max_wait); 5xx at most retries times. Other answers fail the search
// with a message that names the key or permission at fault but never a
// key.
func (s *Source) search(ctx context.Context, req *searchRequest, b *budget) (*searchResponse, int64, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, 0, fmt.Errorf("datadog: %w", err)
	}
	for attempt := 1; ; attempt++ {
		code, header, data, err := s.post(ctx, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			if attempt > s.set.retries {
				return nil, 0, fmt.Errorf("datadog: %w", err)
			}
			if err := s.pause(ctx, b, s.backoffFor(attempt), err.Error()); err != nil {
				return nil, 0, err
			}
			continue
		}
		switch {
		case code == http.StatusOK:
			var resp searchResponse
			if err := json.Unmarshal(data, &resp); err != nil {
				return nil, 0, fmt.Errorf("datadog: malformed answer (HTTP 200, %d bytes): %w", len(data), err)
			}
			return &resp, int64(len(data)), nil
		case code == http.StatusTooManyRequests:
			wait := rateLimitWait(header, s.now())
			if wait <= 0 {
				wait = s.backoffFor(attempt)
			}
			if !b.take(wait) {
				return nil, 0, fmt.Errorf("datadog: rate limited (HTTP 429): the limit resets in %s, more than the %s left to wait (option max_wait)",
					wait.Round(time.Second), b.left.Round(time.Second))
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, 0, err
			}
		case code >= 500:
			if attempt > s.set.retries {
				return nil, 0, fmt.Errorf("datadog: HTTP %d after %d attempts: %s", code, attempt, s.apiErrors(data))
			}
			wait := rateLimitWait(header, s.now())
			if wait <= 0 {
				wait = s.backoffFor(attempt)
			}
			if err := s.pause(ctx, b, wait, fmt.Sprintf("HTTP %d", code)); err != nil {
				return nil, 0, err
			}
		case code == http.StatusUnauthorized:
			return nil, 0, fmt.Errorf("datadog: HTTP 401: the API key in %s was not accepted by %s (is %s the site of the key?): %s",
				EnvAPIKey, s.host(), EnvSite, s.apiErrors(data))
		case code == http.StatusForbidden:
			return nil, 0, fmt.Errorf("datadog: HTTP 403: the application key in %s was not accepted, or lacks the logs_read_data permission: %s",
				EnvAppKey, s.apiErrors(data))
		default:
			return nil, 0, fmt.Errorf("datadog: the search %q was refused (HTTP %d): %s", req.Filter.Query, code, s.apiErrors(data))
		}
	}
}

// post sends one request and reads the answer.
func (s *Source) post(ctx context.Context, body []byte) (int, http.Header, []byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.set.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "pipetracker")
	hreq.Header.Set("DD-API-KEY", s.apiKey)
	hreq.Header.Set("DD-APPLICATION-KEY", s.appKey)
	resp, err := s.client.Do(hreq)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read the answer: %w", err)
	}
	if len(data) > maxBody {
		return 0, nil, nil, fmt.Errorf("answer larger than %d MB", maxBody>>20)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// pause waits d before a retry when the budget allows it.
func (s *Source) pause(ctx context.Context, b *budget, d time.Duration, why string) error {
	if !b.take(d) {
		return fmt.Errorf("datadog: %s; no retry within the %s left to wait (option max_wait)", why, b.left.Round(time.Millisecond))
	}
	return sleep(ctx, d)
}

// backoffFor is the wait before retry number attempt: doubling from the
// base, at most 30 seconds.
func (s *Source) backoffFor(attempt int) time.Duration {
	d := s.backoff << min(attempt-1, 16)
	return min(d, 30*time.Second)
}

// rateLimitWait reads how long to wait from X-RateLimit-Reset (seconds
// until the limit resets) and Retry-After (seconds or an HTTP date),
// taking the longer; 0 when neither says.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	var wait time.Duration
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 && n < 86400 {
			wait = time.Duration(n * float64(time.Second))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 86400 {
			wait = max(wait, time.Duration(n)*time.Second)
		} else if at, err := http.ParseTime(v); err == nil {
			wait = max(wait, at.Sub(now))
		}
	}
	return wait
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// apiErrors returns the error texts of an answer, short, with any key
// removed.
func (s *Source) apiErrors(data []byte) string {
	var body struct {
		Errors []json.RawMessage `json:"errors"`
	}
	var msgs []string
	if err := json.Unmarshal(data, &body); err == nil && len(body.Errors) > 0 {
		for _, e := range body.Errors {
			var text string
			if json.Unmarshal(e, &text) != nil {
				text = string(e)
			}
			msgs = append(msgs, text)
		}
	} else if len(bytes.TrimSpace(data)) > 0 {
		msgs = append(msgs, string(bytes.TrimSpace(data)))
	}
	msg := strings.Join(msgs, "; ")
	if msg == "" {
		msg = "no error text"
	}
	for _, k := range []string{s.apiKey, s.appKey} {
		if len(k) >= 4 {
			msg = strings.ReplaceAll(msg, k, "***")
		}
	}
	if len(msg) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// host is the host the searches go to.
func (s *Source) host() string {
	rest := s.set.endpoint
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	h, _, _ := strings.Cut(rest, "/")
	return h
}
