// Package verify asks services about a traced request after the trace:
// each configured service that appears in the trace is called with
// GET URL?service=<service>&id=<id> and is expected to answer a JSON
// object. A failing endpoint yields a failed result, never an error.
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// Defaults used when Options leaves a field zero.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 4
	// maxBody caps how much of an answer is read.
	maxBody = 1 << 20
)

// Options control a verification run. The zero value uses the defaults.
type Options struct {
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Concurrency bounds the requests in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Client sends the requests; nil means a client without a timeout of
	// its own (Timeout applies through the context).
	Client *http.Client
}

// Run checks every service of endpoints that appears in services (the
// trace's services in path order) for the request id. Results are in the
// order of services; services without an endpoint are not checked, and
// endpoints for services absent from the trace are ignored. Run returns
// only when every request has finished or ctx is done; it never fails:
// each problem is recorded in its result.
func Run(ctx context.Context, id string, services []string, endpoints map[string]string, opt Options) []trace.Verification {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	client := opt.Client
	if client == nil {
		client = &http.Client{}
	}
	var todo []string
	seen := map[string]bool{}
	for _, s := range services {
		if _, ok := endpoints[s]; ok && !seen[s] {
			seen[s] = true
			todo = append(todo, s)
		}
	}
	out := make([]trace.Verification, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opt.Concurrency)
	for i, svc := range todo {
		g.Go(func() error {
			out[i] = check(gctx, client, opt.Timeout, svc, id, endpoints[svc])
			return nil
		})
	}
	_ = g.Wait() // the closures never fail
	return out
}

// check performs one request and reports its outcome.
func check(ctx context.Context, client *http.Client, timeout time.Duration, svc, id, endpoint string) trace.Verification {
	v := trace.Verification{Service: svc, Endpoint: source.Redact(endpoint)}
	start := time.Now()
	defer func() { v.Elapsed = time.Since(start) }()
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Error = "not an absolute http(s) URL"
		return v
	}
	q := u.Query()
	q.Set("service", svc)
	q.Set("id", id)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		v.Error = fmt.Sprintf("request: %v", err)
		return v
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			v.Error = fmt.Sprintf("no answer within %s", timeout)
		} else {
			v.Error = describe(err)
		}
		return v
	}
	defer resp.Body.Close()
	v.Status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		v.Error = fmt.Sprintf("reading the answer: %s", describe(err))
		return v
	}
	if len(body) > maxBody {
		v.Error = fmt.Sprintf("answer larger than %d bytes", maxBody)
		return v
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		v.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
		return v
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		v.Error = "answer is not a JSON object"
		return v
	}
	v.OK = true
	v.Response = obj
	return v
}

// describe gives an error's text without the request URL that
// net/http puts in front of it, which may carry credentials.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
