package logline

import (
	"testing"
	"time"
	_ "time/tzdata" // America/New_York on machines without a zone database
)

// mustTime parses an RFC 3339 instant for a test's expectations.
func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad expectation %q: %v", s, err)
	}
	return v.UTC()
}

func TestParseTime(t *testing.T) {
	plus2 := time.FixedZone("plus2", 2*3600)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want string // RFC 3339 in UTC; "" means not a timestamp
	}{
		{"rfc3339 Z", "2024-01-02T15:04:05Z", nil, "2024-01-02T15:04:05Z"},
		{"rfc3339 lower-case t and z", "2024-01-02t15:04:05z", nil, "2024-01-02T15:04:05Z"},
		{"rfc3339 nano", "2024-01-02T15:04:05.123456789Z", nil, "2024-01-02T15:04:05.123456789Z"},
		{"fraction past nanoseconds is cut", "2024-01-02T15:04:05.1234567891Z", nil, "2024-01-02T15:04:05.123456789Z"},
		{"offset with colon", "2024-01-02T15:04:05+02:00", nil, "2024-01-02T13:04:05Z"},
		{"offset without colon", "2024-01-02T15:04:05+0200", nil, "2024-01-02T13:04:05Z"},
		{"offset hours only", "2024-01-02T15:04:05-07", nil, "2024-01-02T22:04:05Z"},
		{"negative offset with minutes", "2024-01-02T15:04:05.5-03:30", nil, "2024-01-02T18:34:05.5Z"},
		{"offset wins over location", "2024-01-02T15:04:05+00:00", plus2, "2024-01-02T15:04:05Z"},
		{"space no zone is UTC", "2024-01-02 15:04:05", nil, "2024-01-02T15:04:05Z"},
		{"space no zone in location", "2024-01-02 15:04:05", plus2, "2024-01-02T13:04:05Z"},
		{"zone-less in New York winter", "2024-01-02 15:04:05", ny, "2024-01-02T20:04:05Z"},
		{"zone-less in New York summer", "2024-07-02 15:04:05", ny, "2024-07-02T19:04:05Z"},
		{"comma fraction", "2024-01-02 15:04:05,123", nil, "2024-01-02T15:04:05.123Z"},
		{"space then offset", "2024-01-02 15:04:05 +0100", nil, "2024-01-02T14:04:05Z"},
		{"go time string", "2024-01-02 15:04:05.5 +0100 CET", nil, "2024-01-02T14:04:05.5Z"},
		{"UTC word", "2024-01-02 15:04:05 UTC", plus2, "2024-01-02T15:04:05Z"},
		{"minutes only", "2024-01-02T15:04Z", nil, "2024-01-02T15:04:00Z"},
		{"slash date", "2024/01/02 15:04:05", nil, "2024-01-02T15:04:05Z"},
		{"date only", "2024-01-02", nil, "2024-01-02T00:00:00Z"},
		{"date only in location", "2024-01-02", plus2, "2024-01-01T22:00:00Z"},
		{"surrounding spaces", "  2024-01-02T15:04:05Z ", nil, "2024-01-02T15:04:05Z"},
		{"apache", "02/Jan/2006:15:04:05 -0700", nil, "2006-01-02T22:04:05Z"},
		{"tomcat", "11-Oct-2024 22:14:15.123", nil, "2024-10-11T22:14:15.123Z"},
		{"ansic", "Mon Jan  2 15:04:05 2006", nil, "2006-01-02T15:04:05Z"},
		{"unix date UTC", "Mon Jan  2 15:04:05 UTC 2006", plus2, "2006-01-02T15:04:05Z"},
		{"rfc1123", "Mon, 02 Jan 2006 15:04:05 GMT", plus2, "2006-01-02T15:04:05Z"},
		{"rfc1123z", "Mon, 02 Jan 2006 15:04:05 -0700", nil, "2006-01-02T22:04:05Z"},
		{"epoch seconds", "1700000000", nil, "2023-11-14T22:13:20Z"},
		{"epoch fractional seconds", "1700000000.123", nil, "2023-11-14T22:13:20.123Z"},
		{"epoch seconds exact nanos", "1700000000.123456789", nil, "2023-11-14T22:13:20.123456789Z"},
		{"epoch milliseconds", "1700000000123", nil, "2023-11-14T22:13:20.123Z"},
		{"epoch fractional milliseconds", "1700000000123.5", nil, "2023-11-14T22:13:20.1235Z"},
		{"epoch microseconds", "1700000000123456", nil, "2023-11-14T22:13:20.123456Z"},
		{"epoch nanoseconds", "1700000000123456789", nil, "2023-11-14T22:13:20.123456789Z"},
		{"epoch exponent", "1.7e9", nil, "2023-11-14T22:13:20Z"},
		{"epoch ignores location", "1700000000", plus2, "2023-11-14T22:13:20Z"},
		{"epoch 1973 lower bound", "100000000", nil, "1973-03-03T09:46:40Z"},
		{"small number", "30", nil, ""},
		{"below 1e8", "99999999", nil, ""},
		{"twenty digits", "17000000001234567890", nil, ""},
		{"negative epoch", "-1700000000", nil, ""},
		{"bad month", "2024-13-02T15:04:05Z", nil, ""},
		{"february 30", "2024-02-30T15:04:05Z", nil, ""},
		{"february 29 leap year", "2024-02-29T15:04:05Z", nil, "2024-02-29T15:04:05Z"},
		{"february 29 common year", "2023-02-29T15:04:05Z", nil, ""},
		{"hour 24", "2024-01-02T24:00:00Z", nil, ""},
		{"trailing text", "2024-01-02T15:04:05Z foo", nil, ""},
		{"time only", "15:04:05", nil, ""},
		{"empty", "", nil, ""},
		{"word", "yesterday", nil, ""},
		{"bad offset", "2024-01-02T15:04:05+25:00", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseTime(tt.in, tt.loc)
			if tt.want == "" {
				if ok {
					t.Fatalf("ParseTime(%q) = %v, want not a timestamp", tt.in, got)
				}
				return
			}
			if !ok {
				t.Fatalf("ParseTime(%q) failed, want %s", tt.in, tt.want)
			}
			if want := mustTime(t, tt.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, want)
			}
		})
	}
}

// TestParseTimeSyslogYear checks that a stamp without a year is placed in
// the last twelve months (plus one day) before now.
func TestParseTimeSyslogYear(t *testing.T) {
	now := time.Now().UTC()
	got, ok := ParseTime(now.Format(time.Stamp), nil)
	if !ok {
		t.Fatal("syslog stamp not read")
	}
	if d := now.Sub(got); d < -time.Second || d > time.Second {
		t.Fatalf("got %v, want about %v", got, now)
	}
	ahead := now.Add(72 * time.Hour)
	got, ok = ParseTime(ahead.Format(time.Stamp), nil)
	if !ok {
		t.Fatal("syslog stamp not read")
	}
	if got.After(now) || now.Sub(got) > 366*24*time.Hour || got.Month() != ahead.Month() || got.Day() != ahead.Day() {
		t.Fatalf("a stamp three days ahead (%v) was placed at %v, want the year before", ahead, got)
	}
}

func TestResolveYearInference(t *testing.T) {
	tests := []struct {
		name  string
		stamp string
		mod   string
		loc   *time.Location
		want  string
	}{
		{"same year", "Feb 10 10:00:00", "2024-03-01T00:00:00Z", nil, "2024-02-10T10:00:00Z"},
		{"december read in january", "Dec 31 23:59:59", "2024-01-02T00:00:00Z", nil, "2023-12-31T23:59:59Z"},
		{"new year read in january", "Jan  1 00:00:01", "2024-01-02T00:00:00Z", nil, "2024-01-01T00:00:01Z"},
		{"within a day after modtime", "Mar  1 12:00:00", "2024-03-01T00:00:00Z", nil, "2024-03-01T12:00:00Z"},
		{"more than a day after modtime", "Mar  2 12:00:00", "2024-03-01T00:00:00Z", nil, "2023-03-02T12:00:00Z"},
		{"leap day read in a common year", "Feb 29 08:00:00", "2025-03-01T00:00:00Z", nil, "2024-02-29T08:00:00Z"},
		{"modtime new year eve in a zone", "Dec 31 23:30:00", "2024-01-01T04:00:00Z", time.FixedZone("m5", -5*3600), "2024-01-01T04:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c clock
			n, ok := scanStamp(tt.stamp, &c, false)
			if !ok || n != len(tt.stamp) {
				t.Fatalf("scanStamp(%q) = %d, %v", tt.stamp, n, ok)
			}
			got, ok := c.resolve(tt.loc, mustTime(t, tt.mod))
			if !ok || !got.Equal(mustTime(t, tt.want)) {
				t.Fatalf("resolve = %v, %v; want %s", got, ok, tt.want)
			}
		})
	}
}
