package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
)

// errFull stops a read at max_records.
var errFull = errors.New("max_records reached")

// listed is how many partitions a warning names before it counts the rest.
const listed = 10

type tp struct {
	topic string
	part  int32
}

// cursor is the progress of one partition's read.
type cursor struct {
	span
	path string
	next int64 // the next offset to read
	done bool
	// failed is why the partition was given up; nil while it is read.
	failed error
}

// reader reads the spans of one scan.
type reader struct {
	src *Source
	cl  *kgo.Client
	d   *dialer
	ids [][]byte
	out source.Output
	st  *source.Stats

	sent  atomic.Int64
	bytes atomic.Int64
}

// run reads every span to its end. Partitions are fetched at once from
// all their leaders and the records of each poll are scanned partition by
// partition in parallel. A partition that returns a fatal error, or that
// gives nothing for read_timeout, is given up and reported.
func (r *reader) run(ctx context.Context, spans []span) error {
	cursors := make(map[tp]*cursor, len(spans))
	assign := make(map[string]map[int32]kgo.Offset)
	for _, sp := range spans {
		if sp.start >= sp.end {
			r.st.Files++
			r.out.Progress(1, 0)
			continue
		}
		cursors[tp{sp.topic, sp.part}] = &cursor{span: sp, path: sp.path(), next: sp.start}
		if assign[sp.topic] == nil {
			assign[sp.topic] = make(map[int32]kgo.Offset)
		}
		assign[sp.topic][sp.part] = kgo.NewOffset().At(sp.start)
	}
	defer func() { r.st.Bytes = r.bytes.Load() }()
	if len(cursors) == 0 {
		return nil
	}
	r.cl.AddConsumePartitions(assign)

	var gaveUp []*cursor
	open := len(cursors)
	for open > 0 {
		pctx, cancel := context.WithTimeout(ctx, r.src.set.readTimeout)
		fs := r.cl.PollFetches(pctx)
		stalled := pctx.Err() != nil
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		fs.EachError(func(t string, p int32, err error) {
			c := cursors[tp{t, p}]
			if c == nil || c.done {
				return // an injected error of the poll itself
			}
			var loss *kgo.ErrDataLoss
			if errors.As(err, &loss) {
				r.out.Warn(fmt.Sprintf("kafka: %s: %v", c.path, err))
				return
			}
			c.failed = err
		})
		err := r.consumeAll(ctx, fs, cursors)
		if errors.Is(err, errFull) {
			r.st.Truncated = true
			r.out.Warn(fmt.Sprintf("kafka: stopped at max_records (%d candidate records); narrow the window with --since/--until", r.src.set.maxRecords))
			return nil
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
		if stalled && fs.NumRecords() == 0 {
			cause := fmt.Errorf("no data for %s (read_timeout)", r.src.set.readTimeout)
			if last := r.d.lastError(); last != nil {
				cause = fmt.Errorf("%w; last connection error: %v", cause, last)
			}
			for _, c := range cursors {
				if !c.done && c.failed == nil {
					c.failed = cause
				}
			}
		}
		var finished map[string][]int32
		for _, c := range cursors {
			complete := c.next >= c.end
			if c.done || !complete && c.failed == nil {
				continue
			}
			if complete {
				r.st.Files++
				r.out.Progress(1, 0)
			} else {
				gaveUp = append(gaveUp, c)
			}
			c.done = true
			open--
			if finished == nil {
				finished = make(map[string][]int32)
			}
			finished[c.topic] = append(finished[c.topic], c.part)
		}
		if finished != nil {
			r.cl.RemoveConsumePartitions(finished)
		}
	}
	if len(gaveUp) > 0 {
		r.st.Truncated = true
		r.st.Skip(source.SkipUnreadable, len(gaveUp))
		r.out.Warn(gaveUpMessage(gaveUp))
	}
	return nil
}

// consumeAll scans the records of one poll, the partitions in parallel.
func (r *reader) consumeAll(ctx context.Context, fs kgo.Fetches, cursors map[tp]*cursor) error {
	batches := make(map[*cursor][]*kgo.Record)
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if c := cursors[tp{p.Topic, p.Partition}]; c != nil && !c.done && len(p.Records) > 0 {
			batches[c] = append(batches[c], p.Records...)
		}
	})
	if len(batches) == 1 {
		for c, recs := range batches {
			return r.consume(ctx, c, recs)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for c, recs := range batches {
		g.Go(func() error { return r.consume(gctx, c, recs) })
	}
	return g.Wait()
}

// consume scans one partition's records in offset order and marks the
// partition read when it reaches the end of its span.
func (r *reader) consume(ctx context.Context, c *cursor, recs []*kgo.Record) error {
	var n int64
	defer func() {
		r.bytes.Add(n)
		r.out.Progress(0, n)
	}()
	for i, rec := range recs {
		if i%256 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if rec.Offset >= c.end {
			c.next = c.end
			break
		}
		if rec.Offset < c.next {
			continue
		}
		c.next = rec.Offset + 1
		if !rec.Attrs.IsControl() {
			n += int64(len(rec.Value))
			if err := r.emit(c, rec); err != nil {
				return err
			}
		}
		if c.next >= c.end {
			break
		}
	}
	return ctx.Err()
}

// emit sends rec when its payload, key or a header value holds an id.
func (r *reader) emit(c *cursor, rec *kgo.Record) error {
	out, ok := r.src.record(rec, c.path, r.ids)
	if !ok {
		return nil
	}
	if r.sent.Add(1) > int64(r.src.set.maxRecords) {
		return errFull
	}
	return r.out.Record(&out)
}

// record returns rec as a scan sends it to its output, read from the
// partition path ("topic/partition"): its payload as Data for the engine
// to parse, the Kafka timestamp as the fallback time, the offset as the
// line; a record that holds an id only in its key or headers is parsed
// here (see parse). ok is false when neither its payload, nor its key,
// nor a header value holds one of ids. Data points into rec.
func (s *Source) record(rec *kgo.Record, path string, ids [][]byte) (out source.Record, ok bool) {
	inPayload := containsAny(rec.Value, ids)
	if !inPayload && !inMeta(rec, ids) {
		return source.Record{}, false
	}
	out = source.Record{
		Data:    trimNewline(rec.Value),
		Path:    path,
		Line:    rec.Offset,
		Service: s.serviceOf(rec.Topic),
		Time:    rec.Timestamp,
	}
	if !inPayload {
		s.parse(&out, rec)
	}
	return out, true
}

// inMeta reports whether rec's key or a header value holds one of ids.
func inMeta(rec *kgo.Record, ids [][]byte) bool {
	if containsAny(rec.Key, ids) {
		return true
	}
	for _, h := range rec.Headers {
		if containsAny(h.Value, ids) {
			return true
		}
	}
	return false
}

// parse fills in a record whose id stands only in its key or headers: the
// payload is parsed here so that the key and headers can join its fields,
// under "kafka" ("kafka.key", "kafka.headers.<name>"), where the engine's
// re-check finds them.
func (s *Source) parse(out *source.Record, rec *kgo.Record) {
	p := logline.Parse(out.Data, logline.Options{Location: s.spec.Timezone})
	fields := p.Fields
	if fields == nil {
		fields = make(map[string]any)
	}
	meta := map[string]any{
		"topic":     rec.Topic,
		"partition": json.Number(strconv.Itoa(int(rec.Partition))),
		"offset":    json.Number(strconv.FormatInt(rec.Offset, 10)),
	}
	if rec.Key != nil {
		meta["key"] = string(rec.Key)
	}
	if len(rec.Headers) > 0 {
		hs := make(map[string]any, len(rec.Headers))
		for _, h := range rec.Headers {
			v := string(h.Value)
			switch prev := hs[h.Key].(type) {
			case nil:
				hs[h.Key] = v
			case string:
				hs[h.Key] = []any{prev, v}
			case []any:
				hs[h.Key] = append(prev, v)
			}
		}
		meta["headers"] = hs
	}
	if _, taken := fields["kafka"]; !taken {
		fields["kafka"] = meta
	}
	out.Fields = fields
	if !p.Time.IsZero() {
		out.Time = p.Time
	}
	out.Level = string(p.Level)
	out.Message = p.Message
	if out.Message == "" {
		out.Message = string(out.Data)
	}
	if p.Service != "" && s.spec.Service == "" {
		out.Service = p.Service
	}
}

func containsAny(b []byte, ids [][]byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, id := range ids {
		if bytes.Contains(b, id) {
			return true
		}
	}
	return false
}

// trimNewline drops one final "\n" or "\r\n" from a payload.
func trimNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// gaveUpMessage names the partitions given up, the offsets not read and
// why, one clause per cause.
func gaveUpMessage(cs []*cursor) string {
	slices.SortFunc(cs, func(a, b *cursor) int {
		if c := strings.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return int(a.part - b.part)
	})
	var causes []string
	byCause := make(map[string][]string)
	for _, c := range cs {
		why := c.failed.Error()
		if byCause[why] == nil {
			causes = append(causes, why)
		}
		byCause[why] = append(byCause[why], fmt.Sprintf("%s offsets %d-%d", c.path, c.next, c.end-1))
	}
	clauses := make([]string, 0, len(causes))
	for _, why := range causes {
		ps := byCause[why]
		list := strings.Join(ps[:min(len(ps), listed)], ", ")
		if len(ps) > listed {
			list += fmt.Sprintf(" and %d more", len(ps)-listed)
		}
		clauses = append(clauses, list+": "+why)
	}
	return fmt.Sprintf("kafka: %d partition(s) not read to the end: %s", len(cs), strings.Join(clauses, "; "))
}
