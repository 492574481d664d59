package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
)

// tailCheck is how long a follow waits for records before it looks at
// the state of its connections again.
const tailCheck = time.Second

// maxTailWarnings bounds the distinct partition errors one follow
// reports.
const maxTailWarnings = 100

// Tail follows the location's topics from their end until ctx ends: what
// a live trace does with a kafka source once it has its first answer.
//
// It resolves the topics as Scan does (those named and those topic_regex
// matches now), takes each partition's high watermark, calls started
// (when not nil), and from then on reads every partition from there:
// records written before started was called are not sent, every record
// written after it is. Each record whose payload, key or a header value
// holds one of ids() is sent to out.Record exactly as Scan sends it
// (the payload as Data, the Kafka timestamp as the fallback Time, Path
// "topic/partition", Line the offset, Service from the entry, the
// service option or the topic; the key and headers as fields when the id
// stands only there), in offset order within each partition. ids is
// called for every record, so that the ids may grow while Tail runs; a
// later call may only add ids to the end of what an earlier call
// returned. ids, started and out are called from the goroutine that
// called Tail, one call at a time; the record handed to out.Record is
// valid only during the call. max_records does not apply.
//
// Tail returns an error, without calling started, when no broker answers
// within dial_timeout or no topic or partition can be read. Once started,
// problems are warnings to out.Warn and Tail goes on: losing the brokers
// is reported once, with the connection error, while the client keeps
// trying (records written meanwhile are read once the brokers are back,
// which is reported too); an error of a partition is reported once. Tail
// returns nil when ctx ends, with its client closed and nothing of it
// left running, and out.Record's error as is when that fails. Like Scan,
// it joins no group and commits no offset.
func (s *Source) Tail(ctx context.Context, ids func() []string, started func(), out source.Output) error {
	if ctx.Err() != nil {
		return nil
	}
	d := &dialer{timeout: s.set.dialTimeout, tls: s.tls}
	cl, err := s.newClient(d)
	if err != nil {
		return err
	}
	defer cl.Close()
	assign, err := s.ends(ctx, cl, d, out)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	cl.AddConsumePartitions(assign)
	if started != nil {
		started()
	}
	t := &tail{src: s, cl: cl, d: d, ids: ids, out: out, warned: make(map[string]bool)}
	return t.run(ctx)
}

// ends returns, for every partition of the location's topics, its high
// watermark as the offset to read from.
func (s *Source) ends(ctx context.Context, cl *kgo.Client, d *dialer, out source.Output) (map[string]map[int32]kgo.Offset, error) {
	adm := kadm.NewClient(cl)
	topics, err := s.resolveTopics(ctx, adm, d, out)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, s.set.readTimeout)
	defer cancel()
	ends, err := adm.ListEndOffsets(lctx, topics.Names()...)
	if err := listFailed(ctx, "high watermarks", ends, err); err != nil {
		return nil, err
	}
	assign := make(map[string]map[int32]kgo.Offset)
	var failed []string
	for _, td := range topics.Sorted() {
		for _, pd := range td.Partitions.Sorted() {
			sp := span{topic: td.Topic, part: pd.Partition}
			end, err := lookup(ends, sp)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s (%v)", sp.path(), err))
				continue
			}
			if assign[sp.topic] == nil {
				assign[sp.topic] = make(map[int32]kgo.Offset)
			}
			assign[sp.topic][sp.part] = kgo.NewOffset().At(end)
		}
	}
	if len(failed) > 0 {
		if len(assign) == 0 {
			return nil, fmt.Errorf("kafka: no partition can be followed: %s", strings.Join(failed, ", "))
		}
		out.Warn(fmt.Sprintf("kafka: not following %d partition(s) whose high watermark could not be listed: %s", len(failed), strings.Join(failed, ", ")))
	}
	return assign, nil
}

// tail is the state of one Tail after its start.
type tail struct {
	src *Source
	cl  *kgo.Client
	d   *dialer
	ids func() []string
	out source.Output

	// have and want are the ids as last returned by ids, as strings and
	// as bytes.
	have []string
	want [][]byte
	// warned holds the partition errors reported.
	warned map[string]bool
}

// run polls until ctx ends.
func (t *tail) run(ctx context.Context) error {
	seen, _ := t.d.counts()
	// lost says the brokers are lost; lostMade is the count of
	// connections made at that moment.
	lost, lostMade := false, 0
	for {
		pctx, cancel := context.WithTimeout(ctx, tailCheck)
		t0 := time.Now()
		fs := t.cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(t.partitionError)
		if err := t.records(fs); err != nil {
			return err
		}
		now, last := t.d.counts()
		switch {
		case !lost && now.failed > seen.failed:
			lost, lostMade = true, now.made
			t.out.Warn(fmt.Sprintf("kafka: lost the connection to brokers %s (%v); still trying, records written meanwhile are read once they are back",
				strings.Join(t.src.set.brokers, ","), last))
		case lost && now.failed == seen.failed && (now.made > lostMade || fs.NumRecords() > 0):
			lost = false
			t.out.Warn(fmt.Sprintf("kafka: brokers %s are reachable again", strings.Join(t.src.set.brokers, ",")))
		}
		seen = now
		// A poll that ends early without records (an error) must not turn
		// into a busy loop.
		if fs.NumRecords() == 0 {
			if wait := tailCheck - time.Since(t0); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
		}
	}
}

// partitionError reports an error of one partition once; the errors of
// the poll itself (its time running out) are not reported.
func (t *tail) partitionError(topic string, part int32, err error) {
	if topic == "" || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
		return
	}
	msg := fmt.Sprintf("kafka: %s: %v", span{topic: topic, part: part}.path(), err)
	if t.warned[msg] || len(t.warned) >= maxTailWarnings {
		return
	}
	t.warned[msg] = true
	t.out.Warn(msg)
}

// records sends the records of one poll that hold an id, partition by
// partition in offset order.
func (t *tail) records(fs kgo.Fetches) error {
	var err error
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		path := span{topic: p.Topic, part: p.Partition}.path()
		for _, rec := range p.Records {
			if err != nil {
				return
			}
			if rec.Attrs.IsControl() {
				continue
			}
			out, ok := t.src.record(rec, path, t.current())
			if ok {
				err = t.out.Record(&out)
			}
		}
	})
	return err
}

// current returns the ids to look for now, as bytes.
func (t *tail) current() [][]byte {
	ids := t.ids()
	if len(ids) != len(t.have) {
		t.want = t.want[:0]
		for _, id := range ids {
			if id != "" {
				t.want = append(t.want, []byte(id))
			}
		}
		t.have = ids
	}
	return t.want
}
