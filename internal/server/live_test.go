package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// followFrom returns a follow function that sends the messages it is
// given on feed until ctx ends, and reports on ended how it ended.
func followFrom(feed <-chan string, ended chan<- error) FollowFunc {
	return func(ctx context.Context, req Request, rep *trace.Report, out LiveOutput) error {
		out.Started()
		for {
			select {
			case <-ctx.Done():
				ended <- ctx.Err()
				return nil
			case msg := <-feed:
				if w, ok := strings.CutPrefix(msg, "warning: "); ok {
					out.Warn(w)
					continue
				}
				if err := out.Send(trace.Event{Service: "api", Message: msg, Matched: trace.Match{Key: "transaction_id", Value: req.ID}}); err != nil {
					ended <- err
					return err
				}
			}
		}
	}
}

func dial(t *testing.T, url string, key string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if key != "" {
		h.Set("X-API-Key", key)
	}
	return websocket.Dial(ctx, strings.Replace(url, "http://", "ws://", 1), &websocket.DialOptions{HTTPHeader: h})
}

func read(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var m map[string]any
	if err := wsjson.Read(ctx, c, &m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func TestLive(t *testing.T) {
	feed, ended := make(chan string, 4), make(chan error, 4)
	_, ts := newTest(t, Config{Keys: []Key{{Name: "k", Secret: goodKey}}, Follow: followFrom(feed, ended), MaxLive: 1})

	if _, resp, err := dial(t, ts.URL+"/trace/T1/live", ""); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("without a key: %v %v", err, resp)
	}
	if _, resp, err := dial(t, ts.URL+"/trace/T1/live?max_duration=forever", goodKey); err == nil || resp.StatusCode != 400 {
		t.Fatalf("bad max_duration: %v", err)
	}

	c, _, err := dial(t, ts.URL+"/trace/T1/live?max_duration=1m", goodKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if m := read(t, c); m["type"] != "event" || m["message"] != "hello" {
		t.Fatalf("first message %v", m)
	}
	if m := read(t, c); m["type"] != "caught_up" || m["events"] != float64(1) {
		t.Fatalf("second message %v", m)
	}
	feed <- "written later"
	if m := read(t, c); m["type"] != "event" || m["message"] != "written later" {
		t.Fatalf("live message %v", m)
	}
	feed <- "warning: kafka: brokers lost"
	if m := read(t, c); m["type"] != "warning" || m["message"] != "kafka: brokers lost" {
		t.Fatalf("warning message %v", m)
	}
	// One live trace at a time here.
	if _, resp, err := dial(t, ts.URL+"/trace/T2/live", goodKey); err == nil || resp.StatusCode != 429 {
		t.Fatalf("second live trace: %v", err)
	}
	// The client leaves: following stops.
	c.Close(websocket.StatusNormalClosure, "bye")
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("follow ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("following went on after the client left")
	}
}

func TestLiveMaxDuration(t *testing.T) {
	feed, ended := make(chan string), make(chan error, 1)
	_, ts := newTest(t, Config{Follow: followFrom(feed, ended), MaxLiveDuration: time.Minute})
	c, _, err := dial(t, ts.URL+"/trace/T1/live?max_duration=300ms", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read(t, c) // the event
	read(t, c) // caught up
	start := time.Now()
	if m := read(t, c); m["type"] != "end" || m["reason"] != "max_duration" {
		t.Fatalf("message %v", m)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("ended after %v", d)
	}
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("follow ended with %v", err)
	}
}

func TestLiveDisabled(t *testing.T) {
	_, ts := newTest(t, Config{})
	resp, _ := get(t, ts.URL+"/trace/T1/live", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestLiveShutdown(t *testing.T) {
	feed, ended := make(chan string), make(chan error, 1)
	s, err := New(Config{Trace: fixedReport(t), Follow: followFrom(feed, ended)})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, wait := startRun(t, s, RunOptions{Grace: 5 * time.Second})
	c, _, err := dial(t, "http://"+addr+"/trace/T1/live", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read(t, c) // the event
	read(t, c) // caught up
	stop()
	if m := read(t, c); m["type"] != "end" || m["reason"] != "shutdown" {
		t.Fatalf("message %v", m)
	}
	// A client answers the close frame, as browsers do.
	if _, _, err := c.Read(context.Background()); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("close: %v", err)
	}
	start := time.Now()
	if err := wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v after the live trace ended", d)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v", err)
	}
}
