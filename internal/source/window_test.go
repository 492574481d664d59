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

// TestStoreLocationOptions checks the typed option readers: the default
// when absent, the value when good, an error naming the option when bad.
func TestStoreLocationOptions(t *testing.T) {
	l := &StoreLocation{Options: map[string]string{
		"default_window": "2d", "max_records": "10", "timeout": "30s", "tls": "true",
		"bad_count": "0", "bad_time": "-1s", "bad_bool": "yes",
	}}
	read := func(name string) (any, error) {
		switch {
		case name == "default_window":
			return l.Window(time.Hour)
		case strings.HasSuffix(name, "count") || name == "max_records":
			return l.Count(name, 5)
		case strings.HasSuffix(name, "time") || name == "timeout":
			return l.Duration(name, time.Minute)
		default:
			return l.Bool(name, false)
		}
	}
	for _, tc := range []struct {
		name string
		want any
		bad  bool
	}{
		{"default_window", 48 * time.Hour, false},
		{"max_records", 10, false},
		{"absent_count", 5, false},
		{"bad_count", nil, true},
		{"timeout", 30 * time.Second, false},
		{"absent_time", time.Minute, false},
		{"bad_time", nil, true},
		{"tls", true, false},
		{"absent", false, false},
		{"bad_bool", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(tc.name)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), tc.name) {
					t.Fatalf("error %v, want one naming %s", err, tc.name)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if w, err := (&StoreLocation{Options: map[string]string{"default_window": "soon"}}).Window(time.Hour); err == nil || !strings.Contains(err.Error(), "default_window") {
		t.Errorf("bad window: %v, %v", w, err)
	}
}

func TestStoreLocationHTTP(t *testing.T) {
	env := map[string]string{"U": "env-user", "P": "env-pass", "T": "env-token", "MY_PASS": "from-option-env"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name              string
		loc               string
		opts              map[string]string
		base              string
		user, pass, token string
		bad               bool
		envUser, envToken string
	}{
		{name: "http, credentials from the environment", loc: "x://h:1/p/", base: "http://h:1/p", envUser: "U", user: "env-user", pass: "env-pass"},
		{name: "tls, options first", loc: "x://h?tls=true", opts: map[string]string{"username": "u", "password_env": "MY_PASS"}, base: "https://h", envUser: "U", user: "u", pass: "from-option-env"},
		{name: "bearer token", loc: "x://h", base: "http://h", envToken: "T", token: "env-token", pass: "env-pass"},
		{name: "token and user", loc: "x://h", opts: map[string]string{"username": "u", "bearer_token": "t"}, bad: true},
		{name: "bad tls", loc: "x://h?tls=maybe", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseStoreLocation(Spec{Location: tc.loc, Options: tc.opts}, map[string]bool{"tls": true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			base, err := l.HTTPBase()
			var user, pass, token string
			if err == nil {
				user, pass, token, err = l.HTTPCredentials(getenv, tc.envUser, "P", tc.envToken)
			}
			if tc.bad {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil || base.String() != tc.base || user != tc.user || pass != tc.pass || token != tc.token {
				t.Fatalf("got %v %q %q %q %v, want %s %q %q %q", base, user, pass, token, err, tc.base, tc.user, tc.pass, tc.token)
			}
		})
	}
}
