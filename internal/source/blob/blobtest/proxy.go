// Package blobtest helps the tests of object store drivers: a
// fault-injecting HTTP proxy to put in front of an in-process store, a
// multi-service corpus with exact answers laid out as objects, and a way
// to trace it through the engine and compare the answers.
package blobtest

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Faults say what a Proxy does to the requests it forwards. The zero
// value forwards everything untouched.
type Faults struct {
	// Latency delays every request before it is forwarded.
	Latency time.Duration
	// ErrorRate is the share of requests answered 500 or 503 (in turn)
	// instead of being forwarded.
	ErrorRate float64
	// Cut, Slow and Fail apply to object reads (as the proxy's isRead
	// tells them), given the request path and how many times the proxy
	// saw that read before: Cut sends half of the body and then drops the
	// connection; Slow sends the body in small pieces with pauses; Fail
	// answers 500.
	Cut  func(path string, n int) bool
	Slow func(path string, n int) bool
	Fail func(path string) bool
	// Edit changes each object read before it is forwarded: a store that
	// ignores a header, say.
	Edit func(*http.Request)
}

// Counts are the requests a Proxy saw and what it did to them.
type Counts struct {
	Requests, Reads, Errors, Cuts, Slow, Failed int64
}

// Proxy forwards HTTP requests to a target server, injecting faults. It
// keeps the Host header of each request, so that signed requests stay
// valid. Its methods are safe for concurrent use.
type Proxy struct {
	// URL is the proxy's address ("http://127.0.0.1:PORT").
	URL string

	target *url.URL
	isRead func(*http.Request) bool
	tr     *http.Transport
	srv    *httptest.Server

	mu     sync.Mutex
	faults Faults
	seen   map[string]int
	rng    *rand.Rand
	heads  []http.Header // of the object reads, as they came

	requests, reads, errors, cuts, slow, failed atomic.Int64
}

// NewProxy starts a proxy in front of target; isRead tells the requests
// that read an object's content. The proxy stops when the test ends.
func NewProxy(t testing.TB, target string, isRead func(*http.Request) bool) *Proxy {
	t.Helper()
	p, err := StartProxy(target, isRead)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartProxy starts a proxy in front of target; isRead tells the requests
// that read an object's content. Close stops it.
func StartProxy(target string, isRead func(*http.Request) bool) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		target: u,
		isRead: isRead,
		tr:     &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		seen:   make(map[string]int),
		rng:    rand.New(rand.NewPCG(1, 2)),
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.tr.CloseIdleConnections()
}

// Set replaces the faults and forgets the reads seen so far.
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	p.seen = make(map[string]int)
}

// ReadHeaders returns the headers of the object reads the proxy saw, in
// order, as the client sent them.
func (p *Proxy) ReadHeaders() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.heads)
}

// Counts returns what the proxy saw since it started.
func (p *Proxy) Counts() Counts {
	return Counts{
		Requests: p.requests.Load(), Reads: p.reads.Load(), Errors: p.errors.Load(),
		Cuts: p.cuts.Load(), Slow: p.slow.Load(), Failed: p.failed.Load(),
	}
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	read := p.isRead(r)
	p.mu.Lock()
	f := p.faults
	n := 0
	if read {
		n = p.seen[r.URL.Path]
		p.seen[r.URL.Path]++
		p.heads = append(p.heads, r.Header.Clone())
	}
	roll := p.rng.Float64()
	p.mu.Unlock()
	if read {
		p.reads.Add(1)
	}
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case read && f.Fail != nil && f.Fail(r.URL.Path):
		p.failed.Add(1)
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	case roll < f.ErrorRate:
		p.errors.Add(1)
		code := http.StatusInternalServerError
		if p.errors.Load()%2 == 0 {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, "injected error", code)
		return
	}

	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	out.RequestURI = ""
	if read && f.Edit != nil {
		f.Edit(out)
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	ok := resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent
	switch {
	case read && ok && f.Cut != nil && f.Cut(r.URL.Path, n):
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		p.cuts.Add(1)
		w.WriteHeader(resp.StatusCode)
		w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // drops the connection mid-body
	case read && ok && f.Slow != nil && f.Slow(r.URL.Path, n):
		p.slow.Add(1)
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 4<<10)
		for {
			k, err := resp.Body.Read(buf)
			if k > 0 {
				w.Write(buf[:k])
				if fl, ok := w.(http.Flusher); ok {
					fl.Flush()
				}
				select {
				case <-time.After(5 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	default:
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}
}
