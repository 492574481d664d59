package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/pipetracker/pipetracker/internal/redact"
	"github.com/pipetracker/pipetracker/internal/source"
)

// masked replaces a secret in Show's output.
const masked = "***"

// Show returns the effective configuration as YAML in the file's layout,
// every setting included, with secrets replaced by "***": values of options
// whose name looks secret, user information in locations and URLs, and URL
// query parameters whose name looks secret. The result loads with Parse.
func (c *Config) Show() ([]byte, error) {
	sources := make([]any, 0, len(c.LogSources))
	for _, s := range c.LogSources {
		loc := maskURL(s.Location)
		if s.Service == "" && s.Timezone == "" && len(s.Options) == 0 {
			sources = append(sources, loc)
			continue
		}
		m := yaml.MapSlice{{Key: "location", Value: loc}}
		if s.Service != "" {
			m = append(m, yaml.MapItem{Key: "service", Value: s.Service})
		}
		if s.Timezone != "" {
			m = append(m, yaml.MapItem{Key: "timezone", Value: s.Timezone})
		}
		if len(s.Options) > 0 {
			opts := yaml.MapSlice{}
			for _, name := range sortedKeys(s.Options) {
				v := s.Options[name]
				if looksSecret(name) {
					v = masked
				} else {
					v = maskURL(v)
				}
				opts = append(opts, yaml.MapItem{Key: name, Value: v})
			}
			m = append(m, yaml.MapItem{Key: "options", Value: opts})
		}
		sources = append(sources, m)
	}
	endpoints := yaml.MapSlice{}
	for _, name := range sortedKeys(c.VerifierEndpoints) {
		endpoints = append(endpoints, yaml.MapItem{Key: name, Value: maskURL(c.VerifierEndpoints[name])})
	}
	keys := c.MatchKeys
	if keys == nil {
		keys = []string{}
	}
	doc := yaml.MapSlice{
		{Key: "log_sources", Value: sources},
		{Key: "match_keys", Value: keys},
		{Key: "output", Value: yaml.MapSlice{
			{Key: "format", Value: c.Output.Format},
			{Key: "path", Value: c.Output.Path},
			{Key: "max_files", Value: c.Output.MaxFiles},
			{Key: "max_size_mb", Value: c.Output.MaxSizeMB},
		}},
		{Key: "verifier_endpoints", Value: endpoints},
		{Key: "security", Value: yaml.MapSlice{
			{Key: "encrypt_logs", Value: c.Security.EncryptLogs},
			{Key: "secrets_dir", Value: c.Security.SecretsDir},
		}},
		{Key: "redaction", Value: c.Redaction.show()},
		{Key: "follow_links", Value: c.FollowLinks},
		{Key: "max_link_depth", Value: c.MaxLinkDepth},
		{Key: "max_linked_ids", Value: c.MaxLinkedIDs},
		{Key: "max_events", Value: c.MaxEvents},
		{Key: "server", Value: c.Server.show()},
	}
	out, err := yaml.MarshalWithOptions(doc, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("config: show: %w", err)
	}
	return out, nil
}

// maskURL hides the user information of a URL-shaped value and the values
// of its query parameters whose name looks secret; other text is returned
// as it is.
func maskURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	out := source.Redact(s)
	// Redact knows the common names; the query is checked again here with
	// the names this package treats as secret.
	q := strings.IndexByte(out, '?')
	if q < 0 {
		return out
	}
	params := strings.Split(out[q+1:], "&")
	for k, p := range params {
		name, _, _ := strings.Cut(p, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if looksSecret(name) {
			params[k] = strings.SplitN(p, "=", 2)[0] + "=" + masked
		}
	}
	return out[:q+1] + strings.Join(params, "&")
}

// looksSecret reports whether a setting's name suggests that its value is a
// secret.
func looksSecret(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "key", "credential", "auth", "signature", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// show is the redaction section as Show writes it: every rule with its
// state, the custom rules and the secret field names.
func (r *Redaction) show() yaml.MapSlice {
	rules := yaml.MapSlice{}
	for _, b := range redact.Rules() {
		on := b.On
		if v, ok := r.Rules[b.Name]; ok {
			on = v
		}
		rules = append(rules, yaml.MapItem{Key: b.Name, Value: on})
	}
	custom := make([]any, 0, len(r.Custom))
	for _, c := range r.Custom {
		custom = append(custom, yaml.MapSlice{{Key: "name", Value: c.Name}, {Key: "pattern", Value: c.Pattern}})
	}
	fields := r.SecretFields
	if fields == nil {
		fields = redact.DefaultSecretFields()
	}
	return yaml.MapSlice{
		{Key: "enabled", Value: r.Enabled},
		{Key: "mode", Value: r.Mode},
		{Key: "rules", Value: rules},
		{Key: "custom", Value: custom},
		{Key: "secret_fields", Value: fields},
	}
}
