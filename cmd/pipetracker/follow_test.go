package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/server"
	"github.com/pipetracker/pipetracker/internal/source/all"
	"github.com/pipetracker/pipetracker/internal/trace"
)

func appendLine(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func waitText(t *testing.T, b *serveLogBuffer, want string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if s := b.String(); strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %q", want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTraceFollow(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "api", "app.log")
	appendLine(t, log, `{"time":"2025-10-21T09:00:00Z","level":"info","msg":"first","transaction_id":"TXN-7"}`+"\n")
	var out, errb serveLogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"trace", "TXN-7", "--source", dir, "--key", "transaction_id", "--follow", "--format", "ndjson"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	waitText(t, &errb, "following new records")
	waitText(t, &out, `"message":"first"`)
	appendLine(t, log, `{"time":"2025-10-21T09:00:05Z","level":"error","msg":"later, mail jane.doe@example.com","transaction_id":"TXN-7"}`+"\n")
	appendLine(t, log, `{"time":"2025-10-21T09:00:06Z","level":"info","msg":"not ours","transaction_id":"TXN-8"}`+"\n")
	got := waitText(t, &out, `later`)
	var last map[string]any
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["type"] != "event" || strings.Contains(got, "jane.doe") || !strings.Contains(last["message"].(string), "REDACTED") {
		t.Errorf("followed line %v", last)
	}
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(out.String(), "not ours") {
		t.Error("a record of another id was printed")
	}
	cancel()
	select {
	case code := <-exit:
		if code != exitFound {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not stop")
	}
}

func TestCheckFollow(t *testing.T) {
	tests := []struct {
		name, format, output string
		ok                   bool
	}{
		{"text", "text", "", true},
		{"ndjson", "ndjson", "-", true},
		{"json", "json", "", false},
		{"html", "html", "", false},
		{"to a file", "text", "out.txt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkFollow(tt.format, tt.output); (err == nil) != tt.ok {
				t.Fatalf("checkFollow = %v", err)
			}
		})
	}
	code, _, errs := result(t, "", nil, "trace", "X", "--source", t.TempDir(), "--follow", "--format", "csv")
	if code != exitError || !strings.Contains(errs, "--follow needs") {
		t.Errorf("exit %d %s", code, errs)
	}
}

func TestServeLive(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "api", "app.log")
	appendLine(t, log, `{"time":"2025-10-21T09:00:00Z","level":"info","msg":"first","transaction_id":"TXN-7"}`+"\n")
	readMsg := liveSocket(t, "log_sources: ["+dir+"]\nmatch_keys: [transaction_id]\n", "TXN-7", 20*time.Second)
	if m := readMsg(); m["message"] != "first" {
		t.Fatalf("first message %v", m)
	}
	if m := readMsg(); m["type"] != "caught_up" {
		t.Fatalf("second message %v", m)
	}
	appendLine(t, log, `{"time":"2025-10-21T09:00:05Z","level":"info","msg":"card 4111 1111 1111 1111","transaction_id":"TXN-7"}`+"\n")
	m := readMsg()
	if m["type"] != "event" || strings.Contains(m["message"].(string), "4111") {
		t.Fatalf("live message %v", m)
	}
}

func TestWriteEventLine(t *testing.T) {
	ev := trace.Event{
		Time: time.Date(2025, 10, 21, 9, 0, 3, 0, time.UTC), Service: "api", Level: "error", Message: "two\nlines",
		Matched: trace.Match{Key: "transaction_id", Value: "TXN-9"}, Origin: trace.Origin{Source: "./logs", Path: "api/app.log", Line: 3},
	}
	fromEnd := ev
	fromEnd.Origin.Line = 0
	tests := []struct {
		name, format string
		ev           trace.Event
		want         string
	}{
		{"text", "text", ev, "2025-10-21 09:00:03.000  api          ERROR two lines  [api/app.log:3]\n"},
		{"text, line unknown", "text", fromEnd, "2025-10-21 09:00:03.000  api          ERROR two lines  [api/app.log]\n"},
		{"ndjson", "ndjson", ev, `{"type":"event","time":"2025-10-21T09:00:03Z","service":"api","level":"error","message":"two\nlines","fields":{},"matched":{"key":"transaction_id","value":"TXN-9","via":""},"origin":{"source":"./logs","path":"api/app.log","line":3},"raw":""}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeEventLine(&b, tt.format, tt.ev); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got  %q\nwant %q", b.String(), tt.want)
			}
		})
	}
}

// liveTopic starts a Kafka cluster of one broker with a topic of two
// partitions, and returns its addresses, a producer and a function that
// stops the cluster (once).
func liveTopic(t *testing.T, topic string) (addrs []string, prod *kgo.Client, stop func()) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(cluster.Close) }
	t.Cleanup(stop)
	addrs = cluster.ListenAddrs()
	prod, err = kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return addrs, prod, stop
}

// produceJSON writes one JSON record per message to partition part, with
// the given id and time.
func produceJSON(t *testing.T, prod *kgo.Client, topic string, part int32, at time.Time, id string, msgs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for _, m := range msgs {
		v, _ := json.Marshal(map[string]string{"time": at.Format(time.RFC3339Nano), "level": "info", "msg": m, "transaction_id": id})
		recs = append(recs, &kgo.Record{Topic: topic, Partition: part, Timestamp: at, Value: v})
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestServeLiveKafka follows, through the API, a trace whose sources are
// a local directory and a Kafka topic: a record written to the topic
// after the start comes as an event, a broker lost comes as a warning,
// and the file goes on being followed.
func TestServeLiveKafka(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	dir := t.TempDir()
	log := filepath.Join(dir, "api", "app.log")
	appendLine(t, log, `{"time":"`+now.Add(-2*time.Minute).Format(time.RFC3339Nano)+`","level":"info","msg":"first","transaction_id":"TXN-K"}`+"\n")
	addrs, prod, stop := liveTopic(t, "orders-live")
	produceJSON(t, prod, "orders-live", 0, now.Add(-time.Minute), "TXN-K", "kafka before")

	yaml := "log_sources: [" + dir + ", 'kafka://" + strings.Join(addrs, ",") + "/orders-live?dial_timeout=1s']\nmatch_keys: [transaction_id]\n"
	readMsg := liveSocket(t, yaml, "TXN-K", 60*time.Second)
	for _, want := range []string{"first", "kafka before"} {
		if m := readMsg(); m["type"] != "event" || m["message"] != want {
			t.Fatalf("message %v, want the event %q", m, want)
		}
	}
	if m := readMsg(); m["type"] != "caught_up" || m["events"] != float64(2) {
		t.Fatalf("message %v, want caught_up", m)
	}
	produceJSON(t, prod, "orders-live", 1, now, "TXN-K", "kafka later")
	produceJSON(t, prod, "orders-live", 1, now, "TXN-OTHER", "not ours")
	m := readMsg()
	origin, _ := m["origin"].(map[string]any)
	if m["type"] != "event" || m["message"] != "kafka later" || m["service"] != "orders-live" || origin["path"] != "orders-live/1" || !strings.HasPrefix(origin["source"].(string), "kafka://") {
		t.Fatalf("live message %v", m)
	}
	prod.Close()
	stop()
	for {
		m := readMsg()
		if m["type"] == "event" {
			t.Fatalf("event %v after the broker was stopped", m)
		}
		if m["type"] == "warning" {
			if w := m["message"].(string); !strings.Contains(w, "lost the connection to brokers") {
				t.Fatalf("warning %q", w)
			}
			break
		}
	}
	appendLine(t, log, `{"time":"`+now.Format(time.RFC3339Nano)+`","level":"info","msg":"file later","transaction_id":"TXN-K"}`+"\n")
	if m := readMsg(); m["type"] != "event" || m["message"] != "file later" {
		t.Fatalf("message %v, want the file's new event", m)
	}
}

// TestTraceFollowKafka follows a Kafka topic from the terminal.
func TestTraceFollowKafka(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	addrs, prod, _ := liveTopic(t, "orders-cli")
	produceJSON(t, prod, "orders-cli", 0, now.Add(-time.Minute), "TXN-C", "kafka before")
	var out, errb serveLogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"trace", "TXN-C", "--source", "kafka://" + strings.Join(addrs, ",") + "/orders-cli", "--source", "s3://bucket/logs",
			"--key", "transaction_id", "--follow", "--format", "ndjson"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	waitText(t, &errb, "following new records")
	waitText(t, &out, `"message":"kafka before"`)
	if !strings.Contains(errb.String(), "warning: s3://bucket/logs: not followed") {
		t.Errorf("stderr %q", errb.String())
	}
	produceJSON(t, prod, "orders-cli", 1, now, "TXN-C", "kafka later")
	waitText(t, &out, `"message":"kafka later"`)
	if n := strings.Count(out.String(), `"message":"kafka before"`); n != 1 {
		t.Errorf("the first answer's record printed %d times", n)
	}
	cancel()
	select {
	case <-exit:
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not stop")
	}
}

// liveSocket serves the configuration yaml as pipetracker serve does,
// opens the live trace of id over a WebSocket and returns a reader of its
// next message; the test fails when none comes within timeout of the
// start. Everything is closed when the test ends.
func liveSocket(t *testing.T, yaml, id string, timeout time.Duration) func() map[string]any {
	t.Helper()
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	e.reg = all.Registry(strings.NewReader(""), nil)
	cfg, err := config.Parse("p.yaml", []byte(yaml), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tracer, follower, err := e.serveTracer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Trace: tracer, Follow: follower})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1)+"/trace/"+id+"/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return func() map[string]any {
		t.Helper()
		var m map[string]any
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
}
