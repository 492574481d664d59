package blob

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// listed is how many names a warning lists before it counts the rest.
const listed = 5

// keyDateMargin widens the span a date in a key stands for on both sides:
// a file named for a day or an hour may hold records written a little
// before (delivery lag of a log shipper) or after (late rotation).
const keyDateMargin = time.Hour

// Entry is one file or object of a store as its listing describes it.
type Entry struct {
	// Key is the whole name in the store (an object key, a path).
	Key string
	// Rel is the name below the source's root or prefix, slash-separated:
	// what records carry as Record.Path and what globs match.
	Rel string
	// Size is the size as stored (compressed when the object is).
	Size int64
	// ModTime is the time of the last write; zero when unknown.
	ModTime time.Time
	// Version tells one content of the name from another (an ETag, a
	// generation); empty when the store has none.
	Version string
}

// Globs is a list of patterns over slash-separated names. A pattern with
// a "/" matches the whole name, segment by segment, where "**" matches any
// number of segments; a pattern without one matches the last segment.
// Segments match as in path.Match.
type Globs []string

// ParseGlobs parses a comma-separated list of patterns; blank items are
// ignored. It fails on a malformed pattern.
func ParseGlobs(list string) (Globs, error) {
	var g Globs
	for _, p := range strings.Split(list, ",") {
		p = strings.Trim(strings.TrimSpace(p), "/")
		if p == "" {
			continue
		}
		for _, seg := range strings.Split(p, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
		}
		g = append(g, p)
	}
	return g, nil
}

// Match reports whether any pattern matches name.
func (g Globs) Match(name string) bool {
	name = strings.Trim(name, "/")
	segs := strings.Split(name, "/")
	for _, p := range g {
		if !strings.Contains(p, "/") {
			if ok, _ := path.Match(p, segs[len(segs)-1]); ok {
				return true
			}
			continue
		}
		if matchSegments(strings.Split(p, "/"), segs) {
			return true
		}
	}
	return false
}

// matchSegments reports whether segs match the pattern's segments, where
// "**" matches any number of them.
func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// Span is a stretch of time [Start, End).
type Span struct {
	Start, End time.Time
}

var (
	// slashDate: "2025/10/21", "2025/10/21/14", and Hive-style partitions
	// "year=2025/month=10/day=21/hour=14", as whole path segments.
	slashDate = regexp.MustCompile(`(?:^|/)(?:year=)?(\d{4})/(?:month=)?(\d{1,2})/(?:day=)?(\d{1,2})(?:/(?:hour=)?(\d{1,2}))?(?:/|$)`)
	// dashDate: "2025-10-21", "2025_10_21", "2025.10.21", with an hour
	// after a "T" ("2025-10-21T14").
	dashDate = regexp.MustCompile(`(?:^|[^0-9])(\d{4})([-_.])(\d{2})[-_.](\d{2})(?:T(\d{2})(?::?\d{2}){0,2})?(?:[^0-9]|$)`)
	// compactDate: "20251021", with an hour after a "T" ("20251021T1400Z").
	compactDate = regexp.MustCompile(`(?:^|[^0-9])(20\d{2})(\d{2})(\d{2})(?:T(\d{2})\d{0,4})?(?:[^0-9]|$)`)
)

// maxDatedKey bounds the length of the keys KeyDates reads: twice the
// longest key S3 and Cloud Storage allow.
const maxDatedKey = 2048

// KeyDates returns the spans of time that the dates written in a key stand
// for: "…/2025/10/21/…" and "…2025-10-21…" a day, "…/2025/10/21/14/…" and
// "…2025-10-21T14…" an hour, also as Hive partitions
// ("year=2025/month=10/day=21") and as "20251021". Dates are read in loc
// (UTC when nil). Impossible dates are ignored; nil when there is none,
// and for a key longer than 2048 bytes.
func KeyDates(key string, loc *time.Location) []Span {
	if len(key) > maxDatedKey {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	var spans []Span
	add := func(y, mo, d, h string) {
		yi, _ := strconv.Atoi(y)
		mi, _ := strconv.Atoi(mo)
		di, _ := strconv.Atoi(d)
		if yi < 1970 || yi > 2200 || mi < 1 || mi > 12 || di < 1 || di > 31 {
			return
		}
		start := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, loc)
		if start.Day() != di { // 31 November and the like
			return
		}
		end := start.AddDate(0, 0, 1)
		if h != "" {
			hi, _ := strconv.Atoi(h)
			if hi > 23 {
				return
			}
			start = time.Date(yi, time.Month(mi), di, hi, 0, 0, 0, loc)
			end = start.Add(time.Hour)
		}
		spans = append(spans, Span{start, end})
	}
	for _, m := range allSubmatches(slashDate, key) {
		add(m[1], m[2], m[3], m[4])
	}
	for _, m := range allSubmatches(dashDate, key) {
		add(m[1], m[3], m[4], m[5])
	}
	for _, m := range allSubmatches(compactDate, key) {
		add(m[1], m[2], m[3], m[4])
	}
	return spans
}

// allSubmatches finds the matches of re in s, also those that share a
// boundary character with the previous match.
func allSubmatches(re *regexp.Regexp, s string) [][]string {
	var out [][]string
	for off := 0; off < len(s); {
		loc := re.FindStringSubmatchIndex(s[off:])
		if loc == nil {
			break
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[off+loc[2*i] : off+loc[2*i+1]]
			}
		}
		out = append(out, m)
		// Continue after the match's first character, so that the next
		// date may use the separator that ended this one.
		off += max(loc[0]+1, loc[1]-1)
	}
	return out
}

// OutsideWindow reports whether the dates in key put the object wholly
// outside [since, until] (either bound zero for none): every date found,
// widened by an hour on both sides, ends before since or starts after
// until. A key without a date is never outside.
func OutsideWindow(key string, loc *time.Location, since, until time.Time) bool {
	spans := KeyDates(key, loc)
	if len(spans) == 0 || since.IsZero() && until.IsZero() {
		return false
	}
	for _, s := range spans {
		start, end := s.Start.Add(-keyDateMargin), s.End.Add(keyDateMargin)
		if (since.IsZero() || end.After(since)) && (until.IsZero() || !start.After(until)) {
			return false
		}
	}
	return true
}

// Limits say which of the listed entries a scan reads.
type Limits struct {
	// Include, when not empty, keeps only the entries whose Rel one of its
	// patterns matches; Exclude then leaves out those one of its patterns
	// matches.
	Include, Exclude Globs
	// Since and Until are the query's time window; Location reads the
	// dates in keys (UTC when nil). KeyDates enables skipping by those.
	Since, Until time.Time
	Location     *time.Location
	KeyDates     bool
	// MaxFiles keeps the newest entries by ModTime; MaxBytes leaves out
	// entries larger than it. 0 means no limit.
	MaxFiles int
	MaxBytes int64
}

// Select returns the entries that lim lets through, in their order. What
// it leaves out is counted in stats by reason (source.SkipExcluded,
// SkipOld, SkipOutside, SkipTooLarge, SkipMaxFiles, in that order of
// checking) and, except what include and exclude leave out, named in one
// warning per reason, each entry as name gives it. A size or max_files
// limit that leaves something out sets stats.Truncated.
func Select(entries []Entry, lim Limits, name func(Entry) string, stats *source.Stats, warn func(string)) []Entry {
	keep := slices.Clone(entries)
	drop := func(reason string, cut func(Entry) bool, describe func(Entry) string, message func(n int, list string) string) {
		var left []string
		keep = slices.DeleteFunc(keep, func(e Entry) bool {
			if cut(e) {
				left = append(left, describe(e))
				return true
			}
			return false
		})
		stats.Skip(reason, len(left))
		if len(left) > 0 && message != nil {
			warn(message(len(left), Names(left)))
		}
	}
	if len(lim.Include) > 0 || len(lim.Exclude) > 0 {
		drop(source.SkipExcluded, func(e Entry) bool {
			return len(lim.Include) > 0 && !lim.Include.Match(e.Rel) || lim.Exclude.Match(e.Rel)
		}, name, nil)
	}
	if !lim.Since.IsZero() {
		drop(source.SkipOld, func(e Entry) bool {
			return !e.ModTime.IsZero() && e.ModTime.Before(lim.Since)
		}, name, func(n int, list string) string {
			return fmt.Sprintf("skipped %d %s last modified before %s: %s",
				n, Plural(n, "object"), lim.Since.UTC().Format(time.RFC3339), list)
		})
	}
	if lim.KeyDates && (!lim.Since.IsZero() || !lim.Until.IsZero()) {
		drop(source.SkipOutside, func(e Entry) bool {
			return OutsideWindow(e.Key, lim.Location, lim.Since, lim.Until)
		}, name, func(n int, list string) string {
			return fmt.Sprintf("skipped %d %s whose names date them outside the time window: %s", n, Plural(n, "object"), list)
		})
	}
	if lim.MaxBytes > 0 {
		before := len(keep)
		drop(source.SkipTooLarge, func(e Entry) bool { return e.Size > lim.MaxBytes },
			func(e Entry) string { return fmt.Sprintf("%s (%s)", name(e), ByteSize(e.Size)) },
			func(n int, list string) string {
				return fmt.Sprintf("skipped %d %s larger than %s: %s", n, Plural(n, "object"), ByteSize(lim.MaxBytes), list)
			})
		if len(keep) < before {
			stats.Truncated = true
		}
	}
	if lim.MaxFiles > 0 && len(keep) > lim.MaxFiles {
		byAge := slices.Clone(keep)
		slices.SortStableFunc(byAge, func(a, b Entry) int { return b.ModTime.Compare(a.ModTime) })
		newest := make(map[string]bool, lim.MaxFiles)
		for _, e := range byAge[:lim.MaxFiles] {
			newest[e.Key] = true
		}
		drop(source.SkipMaxFiles, func(e Entry) bool { return !newest[e.Key] }, name,
			func(n int, list string) string {
				return fmt.Sprintf("max_files %d reached: left out %d older %s: %s", lim.MaxFiles, n, Plural(n, "object"), list)
			})
		stats.Truncated = true
	}
	return keep
}

// Names lists the first few names and counts the rest.
func Names(ns []string) string {
	if len(ns) <= listed {
		return strings.Join(ns, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ns[:listed], ", "), len(ns)-listed)
}

// Plural returns word, with an "s" unless n is 1.
func Plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// ByteSize formats n bytes for people ("512 B", "1.5 MiB").
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
