package trace

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// ms returns t0 plus n milliseconds.
func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// untimed marks an event without a time in ev.
const untimed = -1

// ev builds an event named by its origin ("src path:line"), which the
// tests use as its label.
func ev(src, path string, line int64, at int, service string, level Level) Event {
	e := Event{
		Service: service,
		Level:   level,
		Message: fmt.Sprintf("%s %s:%d", src, path, line),
		Origin:  Origin{Source: src, Path: path, Line: line},
	}
	if at != untimed {
		e.Time = ms(at)
	}
	return e
}

func labels(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Message
	}
	return out
}

func TestAssemble(t *testing.T) {
	cases := []struct {
		name       string
		events     []Event
		order      []string
		services   []Service
		hops       []Hop
		start, end time.Time
		errors     int
		untimed    int
		untimedAt  []Origin
	}{
		{
			name:     "no events",
			order:    []string{},
			services: []Service{},
			hops:     []Hop{},
		},
		{
			name:     "single event",
			events:   []Event{ev("s", "a.log", 1, 5, "api", LevelError)},
			order:    []string{"s a.log:1"},
			services: []Service{{Name: "api", First: ms(5), Last: ms(5), Events: 1, Errors: 1}},
			hops:     []Hop{},
			start:    ms(5), end: ms(5), errors: 1,
		},
		{
			name: "ordered by time across files",
			events: []Event{
				ev("s", "b.log", 1, 20, "b", LevelInfo),
				ev("s", "a.log", 2, 30, "a", LevelInfo),
				ev("s", "a.log", 1, 10, "a", LevelInfo),
			},
			order: []string{"s a.log:1", "s b.log:1", "s a.log:2"},
			services: []Service{
				{Name: "a", First: ms(10), Last: ms(30), Events: 2},
				{Name: "b", First: ms(20), Last: ms(20), Events: 1},
			},
			hops:  []Hop{{From: "a", To: "b", At: ms(20), Gap: 10 * time.Millisecond}, {From: "b", To: "a", At: ms(30), Gap: 10 * time.Millisecond}},
			start: ms(10), end: ms(30),
		},
		{
			name: "ties keep order of origin",
			events: []Event{
				ev("s2", "a.log", 5, 10, "x", LevelInfo),
				ev("s1", "b.log", 1, 10, "x", LevelInfo),
				ev("s1", "a.log", 9, 10, "x", LevelInfo),
				ev("s1", "a.log", 3, 10, "x", LevelInfo),
			},
			order:    []string{"s1 a.log:3", "s1 a.log:9", "s1 b.log:1", "s2 a.log:5"},
			services: []Service{{Name: "x", First: ms(10), Last: ms(10), Events: 4}},
			hops:     []Hop{},
			start:    ms(10), end: ms(10),
		},
		{
			name: "ties with equal origins keep input order",
			events: []Event{
				{Message: "first", Service: "x", Time: ms(1), Origin: Origin{Source: "-", Line: 1}},
				{Message: "second", Service: "y", Time: ms(1), Origin: Origin{Source: "-", Line: 1}},
				{Message: "third", Service: "x", Time: ms(1), Origin: Origin{Source: "-", Line: 1}},
			},
			order: []string{"first", "second", "third"},
			services: []Service{
				{Name: "x", First: ms(1), Last: ms(1), Events: 2},
				{Name: "y", First: ms(1), Last: ms(1), Events: 1},
			},
			hops:  []Hop{{From: "x", To: "y", At: ms(1)}, {From: "y", To: "x", At: ms(1)}},
			start: ms(1), end: ms(1),
		},
		{
			name: "untimed in the middle stays after its predecessor",
			events: []Event{
				ev("s", "b.log", 1, 20, "b", LevelInfo),
				ev("s", "b.log", 2, 25, "b", LevelInfo),
				ev("s", "a.log", 3, 30, "a", LevelInfo),
				ev("s", "a.log", 2, untimed, "a", LevelError),
				ev("s", "a.log", 1, 10, "a", LevelInfo),
			},
			order: []string{"s a.log:1", "s a.log:2", "s b.log:1", "s b.log:2", "s a.log:3"},
			services: []Service{
				{Name: "a", First: ms(10), Last: ms(30), Events: 3, Errors: 1},
				{Name: "b", First: ms(20), Last: ms(25), Events: 2},
			},
			hops: []Hop{
				{From: "a", To: "b", At: ms(20)}, // the last event in a is untimed
				{From: "b", To: "a", At: ms(30), Gap: 5 * time.Millisecond},
			},
			start: ms(10), end: ms(30), errors: 1,
			untimed: 1, untimedAt: []Origin{{Source: "s", Path: "a.log", Line: 2}},
		},
		{
			name: "untimed at file start takes the following time",
			events: []Event{
				ev("s", "a.log", 3, 20, "a", LevelInfo),
				ev("s", "a.log", 1, untimed, "a", LevelInfo),
				ev("s", "b.log", 1, 10, "b", LevelInfo),
				ev("s", "a.log", 2, untimed, "a", LevelInfo),
				ev("s", "b.log", 2, 30, "b", LevelInfo),
			},
			order: []string{"s b.log:1", "s a.log:1", "s a.log:2", "s a.log:3", "s b.log:2"},
			services: []Service{
				{Name: "b", First: ms(10), Last: ms(30), Events: 2},
				{Name: "a", First: ms(20), Last: ms(20), Events: 3},
			},
			hops: []Hop{
				{From: "b", To: "a"}, // the first event in a is untimed
				{From: "a", To: "b", At: ms(30), Gap: 10 * time.Millisecond},
			},
			start: ms(10), end: ms(30),
			untimed: 2, untimedAt: []Origin{{Source: "s", Path: "a.log", Line: 1}, {Source: "s", Path: "a.log", Line: 2}},
		},
		{
			name: "untimed takes the closest preceding time in line order",
			events: []Event{
				ev("s", "a.log", 1, 10, "a", LevelInfo),
				ev("s", "a.log", 5, 50, "a", LevelInfo),
				ev("s", "a.log", 6, untimed, "a", LevelInfo),
				ev("s", "b.log", 1, 30, "b", LevelInfo),
				ev("s", "b.log", 2, 60, "b", LevelInfo),
			},
			order: []string{"s a.log:1", "s b.log:1", "s a.log:5", "s a.log:6", "s b.log:2"},
			services: []Service{
				{Name: "a", First: ms(10), Last: ms(50), Events: 3},
				{Name: "b", First: ms(30), Last: ms(60), Events: 2},
			},
			hops: []Hop{
				{From: "a", To: "b", At: ms(30), Gap: 20 * time.Millisecond},
				{From: "b", To: "a", At: ms(50), Gap: 20 * time.Millisecond},
				{From: "a", To: "b", At: ms(60)},
			},
			start: ms(10), end: ms(60),
			untimed: 1, untimedAt: []Origin{{Source: "s", Path: "a.log", Line: 6}},
		},
		{
			name: "files without times sort last in order of origin",
			events: []Event{
				ev("s", "c.log", 2, untimed, "c", LevelInfo),
				ev("s", "c.log", 1, untimed, "c", LevelInfo),
				ev("s", "b.log", 7, untimed, "b", LevelFatal),
				ev("s", "a.log", 1, 10, "a", LevelInfo),
				ev("s", "b.log", 5, untimed, "b", LevelInfo),
			},
			order: []string{"s a.log:1", "s b.log:5", "s b.log:7", "s c.log:1", "s c.log:2"},
			services: []Service{
				{Name: "a", First: ms(10), Last: ms(10), Events: 1},
				{Name: "b", Events: 2, Errors: 1},
				{Name: "c", Events: 2},
			},
			hops:  []Hop{{From: "a", To: "b"}, {From: "b", To: "c"}},
			start: ms(10), end: ms(10), errors: 1,
			untimed: 4, untimedAt: []Origin{
				{Source: "s", Path: "b.log", Line: 5}, {Source: "s", Path: "b.log", Line: 7},
				{Source: "s", Path: "c.log", Line: 1}, {Source: "s", Path: "c.log", Line: 2},
			},
		},
		{
			name: "no times at all",
			events: []Event{
				ev("s", "b.log", 1, untimed, "b", LevelInfo),
				ev("s", "a.log", 2, untimed, "a", LevelInfo),
				ev("s", "a.log", 1, untimed, "a", LevelInfo),
			},
			order:    []string{"s a.log:1", "s a.log:2", "s b.log:1"},
			services: []Service{{Name: "a", Events: 2}, {Name: "b", Events: 1}},
			hops:     []Hop{{From: "a", To: "b"}},
			untimed:  3, untimedAt: []Origin{{Source: "s", Path: "a.log", Line: 1}, {Source: "s", Path: "a.log", Line: 2}, {Source: "s", Path: "b.log", Line: 1}},
		},
		{
			name: "untimed origins keep at most five",
			events: []Event{
				ev("s", "a.log", 7, untimed, "a", LevelInfo),
				ev("s", "a.log", 6, untimed, "a", LevelInfo),
				ev("s", "a.log", 5, untimed, "a", LevelInfo),
				ev("s", "a.log", 4, untimed, "a", LevelInfo),
				ev("s", "a.log", 3, untimed, "a", LevelInfo),
				ev("s", "a.log", 2, untimed, "a", LevelInfo),
				ev("s", "a.log", 1, 10, "a", LevelInfo),
			},
			order:    []string{"s a.log:1", "s a.log:2", "s a.log:3", "s a.log:4", "s a.log:5", "s a.log:6", "s a.log:7"},
			services: []Service{{Name: "a", First: ms(10), Last: ms(10), Events: 7}},
			hops:     []Hop{},
			start:    ms(10), end: ms(10),
			untimed: 6, untimedAt: []Origin{
				{Source: "s", Path: "a.log", Line: 2}, {Source: "s", Path: "a.log", Line: 3}, {Source: "s", Path: "a.log", Line: 4},
				{Source: "s", Path: "a.log", Line: 5}, {Source: "s", Path: "a.log", Line: 6},
			},
		},
		{
			name: "several sources with the same path are different files",
			events: []Event{
				ev("s3://logs", "app.log", 2, untimed, "worker", LevelInfo),
				ev("./logs", "app.log", 2, 40, "api", LevelInfo),
				ev("s3://logs", "app.log", 1, 30, "worker", LevelInfo),
				ev("./logs", "app.log", 1, 10, "api", LevelInfo),
			},
			order: []string{"./logs app.log:1", "s3://logs app.log:1", "s3://logs app.log:2", "./logs app.log:2"},
			services: []Service{
				{Name: "api", First: ms(10), Last: ms(40), Events: 2},
				{Name: "worker", First: ms(30), Last: ms(30), Events: 2},
			},
			hops:  []Hop{{From: "api", To: "worker", At: ms(30), Gap: 20 * time.Millisecond}, {From: "worker", To: "api", At: ms(40)}},
			start: ms(10), end: ms(40),
			untimed: 1, untimedAt: []Origin{{Source: "s3://logs", Path: "app.log", Line: 2}},
		},
		{
			name: "hops back and forth",
			events: []Event{
				ev("s", "gateway.log", 1, 0, "gateway", LevelInfo),
				ev("s", "orders.log", 1, 10, "orders", LevelInfo),
				ev("s", "orders.log", 2, 15, "orders", LevelWarn),
				ev("s", "payments.log", 1, 40, "payments", LevelError),
				ev("s", "orders.log", 3, 55, "orders", LevelError),
				ev("s", "gateway.log", 2, 60, "gateway", LevelInfo),
			},
			order: []string{"s gateway.log:1", "s orders.log:1", "s orders.log:2", "s payments.log:1", "s orders.log:3", "s gateway.log:2"},
			services: []Service{
				{Name: "gateway", First: ms(0), Last: ms(60), Events: 2},
				{Name: "orders", First: ms(10), Last: ms(55), Events: 3, Errors: 1},
				{Name: "payments", First: ms(40), Last: ms(40), Events: 1, Errors: 1},
			},
			hops: []Hop{
				{From: "gateway", To: "orders", At: ms(10), Gap: 10 * time.Millisecond},
				{From: "orders", To: "payments", At: ms(40), Gap: 25 * time.Millisecond},
				{From: "payments", To: "orders", At: ms(55), Gap: 15 * time.Millisecond},
				{From: "orders", To: "gateway", At: ms(60), Gap: 5 * time.Millisecond},
			},
			start: ms(0), end: ms(60), errors: 2,
		},
		{
			name: "hop through an untimed event",
			events: []Event{
				ev("-", "", 1, 10, "a", LevelInfo),
				ev("-", "", 2, untimed, "b", LevelInfo),
				ev("-", "", 3, 20, "a", LevelInfo),
			},
			order: []string{"- :1", "- :2", "- :3"},
			services: []Service{
				{Name: "a", First: ms(10), Last: ms(20), Events: 2},
				{Name: "b", Events: 1},
			},
			hops:  []Hop{{From: "a", To: "b"}, {From: "b", To: "a", At: ms(20)}},
			start: ms(10), end: ms(20),
			untimed: 1, untimedAt: []Origin{{Source: "-", Line: 2}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Assemble("TXN-1", c.events)
			if got.ID != "TXN-1" {
				t.Errorf("ID = %q", got.ID)
			}
			if l := labels(got.Events); !slices.Equal(l, c.order) {
				t.Errorf("order:\n got %q\nwant %q", l, c.order)
			}
			if got.Events == nil || got.Services == nil || got.Hops == nil {
				t.Errorf("nil slice: events %v, services %v, hops %v", got.Events == nil, got.Services == nil, got.Hops == nil)
			}
			if !reflect.DeepEqual(got.Services, c.services) {
				t.Errorf("services:\n got %+v\nwant %+v", got.Services, c.services)
			}
			if !reflect.DeepEqual(got.Hops, c.hops) {
				t.Errorf("hops:\n got %+v\nwant %+v", got.Hops, c.hops)
			}
			if !got.Start.Equal(c.start) || !got.End.Equal(c.end) {
				t.Errorf("start, end = %v, %v; want %v, %v", got.Start, got.End, c.start, c.end)
			}
			if got.Errors != c.errors {
				t.Errorf("errors = %d, want %d", got.Errors, c.errors)
			}
			if got.Untimed != c.untimed || !reflect.DeepEqual(got.UntimedAt, c.untimedAt) {
				t.Errorf("untimed = %d %+v, want %d %+v", got.Untimed, got.UntimedAt, c.untimed, c.untimedAt)
			}
			if want := c.end.Sub(c.start); got.Duration() != want {
				t.Errorf("duration = %v, want %v", got.Duration(), want)
			}
		})
	}
}

func TestAssembleLeavesInputAlone(t *testing.T) {
	events := []Event{
		ev("s", "b.log", 1, 20, "b", LevelInfo),
		ev("s", "a.log", 2, untimed, "a", LevelError),
		ev("s", "a.log", 1, 10, "a", LevelInfo),
	}
	events[0].Fields = map[string]any{"k": "v"}
	before := slices.Clone(events)

	got := Assemble("TXN-1", events)
	if !reflect.DeepEqual(events, before) {
		t.Fatalf("Assemble changed its input:\n got %+v\nwant %+v", events, before)
	}
	if labels(got.Events)[0] != "s a.log:1" {
		t.Fatalf("events not sorted: %q", labels(got.Events))
	}
	got.Events[0].Message = "changed"
	if events[2].Message == "changed" || events[0].Message == "changed" {
		t.Fatal("the trace's events share the input's backing array")
	}
}

// AssembleOwned orders the events it is given in place, to the same
// trace as Assemble, whatever the permutation's cycles.
func TestAssembleOwned(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var events []Event
		for i := range 1 + rng.IntN(3000) {
			at := rng.IntN(500)
			if rng.IntN(9) == 0 {
				at = untimed
			}
			events = append(events, ev(fmt.Sprint("s", rng.IntN(2)), fmt.Sprint("f", rng.IntN(5), ".log"), int64(i), at, fmt.Sprint("svc", rng.IntN(4)), LevelInfo))
		}
		timeline, _ := order(events)
		want := make([]Event, 0, len(events)) // the order, by copying
		for _, i := range timeline {
			want = append(want, events[i])
		}
		owned := slices.Clone(events)
		got := AssembleOwned("x", owned)
		if &got.Events[0] != &owned[0] {
			t.Fatal("AssembleOwned copied the events")
		}
		if !reflect.DeepEqual(got.Events, want) {
			t.Fatalf("seed %d: events in place differ from the order:\n%q\n%q", seed, labels(got.Events), labels(want))
		}
	}
	if got := AssembleOwned("x", nil); got.Events == nil || len(got.Events) != 0 {
		t.Errorf("no events: Events = %#v, want empty and not nil", got.Events)
	}
}

func TestAssembleIsDeterministic(t *testing.T) {
	var events []Event
	for i := range 50 {
		at := i * 7 % 13
		if i%5 == 0 {
			at = untimed
		}
		events = append(events, ev(fmt.Sprint("s", i%3), fmt.Sprint("f", i%4, ".log"), int64(i), at, fmt.Sprint("svc", i%4), LevelInfo))
	}
	want := Assemble("x", events)
	shuffled := slices.Clone(events)
	slices.Reverse(shuffled)
	got := Assemble("x", shuffled)
	if !slices.Equal(labels(got.Events), labels(want.Events)) {
		t.Fatalf("order depends on input order:\n%q\n%q", labels(got.Events), labels(want.Events))
	}
	for i := 1; i < len(got.Events); i++ {
		a, b := got.Events[i-1], got.Events[i]
		if !a.Time.IsZero() && !b.Time.IsZero() && b.Time.Before(a.Time) {
			t.Fatalf("timed events out of order at %d: %v after %v", i, b.Time, a.Time)
		}
	}
}

// TestSortIndexes checks the two-core sort against a plain sort, with
// many equal keys broken by index, at sizes around the parallel threshold.
func TestSortIndexes(t *testing.T) {
	for _, n := range []int{0, 1, 7, parallelSortMin - 1, parallelSortMin, parallelSortMin + 1, 3*parallelSortMin + 5} {
		keys := make([]int, n)
		for i := range keys {
			keys[i] = (i * 7919) % 97 // many ties
		}
		byKey := func(a, b int) int {
			if c := cmp.Compare(keys[a], keys[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		}
		got, want := make([]int, n), make([]int, n)
		for i := range got {
			got[i], want[i] = n-1-i, n-1-i
		}
		sortIndexes(got, byKey)
		slices.SortStableFunc(want, byKey)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: sortIndexes differs from a plain sort", n)
		}
	}
}

// TestOriginOrder holds originOrder to a plain sort by source, path, line
// and position, over events of a few files delivered interleaved, with
// lines out of order and repeated.
func TestOriginOrder(t *testing.T) {
	sources := []string{"b", "a", "s3://logs"}
	paths := []string{"x.log", "a/x.log", "x.log.1", ""}
	for _, tc := range []struct {
		name     string
		n        int
		shuffled bool // lines of a file out of order
	}{
		{"empty", 0, false},
		{"one", 1, false},
		{"in line order", 500, false},
		{"out of line order", 500, true},
		{"many", 20000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := make([]Event, tc.n)
			next := map[string]int64{}
			for i := range events {
				o := Origin{Source: sources[(i*7)%len(sources)], Path: paths[(i*13)%len(paths)]}
				key := o.Source + "\x00" + o.Path
				next[key] += int64(1 + i%3)
				o.Line = next[key]
				if tc.shuffled {
					o.Line = int64((i * 7919) % 61) // out of order, and repeated
				}
				events[i].Origin = o
			}
			want := make([]int, len(events))
			for i := range want {
				want[i] = i
			}
			slices.SortFunc(want, func(a, b int) int {
				oa, ob := events[a].Origin, events[b].Origin
				if c := cmp.Compare(oa.Source, ob.Source); c != 0 {
					return c
				}
				if c := cmp.Compare(oa.Path, ob.Path); c != 0 {
					return c
				}
				if c := cmp.Compare(oa.Line, ob.Line); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			got, ends := originOrder(events)
			if !slices.Equal(got, want) {
				t.Errorf("originOrder differs from a plain sort:\n got %v\nwant %v", got[:min(len(got), 20)], want[:min(len(want), 20)])
			}
			// ends close each file's run: one file within, another after.
			start := 0
			for k, end := range ends {
				if end <= start || end > len(got) {
					t.Fatalf("ends %v: run %d is [%d, %d)", ends, k, start, end)
				}
				first := events[got[start]].Origin
				for _, i := range got[start:end] {
					if o := events[i].Origin; o.Source != first.Source || o.Path != first.Path {
						t.Fatalf("run %d holds %s %s and %s %s", k, first.Source, first.Path, o.Source, o.Path)
					}
				}
				if end < len(got) {
					if o := events[got[end]].Origin; o.Source == first.Source && o.Path == first.Path {
						t.Fatalf("run %d ends at %d inside %s %s", k, end, o.Source, o.Path)
					}
				}
				start = end
			}
			if start != len(got) {
				t.Fatalf("ends %v stop at %d of %d", ends, start, len(got))
			}
		})
	}
}

// BenchmarkAssemble orders and summarises a hot id's worth of events:
// 52,000 from 36 files of seven services, delivered interleaved.
func BenchmarkAssemble(b *testing.B) {
	paths := make([]string, 36)
	for i := range paths {
		paths[i] = fmt.Sprintf("svc%d/file-%d.log", i%7, i)
	}
	line := make([]int64, len(paths))
	events := make([]Event, 52000)
	for i := range events {
		f := (i * 7919) % len(paths)
		line[f] += 13
		events[i] = Event{
			Time:    t0.Add(time.Duration(i*400+(f*37)%500) * time.Millisecond),
			Service: fmt.Sprint("svc", f%7),
			Origin:  Origin{Source: "logs", Path: paths[f], Line: line[f]},
		}
	}
	for b.Loop() {
		Assemble("x", events)
	}
}
