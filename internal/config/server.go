package config

import (
	"fmt"

	"github.com/goccy/go-yaml"

	"github.com/pipetracker/pipetracker/internal/secret"
)

// serverKeys are the keys of the server section.
var serverKeys = []string{"api_keys", "allow_source_filter"}

// Server holds the settings of the HTTP API (pipetracker serve).
type Server struct {
	// APIKeys are the names of the secrets that hold the accepted API
	// keys; a name is what the access log shows of its key.
	APIKeys []string
	// AllowSourceFilter lets a request narrow the trace to some of the
	// configured sources.
	AllowSourceFilter bool
}

// decodeServer reads the server section.
func (l *loader) decodeServer(n *node, c *Config) {
	for _, f := range l.fields(n, "server", serverKeys) {
		field := "server." + f.key
		switch f.key {
		case "api_keys":
			l.decodeAPIKeys(f.value, field, c)
		case "allow_source_filter":
			l.setBool(f.value, field, &c.Server.AllowSourceFilter)
		}
	}
}

// decodeAPIKeys reads the list of secret names, each a valid secret name
// given once.
func (l *loader) decodeAPIKeys(n *node, field string, c *Config) {
	switch n.kind {
	case kindNull:
		return
	case kindSeq:
	default:
		l.add(l.here(n, field), "must be a list of secret names, got "+n.describe())
		return
	}
	// An empty list is no list, as in the defaults.
	c.Server.APIKeys = nil
	seen := map[string]bool{}
	for i, item := range n.items {
		itemField := fmt.Sprintf("%s[%d]", field, i)
		s, ok := l.str(item, itemField)
		if !ok {
			continue
		}
		if err := secret.CheckName(s); err != nil {
			l.add(l.here(item, itemField), "not a secret name: want 1 to 64 letters, digits, _, - or .")
			continue
		}
		if seen[s] {
			l.add(l.here(item, itemField), fmt.Sprintf("secret %q listed twice", s))
			continue
		}
		seen[s] = true
		c.Server.APIKeys = append(c.Server.APIKeys, s)
	}
}

// show is the server section as config show prints it: the secret names,
// never their values.
func (s Server) show() yaml.MapSlice {
	keys := s.APIKeys
	if keys == nil {
		keys = []string{}
	}
	return yaml.MapSlice{
		{Key: "api_keys", Value: keys},
		{Key: "allow_source_filter", Value: s.AllowSourceFilter},
	}
}
