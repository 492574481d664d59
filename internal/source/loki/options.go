package loki

import (
	"fmt"
	"net/url"
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
	opts := l.Options
	c := &config{
		extra:        l.Extra,
		selector:     strings.TrimSpace(opts["query"]),
		pathLabel:    opts["path_label"],
		lineLabel:    opts["line_label"],
		serviceLabel: opts["service_label"],
	}
	if !strings.HasPrefix(c.selector, "{") {
		return nil, fmt.Errorf("loki: %s: option query must be a stream selector such as {app=~\".+\"}, got %q", loc, c.selector)
	}
	if c.base, err = l.HTTPBase(); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	if c.window, err = l.Window(DefaultWindow); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	if c.maxRecords, err = l.Count("max_records", DefaultMaxRecords); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	if c.pageSize, err = l.Count("limit", DefaultPageSize); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	if c.timeout, err = l.Duration("timeout", DefaultTimeout); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	c.tenant = source.Setting(opts, "tenant", getenv, EnvOrgID)
	if c.username, c.password, c.bearerToken, err = l.HTTPCredentials(getenv, EnvUsername, EnvPassword, EnvBearerToken); err != nil {
		return nil, fmt.Errorf("loki: %s: %w", loc, err)
	}
	return c, nil
}
