package datadog

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Defaults of the options.
const (
	DefaultWindow     = source.DefaultWindow
	DefaultMaxRecords = 100000
	DefaultMaxWait    = time.Minute
	DefaultRetries    = 4
	DefaultTimeout    = time.Minute
	DefaultSite       = "datadoghq.com"
	// PageLimit is how many events one request asks for.
	PageLimit = 1000
)

// The environment variables the driver reads.
const (
	EnvAPIKey = "DD_API_KEY"
	EnvAppKey = "DD_APP_KEY"
	EnvSite   = "DD_SITE"
)

// optionNames are the options a datadog location accepts, from the
// entry's options or as query parameters after the search query.
var optionNames = []string{
	"endpoint", "site", "service", "default_window", "max_records", "max_wait",
	"retries", "timeout", "indexes", "storage_tier", "full_text",
}

// settings are a location's parsed options.
type settings struct {
	query       string // the user's search query
	endpoint    string // the search URL
	service     string
	window      time.Duration
	maxRecords  int
	maxWait     time.Duration
	retries     int
	timeout     time.Duration
	indexes     []string
	storageTier string
	fullText    bool
}

// paramName is what an option name looks like in the location.
var paramName = regexp.MustCompile(`^[a-z_]+$`)

// siteName is a Datadog site: a region before one of Datadog's domains.
var siteName = regexp.MustCompile(`^([a-z0-9-]+\.)?(datadoghq\.com|datadoghq\.eu|ddog-gov\.com)$`)

// parseLocation reads "datadog://<search query>[?opt=v&…]" and the entry's
// options (a query parameter wins over an option of the same name). The
// text after the last "?" holds options only when it is a list of
// name=value pairs; otherwise it belongs to the search query, where "?" is
// a wildcard.
func parseLocation(location string, options map[string]string, getenv func(string) string) (*settings, error) {
	rest := location
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	opts := make(map[string]string, len(options))
	for k, v := range options {
		opts[k] = v
	}
	if i := strings.LastIndexByte(rest, '?'); i >= 0 {
		if params, ok := optionParams(rest[i+1:]); ok {
			rest = rest[:i]
			for k, v := range params {
				opts[k] = v
			}
		}
	}
	s := &settings{
		query:      strings.TrimSpace(rest),
		window:     DefaultWindow,
		maxRecords: DefaultMaxRecords,
		maxWait:    DefaultMaxWait,
		retries:    DefaultRetries,
		timeout:    DefaultTimeout,
		fullText:   true,
	}
	site := getenv(EnvSite)
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := strings.TrimSpace(opts[name])
		var err error
		switch name {
		case "endpoint":
			s.endpoint = v
		case "site":
			site = v
		case "service":
			s.service = v
		case "default_window":
			if s.window, err = source.ParseWindow(v); err != nil {
				return nil, fmt.Errorf("option default_window: %w", err)
			}
		case "max_records":
			if s.maxRecords, err = strconv.Atoi(v); err != nil || s.maxRecords <= 0 {
				return nil, fmt.Errorf("option max_records %q is not a positive number", v)
			}
		case "max_wait":
			if s.maxWait, err = time.ParseDuration(v); err != nil || s.maxWait < 0 {
				return nil, fmt.Errorf("option max_wait %q is not a duration such as 1m", v)
			}
		case "retries":
			if s.retries, err = strconv.Atoi(v); err != nil || s.retries < 0 {
				return nil, fmt.Errorf("option retries %q is not a number", v)
			}
		case "timeout":
			if s.timeout, err = time.ParseDuration(v); err != nil || s.timeout <= 0 {
				return nil, fmt.Errorf("option timeout %q is not a positive duration such as 30s", v)
			}
		case "indexes":
			for _, ix := range strings.Split(v, ",") {
				if ix = strings.TrimSpace(ix); ix != "" {
					s.indexes = append(s.indexes, ix)
				}
			}
		case "storage_tier":
			switch v {
			case "indexes", "online-archives", "flex":
				s.storageTier = v
			default:
				return nil, fmt.Errorf("option storage_tier %q: choose indexes, online-archives or flex", v)
			}
		case "full_text":
			if s.fullText, err = strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("option full_text %q is not true or false", v)
			}
		default:
			return nil, fmt.Errorf("unknown option %q (known: %s)", name, strings.Join(optionNames, ", "))
		}
	}
	base, err := baseURL(s.endpoint, site)
	if err != nil {
		return nil, err
	}
	s.endpoint = base + "/api/v2/logs/events/search"
	return s, nil
}

// optionParams parses "a=1&b=2" into options; ok is false when the text
// is not such a list.
func optionParams(text string) (map[string]string, bool) {
	if text == "" {
		return nil, false
	}
	out := make(map[string]string)
	for _, pair := range strings.Split(text, "&") {
		name, value, found := strings.Cut(pair, "=")
		if !found || !paramName.MatchString(name) {
			return nil, false
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, false
		}
		out[name] = v
	}
	return out, true
}

// baseURL returns the API's base URL: the endpoint when one is given, else
// that of the Datadog site.
func baseURL(endpoint, site string) (string, error) {
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return "", fmt.Errorf("option endpoint %q is not an http(s) URL", endpoint)
		}
		if u.User != nil {
			return "", errors.New("option endpoint: credentials do not belong in the URL: set DD_API_KEY and DD_APP_KEY")
		}
		return strings.TrimSuffix(u.String(), "/"), nil
	}
	if site == "" {
		site = DefaultSite
	}
	site = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(site)), "app.")
	if !siteName.MatchString(site) {
		return "", fmt.Errorf("%q is not a Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com, us5.datadoghq.com, ap1.datadoghq.com, ddog-gov.com …); use the endpoint option for a proxy", site)
	}
	return "https://api." + site, nil
}
