package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// FollowFunc sends to out, until ctx ends, the events of the trace rep
// answered that are written from now on; it returns nil when ctx ends. It
// is given the request and the first answer (whose linked ids it may
// search for too), calls out.Started once it sees new records, and must
// redact what it sends as the report was redacted.
type FollowFunc func(ctx context.Context, req Request, rep *trace.Report, out LiveOutput) error

// LiveOutput is where a FollowFunc hands on what it finds; each call
// writes one message to the client. The functions are safe for
// concurrent use.
type LiveOutput struct {
	// Started sends the "caught_up" message: following has begun.
	Started func()
	// Send sends one new event; its error means the client cannot be
	// written to any more.
	Send func(trace.Event) error
	// Warn sends a "warning" message: a problem that did not stop
	// following, such as a source that is not followed or a Kafka broker
	// lost.
	Warn func(msg string)
}

// errShutdown is the cause of a live trace's end at shutdown.
var errShutdown = errors.New("server shutting down")

// liveEvent is one event message of the live endpoint: the keys of an
// NDJSON event line.
type liveEvent struct {
	Type    string         `json:"type"`
	Time    *time.Time     `json:"time"`
	Service string         `json:"service"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
	Matched struct {
		Key   string `json:"key"`
		Value string `json:"value"`
		Via   string `json:"via"`
	} `json:"matched"`
	Origin struct {
		Source string `json:"source"`
		Path   string `json:"path"`
		Line   int64  `json:"line"`
	} `json:"origin"`
	Raw string `json:"raw"`
}

func toLive(ev *trace.Event) liveEvent {
	m := liveEvent{Type: "event", Service: ev.Service, Level: string(ev.Level), Message: ev.Message, Fields: ev.Fields, Raw: ev.Raw}
	if !ev.Time.IsZero() {
		t := ev.Time.UTC()
		m.Time = &t
	}
	if m.Fields == nil {
		m.Fields = map[string]any{}
	}
	m.Matched.Key, m.Matched.Value, m.Matched.Via = ev.Matched.Key, ev.Matched.Value, ev.Matched.Via
	m.Origin.Source, m.Origin.Path, m.Origin.Line = ev.Origin.Source, ev.Origin.Path, ev.Origin.Line
	return m
}

// live answers GET /trace/{id}/live: a WebSocket that carries the events
// of the trace so far, a "caught_up" message, then each new matching
// event as it is written and a "warning" message for each problem of
// following, and an "end" message when max_duration passes or following
// fails. It ends when the client leaves.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Follow == nil {
		writeError(w, http.StatusNotFound, "live traces are not enabled")
		return
	}
	maxDur := s.cfg.MaxLiveDuration
	if v := r.URL.Query().Get("max_duration"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s: max_duration must be a positive duration such as 90s or 10m", ErrInvalid))
			return
		}
		maxDur = min(d, maxDur)
	}
	q := r.URL.Query()
	q.Del("max_duration")
	r.URL.RawQuery = q.Encode()
	req, _, err := s.parseRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	select {
	case s.liveSlots <- struct{}{}:
		defer func() { <-s.liveSlots }()
	default:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, "too many live traces")
		return
	}
	// The server's read and write timeouts are for plain requests; a live
	// trace lasts up to maxDur.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{})
	if err != nil {
		return // Accept answered the client
	}
	if rec, ok := w.(*recorder); ok {
		rec.status = http.StatusSwitchingProtocols
	}
	c.SetReadLimit(4 << 10)
	// CloseRead ends ctx when the client closes or sends anything.
	s.lives.Add(1)
	defer s.lives.Done()
	ctx := c.CloseRead(r.Context())
	ctx, cancel := context.WithTimeout(ctx, maxDur)
	defer cancel()
	// Shutdown ends the live trace with a message of its own.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		select {
		case <-s.closing:
			stop(errShutdown)
		case <-ctx.Done():
		}
	}()
	s.metrics.live.Inc()
	defer s.metrics.live.Dec()

	end := func(reason string, status websocket.StatusCode) {
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		_ = wsjson.Write(wctx, c, map[string]string{"type": "end", "reason": reason})
		_ = c.Close(status, reason)
	}
	// Writes are bounded by a timeout of their own, not by ctx: the
	// library closes the connection when a write's context ends while
	// the write is still being finished, and shutdown ends ctx right when
	// a client may have read what was just written. The connection must
	// stay open for the end message that follows.
	write := func(v any) error {
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer wcancel()
		return wsjson.Write(wctx, c, v)
	}
	send := func(ev trace.Event) error { return write(toLive(&ev)) }

	rep, err := s.runTrace(ctx, req)
	if err != nil {
		switch {
		case errors.Is(err, ErrInvalid):
			end(err.Error(), websocket.StatusPolicyViolation)
		case errors.Is(err, errBusy):
			end("too many traces in flight", websocket.StatusTryAgainLater)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			end("max_duration", websocket.StatusNormalClosure)
		case errors.Is(context.Cause(ctx), errShutdown):
			end("shutdown", websocket.StatusGoingAway)
		case ctx.Err() != nil:
			_ = c.CloseNow()
		default:
			s.log.LogAttrs(r.Context(), slog.LevelError, "live trace failed", slog.String("error", err.Error()))
			end("trace failed", websocket.StatusInternalError)
		}
		return
	}
	for i := range rep.Trace.Events {
		if err := send(rep.Trace.Events[i]); err != nil {
			return
		}
	}
	// caught_up goes out once following has begun: from then on, every
	// new record is seen.
	started := func() {
		_ = write(map[string]any{"type": "caught_up", "events": len(rep.Trace.Events), "warnings": rep.Warnings})
	}
	warn := func(msg string) { _ = write(map[string]string{"type": "warning", "message": msg}) }
	err = s.cfg.Follow(ctx, req, rep, LiveOutput{Started: started, Send: send, Warn: warn})
	switch {
	case errors.Is(err, ErrInvalid):
		end(err.Error(), websocket.StatusPolicyViolation)
	case err != nil && ctx.Err() == nil:
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "following failed", slog.String("error", err.Error()))
		end("following failed", websocket.StatusInternalError)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		end("max_duration", websocket.StatusNormalClosure)
	case errors.Is(context.Cause(ctx), errShutdown):
		end("shutdown", websocket.StatusGoingAway)
	default:
		// The client left.
		_ = c.CloseNow()
	}
}
