package blob

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		globs string
		name  string
		want  bool
	}{
		{"*.gz", "checkout/2025/app.log.gz", true},
		{"*.gz", "checkout/2025/app.log", false},
		{"app.log*", "checkout/app.log.1", true},
		{"checkout/*", "checkout/app.log", true},
		{"checkout/*", "checkout/2025/app.log", false},
		{"checkout/**", "checkout/2025/10/app.log", true},
		{"**/2025/**/*.log", "checkout/2025/10/21/app.log", true},
		{"**/2025/**/*.log", "checkout/2024/10/21/app.log", false},
		{"**/*.log", "app.log", true},
		{"payments/*,orders/*", "orders/x", true},
		{" payments/* , orders/* ", "orders/x", true},
		{"/checkout/*/", "checkout/x", true},
		{"", "anything", false},
	} {
		t.Run(tc.globs+"~"+tc.name, func(t *testing.T) {
			g, err := ParseGlobs(tc.globs)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Match(tc.name); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := ParseGlobs("logs/[a-"); err == nil {
		t.Error("a malformed pattern was accepted")
	}
}

func TestKeyDates(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y, m, d int, loc *time.Location) string {
		s := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
		return fmt.Sprintf("%s+24h", s.UTC().Format(time.RFC3339))
	}
	hour := func(y, m, d, h int) string {
		return fmt.Sprintf("%s+1h", time.Date(y, time.Month(m), d, h, 0, 0, 0, time.UTC).Format(time.RFC3339))
	}
	for _, tc := range []struct {
		name string
		key  string
		loc  *time.Location
		want []string
	}{
		{"slashes", "logs/checkout/2025/10/21/app.log.gz", nil, []string{day(2025, 10, 21, time.UTC)}},
		{"slashes with hour", "firehose/2025/10/21/14/part-1.gz", nil, []string{hour(2025, 10, 21, 14)}},
		{"hive", "logs/year=2025/month=10/day=21/part.gz", nil, []string{day(2025, 10, 21, time.UTC)}},
		{"dashes", "checkout/app-2025-10-21.log", nil, []string{day(2025, 10, 21, time.UTC)}},
		{"dashes with hour", "checkout/app.2025-10-21T09.log", nil, []string{hour(2025, 10, 21, 9)}},
		{"underscores", "app_2025_10_21.log", nil, []string{day(2025, 10, 21, time.UTC)}},
		{"compact", "AWSLogs/123456789012/elasticloadbalancing/x_20251021T0005Z_1.log.gz", nil, []string{hour(2025, 10, 21, 0)}},
		{"dt partition", "events/dt=2025-10-21/part-0.json", nil, []string{day(2025, 10, 21, time.UTC)}},
		{"two dates", "2025/10/20/app-2025-10-21.log", nil, []string{day(2025, 10, 20, time.UTC), day(2025, 10, 21, time.UTC)}},
		{"in a timezone", "2025/10/21/app.log", paris, []string{day(2025, 10, 21, paris)}},
		{"impossible date", "app-2025-02-30.log", nil, nil},
		{"month 13", "2025/13/01/app.log", nil, nil},
		{"a long number", "trace-1234567890123.log", nil, nil},
		{"a version", "app-1.2.3.log", nil, nil},
		{"nothing", "checkout/app.log", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range KeyDates(tc.key, tc.loc) {
				got = append(got, fmt.Sprintf("%s+%v", s.Start.UTC().Format(time.RFC3339), strings.TrimSuffix(s.End.Sub(s.Start).String(), "0m0s")))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("KeyDates(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestOutsideWindow(t *testing.T) {
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for _, tc := range []struct {
		name         string
		key          string
		since, until time.Time
		want         bool
	}{
		{"no date", "app.log", at("2025-10-21T00:00:00Z"), time.Time{}, false},
		{"no window", "2025/10/01/app.log", time.Time{}, time.Time{}, false},
		{"inside", "2025/10/21/app.log", at("2025-10-21T09:00:00Z"), at("2025-10-21T10:00:00Z"), false},
		{"the day before", "2025/10/20/app.log", at("2025-10-21T09:00:00Z"), at("2025-10-21T10:00:00Z"), true},
		{"the day before, within the margin", "2025/10/20/app.log", at("2025-10-21T00:30:00Z"), time.Time{}, false},
		{"the day after", "2025/10/22/app.log", time.Time{}, at("2025-10-21T10:00:00Z"), true},
		{"the day after, within the margin", "2025/10/22/app.log", time.Time{}, at("2025-10-21T23:30:00Z"), false},
		{"an hour before", "2025/10/21/07/part.gz", at("2025-10-21T09:00:00Z"), time.Time{}, true},
		{"the hour before, within the margin", "2025/10/21/08/part.gz", at("2025-10-21T09:00:00Z"), time.Time{}, false},
		{"one of two dates inside", "2025/10/01/app-2025-10-21.log", at("2025-10-21T09:00:00Z"), time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := OutsideWindow(tc.key, nil, tc.since, tc.until); got != tc.want {
				t.Errorf("OutsideWindow = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		loc     string
		bucket  string
		prefix  string
		options string
		err     string
	}{
		{"s3://logs", "logs", "", "map[]", ""},
		{"s3://logs/", "logs", "", "map[]", ""},
		{"s3://logs/prod/checkout", "logs", "prod/checkout/", "map[]", ""},
		{"s3://logs/prod/?include=*.gz&include=*.zst&region=eu-west-1", "logs", "prod/", "map[include:*.gz,*.zst region:eu-west-1]", ""},
		{"S3://logs/x", "logs", "x/", "map[]", ""},
		{"gs://logs/x", "", "", "", "not a s3:// location"},
		{"s3:///x", "", "", "", "no bucket"},
		{"s3://user:pw@logs/x", "", "", "", "no bucket"},
		{"s3://logs/x?a=%zz", "", "", "", "options"},
	} {
		t.Run(tc.loc, func(t *testing.T) {
			l, err := ParseLocation(tc.loc, "s3")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one about %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Options == nil {
				l.Options = map[string]string{}
			}
			if l.Bucket != tc.bucket || l.Prefix != tc.prefix || fmt.Sprint(l.Options) != tc.options {
				t.Errorf("got %q %q %v, want %q %q %s", l.Bucket, l.Prefix, l.Options, tc.bucket, tc.prefix, tc.options)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  map[string]string
		check func(c Config) bool
		err   string
	}{
		{"defaults", nil, func(c Config) bool {
			return c.Concurrency == DefaultConcurrency && c.MaxRecords == DefaultMaxRecords && c.SpoolBytes == DefaultSpoolMB<<20
		}, ""},
		{"all", map[string]string{"include": "*.gz", "exclude": "tmp/**", "concurrency": "3", "max_records": "10", "spool_mb": "0", "service": " billing ", "timezone": "UTC", "region": "x"},
			func(c Config) bool {
				return len(c.Include) == 1 && len(c.Exclude) == 1 && c.Concurrency == 3 && c.MaxRecords == 10 &&
					c.SpoolBytes == 0 && c.Service == "billing" && c.Timezone == time.UTC
			}, ""},
		{"unknown", map[string]string{"concurency": "3"}, nil, `unknown option "concurency"`},
		{"zero concurrency", map[string]string{"concurrency": "0"}, nil, "option concurrency"},
		{"bad timezone", map[string]string{"timezone": "Mars/Olympus"}, nil, "option timezone"},
		{"bad glob", map[string]string{"include": "[x"}, nil, "option include"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.opts, "region")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func FuzzKeyDates(f *testing.F) {
	for _, s := range []string{"2025/10/21/app.log", "app-2025-10-21T09.log", "x_20251021T0005Z.gz", "year=2025/month=1/day=2/hour=3/", "2025-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, s := range KeyDates(key, nil) {
			if !s.End.After(s.Start) || s.Start.Year() < 1970 || s.Start.Year() > 2200 {
				t.Fatalf("KeyDates(%q): span %v", key, s)
			}
			if d := s.End.Sub(s.Start); d != time.Hour && d != 24*time.Hour {
				t.Fatalf("KeyDates(%q): span of %v", key, d)
			}
		}
	})
}
