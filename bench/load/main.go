// Command load puts `pipetracker serve` under load on this machine: it
// starts the server on a loopback port with the bundled examples, runs a
// fixed number of concurrent clients for a fixed time, samples the
// server's resident memory, and prints latency percentiles, status counts
// and the memory series.
//
//	go build -o /tmp/pipetracker ./cmd/pipetracker
//	go run ./bench/load --bin /tmp/pipetracker            # 50 clients, 60 s
//	go run ./bench/load --bin /tmp/pipetracker --clients 10 --duration 10s
//
// It only ever talks to 127.0.0.1, stops by itself after --duration (each
// request is bounded by --timeout), and stops the server it started. Run
// it from the repository root.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type sample struct {
	at  time.Duration
	rss int64 // bytes
}

func run() error {
	bin := flag.String("bin", "./pipetracker", "pipetracker binary to serve")
	cfgPath := flag.String("config", "examples/pipetracker.yaml", "configuration the server loads")
	clients := flag.Int("clients", 50, "concurrent clients (at most 500)")
	duration := flag.Duration("duration", 60*time.Second, "how long the clients run (at most 10m)")
	timeout := flag.Duration("timeout", 30*time.Second, "bound on one request")
	every := flag.Duration("sample", 5*time.Second, "how often the server's memory is sampled")
	serverRate := flag.String("rate", "-1", "the server's --rate (requests per second for the one key; -1: no limit, so that only the in-flight cap answers 429)")
	flag.Parse()
	if *clients < 1 || *clients > 500 || *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("--clients must be 1..500 and --duration at most 10m")
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	keyBytes := make([]byte, 24)
	if _, err := rand.Read(keyBytes); err != nil {
		return err
	}
	key := hex.EncodeToString(keyBytes)
	cmd := exec.Command(*bin, "serve", "--config", *cfgPath, "--listen", addr, "--rate", *serverRate, "--log-format", "json")
	cmd.Env = append(os.Environ(), "PIPETRACKER_API_KEY="+key)
	logf, err := os.CreateTemp("", "pipetracker-load-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(logf.Name())
	cmd.Stderr = logf
	stopWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	base := "http://" + addr
	if err := waitHealthy(base); err != nil {
		return err
	}

	// The mix: the example's id, other ids of the corpus, a linked id, an
	// id that is nowhere, and the other formats.
	paths := []string{
		"/trace/TXN-48213",
		"/trace/TXN-48213?no_follow=true",
		"/trace/TXN-50001",
		"/trace/TXN-48214",
		"/trace/r-5c1e9a40?key=request_id",
		"/trace/NOT-THERE-1",
		"/trace/TXN-48213?format=ndjson",
		"/trace/TXN-48213?format=html",
	}
	client := &http.Client{
		Timeout:   *timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients},
	}

	rssBefore := rss(cmd.Process.Pid)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	start := time.Now()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		statuses  = map[string]int{}
		samples   = []sample{{0, rssBefore}}
	)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(*every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s := sample{time.Since(start), rss(cmd.Process.Pid)}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}
	}()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var local []time.Duration
			localStatus := map[string]int{}
			for i := c; ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths[i%len(paths)], nil)
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						break // the run is over; this request was cut by it
					}
					localStatus["error"]++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				localStatus[strconv.Itoa(resp.StatusCode)]++
				if resp.StatusCode == http.StatusOK {
					local = append(local, d)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			for k, v := range localStatus {
				statuses[k] += v
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	samples = append(samples, sample{elapsed, rss(cmd.Process.Pid)})

	slices.Sort(latencies)
	total := 0
	for _, v := range statuses {
		total += v
	}
	fmt.Printf("clients %d, duration %s, requests %d (%.0f/s)\n", *clients, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds())
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("  status %s: %d\n", k, statuses[k])
	}
	if len(latencies) > 0 {
		fmt.Printf("latency of 200s: p50 %s  p90 %s  p99 %s  max %s\n",
			pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), latencies[len(latencies)-1].Round(time.Microsecond))
	}
	fmt.Println("server RSS over time:")
	for _, s := range samples {
		fmt.Printf("  %6.1fs  %6.1f MiB\n", s.at.Seconds(), float64(s.rss)/(1<<20))
	}
	if n := len(samples); n >= 4 {
		// Growth between the first and last quarter of the run, once the
		// server has warmed up.
		q := n / 4
		early, late := maxRSS(samples[1:1+q]), maxRSS(samples[n-q:])
		fmt.Printf("RSS peak in the first quarter %.1f MiB, in the last quarter %.1f MiB\n", float64(early)/(1<<20), float64(late)/(1<<20))
	}
	if statuses["error"] > 0 {
		return fmt.Errorf("%d requests failed", statuses["error"])
	}
	for k := range statuses {
		if k != "200" && k != "429" {
			return fmt.Errorf("unexpected status %s", k)
		}
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}

func maxRSS(ss []sample) int64 {
	var m int64
	for _, s := range ss {
		m = max(m, s.rss)
	}
	return m
}

// rss reads a process's resident set size from /proc (Linux); 0 when it
// cannot.
func rss(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(base string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server did not become healthy in 15 s")
}
