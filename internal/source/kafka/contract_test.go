package kafka

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// TestContract runs the contract suite against the in-process cluster.
// The suite speaks of files and lines; Kafka of topics, partitions and
// offsets. The fixture stores each file in a partition of its own, over
// two topics read as one comma list ("kafka://…/a,b"), one record per log
// record; provenance then maps each record's "topic/partition" and offset
// back to the file and first line it was stored from, so that the suite
// can compare what the driver returned with what the files hold. A record
// the fixture did not store fails the scan.
func TestContract(t *testing.T) {
	p := &provenance{at: make(map[string]map[origin]origin)}
	sourcetest.Run(t, p.driver(Driver(nil)), p.fixture)
}

type origin struct {
	path string
	line int64
}

// provenance remembers, per location, where the fixture stored each record.
type provenance struct {
	mu sync.Mutex
	at map[string]map[origin]origin // location → stored at → file and line
}

// fixture stores files, file i of the sorted names in partition i/2 of
// topic i%2, and returns the location of both topics.
func (p *provenance) fixture(t *testing.T, files map[string][]byte) source.Spec {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	ntopics := min(2, max(len(names), 1))
	parts := int32((len(names) + ntopics - 1) / ntopics)
	topics := make([]string, ntopics)
	for i := range topics {
		topics[i] = newTopic(t, cluster.c, "contract", max(parts, 1))
	}
	now := time.Now()
	var recs []*kgo.Record
	var from []origin
	for i, name := range names {
		topic, part := topics[i%ntopics], int32(i/ntopics)
		for _, r := range storetest.Records(map[string][]byte{name: files[name]}) {
			recs = append(recs, rec(topic, part, now, r.Text))
			from = append(from, origin{name, r.Line})
		}
	}
	produce(t, cluster.prod, recs...)
	at := make(map[origin]origin, len(recs))
	for i, r := range recs {
		at[origin{fmt.Sprintf("%s/%d", r.Topic, r.Partition), r.Offset}] = from[i]
	}
	loc := "kafka://" + cluster.addrs + "/" + strings.Join(topics, ",")
	p.mu.Lock()
	p.at[loc] = at
	p.mu.Unlock()
	return source.Spec{Location: loc}
}

// driver wraps d so that its records carry the file and line they were
// stored from.
func (p *provenance) driver(d source.Driver) source.Driver {
	return storetest.MapRecords(d, func(spec source.Spec) (storetest.Remap, error) {
		p.mu.Lock()
		at := p.at[spec.Location]
		p.mu.Unlock()
		if at == nil {
			return nil, fmt.Errorf("no fixture stored at %s", spec.Location)
		}
		return func(r *source.Record) (*source.Record, error) {
			o, ok := at[origin{r.Path, r.Line}]
			if !ok {
				return nil, fmt.Errorf("record at %s offset %d was not stored by the fixture", r.Path, r.Line)
			}
			c := *r
			c.Path, c.Line = o.path, o.line
			return &c, nil
		}, nil
	})
}
