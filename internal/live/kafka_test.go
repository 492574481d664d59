package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// topic is a Kafka topic on an in-process cluster of its own.
type topic struct {
	c     *kfake.Cluster
	addrs []string
	name  string
	prod  *kgo.Client
	stop  func() // closes the cluster, once
}

// newTopic starts a cluster of one broker with a topic of partitions.
func newTopic(t *testing.T, partitions int32) *topic {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	tp := &topic{c: c, addrs: c.ListenAddrs(), name: "orders", stop: func() { once.Do(c.Close) }}
	t.Cleanup(tp.stop)
	tp.prod, err = kgo.NewClient(kgo.SeedBrokers(tp.addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tp.prod.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(tp.prod).CreateTopic(ctx, partitions, 1, nil, tp.name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// location is the topic's kafka:// location with query.
func (tp *topic) location(query string) string {
	return "kafka://" + strings.Join(tp.addrs, ",") + "/" + tp.name + query
}

// produce writes one record per value to partition part.
func (tp *topic) produce(t *testing.T, part int32, values ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Topic: tp.name, Partition: part, Value: []byte(v), Timestamp: time.Date(2025, 10, 21, 9, 30, 0, 0, time.UTC)})
	}
	if err := tp.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// next returns the next event, failing after a while.
func (h *harness) next() trace.Event {
	h.t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(10 * time.Second):
		h.t.Fatal("no event")
	}
	return trace.Event{}
}

// warning waits for a warning that holds want.
func (h *harness) warning(want string) string {
	h.t.Helper()
	for {
		select {
		case w := <-h.warns:
			if strings.Contains(w, want) {
				return w
			}
		case <-time.After(15 * time.Second):
			h.t.Fatalf("no warning with %q", want)
		}
	}
}

func TestFollowKafka(t *testing.T) {
	tests := []struct {
		name       string
		partitions int32
		opt        Options
		query      string
		run        func(t *testing.T, h *harness, tp *topic)
	}{
		{
			name: "records written from the start on, in order per partition", partitions: 3,
			run: func(t *testing.T, h *harness, tp *topic) {
				for i := range 9 {
					tp.produce(t, int32(i%3), line(i, fmt.Sprintf("new-%d", i), "transaction_id=TXN-1"), line(i, "other", "transaction_id=TXN-2"))
				}
				last := map[string]int64{}
				seen := map[string]bool{}
				for range 9 {
					ev := h.next()
					if prev, ok := last[ev.Origin.Path]; ok && ev.Origin.Line <= prev {
						t.Errorf("%s: offset %d after %d", ev.Origin.Path, ev.Origin.Line, prev)
					}
					last[ev.Origin.Path] = ev.Origin.Line
					var i int
					if _, err := fmt.Sscanf(ev.Message, "new-%d", &i); err != nil || ev.Origin.Path != fmt.Sprintf("orders/%d", i%3) || ev.Time.Second() != i {
						t.Errorf("event %q at %s %v", ev.Message, ev.Origin.Path, ev.Time)
					}
					if ev.Service != "orders" || ev.Origin.Source != source.Redact(tp.location("")) || ev.Matched.Value != "TXN-1" || ev.Origin.Line < 1 {
						t.Errorf("event %+v", ev)
					}
					seen[ev.Message] = true
				}
				h.want()
				if len(last) != 3 || len(seen) != 9 {
					t.Errorf("partitions %v, messages %v", last, seen)
				}
			},
		},
		{
			name: "linked ids learned from a record", partitions: 1, opt: Options{Follow: true},
			run: func(t *testing.T, h *harness, tp *topic) {
				tp.produce(t, 0, line(7, "link", "transaction_id=TXN-1 request_id=REQ-9"), line(8, "via link", "request_id=REQ-9"))
				evs := h.want("link", "via link")
				if evs[1].Matched.Value != "REQ-9" {
					t.Errorf("matched %+v", evs[1].Matched)
				}
				// A file record of the linked id is picked up too.
				write(t, filepath.Join(h.dir, "api", "app.log"), line(9, "in a file", "request_id=REQ-9"), true)
				h.want("in a file")
			},
		},
		{
			name: "no linked ids without follow", partitions: 1,
			run: func(t *testing.T, h *harness, tp *topic) {
				tp.produce(t, 0, line(7, "link", "transaction_id=TXN-1 request_id=REQ-9"), line(8, "via link", "request_id=REQ-9"))
				h.want("link")
			},
		},
		{
			name: "time window, with the record timestamp when the payload has none", partitions: 1,
			opt: Options{Until: time.Date(2025, 10, 21, 9, 0, 10, 0, time.UTC)},
			run: func(t *testing.T, h *harness, tp *topic) {
				// The records' Kafka timestamp is 09:30, after until.
				tp.produce(t, 0, line(20, "late", "transaction_id=TXN-1"), "untimed transaction_id=TXN-1", line(9, "in time", "transaction_id=TXN-1"))
				h.want("in time")
			},
		},
		{
			name: "service from the payload, else the service option", partitions: 1, query: "?service=billing",
			run: func(t *testing.T, h *harness, tp *topic) {
				tp.produce(t, 0, `{"time":"2025-10-21T09:00:01Z","service":"payments","msg":"paid","transaction_id":"TXN-1"}`, line(2, "billed", "transaction_id=TXN-1"))
				if ev := h.next(); ev.Service != "payments" || ev.Message != "paid" {
					t.Errorf("event %+v", ev)
				}
				if ev := h.next(); ev.Service != "billing" {
					t.Errorf("event %+v", ev)
				}
			},
		},
		{
			name: "an id only in a header", partitions: 1,
			run: func(t *testing.T, h *harness, tp *topic) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				r := &kgo.Record{Topic: tp.name, Value: []byte(line(3, "headed", "x=1")), Headers: []kgo.RecordHeader{{Key: "transaction_id", Value: []byte("TXN-1")}}}
				if err := tp.prod.ProduceSync(ctx, r).FirstErr(); err != nil {
					t.Fatal(err)
				}
				ev := h.next()
				if ev.Matched.Key != "transaction_id" || !strings.HasPrefix(ev.Message, "headed") {
					t.Errorf("event %+v", ev)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := newTopic(t, tt.partitions)
			for p := range tt.partitions {
				tp.produce(t, p, line(1, "old", "transaction_id=TXN-1 request_id=REQ-9"))
			}
			dir := t.TempDir()
			opt := tt.opt
			opt.Sources = []source.Spec{{Location: dir}, {Location: tp.location(tt.query)}}
			h := startIn(t, dir, opt)
			tt.run(t, h, tp)
		})
	}
}

// refused returns an address where nothing listens.
func refused(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestFollowKafkaUnreachable checks that brokers that cannot be reached
// are a warning and the files are still followed.
func TestFollowKafkaUnreachable(t *testing.T) {
	addr := refused(t)
	dir := t.TempDir()
	h := startIn(t, dir, Options{Sources: []source.Spec{{Location: dir}, {Location: "kafka://" + addr + "/orders?dial_timeout=300ms"}, {Location: "s3://bucket/logs"}}})
	h.warning("s3://bucket/logs: not followed")
	if w := h.warning("kafka://" + addr); !strings.Contains(w, "not followed") || !strings.Contains(w, "cannot reach brokers") {
		t.Errorf("warning %q", w)
	}
	write(t, filepath.Join(dir, "a.log"), line(1, "still", "transaction_id=TXN-1"), true)
	h.want("still")
}

// TestFollowOnlyUnreachable checks that a follow whose only source fails
// ends with an error rather than waiting for nothing.
func TestFollowOnlyUnreachable(t *testing.T) {
	var warns []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, Options{
		Sources: []source.Spec{{Location: "kafka://" + refused(t) + "/orders?dial_timeout=300ms"}},
		Keys:    []string{"transaction_id"}, IDs: []string{"TXN-1"},
		Warn: func(msg string) { warns = append(warns, msg) },
	}, func(trace.Event) error { return nil })
	if !errors.Is(err, errNothingLeft) || ctx.Err() != nil || len(warns) != 1 {
		t.Fatalf("Run = %v, warnings %q", err, warns)
	}
}

// TestFollowKafkaBrokerLost stops the cluster while it is followed: a
// warning says so, the files are still followed, and Run stops promptly
// when its context ends.
func TestFollowKafkaBrokerLost(t *testing.T) {
	tp := newTopic(t, 2)
	dir := t.TempDir()
	h := startIn(t, dir, Options{Sources: []source.Spec{{Location: dir}, {Location: tp.location("?dial_timeout=1s")}}})
	tp.produce(t, 1, line(1, "from kafka", "transaction_id=TXN-1"))
	h.want("from kafka")
	tp.prod.Close()
	tp.stop()
	w := h.warning("lost the connection to brokers")
	if !strings.HasPrefix(w, source.Redact(tp.location("?dial_timeout=1s"))+": ") {
		t.Errorf("warning %q does not name the source", w)
	}
	write(t, filepath.Join(dir, "a.log"), line(2, "from a file", "transaction_id=TXN-1"), true)
	h.want("from a file")
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop within 3s of its context ending")
	}
}
