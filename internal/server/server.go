// Package server is Pipetracker's HTTP API: it answers trace requests over
// HTTP with the CLI's report formats, behind API keys, bounded in time,
// concurrency and rate, and observable through an access log and
// Prometheus metrics.
//
// The server never chooses what it reads: the sources and every other
// setting are fixed by the caller at start-up, and a request can at most
// narrow the sources to some of the configured ones when the caller allows
// it.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/pipetracker/pipetracker/internal/render"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// ErrInvalid marks a trace request that is wrong in itself (a bad id, a
// bad time, an unknown source); the server answers 400 with the error's
// text, which must therefore name no secret.
var ErrInvalid = errors.New("invalid request")

// Request is one trace request as the query string gives it. The server
// checks the id's shape and that Sources are configured ones; the rest is
// the TraceFunc's to interpret.
type Request struct {
	ID       string
	Keys     []string
	Any      bool
	NoFollow bool
	// Since and Until are as the CLI's --since and --until: RFC 3339, a
	// date, or a duration back from now; "" for none.
	Since, Until string
	// Sources narrows the trace to these configured locations; empty means
	// all of them.
	Sources []string
}

// TraceFunc runs one trace and returns its report, redacted as the CLI
// would redact it. An error wrapping ErrInvalid is answered 400; a
// cancelled or expired ctx ends the trace.
type TraceFunc func(ctx context.Context, req Request) (*trace.Report, error)

// Key is one accepted API key.
type Key struct {
	// Name identifies the key in the access log and the metrics; it is not
	// secret.
	Name string
	// Secret is the value clients send.
	Secret string
}

// Config is everything the server needs, fixed at start-up.
type Config struct {
	// Trace runs the traces. Required.
	Trace TraceFunc
	// Ready reports whether traces can be served (config loaded, sources
	// reachable as far as cheaply checkable); nil means always ready.
	Ready func(ctx context.Context) error
	// Keys are the accepted API keys; none means no authentication.
	Keys []Key
	// Sources are the configured source locations a request may narrow
	// to; nil or empty forbids the source parameter.
	Sources []string
	// MaxInFlight caps the traces running at once; 0 means 2×GOMAXPROCS.
	MaxInFlight int
	// QueueWait is how long a trace over the cap waits for a slot before
	// the answer is 429; 0 means 2 s.
	QueueWait time.Duration
	// TraceTimeout bounds one trace; 0 means 60 s.
	TraceTimeout time.Duration
	// Rate is the requests per second one key (or, without keys, one
	// client address) may make to the authenticated endpoints, with Burst;
	// 0 means 20/s with a burst of 40. A negative Rate disables the limit.
	Rate  float64
	Burst int
	// Follow, when set, enables GET /trace/{id}/live.
	Follow FollowFunc
	// MaxLive caps the live traces open at once (more get 429); 0 means
	// 16.
	MaxLive int
	// MaxLiveDuration bounds a live trace; a request's max_duration may
	// only shorten it. 0 means 15 minutes.
	MaxLiveDuration time.Duration
	// Logger receives the access log; nil discards it.
	Logger *slog.Logger
	// Registry receives the metrics; nil makes a new one. /metrics serves
	// it.
	Registry *prometheus.Registry
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg   Config
	keys  []hashedKey
	slots chan struct{}
	// liveSlots bounds the live traces open at once.
	liveSlots chan struct{}
	log       *slog.Logger
	metrics   *metrics
	mux       *http.ServeMux

	// closing is closed when shutdown begins; live traces end on it, and
	// live counts them, since shutdown does not track hijacked
	// connections.
	closing   chan struct{}
	closeOnce sync.Once
	lives     sync.WaitGroup

	mu       sync.Mutex
	limiters map[string]*limiterEntry
}

type hashedKey struct {
	name string
	sum  [sha256.Size]byte
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// New checks cfg and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Trace == nil {
		return nil, errors.New("server: no trace function")
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 2 * time.Second
	}
	if cfg.TraceTimeout <= 0 {
		cfg.TraceTimeout = 60 * time.Second
	}
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = 20, 40
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	if cfg.MaxLive <= 0 {
		cfg.MaxLive = 16
	}
	if cfg.MaxLiveDuration <= 0 {
		cfg.MaxLiveDuration = 15 * time.Minute
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:       cfg,
		slots:     make(chan struct{}, cfg.MaxInFlight),
		liveSlots: make(chan struct{}, cfg.MaxLive),
		closing:   make(chan struct{}),
		log:       cfg.Logger,
		limiters:  make(map[string]*limiterEntry),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	for _, k := range cfg.Keys {
		if k.Name == "" || k.Secret == "" {
			return nil, errors.New("server: an API key needs a name and a value")
		}
		if seen[k.Name] {
			return nil, fmt.Errorf("server: API key name %q given twice", k.Name)
		}
		seen[k.Name] = true
		s.keys = append(s.keys, hashedKey{name: k.Name, sum: sha256.Sum256([]byte(k.Secret))})
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.routes()
	return s, nil
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler { return s.mux }

// route describes one endpoint: its pattern, whether it needs a key, and
// its handler.
type route struct {
	pattern string
	auth    bool
	h       http.HandlerFunc
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	rs := []route{
		{"GET /health", false, s.health},
		{"GET /ready", false, s.ready},
		{"GET /openapi.json", false, serveOpenAPI},
		{"GET /docs", false, serveDocs},
		{"GET /metrics", true, s.metrics.handler(s.cfg.Registry)},
		{"GET /trace/{id}", true, s.trace},
		{"GET /trace/{id}/live", true, s.live},
	}
	for _, r := range rs {
		s.mux.Handle(r.pattern, s.wrap(r))
	}
	// Everything else: a plain 404 through the same log and metrics.
	s.mux.Handle("/", s.wrap(route{"/", false, func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	}}))
}

// ctxKey is the type of the request context's values.
type ctxKey int

const keyNameKey ctxKey = 0

// wrap adds to a handler, in order: size limits, metrics and the access
// log, authentication and the rate limit.
func (s *Server) wrap(rt route) http.Handler {
	routeName := rt.pattern
	if _, p, ok := strings.Cut(rt.pattern, " "); ok {
		routeName = p
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
		keyName := ""
		defer func() {
			d := time.Since(start)
			s.metrics.observe(routeName, rec.status, d)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("route", routeName),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", d),
				slog.String("remote", r.RemoteAddr),
			}
			if keyName != "" {
				attrs = append(attrs, slog.String("key", keyName))
			}
			if id := r.PathValue("id"); id != "" {
				// The id is personal data as often as not: only a short
				// digest and its length reach the log.
				sum := sha256.Sum256([]byte(id))
				attrs = append(attrs, slog.String("id_sha256", hex.EncodeToString(sum[:6])), slog.Int("id_len", len(id)))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		if rt.auth {
			name, ok := s.authenticate(r)
			if !ok {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="pipetracker"`)
				writeError(rec, http.StatusUnauthorized, "unauthorized")
				return
			}
			keyName = name
			limitKey := "key:" + name
			if name == "" {
				limitKey = "addr:" + remoteHost(r.RemoteAddr)
			}
			if !s.allow(limitKey, start) {
				rec.Header().Set("Retry-After", "1")
				writeError(rec, http.StatusTooManyRequests, "rate limit exceeded")
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), keyNameKey, name))
		}
		rt.h(rec, r)
	})
}

// maxBody is the most request body any endpoint reads: none of them
// takes one.
const maxBody = 1 << 10

// authenticate returns the name of the key the request carries, "" when
// the server has no keys. Every configured key is compared, in constant
// time, whatever matched, so that the time taken tells nothing of which
// key came close.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	if len(s.keys) == 0 {
		return "", true
	}
	given := r.Header.Get("X-API-Key")
	if given == "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			given = strings.TrimSpace(v)
		}
	}
	if given == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(given))
	match := -1
	for i := range s.keys {
		if subtle.ConstantTimeCompare(sum[:], s.keys[i].sum[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", false
	}
	return s.keys[match].name, true
}

// allow takes a token from the limiter of key. Limiters unused for ten
// minutes are dropped so that the map stays bounded by the active clients.
func (s *Server) allow(key string, now time.Time) bool {
	if s.cfg.Rate < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.limiters[key]
	if !ok {
		if len(s.limiters) > 10000 {
			for k, v := range s.limiters {
				if now.Sub(v.seen) > 10*time.Minute {
					delete(s.limiters, k)
				}
			}
		}
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)}
		s.limiters[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}

func remoteHost(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready", slog.String("error", err.Error()))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// contentTypes are the media types of the formats the API serves.
var contentTypes = map[string]string{
	"json":    "application/json",
	"html":    "text/html; charset=utf-8",
	"ndjson":  "application/x-ndjson",
	"csv":     "text/csv; charset=utf-8",
	"mermaid": "text/plain; charset=utf-8",
	"text":    "text/plain; charset=utf-8",
}

// parseRequest reads a trace request from the path and query string.
func (s *Server) parseRequest(r *http.Request) (Request, string, error) {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "key", "any", "no_follow", "since", "until", "source", "format":
		default:
			return Request{}, "", fmt.Errorf("%w: unknown parameter %q", ErrInvalid, name)
		}
	}
	req := Request{
		ID:    r.PathValue("id"),
		Keys:  q["key"],
		Since: q.Get("since"),
		Until: q.Get("until"),
	}
	var err error
	if req.Any, err = boolParam(q.Get("any"), "any"); err != nil {
		return Request{}, "", err
	}
	if req.NoFollow, err = boolParam(q.Get("no_follow"), "no_follow"); err != nil {
		return Request{}, "", err
	}
	for _, k := range req.Keys {
		if k == "" || len(k) > 128 {
			return Request{}, "", fmt.Errorf("%w: key must be 1 to 128 bytes", ErrInvalid)
		}
	}
	if srcs := q["source"]; len(srcs) > 0 {
		if len(s.cfg.Sources) == 0 {
			return Request{}, "", fmt.Errorf("%w: this server does not allow narrowing the sources", ErrInvalid)
		}
		for _, want := range srcs {
			found := false
			for _, have := range s.cfg.Sources {
				found = found || have == want
			}
			if !found {
				return Request{}, "", fmt.Errorf("%w: source is not one of the configured sources", ErrInvalid)
			}
		}
		req.Sources = srcs
	}
	format := strings.ToLower(q.Get("format"))
	if format == "" {
		format = "json"
		if acceptsHTML(r.Header.Get("Accept")) {
			format = "html"
		}
	}
	if _, ok := contentTypes[format]; !ok {
		return Request{}, "", fmt.Errorf("%w: unknown format %q (choose json, html, ndjson, csv, mermaid or text)", ErrInvalid, format)
	}
	return req, format, nil
}

func boolParam(v, name string) (bool, error) {
	switch v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s must be true or false", ErrInvalid, name)
}

// acceptsHTML reports whether an Accept header prefers text/html to JSON:
// a browser's does, curl's "*/*" does not.
func acceptsHTML(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "application/json", "application/x-ndjson":
			return false
		}
	}
	return false
}

// trace answers GET /trace/{id}.
func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	req, format, err := s.parseRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.runTrace(r.Context(), req)
	switch {
	case err == nil:
	case errors.Is(err, errBusy):
		if r.Context().Err() != nil {
			// The client left while waiting.
			if rec, ok := w.(*recorder); ok {
				rec.status = 499
			}
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "too many traces in flight")
		return
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case r.Context().Err() != nil:
		// The client is gone, or the server is cancelling requests at
		// shutdown: there is no one to answer. 499 is logged, and the
		// connection is dropped rather than answered with an empty 200.
		if rec, ok := w.(*recorder); ok {
			rec.status = 499
		}
		panic(http.ErrAbortHandler)
	case errors.Is(err, errTimeout):
		writeError(w, http.StatusGatewayTimeout, "trace timed out")
		return
	default:
		s.log.LogAttrs(r.Context(), slog.LevelError, "trace failed", slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "trace failed")
		return
	}
	w.Header().Set("Content-Type", contentTypes[format])
	w.Header().Set("Cache-Control", "no-store")
	if format == "html" {
		// The report is self-contained: it loads nothing and runs only its
		// own inline code.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format == "ndjson" {
		// Events go out as they are encoded.
		if err := render.Write(w, format, rep, render.Options{}); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "writing answer", slog.String("error", err.Error()))
		}
		return
	}
	var buf bytes.Buffer
	if err := render.Write(&buf, format, rep, render.Options{}); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render failed", slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "render failed")
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// errBusy and errTimeout are runTrace's failures of its own.
var (
	errBusy    = errors.New("too many traces in flight")
	errTimeout = errors.New("trace timed out")
)

// runTrace runs one trace in a slot, bounded by the per-trace timeout and
// ctx (the client's), and records its work in the metrics.
func (s *Server) runTrace(ctx context.Context, req Request) (*trace.Report, error) {
	release, ok := s.acquire(ctx)
	if !ok {
		return nil, errBusy
	}
	defer release()
	tctx, cancel := context.WithTimeout(ctx, s.cfg.TraceTimeout)
	defer cancel()
	rep, err := s.cfg.Trace(tctx, req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %w", errTimeout, err)
		}
		return nil, err
	}
	s.metrics.observeReport(rep)
	return rep, nil
}

// acquire takes a trace slot, waiting at most QueueWait; release gives it
// back.
func (s *Server) acquire(ctx context.Context) (release func(), ok bool) {
	release = func() {
		<-s.slots
		s.metrics.inFlight.Dec()
	}
	select {
	case s.slots <- struct{}{}:
		s.metrics.inFlight.Inc()
		return release, true
	default:
	}
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		s.metrics.inFlight.Inc()
		return release, true
	case <-t.C:
		s.metrics.rejected.Inc()
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// writeError answers {"error": msg} with status. msg is fixed text or an
// ErrInvalid message: never an internal detail.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// recorder notes the status and size of an answer for the log and the
// metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush sends what is buffered.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
