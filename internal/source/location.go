package source

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StoreLocation is a store's location, "scheme://host[:port][/path]?…",
// read together with the source's options.
type StoreLocation struct {
	URL *url.URL
	// Options are the spec's options, overridden by the query parameters
	// that name one of the driver's options.
	Options map[string]string
	// Extra are the other query parameters: the store's own.
	Extra url.Values
}

// ParseStoreLocation reads spec's location for a driver whose options are
// known. It refuses a location that does not parse or has no host, and
// credentials written into it — user information, or a query parameter
// named in secret — since a location is displayed and logged: they belong
// in the options or the environment.
func ParseStoreLocation(spec Spec, known map[string]bool, secret []string) (*StoreLocation, error) {
	u, err := url.Parse(spec.Location)
	switch {
	case err != nil:
		return nil, errors.New("bad location")
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("credentials in the location are not accepted")
	}
	l := &StoreLocation{URL: u, Options: make(map[string]string, len(spec.Options)), Extra: make(url.Values)}
	for k, v := range spec.Options {
		l.Options[k] = v
	}
	for k, vs := range QueryParams(u.RawQuery) {
		if !known[k] {
			l.Extra[k] = vs
			continue
		}
		if slices.Contains(secret, k) {
			return nil, fmt.Errorf("option %s is not accepted in the location", k)
		}
		l.Options[k] = vs[len(vs)-1]
	}
	return l, nil
}

// Setting returns a driver setting that may be a credential: the option
// name, else the environment variable that the option name+"_env" names,
// else the variable env ("" for none); "" when none is set.
func Setting(opts map[string]string, name string, getenv func(string) string, env string) string {
	if v := opts[name]; v != "" {
		return v
	}
	if v := opts[name+"_env"]; v != "" {
		if s := getenv(v); s != "" {
			return s
		}
	}
	if env != "" {
		return getenv(env)
	}
	return ""
}

// Window reads option default_window (see ParseWindow); def when absent.
func (l *StoreLocation) Window(def time.Duration) (time.Duration, error) {
	v, ok := l.Options["default_window"]
	if !ok {
		return def, nil
	}
	w, err := ParseWindow(v)
	if err != nil {
		return 0, fmt.Errorf("option default_window: %w", err)
	}
	return w, nil
}

// Count reads an option that is a positive whole number; def when absent.
func (l *StoreLocation) Count(name string, def int) (int, error) {
	v, ok := l.Options[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("option %s %q is not a positive number", name, v)
	}
	return n, nil
}

// Duration reads an option that is a positive duration ("30s"); def when
// absent.
func (l *StoreLocation) Duration(name string, def time.Duration) (time.Duration, error) {
	v, ok := l.Options[name]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("option %s %q is not a duration such as 30s", name, v)
	}
	return d, nil
}

// Bool reads an option that is true or false; def when absent.
func (l *StoreLocation) Bool(name string, def bool) (bool, error) {
	v, ok := l.Options[name]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("option %s %q is not true or false", name, v)
	}
	return b, nil
}

// HTTPBase returns the base URL of an HTTP store at the location: its
// host and path, over https when option tls is true.
func (l *StoreLocation) HTTPBase() (*url.URL, error) {
	tls, err := l.Bool("tls", false)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return &url.URL{Scheme: scheme, Host: l.URL.Host, Path: strings.TrimSuffix(l.URL.Path, "/")}, nil
}

// HTTPCredentials reads the credentials of an HTTP store (see Setting):
// options username, password and bearer_token, else the environment
// variables named. A bearer token and a username at once are refused.
func (l *StoreLocation) HTTPCredentials(getenv func(string) string, envUser, envPassword, envToken string) (user, password, token string, err error) {
	user = Setting(l.Options, "username", getenv, envUser)
	password = Setting(l.Options, "password", getenv, envPassword)
	token = Setting(l.Options, "bearer_token", getenv, envToken)
	if token != "" && user != "" {
		return "", "", "", errors.New("both a bearer token and a username are set: use one")
	}
	return user, password, token, nil
}
