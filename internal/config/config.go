// Package config turns pipetracker.yaml and PIPETRACKER_* environment
// variables into a validated Config.
//
// Loading happens in four steps: the file is parsed (YAML syntax, aliases,
// size limits), decoded against the schema (types, unknown keys), overridden
// by the environment, and validated (values, duplicates, schemes). Every step
// collects problems instead of stopping at the first one, so that one run
// reports everything that is wrong, each with file:line:column and the dotted
// path of the setting. Nothing here contacts a source.
package config

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	// Time zone names are validated with time.LoadLocation; the embedded
	// database makes that answer the same on hosts without zoneinfo files.
	_ "time/tzdata"
)

// Source is one entry of log_sources.
type Source struct {
	// Location is where the logs are: a path, a glob, "-", "exec:CMD" or
	// "scheme://…", as written.
	Location string
	// Service, when set, names the service of every record of the source.
	Service string
	// Timezone is an IANA zone name applied to timestamps without a zone;
	// "" means UTC. It is known to time.LoadLocation.
	Timezone string
	// Options are driver settings; numbers and booleans written in YAML are
	// stored as their text.
	Options map[string]string
	// Line is the entry's line in the file, 0 when it did not come from a
	// file.
	Line int
}

// Output holds the settings of reports and the read limits of sources.
type Output struct {
	// Format is the report format: text, json, html, ndjson, csv or mermaid.
	Format string
	// Path is the directory reports are written to.
	Path string
	// MaxFiles is the most files or objects one source reads; 0 = no limit.
	MaxFiles int
	// MaxSizeMB is the most megabytes one source reads; 0 = no limit.
	MaxSizeMB int
}

// Security holds the security settings.
type Security struct {
	// EncryptLogs makes every report written to disk encrypted.
	EncryptLogs bool
	// SecretsDir is the directory of the .<name>_secret files; "" is the
	// working directory.
	SecretsDir string
}

// Config is a loaded and validated configuration.
type Config struct {
	// File is the file loaded, "" for built-in defaults.
	File string
	// LogSources are the locations to scan.
	LogSources []Source
	// MatchKeys are the field names that hold the traced id.
	MatchKeys []string
	Output    Output
	// VerifierEndpoints maps a service name to an absolute http(s) URL.
	VerifierEndpoints map[string]string
	Security          Security
	// Redaction says what is removed from reports before they leave.
	Redaction Redaction
	// FollowLinks adds the other match keys' values of matched records to
	// the search.
	FollowLinks bool
	// MaxLinkDepth bounds how many links away from the id a search goes.
	MaxLinkDepth int
	// MaxLinkedIDs bounds how many linked ids are added.
	MaxLinkedIDs int
	// MaxEvents bounds the records one trace keeps (0: no bound), so that
	// a trace's memory stays bounded however often the id occurs.
	MaxEvents int
	// Server holds the settings of the HTTP API.
	Server Server
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	// File is the file name, or "environment" for an environment variable.
	File string
	// Line and Column are 1-based; 0 when the problem has no position (a
	// whole-file problem or an environment variable).
	Line, Column int
	// Field is the dotted path of the setting (log_sources[2].timezone), or
	// the variable name for the environment; "" for the whole document.
	Field string
	// Message says what is wrong. Locations and URLs in it are redacted and
	// option values are never quoted.
	Message string
}

// String formats the problem as "file:line:column: field: message", leaving
// out the parts that are not known.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(":" + strconv.Itoa(p.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found; it is the error Load and Parse return.
type Problems []Problem

// Error lists all problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Options tells Load what it cannot know itself.
type Options struct {
	// Getenv looks up environment variables (os.Getenv in production); nil
	// means no environment. A variable that is empty counts as unset.
	Getenv func(string) string
	// KnownScheme reports whether a source driver serves the location; nil
	// accepts every location.
	KnownScheme func(location string) bool
}

// maxFileSize is the largest configuration file Load and Parse accept.
const maxFileSize = 1 << 20

// DefaultMaxEvents is how many records a trace keeps unless max_events
// says otherwise: about 200 MB of memory for a hot id's records, parsed.
const DefaultMaxEvents = 100000

// Default returns the built-in defaults: no log sources, the match keys
// transaction_id, request_id and trace_id, text reports in ./output without
// limits, link following on with depth 3 and at most 100 linked ids, and
// at most DefaultMaxEvents records a trace.
func Default() *Config {
	return &Config{
		MatchKeys:    []string{"transaction_id", "request_id", "trace_id"},
		Output:       Output{Format: "text", Path: "./output"},
		FollowLinks:  true,
		MaxLinkDepth: 3,
		MaxLinkedIDs: 100,
		MaxEvents:    DefaultMaxEvents,
		Redaction:    Redaction{Enabled: true, Mode: "mask"},
	}
}

// Load reads the file at path and returns its configuration with the
// environment applied. On error the Config is nil and the error is either
// Problems (use errors.As) or an I/O error naming the path.
func Load(path string, opt Options) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	// One byte past the limit tells a file that is too large from one that
	// fits exactly; special files such as /dev/zero stop there too.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, opt)
}

// Parse is Load from bytes; name is the file name used in problems and in
// Config.File. Parse("", nil, opt) gives the built-in defaults with the
// environment applied.
func Parse(name string, data []byte, opt Options) (*Config, error) {
	c := Default()
	c.File = name
	l := newLoader(name, opt)
	if len(data) > maxFileSize {
		l.problems = append(l.problems, Problem{File: name, Message: fmt.Sprintf("config file too large: more than %d bytes", maxFileSize)})
	} else {
		l.decodeDocument(data, c)
	}
	l.applyEnv(c)
	l.validate(c)
	if len(l.problems) > 0 {
		return nil, l.sortedProblems()
	}
	return c, nil
}
