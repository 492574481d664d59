package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// formats are the report formats, in the order they are listed to users.
var formats = []string{"text", "json", "html", "ndjson", "csv", "mermaid"}

// validate checks the values of c, whatever their origin; it reports at the
// origin recorded for each setting and never contacts a source.
func (l *loader) validate(c *Config) {
	l.validateSources(c)
	l.validateMatchKeys(c)
	l.validateRedaction(c)

	if f := c.Output.Format; !contains(formats, f) {
		msg := fmt.Sprintf("unknown format %q", f)
		if s := suggest(f, formats); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += "; known formats: " + strings.Join(formats, ", ")
		}
		l.report("output.format", msg)
	}
	if strings.TrimSpace(c.Output.Path) == "" {
		l.report("output.path", "must not be empty")
	}
	for _, s := range []struct {
		field string
		v     int
	}{
		{"output.max_files", c.Output.MaxFiles},
		{"output.max_size_mb", c.Output.MaxSizeMB},
		{"max_link_depth", c.MaxLinkDepth},
		{"max_linked_ids", c.MaxLinkedIDs},
		{"max_events", c.MaxEvents},
	} {
		if s.v < 0 {
			l.report(s.field, fmt.Sprintf("must be a whole number ≥ 0, got %d", s.v))
		}
	}

	names := make([]string, 0, len(c.VerifierEndpoints))
	for name := range c.VerifierEndpoints {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w, ok := l.endpoints[name]
		if !ok {
			w = where{file: l.name, field: joinPath("verifier_endpoints", name)}
		}
		if strings.TrimSpace(name) == "" {
			l.add(w, "service name must not be empty")
		}
		if msg := checkEndpoint(c.VerifierEndpoints[name]); msg != "" {
			l.add(w, msg)
		}
	}
}

// validateSources checks every log source: a location that a driver
// serves, a known time zone, and no location listed twice.
func (l *loader) validateSources(c *Config) {
	first := make(map[string]int)
	for i, s := range c.LogSources {
		w := where{file: l.name, field: fmt.Sprintf("log_sources[%d]", i)}
		at := sourceAt{entry: w, location: w, timezone: w}
		if i < len(l.sources) {
			at = l.sources[i]
		}
		loc := s.Location
		if strings.TrimSpace(loc) == "" {
			l.add(at.location, "location is required")
			continue
		}
		if l.opt.KnownScheme != nil && !l.opt.KnownScheme(loc) {
			l.add(at.location, fmt.Sprintf("unknown source scheme %q in %q", source.Scheme(loc), source.Redact(loc)))
		}
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				l.add(at.timezone, fmt.Sprintf("unknown time zone %q", s.Timezone))
			}
		}
		key := sameLocation(loc)
		if j, dup := first[key]; dup {
			l.add(at.entry, fmt.Sprintf("duplicate source %q, already listed %s", source.Redact(loc), l.describeSource(j)))
			continue
		}
		first[key] = i
	}
}

// describeSource names the i-th source for a message about another one.
func (l *loader) describeSource(i int) string {
	if i < len(l.sources) {
		if w := l.sources[i].entry; w.file != envFile && w.line > 0 {
			return fmt.Sprintf("at line %d", w.line)
		}
	}
	return fmt.Sprintf("as log source %d", i+1)
}

// sameLocation returns a key that is equal for two locations naming the
// same place: local paths are compared cleaned, other locations as written.
func sameLocation(loc string) string {
	if source.Scheme(loc) == "file" {
		return filepath.Clean(loc)
	}
	return loc
}

// validateMatchKeys checks that there is at least one key, and no empty or
// repeated one.
func (l *loader) validateMatchKeys(c *Config) {
	if len(c.MatchKeys) == 0 {
		l.report("match_keys", "must list at least one key")
		return
	}
	seen := make(map[string]bool, len(c.MatchKeys))
	for i, k := range c.MatchKeys {
		w := where{file: l.name, field: fmt.Sprintf("match_keys[%d]", i)}
		if i < len(l.keys) {
			w = l.keys[i]
		}
		switch {
		case strings.TrimSpace(k) == "":
			l.add(w, "must not be empty")
		case seen[k]:
			l.add(w, fmt.Sprintf("duplicate key %q", k))
		}
		seen[k] = true
	}
}

// checkEndpoint returns what is wrong with a verifier URL, "" when it is an
// absolute http or https URL with a host. The URL is shown redacted.
func checkEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("must be an absolute http or https URL, got %q", source.Redact(raw))
	}
	return ""
}
