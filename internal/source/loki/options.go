package loki

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Defaults of the source options.
const (
	DefaultWindow     = source.DefaultWindow
	DefaultMaxRecords = 100000
	// DefaultPageSize is Loki's default max_entries_limit_per_query: a
	// query asks for at most this many entries at once.
	DefaultPageSize = 5000
	DefaultTimeout  = 60 * time.Second
)

// optionNames are the options a location's query parameters may set;
// every other query parameter is passed to query_range as is.
var optionNames = map[string]bool{
	"query": true, "default_window": true, "max_records": true, "limit": true,
	"timeout": true, "tls": true, "path_label": true, "line_label": true,
	"service_label": true, "tenant": true,
	"username": true, "password": true, "password_env": true,
	"bearer_token": true, "bearer_token_env": true,
}

// secretNames are options that must not be written in a location.
var secretNames = []string{"password", "bearer_token"}

// Environment variables that supply credentials and the tenant when the
// options do not (the names logcli reads).
const (
	EnvUsername    = "LOKI_USERNAME"
	EnvPassword    = "LOKI_PASSWORD"
	EnvBearerToken = "LOKI_BEARER_TOKEN"
	EnvOrgID       = "LOKI_ORG_ID"
)

// config is a source's settings, read from its location and options.
type config struct {
	base     *url.URL   // scheme, host and path prefix of the server
	extra    url.Values // query parameters passed to the server
	selector string     // the user's LogQL stream selector (and pipeline)

	window     time.Duration
	maxRecords int
	pageSize   int
	timeout    time.Duration

	pathLabel, lineLabel, serviceLabel string

	tenant             string
	username, password string
	bearerToken        string
}

// parseConfig reads spec: spec.Options, then the location's query
// parameters (which win), then the environment for what neither sets.
func parseConfig(spec source.Spec, getenv func(string) string) (*config, error) {
	loc := source.Redact(spec.Location)
	l, err := source.ParseStoreLocation(spec, optionNames, secretNames)
	if err != nil {
		return nil, fmt.Errorf("loki: %s: %w (want loki://host:3100?query={app=~\".+\"}; credentials go in the source's options or %s and %s)", loc, err, EnvUsername, EnvPassword)
	}
	u, opts, extra := l.URL, l.Options, l.Extra
	c := &config{
		extra:        extra,
		selector:     strings.TrimSpace(opts["query"]),
		window:       DefaultWindow,
		maxRecords:   DefaultMaxRecords,
		pageSize:     DefaultPageSize,
		timeout:      DefaultTimeout,
		pathLabel:    opts["path_label"],
		lineLabel:    opts["line_label"],
		serviceLabel: opts["service_label"],
	}
	if !strings.HasPrefix(c.selector, "{") {
		return nil, fmt.Errorf("loki: %s: option query must be a stream selector such as {app=~\".+\"}, got %q", loc, c.selector)
	}
	scheme := "http"
	if v, ok := opts["tls"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("loki: %s: option tls %q is not true or false", loc, v)
		}
		if b {
			scheme = "https"
		}
	}
	c.base = &url.URL{Scheme: scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}
	if v, ok := opts["default_window"]; ok {
		if c.window, err = source.ParseWindow(v); err != nil {
			return nil, fmt.Errorf("loki: %s: option default_window: %w", loc, err)
		}
	}
	for name, dst := range map[string]*int{"max_records": &c.maxRecords, "limit": &c.pageSize} {
		if v, ok := opts[name]; ok {
			if *dst, err = strconv.Atoi(v); err != nil || *dst <= 0 {
				return nil, fmt.Errorf("loki: %s: option %s %q is not a positive number", loc, name, v)
			}
		}
	}
	if v, ok := opts["timeout"]; ok {
		if c.timeout, err = time.ParseDuration(v); err != nil || c.timeout <= 0 {
			return nil, fmt.Errorf("loki: %s: option timeout %q is not a duration such as 30s", loc, v)
		}
	}
	c.tenant = source.Setting(opts, "tenant", getenv, EnvOrgID)
	c.username = source.Setting(opts, "username", getenv, EnvUsername)
	c.password = source.Setting(opts, "password", getenv, EnvPassword)
	c.bearerToken = source.Setting(opts, "bearer_token", getenv, EnvBearerToken)
	if c.bearerToken != "" && c.username != "" {
		return nil, fmt.Errorf("loki: %s: both a bearer token and a username are set: use one", loc)
	}
	return c, nil
}
