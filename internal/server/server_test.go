package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/trace"
)

const goodKey = "0123456789abcdef-good"

// fixedReport returns a trace function that answers one small report.
func fixedReport(t *testing.T) TraceFunc {
	return func(_ context.Context, req Request) (*trace.Report, error) {
		ev := trace.Event{Time: time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC), Service: "api", Message: "hello", Matched: trace.Match{Key: "transaction_id", Value: req.ID}}
		rep := &trace.Report{Query: trace.Query{ID: req.ID, Keys: req.Keys}}
		rep.Trace = trace.Assemble(req.ID, []trace.Event{ev})
		rep.Stats.Stages = []trace.Stage{{Name: "scan", Elapsed: time.Millisecond}}
		rep.Stats.Sources = []trace.SourceStats{{Source: "./logs", Files: 1, Bytes: 100}}
		return rep, nil
	}
}

func newTest(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Trace == nil {
		cfg.Trace = fixedReport(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestAuthentication(t *testing.T) {
	_, ts := newTest(t, Config{Keys: []Key{{Name: "ops", Secret: goodKey}, {Name: "ci", Secret: "another-key-0000000"}}})
	tests := []struct {
		name   string
		path   string
		header map[string]string
		status int
	}{
		{"no key", "/trace/T1", nil, 401},
		{"wrong key", "/trace/T1", map[string]string{"Authorization": "Bearer wrong"}, 401},
		{"prefix of the key", "/trace/T1", map[string]string{"Authorization": "Bearer " + goodKey[:10]}, 401},
		{"key with a suffix", "/trace/T1", map[string]string{"X-API-Key": goodKey + "x"}, 401},
		{"basic scheme", "/trace/T1", map[string]string{"Authorization": "Basic " + goodKey}, 401},
		{"bearer", "/trace/T1", map[string]string{"Authorization": "Bearer " + goodKey}, 200},
		{"x-api-key", "/trace/T1", map[string]string{"X-API-Key": goodKey}, 200},
		{"second key", "/trace/T1", map[string]string{"X-API-Key": "another-key-0000000"}, 200},
		{"metrics need a key", "/metrics", nil, 401},
		{"metrics with a key", "/metrics", map[string]string{"X-API-Key": goodKey}, 200},
		{"health is open", "/health", nil, 200},
		{"ready is open", "/ready", nil, 200},
		{"openapi is open", "/openapi.json", nil, 200},
		{"docs are open", "/docs", nil, 200},
		{"unknown path", "/etc/passwd", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts.URL+tt.path, tt.header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 {
				// The same fixed answer whatever was wrong: nothing tells
				// a missing key from a near miss.
				if body != "{\"error\":\"unauthorized\"}\n" {
					t.Errorf("401 body %q", body)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
		})
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name string
		keys []Key
	}{
		{"no name", []Key{{Secret: goodKey}}},
		{"no value", []Key{{Name: "a"}}},
		{"same name twice", []Key{{Name: "a", Secret: goodKey}, {Name: "a", Secret: goodKey + "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(Config{Trace: fixedReport(t), Keys: tt.keys}); err == nil {
				t.Fatal("New accepted the keys")
			}
		})
	}
}

func TestTraceParameters(t *testing.T) {
	var got atomic.Pointer[Request]
	inner := fixedReport(t)
	tf := func(ctx context.Context, req Request) (*trace.Report, error) {
		got.Store(&req)
		if req.Since == "bad" {
			return nil, fmt.Errorf("%w: since is bad", ErrInvalid)
		}
		if req.Since == "boom" {
			return nil, errors.New("secret internal detail /etc/x")
		}
		return inner(ctx, req)
	}
	_, ts := newTest(t, Config{Trace: tf, Sources: []string{"./a", "s3://b/c"}})
	tests := []struct {
		name   string
		query  string
		accept string
		status int
		ctype  string
		check  func(*testing.T, Request)
		body   string // a substring of the body
	}{
		{name: "json by default", query: "", status: 200, ctype: "application/json", body: `"message": "hello"`},
		{name: "html by accept", accept: "text/html,application/xhtml+xml;q=0.9", status: 200, ctype: "text/html; charset=utf-8", body: "<!"},
		{name: "curl's accept is json", accept: "*/*", status: 200, ctype: "application/json"},
		{name: "html by format", query: "format=html", status: 200, ctype: "text/html; charset=utf-8"},
		{name: "ndjson", query: "format=ndjson", status: 200, ctype: "application/x-ndjson", body: `{"type":"event"`},
		{name: "options pass through", query: "key=a&key=b&any=true&no_follow=1&since=2h&until=2025-10-21", status: 200,
			check: func(t *testing.T, r Request) {
				if fmt.Sprint(r.Keys) != "[a b]" || !r.Any || !r.NoFollow || r.Since != "2h" || r.Until != "2025-10-21" || r.ID != "T1" {
					t.Errorf("request %+v", r)
				}
			}},
		{name: "configured source", query: "source=s3://b/c", status: 200,
			check: func(t *testing.T, r Request) {
				if fmt.Sprint(r.Sources) != "[s3://b/c]" {
					t.Errorf("sources %v", r.Sources)
				}
			}},
		{name: "unconfigured source", query: "source=/etc", status: 400, body: "not one of the configured"},
		{name: "a file parameter", query: "config=/etc/passwd", status: 400, body: "unknown parameter"},
		{name: "bad bool", query: "any=yes", status: 400},
		{name: "unknown format", query: "format=pdf", status: 400},
		{name: "invalid from the tracer", query: "since=bad", status: 400, body: "since is bad"},
		{name: "internal error hidden", query: "since=boom", status: 500, body: `{"error":"trace failed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.accept != "" {
				h["Accept"] = tt.accept
			}
			resp, body := get(t, ts.URL+"/trace/T1?"+tt.query, h)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("content type %q, want %q", resp.Header.Get("Content-Type"), tt.ctype)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body lacks %q:\n%.300s", tt.body, body)
			}
			if strings.Contains(body, "/etc/x") {
				t.Error("internal detail leaked")
			}
			if tt.check != nil {
				tt.check(t, *got.Load())
			}
		})
	}
}

func TestSourceFilterOffByDefault(t *testing.T) {
	_, ts := newTest(t, Config{})
	resp, body := get(t, ts.URL+"/trace/T1?source=./a", nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "does not allow") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// blockingTrace returns a trace function that signals start, then waits
// for its context and records that it ended.
func blockingTrace(started chan<- struct{}, ended chan<- error) TraceFunc {
	return func(ctx context.Context, _ Request) (*trace.Report, error) {
		started <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}
}

func TestInFlightCap(t *testing.T) {
	started, ended := make(chan struct{}, 4), make(chan error, 4)
	s, ts := newTest(t, Config{Trace: blockingTrace(started, ended), MaxInFlight: 1, QueueWait: 50 * time.Millisecond, TraceTimeout: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/trace/T1", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	resp, body := get(t, ts.URL+"/trace/T2", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second trace: %d %q, Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// The client that leaves frees its slot: its trace is cancelled and
	// the next one runs.
	cancel()
	<-done
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("trace ended with %v, want cancellation", err)
	}
	waitFor(t, func() bool { return len(s.slots) == 0 })
	s.cfg.Trace = fixedReport(t)
	if resp, body := get(t, ts.URL+"/trace/T3", nil); resp.StatusCode != 200 {
		t.Fatalf("after the disconnect: %d %s", resp.StatusCode, body)
	}
}

func TestTraceTimeout(t *testing.T) {
	started, ended := make(chan struct{}, 1), make(chan error, 1)
	_, ts := newTest(t, Config{Trace: blockingTrace(started, ended), TraceTimeout: 100 * time.Millisecond})
	resp, body := get(t, ts.URL+"/trace/T1", nil)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("trace ended with %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	_, ts := newTest(t, Config{Keys: []Key{{Name: "a", Secret: goodKey}, {Name: "b", Secret: goodKey + "b"}}, Rate: 0.001, Burst: 2})
	tests := []struct {
		name   string
		key    string
		status int
	}{
		{"a first", goodKey, 200},
		{"a second", goodKey, 200},
		{"a over its burst", goodKey, 429},
		{"b has its own budget", goodKey + "b", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, ts.URL+"/trace/T1", map[string]string{"X-API-Key": tt.key})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		})
	}
}

func TestAccessLogHidesIDsAndKeys(t *testing.T) {
	var buf syncBuffer
	_, ts := newTest(t, Config{Keys: []Key{{Name: "oncall", Secret: goodKey}}, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	const id = "CUSTOMER-jane.doe@example.com"
	get(t, ts.URL+"/trace/"+id, map[string]string{"Authorization": "Bearer " + goodKey})
	get(t, ts.URL+"/trace/"+id, map[string]string{"Authorization": "Bearer not-the-key"})
	log := buf.String()
	for _, secret := range []string{id, "jane", goodKey, "not-the-key"} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{`"key":"oncall"`, `"id_len":29`, `"route":"/trace/{id}"`, `"status":401`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func TestMetrics(t *testing.T) {
	_, ts := newTest(t, Config{})
	get(t, ts.URL+"/trace/T1", nil)
	_, body := get(t, ts.URL+"/metrics", nil)
	for _, want := range []string{
		`pipetracker_http_requests_total{code="200",route="/trace/{id}"} 1`,
		`pipetracker_http_request_duration_seconds_bucket{route="/trace/{id}"`,
		`pipetracker_traces_in_flight 0`,
		`pipetracker_trace_stage_duration_seconds_count{stage="scan"} 1`,
		`pipetracker_source_bytes_total{source="./logs"} 100`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	s, err := New(Config{Trace: fixedReport(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/health", "/ready", "/trace/{id}", "/trace/{id}/live", "/metrics", "/openapi.json", "/docs"} {
		if _, ok := doc.Paths[p]["get"]; !ok {
			t.Errorf("openapi.json does not describe GET %s", p)
		}
		req := httptest.NewRequest(http.MethodGet, strings.Replace(p, "{id}", "X", 1), nil)
		if _, pattern := s.mux.Handler(req); pattern == "/" {
			t.Errorf("GET %s is described but not served", p)
		}
	}
	for _, bad := range []string{"<script src", "<link", "http://", "https://"} {
		if bytes.Contains(docsPage, []byte(bad)) {
			t.Errorf("docs page loads from elsewhere: %q", bad)
		}
	}
}

func TestReady(t *testing.T) {
	tests := []struct {
		name   string
		ready  func(context.Context) error
		status int
	}{
		{"no check", nil, 200},
		{"ok", func(context.Context) error { return nil }, 200},
		{"failing", func(context.Context) error { return errors.New("/secret/path missing") }, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTest(t, Config{Ready: tt.ready})
			resp, body := get(t, ts.URL+"/ready", nil)
			if resp.StatusCode != tt.status || strings.Contains(body, "secret") {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.1.2.3:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.168.1.5:8080", false},
		{"example.com:80", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := IsLoopback(tt.addr); got != tt.want {
				t.Errorf("IsLoopback(%q) = %v", tt.addr, got)
			}
		})
	}
}

// startRun runs s on a loopback listener until the returned cancel is
// called; wait returns Run's error.
func startRun(t *testing.T, s *Server, opt RunOptions) (addr string, stop context.CancelFunc, wait func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx, ln, opt) }()
	t.Cleanup(cancel)
	return ln.Addr().String(), cancel, func() error {
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
}

func TestSlowHeadersAreCut(t *testing.T) {
	s, err := New(Config{Trace: fixedReport(t)})
	if err != nil {
		t.Fatal(err)
	}
	addr, _, _ := startRun(t, s, RunOptions{ReadHeaderTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	// A slowloris client: a header line every 100 ms, never the end.
	go func() {
		fmt.Fprint(conn, "GET /health HTTP/1.1\r\nHost: x\r\n")
		for i := 0; i < 50; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := fmt.Fprintf(conn, "X-Slow-%d: y\r\n", i); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = bufio.NewReader(conn).ReadString('\n')
	elapsed := time.Since(start)
	if err == nil {
		// Go may answer 408 before closing; either way the connection ends.
		_, err = io.ReadAll(conn)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the slow connection open for %v", elapsed)
	}
	if elapsed > 2*time.Second {
		t.Fatalf("connection cut after %v, want about 300ms", elapsed)
	}
}

func TestOversizedHeadersRefused(t *testing.T) {
	s, err := New(Config{Trace: fixedReport(t)})
	if err != nil {
		t.Fatal(err)
	}
	addr, _, _ := startRun(t, s, RunOptions{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2*MaxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestShutdownWhileTracesRun(t *testing.T) {
	tests := []struct {
		name string
		// traceTime is how long the trace takes if not cancelled.
		traceTime  time.Duration
		grace      time.Duration
		wantStatus int // 0: the connection is dropped
		wantCancel bool
	}{
		{name: "finishes within the grace period", traceTime: 200 * time.Millisecond, grace: 5 * time.Second, wantStatus: 200},
		{name: "cancelled after the grace period", traceTime: time.Hour, grace: 200 * time.Millisecond, wantCancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, cancelled := make(chan struct{}, 1), make(chan struct{}, 1)
			inner := fixedReport(t)
			tf := func(ctx context.Context, req Request) (*trace.Report, error) {
				started <- struct{}{}
				select {
				case <-time.After(tt.traceTime):
					return inner(ctx, req)
				case <-ctx.Done():
					cancelled <- struct{}{}
					return nil, ctx.Err()
				}
			}
			s, err := New(Config{Trace: tf})
			if err != nil {
				t.Fatal(err)
			}
			addr, stop, wait := startRun(t, s, RunOptions{Grace: tt.grace})
			type result struct {
				status int
				err    error
			}
			res := make(chan result, 1)
			go func() {
				resp, err := http.Get("http://" + addr + "/trace/T1")
				if err != nil {
					res <- result{err: err}
					return
				}
				resp.Body.Close()
				res <- result{status: resp.StatusCode}
			}()
			<-started
			stop()
			// New connections are refused at once.
			waitFor(t, func() bool {
				c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
				if err == nil {
					c.Close()
				}
				return err != nil
			})
			if err := wait(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			r := <-res
			if r.status != tt.wantStatus {
				t.Errorf("in-flight request: status %d (err %v), want %d", r.status, r.err, tt.wantStatus)
			}
			select {
			case <-cancelled:
				if !tt.wantCancel {
					t.Error("the trace was cancelled")
				}
			default:
				if tt.wantCancel {
					t.Error("the trace was not cancelled")
				}
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
