package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/engine"
	"github.com/pipetracker/pipetracker/internal/live"
	"github.com/pipetracker/pipetracker/internal/server"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// envAPIKey is the environment variable of the single API key.
const envAPIKey = "PIPETRACKER_API_KEY"

type serveFlags struct {
	config         string
	listen         string
	tlsCert        string
	tlsKey         string
	insecureNoAuth bool
	logFormat      string
	maxInFlight    int
	traceTimeout   time.Duration
	queueWait      time.Duration
	rate           float64
	burst          int
	grace          time.Duration
	memoryLimitMB  int
	healthcheck    bool
	maxLive        int
	maxLiveFor     time.Duration
}

func serveCmd(e *env) *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Answer trace requests over HTTP",
		Long: `serve runs the HTTP API: GET /trace/{id} answers the report of the CLI
(JSON, HTML or NDJSON), with /health, /ready, /metrics, /openapi.json and /docs.

The configuration is read once, at start-up; requests cannot name files.
API keys come from the secrets listed in server.api_keys, or from
` + envAPIKey + ` for a single key, and are sent as "Authorization: Bearer KEY"
or "X-API-Key: KEY". Without keys the server only listens on a loopback
address, unless --insecure-no-auth is given.`,
		Example: `  PIPETRACKER_API_KEY=$(openssl rand -hex 32) pipetracker serve --config pipetracker.yaml
  curl -H "Authorization: Bearer $PIPETRACKER_API_KEY" http://127.0.0.1:8080/trace/TXN-48213`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.serve(cmd.Context(), &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "config file (default ./pipetracker.yaml when present)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS and HTTP/2")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fl.BoolVar(&f.insecureNoAuth, "insecure-no-auth", false, "allow a non-loopback address without API keys")
	fl.StringVar(&f.logFormat, "log-format", "text", "access log format: text or json")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 0, "traces run at once; more wait briefly, then get 429 (0: twice the CPUs)")
	fl.DurationVar(&f.traceTimeout, "trace-timeout", 60*time.Second, "longest time one trace may run")
	fl.DurationVar(&f.queueWait, "queue-wait", 2*time.Second, "how long a trace waits for a slot before 429")
	fl.Float64Var(&f.rate, "rate", 20, "requests per second per API key (per client address without keys); negative: no limit")
	fl.IntVar(&f.burst, "burst", 40, "requests one key may make at once above its rate")
	fl.IntVar(&f.memoryLimitMB, "memory-limit-mb", 1024, "soft limit of the Go heap in MiB, the collector works harder near it (0: none; GOMEMLIMIT overrides)")
	fl.IntVar(&f.maxLive, "max-live", 16, "live traces (GET /trace/{id}/live) open at once; more get 429")
	fl.DurationVar(&f.maxLiveFor, "max-live-duration", 15*time.Minute, "longest live trace; a request's max_duration may only shorten it")
	fl.BoolVar(&f.healthcheck, "healthcheck", false, "do not serve: ask the server at --listen for /health and exit 0 when it answers 200 (for container health checks)")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "on SIGTERM/SIGINT, how long requests in flight may finish before they are cancelled")
	return c
}

func (e *env) serve(ctx context.Context, f *serveFlags) error {
	if f.healthcheck {
		if err := healthcheck(ctx, f.listen, f.tlsCert != ""); err != nil {
			return &codeError{exitError, err}
		}
		return nil
	}
	var logger *slog.Logger
	switch f.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(e.stderr, nil))
	default:
		return &codeError{exitError, fmt.Errorf("%w: --log-format %q: want text or json", errUsage, f.logFormat)}
	}
	cfg, err := e.loadConfig(f.config)
	if err != nil {
		return &codeError{exitError, err}
	}
	defer tuneGC(e.getenv, f.memoryLimitMB)()
	keys, err := e.apiKeys(cfg)
	if err != nil {
		return &codeError{exitError, err}
	}
	if err := checkExposure(f.listen, len(keys), f.insecureNoAuth); err != nil {
		return &codeError{exitError, err}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return &codeError{exitError, fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)}
	}
	tracer, follower, err := e.serveTracer(cfg)
	if err != nil {
		return &codeError{exitError, err}
	}
	scfg := server.Config{
		Trace:           tracer,
		Follow:          follower,
		MaxLive:         f.maxLive,
		MaxLiveDuration: f.maxLiveFor,
		Ready:           readyCheck(cfg),
		Keys:            keys,
		MaxInFlight:     f.maxInFlight,
		QueueWait:       f.queueWait,
		TraceTimeout:    f.traceTimeout,
		Rate:            f.rate,
		Burst:           f.burst,
		Logger:          logger,
	}
	if cfg.Server.AllowSourceFilter {
		for _, s := range cfg.LogSources {
			scfg.Sources = append(scfg.Sources, s.Location)
		}
	}
	srv, err := server.New(scfg)
	if err != nil {
		return &codeError{exitError, err}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return &codeError{exitError, fmt.Errorf("listen: %w", err)}
	}
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	logger.Info("listening", "url", scheme+"://"+ln.Addr().String(), "sources", len(cfg.LogSources), "api_keys", names)
	if err := srv.Run(ctx, ln, server.RunOptions{CertFile: f.tlsCert, KeyFile: f.tlsKey, Grace: f.grace}); err != nil {
		return &codeError{exitError, err}
	}
	logger.Info("stopped")
	return nil
}

// healthcheck asks the server listening at listen for /health, over
// loopback when it listens on every interface. The server's certificate is
// not verified: the check sends nothing secret and only asks whether the
// local process answers.
func healthcheck(ctx context.Context, listen string, useTLS bool) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%w: --listen %q: %w", errUsage, listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	client := &http.Client{Timeout: 3 * time.Second}
	if useTLS {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // see above
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/health", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", resp.StatusCode)
	}
	return nil
}

// tuneGC sets the collector for a long-running server, unless GOGC and
// GOMEMLIMIT say otherwise: the default target of 100 % instead of the
// CLI's 400 % (a server runs many traces one after the other, and their
// garbage would otherwise pile up to five times what is live), and a soft
// heap limit. It returns the function that restores the previous settings.
func tuneGC(getenv func(string) string, limitMB int) (restore func()) {
	pct, limit := -2, int64(-1)
	if getenv("GOGC") == "" {
		pct = debug.SetGCPercent(100)
	}
	if getenv("GOMEMLIMIT") == "" && limitMB > 0 {
		limit = debug.SetMemoryLimit(int64(limitMB) << 20)
	}
	return func() {
		if pct != -2 {
			debug.SetGCPercent(pct)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// apiKeys gathers the accepted keys: the secrets named in server.api_keys
// and PIPETRACKER_API_KEY (named "env").
func (e *env) apiKeys(cfg *config.Config) ([]server.Key, error) {
	var keys []server.Key
	store := e.secretStore(cfg)
	for _, name := range cfg.Server.APIKeys {
		v, err := store.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("server.api_keys: %w", err)
		}
		if len(v) < 16 {
			return nil, fmt.Errorf("server.api_keys: secret %q is shorter than 16 characters: too easy to guess", name)
		}
		keys = append(keys, server.Key{Name: name, Secret: v})
	}
	if v := e.getenv(envAPIKey); v != "" {
		if len(v) < 16 {
			return nil, fmt.Errorf("%s is shorter than 16 characters: too easy to guess", envAPIKey)
		}
		keys = append(keys, server.Key{Name: "env", Secret: v})
	}
	return keys, nil
}

// checkExposure refuses to serve traces without authentication to other
// machines, unless told to.
func checkExposure(listen string, keys int, insecure bool) error {
	if keys > 0 || insecure || server.IsLoopback(listen) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without API keys: anyone who can reach it could read your logs; "+
		"set %s or server.api_keys, listen on 127.0.0.1, or pass --insecure-no-auth if a proxy in front authenticates", listen, envAPIKey)
}

// serveTracer returns the functions that run the API's traces with the
// configuration, as the trace command would with the same options, and
// follow them live as trace --follow does.
func (e *env) serveTracer(cfg *config.Config) (server.TraceFunc, server.FollowFunc, error) {
	base, err := specs(cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(base) == 0 {
		return nil, nil, errors.New("no log sources in the configuration: serve needs log_sources")
	}
	for _, s := range base {
		if s.Location == "-" {
			return nil, nil, errors.New("log_sources: standard input (-) cannot be served")
		}
	}
	sec, err := e.securityFor(cfg, false)
	if err != nil {
		return nil, nil, err
	}
	follow := func(ctx context.Context, req server.Request, rep *trace.Report, out server.LiveOutput) error {
		opt, err := traceOptions(cfg, base, req, time.Now())
		if err != nil {
			return fmt.Errorf("%w: %w", server.ErrInvalid, err)
		}
		lo := e.liveOptions(opt, rep)
		sec.liveDecrypt(&lo)
		lo.Started = out.Started
		lo.Warn = func(msg string) { out.Warn(sec.redactWarning(rep, msg)) }
		err = live.Run(ctx, lo, func(ev trace.Event) error {
			return out.Send(sec.redactEvent(rep, ev))
		})
		if errors.Is(err, live.ErrNotFollowable) {
			return fmt.Errorf("%w: %w", server.ErrInvalid, err)
		}
		return sec.redactErr(err, req.ID)
	}
	eng := engine.New(sec.registry(e.reg))
	return func(ctx context.Context, req server.Request) (*trace.Report, error) {
		opt, err := traceOptions(cfg, base, req, time.Now())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", server.ErrInvalid, err)
		}
		opt.Precheck = sec.precheck()
		rep, err := eng.Trace(ctx, req.ID, opt)
		if err != nil {
			if errors.Is(err, engine.ErrBadID) {
				return nil, fmt.Errorf("%w: %w", server.ErrInvalid, err)
			}
			return nil, sec.redactErr(err, req.ID)
		}
		verifyTrace(ctx, rep, req.ID, cfg.VerifierEndpoints)
		sec.redactReport(rep)
		return rep, nil
	}, follow, nil
}

// traceOptions builds a trace's options from the configuration and one
// API request, as the trace command builds them from its flags.
func traceOptions(cfg *config.Config, base []source.Spec, req server.Request, now time.Time) (engine.Options, error) {
	opt := engine.Options{
		Keys:         cfg.MatchKeys,
		Any:          req.Any,
		Follow:       cfg.FollowLinks && !req.NoFollow,
		MaxLinkDepth: cfg.MaxLinkDepth,
		MaxLinkedIDs: cfg.MaxLinkedIDs,
		MaxFiles:     cfg.Output.MaxFiles,
		MaxFileBytes: int64(cfg.Output.MaxSizeMB) << 20,
		MaxEvents:    cfg.MaxEvents,
		Sources:      base,
	}
	if len(req.Keys) > 0 {
		opt.Keys = req.Keys
	}
	var err error
	if opt.Since, err = parseWhen("since", req.Since, now); err != nil {
		return opt, err
	}
	if opt.Until, err = parseWhen("until", req.Until, now); err != nil {
		return opt, err
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && opt.Until.Before(opt.Since) {
		return opt, fmt.Errorf("until is before since")
	}
	if len(req.Sources) > 0 {
		opt.Sources = nil
		for _, s := range base {
			if slices.Contains(req.Sources, s.Location) {
				opt.Sources = append(opt.Sources, s)
			}
		}
		if len(opt.Sources) == 0 {
			return opt, fmt.Errorf("no configured source matches")
		}
	}
	return opt, nil
}

// readyCheck checks what can be checked cheaply: that the local sources
// exist (a path, or a glob matching something). Remote sources are assumed
// reachable; their failures show in each report.
func readyCheck(cfg *config.Config) func(context.Context) error {
	return func(context.Context) error {
		for _, s := range cfg.LogSources {
			loc := s.Location
			if strings.Contains(loc, "://") || strings.HasPrefix(loc, "exec:") {
				continue
			}
			if strings.ContainsAny(loc, "*?[") {
				m, err := filepath.Glob(loc)
				if err != nil || len(m) == 0 {
					return fmt.Errorf("source %s: no file matches", source.Redact(loc))
				}
				continue
			}
			if _, err := os.Stat(loc); err != nil {
				return fmt.Errorf("source %s: %w", source.Redact(loc), err)
			}
		}
		return nil
	}
}
