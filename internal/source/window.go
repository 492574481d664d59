package source

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is how far back a store that must be given a time range
// searches when the trace names none (the default_window option).
const DefaultWindow = 24 * time.Hour

// ParseWindow reads a window length: a Go duration ("36h", "90m") or a
// number of days, alone or before a duration ("3d", "1d12h").
func ParseWindow(v string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration such as 24h or 3d", v)
	days := time.Duration(0)
	if i := strings.IndexByte(v, 'd'); i > 0 {
		n, err := strconv.Atoi(v[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, bad
		}
		days = time.Duration(n) * 24 * time.Hour
		v = v[i+1:]
		if v == "" {
			v = "0s"
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || days+d <= 0 {
		return 0, bad
	}
	return days + d, nil
}

// Window returns the time range to search for a query's bounds: what the
// query leaves open is filled in from the window length, back from until
// or from now. chosen reports whether anything was filled in (the source
// then reports the range in Stats.Since and Stats.Until).
func Window(since, until, now time.Time, length time.Duration) (from, to time.Time, chosen bool) {
	from, to = since, until
	if to.IsZero() {
		to, chosen = now, true
	}
	if from.IsZero() {
		from, chosen = to.Add(-length), true
	}
	return from, to, chosen
}

// QueryParams reads a location's query parameters. Unlike a form, a "+"
// stays a "+" (query languages use it: {app=~".+"}); %XX escapes are
// decoded where they are valid.
func QueryParams(raw string) url.Values {
	out := make(url.Values)
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if uk, err := url.PathUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.PathUnescape(v); err == nil {
			v = uv
		}
		out[k] = append(out[k], v)
	}
	return out
}
