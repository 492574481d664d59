package victorialogs

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
	DefaultTimeout    = 60 * time.Second
)

// optionNames are the options a location's query parameters may set;
// every other query parameter is passed to /select/logsql/query as is.
var optionNames = map[string]bool{
	"query": true, "fields": true, "match": true,
	"default_window": true, "max_records": true, "timeout": true, "tls": true,
	"path_field": true, "line_field": true, "service_field": true, "level_field": true,
	"account_id": true, "project_id": true,
	"username": true, "password": true, "password_env": true,
	"bearer_token": true, "bearer_token_env": true,
}

// secretNames are options that must not be written in a location.
var secretNames = []string{"password", "bearer_token"}

// Environment variables that supply credentials and the tenant when the
// options do not.
const (
	EnvUsername    = "VICTORIALOGS_USERNAME"
	EnvPassword    = "VICTORIALOGS_PASSWORD"
	EnvBearerToken = "VICTORIALOGS_BEARER_TOKEN"
	EnvAccountID   = "VICTORIALOGS_ACCOUNT_ID"
	EnvProjectID   = "VICTORIALOGS_PROJECT_ID"
)

// config is a source's settings, read from its location and options.
type config struct {
	base   *url.URL   // scheme, host and path prefix of the server
	extra  url.Values // query parameters passed to the server
	filter string     // the user's LogsQL query; "*" when none
	fields []string   // fields searched for the ids; ["*"] is every field
	substr bool       // match ids as substrings instead of phrases

	window     time.Duration
	maxRecords int
	timeout    time.Duration

	pathField, lineField     string
	serviceField, levelField string

	accountID, projectID string
	username, password   string
	bearerToken          string
}

// parseConfig reads spec: spec.Options, then the location's query
// parameters (which win), then the environment for what neither sets.
func parseConfig(spec source.Spec, getenv func(string) string) (*config, error) {
	loc := source.Redact(spec.Location)
	l, err := source.ParseStoreLocation(spec, optionNames, secretNames)
	if err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w (want victorialogs://host:9428; credentials go in the source's options or %s and %s)", loc, err, EnvUsername, EnvPassword)
	}
	u, opts, extra := l.URL, l.Options, l.Extra
	c := &config{
		extra:        extra,
		filter:       strings.TrimSpace(opts["query"]),
		window:       DefaultWindow,
		maxRecords:   DefaultMaxRecords,
		timeout:      DefaultTimeout,
		pathField:    opts["path_field"],
		lineField:    opts["line_field"],
		serviceField: opts["service_field"],
		levelField:   opts["level_field"],
	}
	if c.filter == "" {
		c.filter = "*"
	}
	scheme := "http"
	if v, ok := opts["tls"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("victorialogs: %s: option tls %q is not true or false", loc, v)
		}
		if b {
			scheme = "https"
		}
	}
	c.base = &url.URL{Scheme: scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}

	c.fields = []string{"*"}
	if v := strings.TrimSpace(opts["fields"]); v != "" {
		c.fields = nil
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				c.fields = append(c.fields, f)
			}
		}
	}
	switch m := opts["match"]; m {
	case "", "phrase":
	case "substring":
		c.substr = true
	default:
		return nil, fmt.Errorf("victorialogs: %s: option match %q is not phrase or substring", loc, m)
	}
	if v, ok := opts["default_window"]; ok {
		if c.window, err = source.ParseWindow(v); err != nil {
			return nil, fmt.Errorf("victorialogs: %s: option default_window: %w", loc, err)
		}
	}
	if v, ok := opts["max_records"]; ok {
		if c.maxRecords, err = strconv.Atoi(v); err != nil || c.maxRecords <= 0 {
			return nil, fmt.Errorf("victorialogs: %s: option max_records %q is not a positive number", loc, v)
		}
	}
	if v, ok := opts["timeout"]; ok {
		if c.timeout, err = time.ParseDuration(v); err != nil || c.timeout <= 0 {
			return nil, fmt.Errorf("victorialogs: %s: option timeout %q is not a duration such as 30s", loc, v)
		}
	}

	c.accountID = source.Setting(opts, "account_id", getenv, EnvAccountID)
	c.projectID = source.Setting(opts, "project_id", getenv, EnvProjectID)
	for name, v := range map[string]string{"account_id": c.accountID, "project_id": c.projectID} {
		if v == "" {
			continue
		}
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			return nil, fmt.Errorf("victorialogs: %s: %s %q is not a number", loc, name, v)
		}
	}
	c.username = source.Setting(opts, "username", getenv, EnvUsername)
	c.password = source.Setting(opts, "password", getenv, EnvPassword)
	c.bearerToken = source.Setting(opts, "bearer_token", getenv, EnvBearerToken)
	if c.bearerToken != "" && c.username != "" {
		return nil, fmt.Errorf("victorialogs: %s: both a bearer token and a username are set: use one", loc)
	}
	return c, nil
}
