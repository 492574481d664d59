package kafka

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
)

// tailOutput collects what Tail sends.
type tailOutput struct {
	recs  chan source.Record
	warns chan string
}

func newTailOutput() *tailOutput {
	return &tailOutput{recs: make(chan source.Record, 1000), warns: make(chan string, 100)}
}

func (o *tailOutput) Record(r *source.Record) error {
	c := *r
	c.Data = append([]byte(nil), r.Data...)
	o.recs <- c
	return nil
}

func (o *tailOutput) Warn(msg string)     { o.warns <- msg }
func (o *tailOutput) Progress(int, int64) {}

// next returns the next record sent, failing after a while.
func (o *tailOutput) next(t *testing.T) source.Record {
	t.Helper()
	select {
	case r := <-o.recs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no record")
	}
	return source.Record{}
}

// none checks that nothing more is sent for a while.
func (o *tailOutput) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-o.recs:
		t.Fatalf("unexpected record %q", r.Data)
	case <-time.After(time.Second):
	}
}

// ids is a list of ids a test adds to while Tail runs.
type ids struct {
	mu   sync.Mutex
	list []string
}

func (i *ids) get() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.list
}

func (i *ids) add(id string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.list = append(i.list, id)
}

// startTail runs src.Tail until the test ends or stop is called, once it
// has started; stop returns Tail's result and fails the test when Tail
// does not return promptly.
func startTail(t *testing.T, src *Source, want *ids) (out *tailOutput, stop func() error) {
	t.Helper()
	out = newTailOutput()
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- src.Tail(ctx, want.get, func() { close(started) }, out) }()
	select {
	case <-started:
	case err := <-done:
		cancel()
		t.Fatalf("Tail ended before it started: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("Tail did not start")
	}
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(5 * time.Second):
				t.Error("Tail did not return within 5s of its context ending")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

func TestTail(t *testing.T) {
	t0 := time.Date(2025, 10, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		partitions int32
		opts       string
		ids        []string
		run        func(t *testing.T, topic string, out *tailOutput, want *ids)
	}{
		{
			name: "only records written after the start, in order per partition", partitions: 3, ids: []string{"TXN-T"},
			run: func(t *testing.T, topic string, out *tailOutput, _ *ids) {
				var recs []*kgo.Record
				for i := range 12 {
					recs = append(recs, rec(topic, int32(i%3), t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("new %02d TXN-T", i)))
					recs = append(recs, rec(topic, int32(i%3), t0, fmt.Sprintf("other %02d TXN-U", i)))
				}
				produce(t, cluster.prod, recs...)
				last := map[string]int64{}
				var got []string
				for range 12 {
					r := out.next(t)
					if prev, ok := last[r.Path]; ok && r.Line <= prev {
						t.Errorf("%s: offset %d after %d", r.Path, r.Line, prev)
					}
					last[r.Path] = r.Line
					if r.Service != topic || r.Time.IsZero() || r.Fields != nil {
						t.Errorf("record %+v", r)
					}
					got = append(got, string(r.Data))
				}
				out.none(t)
				if len(last) != 3 {
					t.Errorf("partitions %v, want 3", last)
				}
				slices.Sort(got)
				for i, g := range got {
					if want := fmt.Sprintf("new %02d TXN-T", i); g != want {
						t.Fatalf("records %q", got)
					}
				}
			},
		},
		{
			name: "ids added while following", partitions: 1, ids: []string{"TXN-G"},
			run: func(t *testing.T, topic string, out *tailOutput, want *ids) {
				produce(t, cluster.prod, rec(topic, 0, t0, "early REQ-G"), rec(topic, 0, t0, "first TXN-G request_id=REQ-G"))
				if r := out.next(t); !strings.HasPrefix(string(r.Data), "first") {
					t.Fatalf("record %q", r.Data)
				}
				want.add("REQ-G")
				produce(t, cluster.prod, rec(topic, 0, t0, "later REQ-G"))
				if r := out.next(t); string(r.Data) != "later REQ-G" {
					t.Fatalf("record %q", r.Data)
				}
				out.none(t)
			},
		},
		{
			name: "an id only in a header, service option", partitions: 1, opts: "?service=orders", ids: []string{"TXN-H"},
			run: func(t *testing.T, topic string, out *tailOutput, _ *ids) {
				r := rec(topic, 0, t0, `{"msg":"paid","level":"warn"}`)
				r.Headers = []kgo.RecordHeader{{Key: "request_id", Value: []byte("TXN-H")}}
				produce(t, cluster.prod, r)
				got := out.next(t)
				hs, _ := got.Fields["kafka"].(map[string]any)["headers"].(map[string]any)
				if got.Service != "orders" || got.Message != "paid" || got.Level != "warn" || hs["request_id"] != "TXN-H" {
					t.Errorf("record %+v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := newTopic(t, cluster.c, "tail", tt.partitions)
			// Records written before the start, with the id.
			for p := range tt.partitions {
				produce(t, cluster.prod, rec(topic, p, t0, "old "+strings.Join(tt.ids, " ")))
			}
			src := open(t, topic+tt.opts, nil)
			want := &ids{list: slices.Clone(tt.ids)}
			out, stop := startTail(t, src, want)
			tt.run(t, topic, out, want)
			if err := stop(); err != nil {
				t.Errorf("Tail = %v", err)
			}
		})
	}
}

// TestTailUnreachable checks that brokers that cannot be reached fail
// Tail after dial_timeout, without starting.
func TestTailUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	src, err := Open(source.Spec{Location: "kafka://" + addr + "/orders?dial_timeout=500ms"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	started := false
	start := time.Now()
	err = src.Tail(t.Context(), func() []string { return []string{"TXN-1"} }, func() { started = true }, newTailOutput())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failed after %v", d)
	}
	if err == nil || started || !strings.Contains(err.Error(), addr) {
		t.Errorf("Tail = %v (started %v), want an error naming %s", err, started, addr)
	}
}

// kgoRoutines counts the goroutines of Kafka clients.
func kgoRoutines() (int, string) {
	buf := make([]byte, 4<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "franz-go/pkg/kgo.") {
			n++
		}
	}
	return n, all
}

// TestTailBrokerLost stops the cluster while Tail follows it: Tail warns
// once and goes on until its context ends, then returns promptly, and
// nothing of its client is left running.
func TestTailBrokerLost(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	var closeOnce sync.Once
	stopCluster := func() { closeOnce.Do(c.Close) }
	t.Cleanup(stopCluster)
	topic := newTopic(t, c, "lost", 2)
	addrs := c.ListenAddrs()
	producer := func() *kgo.Client {
		prod, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		return prod
	}
	prod := producer()
	produce(t, prod, rec(topic, 0, time.Now(), "before TXN-L"), rec(topic, 1, time.Now(), "before TXN-L"))
	prod.Close()
	before, _ := kgoRoutines()

	src, err := Open(source.Spec{Location: "kafka://" + strings.Join(addrs, ",") + "/" + topic + "?dial_timeout=1s"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	out, stop := startTail(t, src, &ids{list: []string{"TXN-L"}})
	prod = producer()
	produce(t, prod, rec(topic, 1, time.Now(), "after TXN-L"))
	prod.Close()
	if r := out.next(t); string(r.Data) != "after TXN-L" {
		t.Fatalf("record %q", r.Data)
	}
	stopCluster()
	select {
	case w := <-out.warns:
		if !strings.Contains(w, "lost the connection to brokers") || !strings.Contains(w, addrs[0]) {
			t.Errorf("warning %q", w)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no warning after the brokers were lost")
	}
	// The loss is told once.
	select {
	case w := <-out.warns:
		t.Errorf("second warning %q", w)
	case <-time.After(2 * time.Second):
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("Tail = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Tail took %v to return", d)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, all := kgoRoutines()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of Kafka clients, %d before Tail:\n%s", n, before, all)
		}
	}
}
