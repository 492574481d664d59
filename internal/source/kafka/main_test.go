package kafka

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
)

// cluster is the in-process Kafka cluster the package's tests share; tests
// that stop a broker start their own.
var cluster struct {
	c     *kfake.Cluster
	addrs string
	prod  *kgo.Client
	seq   atomic.Int64
}

func TestMain(m *testing.M) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	cluster.c = c
	cluster.addrs = strings.Join(c.ListenAddrs(), ",")
	cluster.prod, err = kgo.NewClient(
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "producer:", err)
		os.Exit(1)
	}
	code := m.Run()
	cluster.prod.Close()
	c.Close()
	os.Exit(code)
}

// newTopic creates a topic with a name unique to the test binary and
// returns the name.
func newTopic(t testing.TB, c *kfake.Cluster, base string, partitions int32) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", base, cluster.seq.Add(1))
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return name
}

// produce writes recs (their Topic, Partition, Timestamp set) and returns
// them with their offsets.
func produce(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return recs
}

// rec is a record for produce.
func rec(topic string, part int32, at time.Time, value string) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: part, Timestamp: at, Value: []byte(value)}
}

// collect scans src for ids and returns what it sent.
func collect(t *testing.T, src source.Source, q *source.Query) (*sourcetest.Collector, source.Stats, error) {
	t.Helper()
	var c sourcetest.Collector
	st, err := src.Scan(t.Context(), q, &c)
	return &c, st, err
}

// records is a collector that keeps whole records, Fields and Time
// included.
type records struct {
	mu   sync.Mutex
	recs []source.Record
	warn []string
}

func (r *records) Record(rec *source.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *rec
	c.Data = append([]byte(nil), rec.Data...)
	r.recs = append(r.recs, c)
	return nil
}

func (r *records) Warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warn = append(r.warn, msg)
}

func (r *records) Progress(int, int64) {}

// open opens a location of the shared cluster with options.
func open(t *testing.T, topics string, opts map[string]string) *Source {
	t.Helper()
	src, err := Open(source.Spec{Location: "kafka://" + cluster.addrs + "/" + topics, Options: opts}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return src
}
