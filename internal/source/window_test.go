package source

import (
	"maps"
	"strings"
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

func TestParseStoreLocation(t *testing.T) {
	known := map[string]bool{"query": true, "limit": true, "password": true}
	for _, tc := range []struct {
		name, loc string
		opts      map[string]string
		wantErr   string
		wantOpts  map[string]string
		wantExtra string
	}{
		{"options and parameters", "loki://h:3100?query={a=~\".+\"}&limit=5&start=x", map[string]string{"limit": "9", "tenant": "t"}, "",
			map[string]string{"query": "{a=~\".+\"}", "limit": "5", "tenant": "t"}, "start=x"},
		{"no host", "loki:///x", nil, "no host", nil, ""},
		{"user information", "loki://u:p@h", nil, "credentials in the location", nil, ""},
		{"secret parameter", "loki://h?password=p", nil, "option password is not accepted", nil, ""},
		{"bad", "loki://h:port:x", nil, "bad location", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseStoreLocation(Spec{Location: tc.loc, Options: tc.opts}, known, []string{"password"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "p@") {
					t.Errorf("the error shows the credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(l.Options, tc.wantOpts) || l.Extra.Encode() != tc.wantExtra {
				t.Errorf("options %v extra %q, want %v %q", l.Options, l.Extra.Encode(), tc.wantOpts, tc.wantExtra)
			}
		})
	}
}

func TestSetting(t *testing.T) {
	env := map[string]string{"MY_PW": "from-named", "LOKI_PASSWORD": "from-default"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"option wins", map[string]string{"password": "opt", "password_env": "MY_PW"}, "opt"},
		{"named variable", map[string]string{"password_env": "MY_PW"}, "from-named"},
		{"named variable unset falls through", map[string]string{"password_env": "UNSET"}, "from-default"},
		{"default variable", nil, "from-default"},
	} {
		if got := Setting(tc.opts, "password", getenv, "LOKI_PASSWORD"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Setting(nil, "tenant", getenv, ""); got != "" {
		t.Errorf("no option and no variable: %q", got)
	}
}
