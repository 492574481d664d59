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
	opts := l.Options
	c := &config{
		extra:        l.Extra,
		filter:       strings.TrimSpace(opts["query"]),
		pathField:    opts["path_field"],
		lineField:    opts["line_field"],
		serviceField: opts["service_field"],
		levelField:   opts["level_field"],
	}
	if c.filter == "" {
		c.filter = "*"
	}
	if c.base, err = l.HTTPBase(); err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", loc, err)
	}

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
	if c.window, err = l.Window(DefaultWindow); err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", loc, err)
	}
	if c.maxRecords, err = l.Count("max_records", DefaultMaxRecords); err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", loc, err)
	}
	if c.timeout, err = l.Duration("timeout", DefaultTimeout); err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", loc, err)
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
	if c.username, c.password, c.bearerToken, err = l.HTTPCredentials(getenv, EnvUsername, EnvPassword, EnvBearerToken); err != nil {
		return nil, fmt.Errorf("victorialogs: %s: %w", loc, err)
	}
	return c, nil
}
