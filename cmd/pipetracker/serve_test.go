package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/server"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/all"
)

// TestServeMatchesCLI checks that the API answers the same report as the
// trace command, for the bundled examples.
func TestServeMatchesCLI(t *testing.T) {
	toRoot(t)
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	e.reg = all.Registry(strings.NewReader(""), nil)
	cfg, err := e.loadConfig("examples/pipetracker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tracer, _, err := e.serveTracer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Trace: tracer, Ready: readyCheck(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	tests := []struct {
		name  string
		flags []string
		query string
	}{
		{"follow", nil, ""},
		{"no follow", []string{"--no-follow"}, "?no_follow=true"},
		{"keys", []string{"--key", "transaction_id"}, "?key=transaction_id"},
		{"since", []string{"--since", "2025-10-21T09:14:08Z"}, "?since=2025-10-21T09:14:08Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := result(t, "", nil, append([]string{"trace", "TXN-48213", "--config", "examples/pipetracker.yaml", "--format", "json"}, tt.flags...)...)
			if code != exitFound {
				t.Fatalf("cli exit %d: %s", code, errs)
			}
			resp, err := http.Get(ts.URL + "/trace/TXN-48213" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			cli, api := decode(t, out), decode(t, string(body))
			if len(api.Events) == 0 {
				t.Fatal("no events")
			}
			if !reflect.DeepEqual(cli, api) {
				t.Errorf("API report differs from the CLI's:\ncli %+v\napi %+v", cli.Summary, api.Summary)
			}
		})
	}
	resp, err := http.Get(ts.URL + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("ready: %d", resp.StatusCode)
	}
}

func TestTraceOptions(t *testing.T) {
	cfg := config.Default()
	base := []source.Spec{{Location: "./a"}, {Location: "./b"}}
	now := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		req     server.Request
		wantErr string
		check   func(*testing.T, *optView)
	}{
		{name: "defaults", req: server.Request{ID: "x"}, check: func(t *testing.T, o *optView) {
			if !o.follow || len(o.sources) != 2 || o.keys != "[transaction_id request_id trace_id]" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "keys and no follow", req: server.Request{Keys: []string{"k"}, NoFollow: true, Any: true}, check: func(t *testing.T, o *optView) {
			if o.follow || !o.any || o.keys != "[k]" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "since duration", req: server.Request{Since: "2h"}, check: func(t *testing.T, o *optView) {
			if !o.since.Equal(now.Add(-2 * time.Hour)) {
				t.Errorf("since %v", o.since)
			}
		}},
		{name: "narrowed", req: server.Request{Sources: []string{"./b"}}, check: func(t *testing.T, o *optView) {
			if len(o.sources) != 1 || o.sources[0] != "./b" {
				t.Errorf("%v", o.sources)
			}
		}},
		{name: "bad since", req: server.Request{Since: "yesterday"}, wantErr: "since"},
		{name: "until before since", req: server.Request{Since: "1h", Until: "2h"}, wantErr: "until is before since"},
		{name: "unknown source", req: server.Request{Sources: []string{"./c"}}, wantErr: "no configured source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt, err := traceOptions(cfg, base, tt.req, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := &optView{follow: opt.Follow, any: opt.Any, since: opt.Since, keys: "[" + strings.Join(opt.Keys, " ") + "]"}
			for _, s := range opt.Sources {
				v.sources = append(v.sources, s.Location)
			}
			tt.check(t, v)
		})
	}
}

type optView struct {
	follow, any bool
	since       time.Time
	keys        string
	sources     []string
}

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		name     string
		listen   string
		keys     int
		insecure bool
		ok       bool
	}{
		{"loopback without keys", "127.0.0.1:8080", 0, false, true},
		{"all interfaces without keys", ":8080", 0, false, false},
		{"public address without keys", "0.0.0.0:8080", 0, false, false},
		{"all interfaces with a key", ":8080", 1, false, true},
		{"all interfaces, insecure", ":8080", 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkExposure(tt.listen, tt.keys, tt.insecure)
			if (err == nil) != tt.ok {
				t.Fatalf("checkExposure = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "--insecure-no-auth") {
				t.Errorf("the refusal does not say how to proceed: %v", err)
			}
		})
	}
}

func TestServeRefuses(t *testing.T) {
	toRoot(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"exposed without keys", nil, []string{"--listen", "0.0.0.0:0"}, "refusing to listen on 0.0.0.0:0 without API keys"},
		{"short key", map[string]string{envAPIKey: "short"}, nil, "shorter than 16"},
		{"missing config", nil, []string{"--config", "testdata-missing.yaml"}, "config"},
		{"half TLS", nil, []string{"--tls-cert", "x.pem"}, "--tls-cert and --tls-key go together"},
		{"bad log format", nil, []string{"--log-format", "xml"}, "--log-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--config", "examples/pipetracker.yaml", "--listen", "127.0.0.1:0"}, tt.args...)
			code, _, errs := result(t, "", tt.env, args...)
			if code != exitError || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr %q, want %q", code, errs, tt.want)
			}
		})
	}
}

func TestAPIKeys(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    []string // names
		wantErr string
	}{
		{name: "none", yaml: "", want: nil},
		{name: "environment key", yaml: "", env: map[string]string{envAPIKey: "0123456789abcdefgh"}, want: []string{"env"}},
		{name: "named secrets", yaml: "server:\n  api_keys: [api_key_ops, api_key_ci]\n",
			env:  map[string]string{"API_KEY_OPS": "ops-0123456789abcdef", "API_KEY_CI": "ci-0123456789abcdef", envAPIKey: "0123456789abcdefgh"},
			want: []string{"api_key_ops", "api_key_ci", "env"}},
		{name: "secret missing", yaml: "server:\n  api_keys: [api_key_gone]\n", wantErr: "api_key_gone"},
		{name: "secret too short", yaml: "server:\n  api_keys: [api_key_ops]\n", env: map[string]string{"API_KEY_OPS": "abc"}, wantErr: "shorter than 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			getenv := func(k string) string { return tt.env[k] }
			cfg, err := config.Parse("p.yaml", []byte(tt.yaml), config.Options{Getenv: getenv})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{getenv: getenv}
			keys, err := e.apiKeys(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, k := range keys {
				names = append(names, k.Name)
				if tt.env[strings.ToUpper(k.Name)] != k.Secret && !(k.Name == "env" && k.Secret == tt.env[envAPIKey]) {
					t.Errorf("key %s has the wrong value", k.Name)
				}
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("names %v, want %v", names, tt.want)
			}
		})
	}
}

// TestServeCommand starts the command, calls it with the key of the
// environment, and stops it as SIGTERM would.
func TestServeCommand(t *testing.T) {
	toRoot(t)
	key := "test-key-0123456789abcdef"
	var errb serveLogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--config", "examples/pipetracker.yaml", "--listen", "127.0.0.1:0", "--log-format", "json", "--grace", "1s"},
			func(k string) string {
				if k == envAPIKey {
					return key
				}
				return ""
			}, strings.NewReader(""), io.Discard, &errb)
	}()
	urlRe := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)"`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := urlRe.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	tests := []struct {
		name   string
		path   string
		key    string
		status int
	}{
		{"health", "/health", "", 200},
		{"trace without key", "/trace/TXN-48213", "", 401},
		{"trace with key", "/trace/TXN-48213", key, 200},
		{"unknown id", "/trace/NOPE-1", key, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+tt.path, nil)
			if tt.key != "" {
				req.Header.Set("X-API-Key", tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	port := base[strings.LastIndexByte(base, ':')+1:]
	if code, _, errs := result(t, "", nil, "serve", "--healthcheck", "--listen", "0.0.0.0:"+port); code != exitFound {
		t.Errorf("healthcheck of a running server: exit %d %s", code, errs)
	}
	cancel()
	select {
	case code := <-exit:
		if code != exitFound {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if code, _, _ := result(t, "", nil, "serve", "--healthcheck", "--listen", "127.0.0.1:"+port); code != exitError {
		t.Errorf("healthcheck of a stopped server: exit %d", code)
	}
	log := errb.String()
	if strings.Contains(log, key) || strings.Contains(log, "TXN-48213") {
		t.Errorf("log shows the key or the id:\n%s", log)
	}
	if !strings.Contains(log, `"key":"env"`) || !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("log lacks the key name or the stop:\n%s", log)
	}
}

// serveLogBuffer is a bytes.Buffer safe for concurrent use.
type serveLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *serveLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *serveLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
