package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// RunOptions control how Run serves.
type RunOptions struct {
	// CertFile and KeyFile enable TLS (1.2 or later, modern ciphers,
	// HTTP/2) when both are set.
	CertFile, KeyFile string
	// Grace is how long in-flight requests may run after shutdown begins
	// before they are cancelled; 0 means 10 s.
	Grace time.Duration
	// ReadHeaderTimeout bounds the time to read a request's headers (slow
	// clients are cut); 0 means 5 s.
	ReadHeaderTimeout time.Duration
}

// MaxHeaderBytes bounds the size of a request's headers.
const MaxHeaderBytes = 16 << 10

// HTTPServer returns an http.Server for s with the server's timeouts and
// limits. Its BaseContext is base, so cancelling base cancels every
// request in flight.
func (s *Server) HTTPServer(base context.Context, opt RunOptions) *http.Server {
	if opt.ReadHeaderTimeout <= 0 {
		opt.ReadHeaderTimeout = 5 * time.Second
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: opt.ReadHeaderTimeout,
		ReadTimeout:       opt.ReadHeaderTimeout + 5*time.Second,
		// A trace may wait for its slot, run its time, then be written.
		WriteTimeout:   s.cfg.QueueWait + s.cfg.TraceTimeout + 30*time.Second,
		IdleTimeout:    90 * time.Second,
		MaxHeaderBytes: MaxHeaderBytes,
		BaseContext:    func(net.Listener) context.Context { return base },
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			CurvePreferences: []tls.CurveID{
				tls.X25519MLKEM768, tls.X25519, tls.CurveP256,
			},
			CipherSuites: []uint16{ // TLS 1.2 only; 1.3's are fixed
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
				tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
			},
		},
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	return srv
}

// Run serves on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets in-flight requests finish for the grace period,
// then cancels the traces still running and closes their connections. It
// returns nil after a shutdown asked through ctx.
func (s *Server) Run(ctx context.Context, ln net.Listener, opt RunOptions) error {
	if opt.Grace <= 0 {
		opt.Grace = 10 * time.Second
	}
	base, cancelAll := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAll()
	srv := s.HTTPServer(base, opt)
	tlsOn := opt.CertFile != "" || opt.KeyFile != ""
	if tlsOn && (opt.CertFile == "" || opt.KeyFile == "") {
		return errors.New("server: TLS needs both a certificate and a key")
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if tlsOn {
			err = srv.ServeTLS(ln, opt.CertFile, opt.KeyFile)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "shutting down", slog.Duration("grace", opt.Grace))
	sctx, cancel := context.WithTimeout(context.Background(), opt.Grace)
	defer cancel()
	s.closeOnce.Do(func() { close(s.closing) })
	err := srv.Shutdown(sctx)
	if err == nil {
		// Live traces run on hijacked connections, which Shutdown does not
		// wait for: they were told to end, wait for them too.
		livesDone := make(chan struct{})
		go func() { s.lives.Wait(); close(livesDone) }()
		select {
		case <-livesDone:
		case <-sctx.Done():
			err = sctx.Err()
		}
	}
	if err != nil {
		// The grace period is over: cancel the traces still running, then
		// drop their connections.
		cancelAll()
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "grace period over: cancelling requests in flight")
		_ = srv.Close()
	}
	<-errc
	return nil
}

// IsLoopback reports whether a listen address only accepts connections
// from this machine: a loopback IP or "localhost". An empty host (all
// interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
