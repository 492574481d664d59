package blob

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Feed is an optional extension of source.Output, for a trace whose ids
// grow while it scans (linked ids learned from the records found so far).
// A source built on this package that receives an Output implementing
// Feed:
//
//   - searches each file or object it begins for q.IDs and for the ids
//     MoreIDs returns at that moment, so that ids learned early in a scan
//     are searched in the files still to come;
//   - records in Coverage, once a file has been read to its end, the ids
//     it was searched for, and in every scan of the same trace leaves out
//     of a file the ids Coverage says it was searched for already (the
//     whole file when none is left), as long as the file is unchanged.
//
// The Output therefore receives, in one scan, records for ids it has not
// asked for yet, and never again records it received in an earlier scan of
// the same trace: it must keep them. Sources that do not know Feed ignore
// it; they search q.IDs in every scan.
type Feed interface {
	source.Output
	// MoreIDs returns the ids added to the trace since the scan began, in
	// the order they were added. It is safe for concurrent use.
	MoreIDs() []string
	// Coverage returns the memory of what this source has searched during
	// the trace: the same value for every scan of one source in one trace.
	Coverage() *Coverage
	// Focus returns the time of the trace's records found so far (zero
	// while none has a time). A source may read first the files or
	// objects most likely to hold records of that time, so that linked
	// ids are learned early; it only changes the order of the work.
	Focus() time.Time
}

// PlanScan decides which Scanner (from scanners) is to scan one file or
// object (name, of the given size and modification time) for ids, the
// ids of the query. When out is a Feed, the ids it has added are searched
// too and those its Coverage says were searched already are left out: sc
// is nil when nothing is left. finish records in the Coverage, once the
// file has been read to its end, what it was searched for; it does nothing
// for an Outcome with a fault or a binary file, or without a Feed.
func PlanScan(out source.Output, scanners *Scanners, ids []string, name string, size int64, mod time.Time) (sc *Scanner, finish func(Outcome), err error) {
	feed, ok := out.(Feed)
	if !ok {
		sc, err = scanners.For(ids)
		return sc, func(Outcome) {}, err
	}
	cov := feed.Coverage()
	todo := cov.Missing(name, size, mod, append(slices.Clip(ids), feed.MoreIDs()...))
	if len(todo) == 0 {
		return nil, func(Outcome) {}, nil
	}
	if sc, err = scanners.For(todo); err != nil {
		return nil, nil, err
	}
	return sc, func(o Outcome) {
		if !o.Binary && o.Fault == nil {
			cov.Add(name, size, mod, todo)
		}
	}, nil
}

// Queue hands out files or objects to the workers of one scan. While the
// focus of a Feed is unknown it keeps their order; once it is known, the
// ones not yet begun are taken by how close their last write is to the
// focus: first those written after it or less than FocusSlack before it,
// closest first (a rotated log holding the focus, or the one rotated just
// before it), then those written earlier, latest first, then those whose
// time is unknown. It is safe for concurrent use.
type Queue[T any] struct {
	mu    sync.Mutex
	items []T
	next  int
	mod   func(T) time.Time
	focus time.Time
}

// NewQueue returns a Queue of items; mod gives an item's last write time,
// zero when unknown (those go last once the focus is known).
func NewQueue[T any](items []T, mod func(T) time.Time) *Queue[T] {
	return &Queue[T]{items: items, mod: mod}
}

// Next returns the next item to begin, given the focus now (zero when
// none), and false when all have been handed out.
func (q *Queue[T]) Next(focus time.Time) (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if q.next >= len(q.items) {
		return zero, false
	}
	if !focus.IsZero() && !focus.Equal(q.focus) {
		q.focus = focus
		slices.SortStableFunc(q.items[q.next:], func(a, b T) int {
			ka, da := closeness(q.mod(a), focus)
			kb, db := closeness(q.mod(b), focus)
			if ka != kb {
				return ka - kb
			}
			return cmp.Compare(da, db)
		})
	}
	it := q.items[q.next]
	q.next++
	return it, true
}

// FocusSlack is how long before the focus a file may have been last
// written and still be read among the first: the records of one request
// seldom lie further apart, so a log rotated that shortly before the
// focus may hold some of them.
const FocusSlack = 5 * time.Minute

// closeness ranks a last write time against the focus: its group (0 after
// it or within FocusSlack before, 1 earlier, 2 unknown) and the distance
// within the group.
func closeness(mod, focus time.Time) (int, time.Duration) {
	switch {
	case mod.IsZero():
		return 2, 0
	case mod.Before(focus.Add(-FocusSlack)):
		return 1, focus.Sub(mod)
	case mod.Before(focus):
		return 0, focus.Sub(mod)
	}
	return 0, mod.Sub(focus)
}

// Coverage remembers, for one source during one trace, which ids each
// file or object was searched for from its start to its end. Its zero
// value is empty and ready; it is safe for concurrent use.
type Coverage struct {
	mu    sync.Mutex
	files map[string]*covered
}

// covered is what one file was searched for, valid while its size and
// modification time stay as they were.
type covered struct {
	size int64
	mod  time.Time
	ids  map[string]bool
}

// Missing returns the ids of want that the file name, of the given size
// and modification time, has not been searched for, in want's order. A
// file whose size or time changed since it was searched has been searched
// for nothing.
func (c *Coverage) Missing(name string, size int64, mod time.Time, want []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.files[name]
	if f == nil || f.size != size || !f.mod.Equal(mod) {
		return want
	}
	var out []string
	for _, id := range want {
		if !f.ids[id] {
			out = append(out, id)
		}
	}
	return out
}

// Add records that the file name, of the given size and modification
// time, has been searched for ids from its start to its end.
func (c *Coverage) Add(name string, size int64, mod time.Time, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = make(map[string]*covered)
	}
	f := c.files[name]
	if f == nil || f.size != size || !f.mod.Equal(mod) {
		f = &covered{size: size, mod: mod, ids: make(map[string]bool, len(ids))}
		c.files[name] = f
	}
	for _, id := range ids {
		f.ids[id] = true
	}
}

// Scanners builds and keeps one Scanner per set of ids, so that the files
// of one scan searched for the same ids share a Scanner (its plan). It is
// safe for concurrent use; Options are those of every Scanner it builds.
type Scanners struct {
	starts func([]byte) bool
	opt    Options
	mu     sync.Mutex
	byIDs  map[string]*Scanner
}

// NewScanners returns an empty set of Scanners built with starts and opt.
func NewScanners(starts func([]byte) bool, opt Options) *Scanners {
	return &Scanners{starts: starts, opt: opt, byIDs: make(map[string]*Scanner)}
}

// For returns the Scanner for ids (in any order, repeats allowed),
// building it on first use. NewScanner's errors are returned as they are.
func (s *Scanners) For(ids []string) (*Scanner, error) {
	key := slices.Clone(ids)
	slices.Sort(key)
	key = slices.Compact(key)
	var kb strings.Builder
	for _, id := range key {
		kb.WriteString(strconv.Itoa(len(id)))
		kb.WriteByte(':')
		kb.WriteString(id)
	}
	k := kb.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.byIDs[k]; sc != nil {
		return sc, nil
	}
	sc, err := NewScanner(key, s.starts, s.opt)
	if err != nil {
		return nil, err
	}
	s.byIDs[k] = sc
	return sc, nil
}
