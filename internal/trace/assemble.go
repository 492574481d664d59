package trace

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
	"time"
)

// maxUntimedAt is how many origins of untimed events a Trace keeps.
const maxUntimedAt = 5

// Assemble orders events and builds the trace of id. It is pure: no I/O,
// no clock. It sorts a copy; events itself is left as it was (the events'
// Fields maps are shared, not copied); see AssembleOwned.
//
// Events are ordered by time; ties keep the order of origin (Source, then
// Path, then Line, then the order in events). An event without a time
// sorts, for ordering only, at the time of the closest timed event before
// it in the same file (same Source and Path, in line order), or of the
// closest one after it when none precedes; the events of a file without
// any time come last, in order of origin. Untimed counts the events
// without a time and UntimedAt keeps the origins of the first five in
// order of origin.
//
// Services are listed in order of first appearance in the ordered events,
// with the first and last time of their timed events, their event count
// and error count. A Hop is recorded at every change of service between
// consecutive ordered events; its Gap is zero when either event is
// untimed. Start and End are the first and last event times, zero when no
// event has a time. Events, Services and Hops are never nil.
func Assemble(id string, events []Event) Trace {
	return AssembleOwned(id, slices.Clone(events))
}

// AssembleOwned is Assemble for a caller that has no further use for
// events: it orders them in place and keeps them as the trace's Events,
// instead of a copy (a hot id's tens of thousands of events are megabytes).
func AssembleOwned(id string, events []Event) Trace {
	t := Trace{
		ID:       id,
		Services: []Service{},
	}
	timeline, byOrigin := order(events)
	for _, i := range byOrigin {
		if events[i].Time.IsZero() {
			t.Untimed++
			if len(t.UntimedAt) < maxUntimedAt {
				t.UntimedAt = append(t.UntimedAt, events[i].Origin)
			}
		}
	}
	permute(events, timeline)
	t.Events = events
	if t.Events == nil {
		t.Events = []Event{}
	}

	// One hop per change of service: counted first, the hops (tens of
	// thousands for a hot id) are not copied again and again as they grow.
	hops := 0
	for i := 1; i < len(t.Events); i++ {
		if t.Events[i-1].Service != t.Events[i].Service {
			hops++
		}
	}
	t.Hops = make([]Hop, 0, hops)
	at := make(map[string]int) // service name → index in t.Services
	for i := range t.Events {
		ev := &t.Events[i]
		timed := !ev.Time.IsZero()
		if timed {
			if t.Start.IsZero() {
				t.Start = ev.Time
			}
			t.End = ev.Time
		}
		if ev.Level.IsError() {
			t.Errors++
		}

		si, ok := at[ev.Service]
		if !ok {
			si = len(t.Services)
			at[ev.Service] = si
			t.Services = append(t.Services, Service{Name: ev.Service})
		}
		s := &t.Services[si]
		s.Events++
		if ev.Level.IsError() {
			s.Errors++
		}
		if timed {
			if s.First.IsZero() {
				s.First = ev.Time
			}
			s.Last = ev.Time
		}

		if i > 0 && t.Events[i-1].Service != ev.Service {
			prev := &t.Events[i-1]
			h := Hop{From: prev.Service, To: ev.Service, At: ev.Time}
			if timed && !prev.Time.IsZero() {
				h.Gap = ev.Time.Sub(prev.Time)
			}
			t.Hops = append(t.Hops, h)
		}
	}
	return t
}

// permute puts events in the order of at (events[at[0]] first), moving
// each event once: every cycle of the permutation is followed from its
// first position. at is used up.
func permute(events []Event, at []int) {
	for start := range at {
		if at[start] < 0 {
			continue
		}
		held := events[start]
		j := start
		for {
			k := at[j]
			at[j] = -1
			if k == start {
				events[j] = held
				break
			}
			events[j] = events[k]
			j = k
		}
	}
}

// order returns the indexes of events in timeline order and in order of
// origin.
func order(events []Event) (timeline, byOrigin []int) {
	byOrigin, files := originOrder(events)

	// The time each event sorts at, and whether its file has any time.
	type key struct {
		at    time.Time
		timed bool // false: the file has no timed event; sorts last
		rank  int  // position in order of origin
	}
	keys := make([]key, len(events))
	start := 0
	for _, end := range files {
		file := byOrigin[start:end]
		// Time of the first timed event, for untimed events before it.
		var next time.Time
		for _, i := range file {
			if !events[i].Time.IsZero() {
				next = events[i].Time
				break
			}
		}
		last := next
		for r, i := range file {
			if t := events[i].Time; !t.IsZero() {
				last = t
			}
			keys[i] = key{at: last, timed: !next.IsZero(), rank: start + r}
		}
		start = end
	}

	timeline = make([]int, len(events))
	for i := range timeline {
		timeline[i] = i
	}
	sortIndexes(timeline, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		if ka.timed != kb.timed {
			if ka.timed {
				return -1
			}
			return 1
		}
		if c := ka.at.Compare(kb.at); c != 0 {
			return c
		}
		return cmp.Compare(ka.rank, kb.rank)
	})
	return timeline, byOrigin
}

// originOrder returns the indexes of events in order of origin: source,
// path, line, then position in events; and where each file's run of them
// ends in that order. Events are bucketed by file (a
// file's events are one run, however the sources interleaved them), and
// each file's are sorted by line, which they nearly always are already:
// comparing whole events' origins over tens of thousands of events
// spent most of its time waiting for them to come from memory.
func originOrder(events []Event) (byOrigin, ends []int) {
	type file struct{ source, path string }
	ids := make(map[file]int)
	var files []file
	fileOf := make([]int, len(events))
	last := -1
	for i := range events {
		o := &events[i].Origin
		if last >= 0 && files[last].path == o.Path && files[last].source == o.Source {
			fileOf[i] = last
			continue
		}
		k := file{o.Source, o.Path}
		id, ok := ids[k]
		if !ok {
			id = len(files)
			ids[k] = id
			files = append(files, k)
		}
		fileOf[i], last = id, id
	}
	// Each file's first position in the order: files sorted by source
	// and path, then the sizes of those before it.
	byName := make([]int, len(files))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int {
		if c := cmp.Compare(files[a].source, files[b].source); c != 0 {
			return c
		}
		return cmp.Compare(files[a].path, files[b].path)
	})
	count := make([]int, len(files))
	for _, id := range fileOf {
		count[id]++
	}
	start := make([]int, len(files))
	ends = make([]int, len(files))
	at := 0
	for r, id := range byName {
		start[id] = at
		at += count[id]
		ends[r] = at
	}
	// Into the buckets in position order, so that equal lines keep it.
	out := make([]int, len(events))
	next := slices.Clone(start)
	for i, id := range fileOf {
		out[next[id]] = i
		next[id]++
	}
	byLine := func(a, b int) int {
		if c := cmp.Compare(events[a].Origin.Line, events[b].Origin.Line); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	for id := range files {
		bucket := out[start[id] : start[id]+count[id]]
		if !slices.IsSortedFunc(bucket, byLine) {
			slices.SortFunc(bucket, byLine)
		}
	}
	return out, ends
}

// parallelSortMin is the least number of events sorted in two halves at
// once: a hot id's tens of thousands of events take tens of milliseconds
// to order on one core.
const parallelSortMin = 8192

// sortIndexes sorts idx by cmp, a total order (no two distinct indexes
// compare equal), on two cores when idx is long: each half is sorted on
// its own, then the halves are merged.
func sortIndexes(idx []int, cmp func(a, b int) int) {
	if len(idx) < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(idx, cmp)
		return
	}
	mid := len(idx) / 2
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(idx[:mid], cmp) })
	slices.SortFunc(idx[mid:], cmp)
	wg.Wait()
	merged := make([]int, 0, len(idx))
	i, j := 0, mid
	for i < mid && j < len(idx) {
		if cmp(idx[j], idx[i]) < 0 {
			merged = append(merged, idx[j])
			j++
		} else {
			merged = append(merged, idx[i])
			i++
		}
	}
	merged = append(merged, idx[i:mid]...)
	merged = append(merged, idx[j:]...)
	copy(idx, merged)
}
