package source

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
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
