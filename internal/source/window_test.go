package source

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "24h", want: 24 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "3d", want: 72 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", bad: true},
		{in: "0s", bad: true},
		{in: "-1h", bad: true},
		{in: "d", bad: true},
		{in: "xd", bad: true},
		{in: "", bad: true},
		{in: "3 days", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWindow(tc.in)
			if tc.bad {
				if err == nil {
					t.Errorf("got %v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2025, 10, 21, 12, 0, 0, 0, time.UTC)
	since := now.Add(-2 * time.Hour)
	until := now.Add(-time.Hour)
	for _, tc := range []struct {
		name         string
		since, until time.Time
		from, to     time.Time
		chosen       bool
	}{
		{name: "none", from: now.Add(-24 * time.Hour), to: now, chosen: true},
		{name: "both", since: since, until: until, from: since, to: until},
		{name: "since only", since: since, from: since, to: now, chosen: true},
		{name: "until only", until: until, from: until.Add(-24 * time.Hour), to: until, chosen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, chosen := Window(tc.since, tc.until, now, 24*time.Hour)
			if !from.Equal(tc.from) || !to.Equal(tc.to) || chosen != tc.chosen {
				t.Errorf("got %v..%v %v, want %v..%v %v", from, to, chosen, tc.from, tc.to, tc.chosen)
			}
		})
	}
}
