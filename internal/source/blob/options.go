package blob

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of a bucket's options.
const (
	DefaultConcurrency = 8
	DefaultMaxRecords  = 100000
	DefaultSpoolMB     = 1024
)

// bucketOptions are the option names ParseConfig reads.
var bucketOptions = []string{"include", "exclude", "concurrency", "max_records", "spool_mb", "service", "timezone"}

// Location is an object store location "scheme://bucket/prefix?options".
type Location struct {
	Bucket string
	// Prefix is "" or ends with "/": the location names a folder.
	Prefix string
	// Options are the query parameters, a repeated parameter joined with
	// commas.
	Options map[string]string
}

// ParseLocation splits an object store location of one of the given
// schemes. The prefix is taken as a folder: "s3://b/logs" reads the keys
// under "logs/".
func ParseLocation(loc string, schemes ...string) (Location, error) {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok || !slices.Contains(schemes, strings.ToLower(scheme)) {
		return Location{}, fmt.Errorf("not a %s location", strings.Join(schemes, ":// or ")+"://")
	}
	rest, query, _ := strings.Cut(rest, "?")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" || strings.Contains(bucket, "@") {
		return Location{}, fmt.Errorf("no bucket name after %s://", scheme)
	}
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	l := Location{Bucket: bucket, Prefix: prefix}
	if query != "" {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return Location{}, fmt.Errorf("options after '?': %w", err)
		}
		l.Options = make(map[string]string, len(vals))
		for k, v := range vals {
			l.Options[k] = strings.Join(v, ",")
		}
	}
	return l, nil
}

// MergeOptions returns the options of a source: those of its mapping entry
// with the location's query parameters over them.
func MergeOptions(entry, query map[string]string) map[string]string {
	out := make(map[string]string, len(entry)+len(query))
	for k, v := range entry {
		out[k] = v
	}
	for k, v := range query {
		out[k] = v
	}
	return out
}

// Config is how a Bucket reads its store.
type Config struct {
	// Include and Exclude select objects by their names below the prefix.
	Include, Exclude Globs
	// Concurrency is how many objects are read at once.
	Concurrency int
	// MaxRecords caps the records one scan sends.
	MaxRecords int
	// SpoolBytes bounds the copies kept on local disk for later scans; 0
	// keeps none and reads objects again on every scan.
	SpoolBytes int64
	// Service and Timezone, when set, were given as options rather than
	// as the source's own settings: records are then parsed here, with the
	// timezone, and carry the service.
	Service  string
	Timezone *time.Location
	// Name says how warnings name an object ("s3://bucket/key").
	Name func(e Entry) string
	// Starts reports whether a line starts a record.
	Starts func(line []byte) bool
	// RetryDelay is the pause before an object is read again after a
	// fault.
	RetryDelay time.Duration
}

// ParseConfig reads the options every bucket shares (include, exclude,
// concurrency, max_records, spool_mb, service, timezone) from opts. Any
// other name must be one of driverOptions, which the driver reads itself;
// an unknown name is an error, so that a misspelt option is not ignored.
func ParseConfig(opts map[string]string, driverOptions ...string) (Config, error) {
	c := Config{Concurrency: DefaultConcurrency, MaxRecords: DefaultMaxRecords, SpoolBytes: DefaultSpoolMB << 20, RetryDelay: 200 * time.Millisecond}
	var err error
	for k, v := range opts {
		switch k {
		case "include":
			c.Include, err = ParseGlobs(v)
		case "exclude":
			c.Exclude, err = ParseGlobs(v)
		case "concurrency":
			c.Concurrency, err = positive(v, 1, 256)
		case "max_records":
			c.MaxRecords, err = positive(v, 1, 1<<31-1)
		case "spool_mb":
			var mb int
			mb, err = positive(v, 0, 1<<20)
			c.SpoolBytes = int64(mb) << 20
		case "service":
			c.Service = strings.TrimSpace(v)
		case "timezone":
			c.Timezone, err = time.LoadLocation(strings.TrimSpace(v))
		default:
			if !slices.Contains(driverOptions, k) {
				known := append(slices.Clone(bucketOptions), driverOptions...)
				slices.Sort(known)
				return Config{}, fmt.Errorf("unknown option %q (known: %s)", k, strings.Join(known, ", "))
			}
		}
		if err != nil {
			return Config{}, fmt.Errorf("option %s: %w", k, err)
		}
	}
	return c, nil
}

// positive parses an integer in [lo, hi].
func positive(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n, nil
}

// ParseBool parses a boolean option value: true/false, yes/no, on/off, 1/0.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}
