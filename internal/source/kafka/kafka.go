// Package kafka reads log records from Kafka topics without side effects:
// partitions are assigned directly (no consumer group, no committed
// offsets), the time window becomes a range of offsets per partition, and
// the read of a partition stops at the high watermark it had when the
// trace started. For live traces, Source.Tail follows the topics from
// their end instead, with the same client and the same records.
package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Driver returns the driver of "kafka://broker1:9092,broker2:9092/topic"
// locations. SASL credentials come from KAFKA_SASL_USERNAME and
// KAFKA_SASL_PASSWORD.
// getenv looks up those variables (and, from the CLI, the secret store
// behind them); nil means the process environment.
func Driver(getenv func(string) string) source.Driver {
	if getenv == nil {
		getenv = os.Getenv
	}
	return source.Driver{
		Scheme:      "kafka",
		Description: "Kafka topics by time window, without a consumer group (kafka://host:9092/topic1,topic2)",
		Open: func(spec source.Spec) (source.Source, error) {
			return Open(spec, getenv)
		},
	}
}

// Source reads the topics of one location. The first Scan plans the read:
// it resolves the topics and turns the time window into an offset range
// per partition, ending at the partition's high watermark at that moment.
// Later scans (linked-id passes) read the same ranges again, so every pass
// sees the same records and none waits for new data.
type Source struct {
	spec source.Spec
	set  *settings
	mech sasl.Mechanism
	user string // the SASL user, for messages
	tls  *tls.Config
	// extra are client options that tests add.
	extra []kgo.Opt
	now   func() time.Time

	mu   sync.Mutex
	plan *plan
}

// Open checks spec and returns its Source; it does not connect. getenv
// supplies the SASL credentials.
func Open(spec source.Spec, getenv func(string) string) (*Source, error) {
	set, err := parseLocation(spec.Location, spec.Options)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	mech, err := mechanism(set, getenv)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	tc, err := tlsConfig(set)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Source{
		spec: spec,
		set:  set,
		mech: mech,
		user: getenv(EnvUsername),
		tls:  tc,
		now:  time.Now,
	}, nil
}

// Scan reads the offset ranges of the window, every partition at once,
// and sends each record whose payload, key or a header value holds one of
// q.IDs. A record is sent with its payload as Data for the engine to parse
// and its Kafka timestamp as the fallback time; one that holds an id only
// in its key or headers is sent parsed, with the key and headers as
// fields under "kafka".
//
// The window is q.Since to q.Until; what they leave open is filled from
// the default_window option (back from now) and reported in Stats. Stats
// count partitions as files and payload bytes as bytes.
//
// Scan fails when no broker answers within dial_timeout or no topic can
// be read. A partition that gives no data for read_timeout (a broker lost
// mid-read, after the client's own retries) is a warning naming the
// offsets not read.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var st source.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	d := &dialer{timeout: s.set.dialTimeout, tls: s.tls}
	cl, err := s.newClient(d)
	if err != nil {
		return st, err
	}
	defer cl.Close()

	p, err := s.planned(ctx, cl, d, q, out)
	if err != nil {
		return st, err
	}
	if p.chosen {
		st.Since, st.Until = p.since, p.until
	}
	st.Skip(source.SkipUnreadable, p.unreadable)
	if len(q.IDs) == 0 {
		return st, nil
	}
	ids := make([][]byte, 0, len(q.IDs))
	for _, id := range q.IDs {
		if id != "" {
			ids = append(ids, []byte(id))
		}
	}
	r := &reader{src: s, cl: cl, d: d, ids: ids, out: out, st: &st}
	err = r.run(ctx, p.spans)
	return st, err
}

// serviceOf is the service of a record of topic when its payload names
// none: the entry's service, else the service option, else the topic.
func (s *Source) serviceOf(topic string) string {
	switch {
	case s.spec.Service != "":
		return s.spec.Service
	case s.set.service != "":
		return s.set.service
	}
	return topic
}
