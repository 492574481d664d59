package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pipetracker/pipetracker/internal/source"
)

// The environment variables that override settings of the file. Lists are
// comma-separated; a variable that is unset or blank leaves the setting as
// the file (or the default) has it.
const (
	envLogSources        = "PIPETRACKER_LOG_SOURCES"
	envMatchKeys         = "PIPETRACKER_MATCH_KEYS"
	envOutputFormat      = "PIPETRACKER_OUTPUT_FORMAT"
	envOutputPath        = "PIPETRACKER_OUTPUT_PATH"
	envOutputMaxFiles    = "PIPETRACKER_OUTPUT_MAX_FILES"
	envOutputMaxSizeMB   = "PIPETRACKER_OUTPUT_MAX_SIZE_MB"
	envFollowLinks       = "PIPETRACKER_FOLLOW_LINKS"
	envMaxLinkDepth      = "PIPETRACKER_MAX_LINK_DEPTH"
	envMaxLinkedIDs      = "PIPETRACKER_MAX_LINKED_IDS"
	envMaxEvents         = "PIPETRACKER_MAX_EVENTS"
	envEncryptLogs       = "PIPETRACKER_SECURITY_ENCRYPT_LOGS"
	envVerifierEndpoints = "PIPETRACKER_VERIFIER_ENDPOINTS"
	envSecretsDir        = "PIPETRACKER_SECURITY_SECRETS_DIR"
	envRedaction         = "PIPETRACKER_REDACTION_ENABLED"
	envRedactionMode     = "PIPETRACKER_REDACTION_MODE"
)

// applyEnv overrides settings of c with the environment. A value that
// cannot be read is reported and leaves the setting unchanged.
func (l *loader) applyEnv(c *Config) {
	if l.opt.Getenv == nil {
		return
	}
	lookup := func(name string) (string, where, bool) {
		v := l.opt.Getenv(name)
		return v, where{file: envFile, field: name}, strings.TrimSpace(v) != ""
	}

	if v, w, ok := lookup(envLogSources); ok {
		c.LogSources, l.sources = nil, nil
		for _, loc := range splitList(v) {
			c.LogSources = append(c.LogSources, Source{Location: loc})
			l.sources = append(l.sources, sourceAt{entry: w, location: w, timezone: w})
		}
		l.at["log_sources"] = w
	}
	if v, w, ok := lookup(envMatchKeys); ok {
		c.MatchKeys, l.keys = []string{}, nil
		for _, k := range splitList(v) {
			c.MatchKeys = append(c.MatchKeys, k)
			l.keys = append(l.keys, w)
		}
		l.at["match_keys"] = w
	}
	if v, w, ok := lookup(envOutputFormat); ok {
		c.Output.Format = strings.TrimSpace(v)
		l.at["output.format"] = w
	}
	if v, w, ok := lookup(envOutputPath); ok {
		c.Output.Path = v
		l.at["output.path"] = w
	}
	if v, w, ok := lookup(envSecretsDir); ok {
		c.Security.SecretsDir = v
		l.at["security.secrets_dir"] = w
	}
	if v, w, ok := lookup(envRedactionMode); ok {
		c.Redaction.Mode = strings.TrimSpace(v)
		l.at["redaction.mode"] = w
	}
	ints := []struct {
		name, field string
		dst         *int
	}{
		{envOutputMaxFiles, "output.max_files", &c.Output.MaxFiles},
		{envOutputMaxSizeMB, "output.max_size_mb", &c.Output.MaxSizeMB},
		{envMaxLinkDepth, "max_link_depth", &c.MaxLinkDepth},
		{envMaxLinkedIDs, "max_linked_ids", &c.MaxLinkedIDs},
		{envMaxEvents, "max_events", &c.MaxEvents},
	}
	for _, s := range ints {
		if v, w, ok := lookup(s.name); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				l.add(w, fmt.Sprintf("must be a whole number ≥ 0, got %q", strings.TrimSpace(v)))
				continue
			}
			*s.dst = n
			l.at[s.field] = w
		}
	}
	bools := []struct {
		name, field string
		dst         *bool
	}{
		{envFollowLinks, "follow_links", &c.FollowLinks},
		{envEncryptLogs, "security.encrypt_logs", &c.Security.EncryptLogs},
		{envRedaction, "redaction.enabled", &c.Redaction.Enabled},
	}
	for _, s := range bools {
		if v, w, ok := lookup(s.name); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				l.add(w, fmt.Sprintf("must be true or false, got %q", strings.TrimSpace(v)))
				continue
			}
			*s.dst = b
			l.at[s.field] = w
		}
	}
	if v, w, ok := lookup(envVerifierEndpoints); ok {
		c.VerifierEndpoints = make(map[string]string)
		clear(l.endpoints)
		for _, item := range splitList(v) {
			name, u, found := strings.Cut(item, "=")
			name, u = strings.TrimSpace(name), strings.TrimSpace(u)
			if !found || name == "" {
				l.add(w, fmt.Sprintf("each item must be service=url, got %q", source.Redact(item)))
				continue
			}
			c.VerifierEndpoints[name] = u
			l.endpoints[name] = w
		}
	}
}

// splitList splits a comma-separated list, trimming spaces around items and
// dropping empty ones.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
