package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipetracker/pipetracker/internal/source"
)

// span is the offset range [start, end) of one partition to read.
type span struct {
	topic      string
	part       int32
	start, end int64
}

func (sp span) path() string { return fmt.Sprintf("%s/%d", sp.topic, sp.part) }

// plan is what the first scan of a window decided.
type plan struct {
	// qSince and qUntil are the query's bounds the plan was made for.
	qSince, qUntil time.Time
	// since and until are the window read; chosen says that the default
	// window filled in part of it.
	since, until time.Time
	chosen       bool
	spans        []span
	// unreadable counts the partitions left out because their offsets
	// could not be listed.
	unreadable int
}

// planned returns the plan for q's window, making it on the first call.
func (s *Source) planned(ctx context.Context, cl *kgo.Client, d *dialer, q *source.Query, out source.Output) (*plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.plan; p != nil && p.qSince.Equal(q.Since) && p.qUntil.Equal(q.Until) {
		return p, nil
	}
	p, err := s.makePlan(ctx, cl, d, q, out)
	if err != nil {
		return nil, err
	}
	s.plan = p
	return p, nil
}

// makePlan resolves the topics and lists, for every partition, the first
// offset at or after since and the high watermark; with an until given, a
// partition's range ends before the first offset after until instead when
// that comes first.
func (s *Source) makePlan(ctx context.Context, cl *kgo.Client, d *dialer, q *source.Query, out source.Output) (*plan, error) {
	adm := kadm.NewClient(cl)
	p := &plan{qSince: q.Since, qUntil: q.Until}
	p.since, p.until, p.chosen = source.Window(q.Since, q.Until, s.now(), s.set.window)

	topics, err := s.resolveTopics(ctx, adm, d, out)
	if err != nil {
		return nil, err
	}
	names := topics.Names()
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err := listFailed(ctx, "high watermarks", ends, err); err != nil {
		return nil, err
	}
	starts, err := adm.ListOffsetsAfterMilli(ctx, p.since.UnixMilli(), names...)
	if err := listFailed(ctx, "offsets at --since", starts, err); err != nil {
		return nil, err
	}
	var stops kadm.ListedOffsets
	if !q.Until.IsZero() {
		stops, err = adm.ListOffsetsAfterMilli(ctx, p.until.UnixMilli()+1, names...)
		if err := listFailed(ctx, "offsets after --until", stops, err); err != nil {
			return nil, err
		}
	}

	var failed []string
	for _, td := range topics.Sorted() {
		for _, pd := range td.Partitions.Sorted() {
			sp := span{topic: td.Topic, part: pd.Partition}
			end, err := lookup(ends, sp)
			if err == nil {
				sp.start, err = lookup(starts, sp)
			}
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s (%v)", sp.path(), err))
				continue
			}
			sp.end = end
			if stops != nil {
				if stop, err := lookup(stops, sp); err == nil && stop < sp.end {
					sp.end = stop
				}
			}
			sp.start = min(sp.start, sp.end)
			p.spans = append(p.spans, sp)
		}
	}
	if len(failed) > 0 {
		if len(p.spans) == 0 {
			return nil, fmt.Errorf("kafka: no partition can be read: %s", strings.Join(failed, ", "))
		}
		p.unreadable = len(failed)
		out.Warn(fmt.Sprintf("kafka: left out %d partition(s) whose offsets could not be listed: %s", len(failed), strings.Join(failed, ", ")))
	}
	return p, nil
}

// resolveTopics returns the topics to read: those named and those the
// topic_regex matches. Its first request is bounded by dial_timeout, so
// that an unreachable cluster fails the source promptly.
func (s *Source) resolveTopics(ctx context.Context, adm *kadm.Client, d *dialer, out source.Output) (kadm.TopicDetails, error) {
	dctx, cancel := context.WithTimeout(ctx, s.set.dialTimeout)
	defer cancel()
	var (
		all kadm.TopicDetails
		err error
	)
	if s.set.regex != nil {
		all, err = adm.ListTopics(dctx)
	} else {
		all, err = adm.ListTopics(dctx, s.set.topics...)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if dctx.Err() != nil || d.lastError() != nil {
			return nil, s.unreachable(d, err)
		}
		if s.mech != nil && (errors.Is(err, io.EOF) || errors.Is(err, kerr.SaslAuthenticationFailed)) {
			return nil, fmt.Errorf("kafka: brokers %s refused the sasl %s login of %q (check %s and %s): %w",
				strings.Join(s.set.brokers, ","), s.set.sasl, s.user, EnvUsername, EnvPassword, err)
		}
		return nil, fmt.Errorf("kafka: list topics: %w", err)
	}
	chosen := make(kadm.TopicDetails)
	var missing []string
	for _, t := range s.set.topics {
		td, ok := all[t]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%s (not found)", t))
		case td.Err != nil:
			missing = append(missing, fmt.Sprintf("%s (%v)", t, td.Err))
		default:
			chosen[t] = td
		}
	}
	if s.set.regex != nil {
		for name, td := range all {
			if td.Err == nil && !td.IsInternal && s.set.regex.MatchString(name) {
				chosen[name] = td
			}
		}
	}
	slices.Sort(missing)
	if len(chosen) == 0 {
		if s.set.regex != nil && len(missing) == 0 {
			return nil, fmt.Errorf("kafka: no topic matches topic_regex %q", s.set.regex.String())
		}
		return nil, fmt.Errorf("kafka: no topic to read: %s", strings.Join(missing, ", "))
	}
	if len(missing) > 0 {
		out.Warn("kafka: topics left out: " + strings.Join(missing, ", "))
	}
	return chosen, nil
}

// listFailed turns the failure of a whole offset listing into an error;
// failures of single partitions are left to lookup.
func listFailed(ctx context.Context, what string, got kadm.ListedOffsets, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var shard *kadm.ShardErrors
	if errors.As(err, &shard) && !shard.AllFailed && len(got) > 0 {
		return nil
	}
	return fmt.Errorf("kafka: list %s: %w", what, err)
}

// lookup returns the offset listed for sp's partition.
func lookup(l kadm.ListedOffsets, sp span) (int64, error) {
	o, ok := l.Lookup(sp.topic, sp.part)
	switch {
	case !ok:
		return 0, errors.New("not listed")
	case o.Err != nil:
		return 0, o.Err
	case o.Offset < 0:
		return 0, errors.New("no offset")
	}
	return o.Offset, nil
}
