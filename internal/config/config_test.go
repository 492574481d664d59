package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
)

// knownSchemes stands for the registry of the program.
func knownSchemes(location string) bool {
	switch source.Scheme(location) {
	case "file", "stdin", "exec", "s3", "gcs", "gs", "kafka", "datadog":
		return true
	}
	return false
}

// envOf returns a Getenv over a fixed set of variables.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// problemsOf returns the problems of err, failing the test when err is
// not Problems.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v", err, err)
	}
	if len(ps) == 0 {
		t.Fatalf("error is an empty Problems")
	}
	return ps
}

func TestSeedFilesLoad(t *testing.T) {
	wantEndpoints := map[string]string{"service_a": "http://localhost:8000/verify"}
	tests := []struct {
		name string
		file string
		want *Config
	}{
		{
			name: "pipetracker.yaml",
			file: "testdata/pipetracker.yaml",
			want: &Config{
				File: "testdata/pipetracker.yaml",
				LogSources: []Source{
					{Location: "./logs", Line: 3},
					{Location: "s3://my-bucket/logs/", Line: 4},
					{Location: "gcs://my-gcs-bucket/logs/", Line: 5},
					{Location: "kafka://localhost:9092/my-topic", Line: 6},
					{Location: "datadog://service:my-service", Line: 7},
				},
				MatchKeys:         []string{"transaction_id", "request_id"},
				Output:            Output{Format: "html", Path: "./output", MaxFiles: 100, MaxSizeMB: 10},
				VerifierEndpoints: wantEndpoints,
				FollowLinks:       true,
				MaxLinkDepth:      3,
				MaxLinkedIDs:      100,
				MaxEvents:         DefaultMaxEvents,
				Redaction:         Redaction{Enabled: true, Mode: "mask"},
			},
		},
		{
			name: "examples-config.yaml",
			file: "testdata/examples-config.yaml",
			want: &Config{
				File: "testdata/examples-config.yaml",
				LogSources: []Source{
					{Location: "./logs", Line: 2},
					{Location: "s3://my-bucket/logs/", Line: 3},
				},
				MatchKeys:         []string{"transaction_id"},
				Output:            Output{Format: "html", Path: "./output", MaxFiles: 100, MaxSizeMB: 10},
				VerifierEndpoints: wantEndpoints,
				FollowLinks:       true,
				MaxLinkDepth:      3,
				MaxLinkedIDs:      100,
				MaxEvents:         DefaultMaxEvents,
				Redaction:         Redaction{Enabled: true, Mode: "mask"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.file, Options{Getenv: envOf(nil), KnownScheme: knownSchemes})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	const f = "p.yaml"
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{
		{
			name: "syntax error",
			yaml: "match_keys: [a, b\n",
			want: []Problem{{f, 1, 13, "", "syntax error: sequence end token ']' not found"}},
		},
		{
			name: "multiple documents",
			yaml: "match_keys: [a]\n---\noutput: {format: json}\n",
			want: []Problem{{f, 2, 1, "", "multiple YAML documents are not supported; put every setting in one document"}},
		},
		{
			name: "document is not a mapping",
			yaml: "- ./logs\n",
			want: []Problem{{f, 1, 1, "", "the configuration must be a mapping of settings, got a list"}},
		},
		{
			name: "unknown top-level key with a suggestion",
			yaml: "match_key:\n  - request_id\n",
			want: []Problem{{f, 1, 1, "", `unknown field "match_key"; did you mean "match_keys"?`}},
		},
		{
			name: "unknown top-level key without a near one",
			yaml: "colour: red\n",
			want: []Problem{{f, 1, 1, "", `unknown field "colour"; known fields: log_sources, match_keys, output, verifier_endpoints, security, redaction, follow_links, max_link_depth, max_linked_ids, max_events, server`}},
		},
		{
			name: "output key at the top level",
			yaml: "max_files: 10\n",
			want: []Problem{{f, 1, 1, "", `unknown field "max_files"; did you mean "output.max_files"?`}},
		},
		{
			name: "unknown output key",
			yaml: "output:\n  fromat: json\n",
			want: []Problem{{f, 2, 3, "output", `unknown field "fromat"; did you mean "format"?`}},
		},
		{
			name: "unknown security key",
			yaml: "security:\n  encrypt_log: true\n",
			want: []Problem{{f, 2, 3, "security", `unknown field "encrypt_log"; did you mean "encrypt_logs"?`}},
		},
		{
			name: "unknown source key",
			yaml: "log_sources:\n  - location: ./a\n    servce: api\n",
			want: []Problem{{f, 3, 5, "log_sources[0]", `unknown field "servce"; did you mean "service"?`}},
		},
		{
			name: "duplicate key",
			yaml: "output:\n  format: json\n  format: text\n",
			want: []Problem{{f, 3, 3, "output", `duplicate key "format" (first at line 2)`}},
		},
		{
			name: "whole number given as a word",
			yaml: "output:\n  max_files: ten\n",
			want: []Problem{{f, 2, 14, "output.max_files", `must be a whole number ≥ 0, got "ten"`}},
		},
		{
			name: "whole number given as a fraction",
			yaml: "max_link_depth: 1.5\n",
			want: []Problem{{f, 1, 17, "max_link_depth", "must be a whole number ≥ 0, got 1.5"}},
		},
		{
			name: "whole number too large",
			yaml: "max_linked_ids: 18446744073709551615\n",
			want: []Problem{{f, 1, 17, "max_linked_ids", "must be a whole number ≥ 0, got 18446744073709551615, which is too large"}},
		},
		{
			name: "boolean given as yes",
			yaml: "security:\n  encrypt_logs: yes\n",
			want: []Problem{{f, 2, 17, "security.encrypt_logs", `must be true or false, got "yes"`}},
		},
		{
			name: "boolean given as a list",
			yaml: "follow_links: [true]\n",
			want: []Problem{{f, 1, 15, "follow_links", "must be true or false, got a list"}},
		},
		{
			name: "string given as a number",
			yaml: "output:\n  path: 42\n",
			want: []Problem{{f, 2, 9, "output.path", "must be a string, got 42"}},
		},
		{
			name: "section given as a scalar",
			yaml: "output: html\n",
			want: []Problem{{f, 1, 9, "output", `must be a mapping, got "html"`}},
		},
		{
			name: "log_sources given as a string",
			yaml: "log_sources: ./logs\n",
			want: []Problem{{f, 1, 14, "log_sources", `must be a list of locations, got "./logs"`}},
		},
		{
			name: "match_keys given as a string",
			yaml: "match_keys: transaction_id\n",
			want: []Problem{{f, 1, 13, "match_keys", `must be a list of key names, got "transaction_id"`}},
		},
		{
			name: "source entry of a wrong type",
			yaml: "log_sources:\n  - ./a\n  - 5\n",
			want: []Problem{{f, 3, 5, "log_sources[1]", "must be a location string or a mapping with location, service, timezone, options; got 5"}},
		},
		{
			name: "option value that is a list, not shown",
			yaml: "log_sources:\n  - location: ./a\n    options:\n      password: [hunter2]\n",
			want: []Problem{{f, 4, 17, "log_sources[0].options.password", "must be a string, number or boolean, got a list"}},
		},
		{
			name: "options given as a list",
			yaml: "log_sources:\n  - location: ./a\n    options: [a]\n",
			want: []Problem{{f, 3, 14, "log_sources[0].options", "must be a mapping of option names to values, got a list"}},
		},
		{
			name: "verifier_endpoints given as a list",
			yaml: "verifier_endpoints:\n  - http://a/\n",
			want: []Problem{{f, 2, 3, "verifier_endpoints", "must be a mapping of service names to URLs, got a list"}},
		},
		{
			name: "unknown time zone",
			yaml: "log_sources:\n  - location: ./a\n    timezone: Europe/Berlinn\n",
			want: []Problem{{f, 3, 15, "log_sources[0].timezone", `unknown time zone "Europe/Berlinn"`}},
		},
		{
			name: "empty location string",
			yaml: "log_sources:\n  - \"\"\n",
			want: []Problem{{f, 2, 5, "log_sources[0]", "location is required"}},
		},
		{
			name: "mapping entry without location",
			yaml: "log_sources:\n  - service: api\n",
			want: []Problem{{f, 2, 5, "log_sources[0]", "location is required"}},
		},
		{
			name: "mapping entry with empty location",
			yaml: "log_sources:\n  - location: \" \"\n",
			want: []Problem{{f, 2, 15, "log_sources[0].location", "location is required"}},
		},
		{
			name: "location of a wrong type",
			yaml: "log_sources:\n  - location: [./a]\n",
			want: []Problem{{f, 2, 15, "log_sources[0].location", "must be a string, got a list"}},
		},
		{
			name: "mapping entry with null location",
			yaml: "log_sources:\n  - location:\n    service: api\n",
			want: []Problem{{f, 2, 5, "log_sources[0].location", "location is required"}},
		},
		{
			name: "unknown scheme, shown redacted",
			yaml: "log_sources:\n  - ftp://user:pw@host/logs\n  - location: ./a\n",
			want: []Problem{{f, 2, 5, "log_sources[0]", `unknown source scheme "ftp" in "ftp://***@host/logs"`}},
		},
		{
			name: "unknown scheme in a mapping entry",
			yaml: "log_sources:\n  - location: loki://host/\n",
			want: []Problem{{f, 2, 15, "log_sources[0].location", `unknown source scheme "loki" in "loki://host/"`}},
		},
		{
			name: "duplicate local source, cleaned",
			yaml: "log_sources:\n  - ./logs\n  - logs/\n",
			want: []Problem{{f, 3, 5, "log_sources[1]", `duplicate source "logs/", already listed at line 2`}},
		},
		{
			name: "duplicate source in mapping form",
			yaml: "log_sources:\n  - s3://b/x\n  - location: s3://b/x\n    service: api\n",
			want: []Problem{{f, 3, 5, "log_sources[1]", `duplicate source "s3://b/x", already listed at line 2`}},
		},
		{
			name: "negative limits",
			yaml: "output:\n  max_files: -1\n  max_size_mb: -2\nmax_link_depth: -3\nmax_linked_ids: -4\nmax_events: -5\n",
			want: []Problem{
				{f, 2, 14, "output.max_files", "must be a whole number ≥ 0, got -1"},
				{f, 3, 16, "output.max_size_mb", "must be a whole number ≥ 0, got -2"},
				{f, 4, 17, "max_link_depth", "must be a whole number ≥ 0, got -3"},
				{f, 5, 17, "max_linked_ids", "must be a whole number ≥ 0, got -4"},
				{f, 6, 13, "max_events", "must be a whole number ≥ 0, got -5"},
			},
		},
		{
			name: "output format with a suggestion",
			yaml: "output:\n  format: jsn\n",
			want: []Problem{{f, 2, 11, "output.format", `unknown format "jsn"; did you mean "json"?`}},
		},
		{
			name: "output format without a near one",
			yaml: "output:\n  format: xml\n",
			want: []Problem{{f, 2, 11, "output.format", `unknown format "xml"; known formats: text, json, html, ndjson, csv, mermaid`}},
		},
		{
			name: "empty output path",
			yaml: "output:\n  path: \"\"\n",
			want: []Problem{{f, 2, 9, "output.path", "must not be empty"}},
		},
		{
			name: "verifier URLs: relative, other scheme, no host, credentials redacted",
			yaml: "verifier_endpoints:\n  a: /verify\n  b: ftp://h/v\n  c: http://\n  d: gopher://u:secret@h/\n  e: https://h/v\n",
			want: []Problem{
				{f, 2, 6, "verifier_endpoints.a", `must be an absolute http or https URL, got "/verify"`},
				{f, 3, 6, "verifier_endpoints.b", `must be an absolute http or https URL, got "ftp://h/v"`},
				{f, 4, 6, "verifier_endpoints.c", `must be an absolute http or https URL, got "http://"`},
				{f, 5, 6, "verifier_endpoints.d", `must be an absolute http or https URL, got "gopher://***@h/"`},
			},
		},
		{
			name: "verifier URL missing",
			yaml: "verifier_endpoints:\n  a:\n",
			want: []Problem{{f, 2, 3, "verifier_endpoints.a", `must be an absolute http or https URL, got ""`}},
		},
		{
			name: "empty and duplicate match keys",
			yaml: "match_keys:\n  - request_id\n  - \"\"\n  - request_id\n  -\n",
			want: []Problem{
				{f, 3, 5, "match_keys[1]", "must not be empty"},
				{f, 4, 5, "match_keys[2]", `duplicate key "request_id"`},
				{f, 5, 3, "match_keys[3]", "must not be empty"},
			},
		},
		{
			name: "no match keys",
			yaml: "match_keys: []\n",
			want: []Problem{{f, 1, 13, "match_keys", "must list at least one key"}},
		},
		{
			name: "unknown anchor",
			yaml: "match_keys: *keys\n",
			want: []Problem{{f, 1, 13, "match_keys", `unknown anchor "keys"`}},
		},
		{
			name: "alias inside its own anchor",
			yaml: "log_sources:\n  - &s\n    location: ./a\n    <<: *s\n",
			want: []Problem{
				{f, 4, 5, "log_sources[0]", "<< needs a mapping or a list of mappings"},
				{f, 4, 9, "log_sources[0]", "alias *s refers to a value that contains it"},
			},
		},
		{
			name: "alias of a wrong type points at its use",
			yaml: "output: &o\n  format: json\nmatch_keys: *o\n",
			want: []Problem{{f, 3, 13, "match_keys", "must be a list of key names, got a mapping"}},
		},
		{
			name: "unsupported tag",
			yaml: "match_keys: [!custom id]\n",
			want: []Problem{{f, 1, 14, "match_keys[0]", `unsupported tag "!custom"`}},
		},
		{
			name: "many problems at once, in file order",
			yaml: strings.Join([]string{
				"log_sources:",                 // 1
				"  - ./logs",                   // 2
				"  - location: s3://b/",        // 3
				"    timezone: Nowhere/Land",   // 4
				"  - ./logs",                   // 5
				"match_key: [id]",              // 6
				"output:",                      // 7
				"  format: pdf",                // 8
				"  max_files: ten",             // 9
				"verifier_endpoints:",          // 10
				"  svc: localhost:8000/verify", // 11
				"max_link_depth: -1",           // 12
				"security: {encrypt_logs: 1}",  // 13
				"",
			}, "\n"),
			want: []Problem{
				{f, 4, 15, "log_sources[1].timezone", `unknown time zone "Nowhere/Land"`},
				{f, 5, 5, "log_sources[2]", `duplicate source "./logs", already listed at line 2`},
				{f, 6, 1, "", `unknown field "match_key"; did you mean "match_keys"?`},
				{f, 8, 11, "output.format", `unknown format "pdf"; known formats: text, json, html, ndjson, csv, mermaid`},
				{f, 9, 14, "output.max_files", `must be a whole number ≥ 0, got "ten"`},
				{f, 11, 8, "verifier_endpoints.svc", `must be an absolute http or https URL, got "localhost:8000/verify"`},
				{f, 12, 17, "max_link_depth", "must be a whole number ≥ 0, got -1"},
				{f, 13, 26, "security.encrypt_logs", "must be true or false, got 1"},
			},
		},
		{
			name: "file too large",
			yaml: "match_keys: [id]\n" + strings.Repeat("# padding\n", maxFileSize/10),
			want: []Problem{{f, 0, 0, "", "config file too large: more than 1048576 bytes"}},
		},
		{
			name: "flow collections nested too deep",
			yaml: "match_keys: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
			want: []Problem{{f, 1, 45, "", "document refused: collections nested more than 32 deep"}},
		},
		{
			name: "compact entries nested too deep",
			yaml: "log_sources:\n  " + strings.Repeat("- ", 40) + "x\n",
			want: []Problem{{f, 2, 67, "", "document refused: more than 32 nested entries, keys, anchors or tags in a row"}},
		},
		{
			name: "block mapping with too many keys",
			yaml: "verifier_endpoints:\n" + manyKeys(1001),
			want: []Problem{{f, 1002, 3, "", "document refused: a mapping with more than 1000 keys"}},
		},
		{
			name: "alias expansion bomb",
			yaml: bomb(9, 10),
			want: []Problem{{f, 9, 9, "", "aliases expand the document to more than 1000000 values"}},
		},
		{
			name: "too many aliases",
			yaml: "log_sources:\n  - &a ./a\n" + strings.Repeat("  - *a\n", maxAliases+1),
			want: []Problem{{f, 1003, 5, "", "too many aliases: more than 1000"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(f, []byte(tt.yaml), Options{KnownScheme: knownSchemes})
			if err == nil {
				t.Fatalf("Parse returned no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			got := problemsOf(t, err)
			if !reflect.DeepEqual([]Problem(got), tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", got, Problems(tt.want))
			}
		})
	}
}

// manyKeys returns an indented block mapping of n service URLs.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  svc%d: http://h/%d\n", i, i)
	}
	return b.String()
}

// manySources returns n mapping entries of log_sources with distinct
// locations.
func manySources(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - location: ./logs/%d\n    service: s%d\n", i, i)
	}
	return b.String()
}

// bomb returns a document whose aliases expand to width^levels values
// while its text stays small; the last level is reached through
// verifier_endpoints, a key the schema walks.
func bomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("log_sources:\n  - &l0 x\n")
	b.WriteString("match_keys:\n")
	for i := 1; i < levels; i++ {
		b.WriteString("  - &l")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := range width {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestValidDocuments(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "empty document gives the defaults",
			yaml: "# nothing set\n",
			check: func(t *testing.T, c *Config) {
				want := Default()
				want.File = "p.yaml"
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got %+v, want %+v", c, want)
				}
			},
		},
		{
			name: "null sections keep the defaults",
			yaml: "log_sources:\nmatch_keys:\noutput:\nsecurity:\nverifier_endpoints:\nmax_link_depth:\n",
			check: func(t *testing.T, c *Config) {
				want := Default()
				want.File = "p.yaml"
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got %+v, want %+v", c, want)
				}
			},
		},
		{
			name: "mapping sources with options stored as text",
			yaml: strings.Join([]string{
				"log_sources:",
				"  - ./logs",
				"  - location: s3://bucket/prefix/",
				"    service: billing",
				"    timezone: Europe/Berlin",
				"    options:",
				"      region: eu-west-1",
				"      concurrency: 8",
				"      path_style: false",
				"      ratio: 0.5",
				"      empty:",
				"  - location: '-'",
				"follow_links: false",
				"max_link_depth: 0",
				"max_linked_ids: 0x10",
				"",
			}, "\n"),
			check: func(t *testing.T, c *Config) {
				want := []Source{
					{Location: "./logs", Line: 2},
					{Location: "s3://bucket/prefix/", Service: "billing", Timezone: "Europe/Berlin", Line: 3,
						Options: map[string]string{"region": "eu-west-1", "concurrency": "8", "path_style": "false", "ratio": "0.5", "empty": ""}},
					{Location: "-", Line: 12},
				}
				if !reflect.DeepEqual(c.LogSources, want) {
					t.Errorf("LogSources = %+v, want %+v", c.LogSources, want)
				}
				if c.FollowLinks || c.MaxLinkDepth != 0 || c.MaxLinkedIDs != 16 {
					t.Errorf("FollowLinks %v MaxLinkDepth %d MaxLinkedIDs %d, want false 0 16", c.FollowLinks, c.MaxLinkDepth, c.MaxLinkedIDs)
				}
			},
		},
		{
			name: "anchors, aliases and merge keys",
			yaml: strings.Join([]string{
				"log_sources:",
				"  - &base",
				"    location: ./a",
				"    service: api",
				"    options: &opts {region: eu}",
				"  - <<: *base",
				"    location: ./b",
				"  - location: ./c",
				"    options: *opts",
				"match_keys: [&k order_id, !!str 42]",
				"",
			}, "\n"),
			check: func(t *testing.T, c *Config) {
				opts := map[string]string{"region": "eu"}
				want := []Source{
					{Location: "./a", Service: "api", Options: opts, Line: 3},
					{Location: "./b", Service: "api", Options: opts, Line: 6},
					{Location: "./c", Options: opts, Line: 8},
				}
				if !reflect.DeepEqual(c.LogSources, want) {
					t.Errorf("LogSources = %+v, want %+v", c.LogSources, want)
				}
				if !reflect.DeepEqual(c.MatchKeys, []string{"order_id", "42"}) {
					t.Errorf("MatchKeys = %q", c.MatchKeys)
				}
			},
		},
		{
			name: "block mapping of 1000 keys",
			yaml: "verifier_endpoints:\n" + manyKeys(1000),
			check: func(t *testing.T, c *Config) {
				if len(c.VerifierEndpoints) != 1000 || c.VerifierEndpoints["svc999"] != "http://h/999" {
					t.Errorf("%d endpoints, svc999 = %q", len(c.VerifierEndpoints), c.VerifierEndpoints["svc999"])
				}
			},
		},
		{
			name: "many list entries holding mappings",
			yaml: "log_sources:\n" + strings.Repeat("  - location: ./a\n    service: a\n", 1) + manySources(3000),
			check: func(t *testing.T, c *Config) {
				if len(c.LogSources) != 3001 {
					t.Errorf("%d sources", len(c.LogSources))
				}
			},
		},
		{
			name: "every output format name",
			yaml: "output: {format: mermaid}\n",
			check: func(t *testing.T, c *Config) {
				if c.Output.Format != "mermaid" {
					t.Errorf("Format = %q", c.Output.Format)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("p.yaml", []byte(tt.yaml), Options{KnownScheme: knownSchemes})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestFormatsAccepted(t *testing.T) {
	for _, format := range []string{"text", "json", "html", "ndjson", "csv", "mermaid"} {
		t.Run(format, func(t *testing.T) {
			c, err := Parse("p.yaml", []byte("output:\n  format: "+format+"\n"), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Output.Format != format {
				t.Errorf("Format = %q", c.Output.Format)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	const file = "log_sources:\n  - ./from-file\nmatch_keys: [file_key]\noutput:\n  max_files: -1\n"
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c *Config)
		want  []Problem
	}{
		{
			name: "every variable",
			env: map[string]string{
				"PIPETRACKER_LOG_SOURCES":           " ./a , s3://b/x ,,",
				"PIPETRACKER_MATCH_KEYS":            "order_id,request_id",
				"PIPETRACKER_OUTPUT_FORMAT":         "json",
				"PIPETRACKER_OUTPUT_PATH":           "/tmp/reports",
				"PIPETRACKER_OUTPUT_MAX_FILES":      "7",
				"PIPETRACKER_OUTPUT_MAX_SIZE_MB":    "8",
				"PIPETRACKER_FOLLOW_LINKS":          "false",
				"PIPETRACKER_MAX_LINK_DEPTH":        "1",
				"PIPETRACKER_MAX_LINKED_IDS":        "2",
				"PIPETRACKER_MAX_EVENTS":            "0",
				"PIPETRACKER_SECURITY_ENCRYPT_LOGS": "true",
				"PIPETRACKER_VERIFIER_ENDPOINTS":    "a=http://a/v, b = https://b/v",
				"PIPETRACKER_SECURITY_SECRETS_DIR":  "/run/secrets",
				"PIPETRACKER_REDACTION_ENABLED":     "false",
				"PIPETRACKER_REDACTION_MODE":        "hash",
			},
			check: func(t *testing.T, c *Config) {
				want := &Config{
					File:              "p.yaml",
					LogSources:        []Source{{Location: "./a"}, {Location: "s3://b/x"}},
					MatchKeys:         []string{"order_id", "request_id"},
					Output:            Output{Format: "json", Path: "/tmp/reports", MaxFiles: 7, MaxSizeMB: 8},
					VerifierEndpoints: map[string]string{"a": "http://a/v", "b": "https://b/v"},
					Security:          Security{EncryptLogs: true, SecretsDir: "/run/secrets"},
					FollowLinks:       false,
					MaxLinkDepth:      1,
					MaxLinkedIDs:      2,
					MaxEvents:         0,
					Redaction:         Redaction{Enabled: false, Mode: "hash"},
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got\n%+v\nwant\n%+v", c, want)
				}
			},
		},
		{
			name: "blank variables leave the file's settings",
			env: map[string]string{
				"PIPETRACKER_LOG_SOURCES":      "",
				"PIPETRACKER_MATCH_KEYS":       "  ",
				"PIPETRACKER_OUTPUT_MAX_FILES": "3",
			},
			check: func(t *testing.T, c *Config) {
				if len(c.LogSources) != 1 || c.LogSources[0].Location != "./from-file" || c.LogSources[0].Line != 2 {
					t.Errorf("LogSources = %+v", c.LogSources)
				}
				if !reflect.DeepEqual(c.MatchKeys, []string{"file_key"}) {
					t.Errorf("MatchKeys = %q", c.MatchKeys)
				}
			},
		},
		{
			name: "bad values are reported by variable",
			env: map[string]string{
				"PIPETRACKER_LOG_SOURCES":           "./a,ftp://h/x,./a/",
				"PIPETRACKER_MATCH_KEYS":            ",",
				"PIPETRACKER_OUTPUT_FORMAT":         "yaml",
				"PIPETRACKER_OUTPUT_MAX_FILES":      "ten",
				"PIPETRACKER_OUTPUT_MAX_SIZE_MB":    "-5",
				"PIPETRACKER_FOLLOW_LINKS":          "maybe",
				"PIPETRACKER_MAX_LINK_DEPTH":        "1.5",
				"PIPETRACKER_MAX_LINKED_IDS":        "-1",
				"PIPETRACKER_MAX_EVENTS":            "many",
				"PIPETRACKER_SECURITY_ENCRYPT_LOGS": "on",
				"PIPETRACKER_VERIFIER_ENDPOINTS":    "a=ftp://x,http://u:pw@h/v",
			},
			want: []Problem{
				// The file's max_files: -1 stays in effect, as its variable
				// cannot be read; file problems come first.
				{"p.yaml", 5, 14, "output.max_files", "must be a whole number ≥ 0, got -1"},
				// Reading the variables, in the order they are applied.
				{envFile, 0, 0, "PIPETRACKER_OUTPUT_MAX_FILES", `must be a whole number ≥ 0, got "ten"`},
				{envFile, 0, 0, "PIPETRACKER_MAX_LINK_DEPTH", `must be a whole number ≥ 0, got "1.5"`},
				{envFile, 0, 0, "PIPETRACKER_MAX_EVENTS", `must be a whole number ≥ 0, got "many"`},
				{envFile, 0, 0, "PIPETRACKER_FOLLOW_LINKS", `must be true or false, got "maybe"`},
				{envFile, 0, 0, "PIPETRACKER_SECURITY_ENCRYPT_LOGS", `must be true or false, got "on"`},
				{envFile, 0, 0, "PIPETRACKER_VERIFIER_ENDPOINTS", `each item must be service=url, got "http://***@h/v"`},
				// Validating the values.
				{envFile, 0, 0, "PIPETRACKER_LOG_SOURCES", `unknown source scheme "ftp" in "ftp://h/x"`},
				{envFile, 0, 0, "PIPETRACKER_LOG_SOURCES", `duplicate source "./a/", already listed as log source 1`},
				{envFile, 0, 0, "PIPETRACKER_MATCH_KEYS", "must list at least one key"},
				{envFile, 0, 0, "PIPETRACKER_OUTPUT_FORMAT", `unknown format "yaml"; known formats: text, json, html, ndjson, csv, mermaid`},
				{envFile, 0, 0, "PIPETRACKER_OUTPUT_MAX_SIZE_MB", "must be a whole number ≥ 0, got -5"},
				{envFile, 0, 0, "PIPETRACKER_MAX_LINKED_IDS", "must be a whole number ≥ 0, got -1"},
				{envFile, 0, 0, "PIPETRACKER_VERIFIER_ENDPOINTS", `must be an absolute http or https URL, got "ftp://x"`},
			},
		},
		{
			name: "file problems come before environment problems",
			env:  map[string]string{"PIPETRACKER_MAX_LINK_DEPTH": "x"},
			want: []Problem{
				{"p.yaml", 5, 14, "output.max_files", "must be a whole number ≥ 0, got -1"},
				{envFile, 0, 0, "PIPETRACKER_MAX_LINK_DEPTH", `must be a whole number ≥ 0, got "x"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("p.yaml", []byte(file), Options{Getenv: envOf(tt.env), KnownScheme: knownSchemes})
			if tt.want != nil {
				got := problemsOf(t, err)
				if !reflect.DeepEqual([]Problem(got), tt.want) {
					t.Errorf("problems:\n%s\nwant:\n%s", got, Problems(tt.want))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"everything", Problem{"pipetracker.yaml", 4, 3, "output.max_files", `must be a whole number ≥ 0, got "ten"`},
			`pipetracker.yaml:4:3: output.max_files: must be a whole number ≥ 0, got "ten"`},
		{"no field", Problem{"p.yaml", 1, 1, "", "syntax error: x"}, "p.yaml:1:1: syntax error: x"},
		{"no position", Problem{"p.yaml", 0, 0, "", "config file too large"}, "p.yaml: config file too large"},
		{"environment", Problem{"environment", 0, 0, "PIPETRACKER_MAX_LINK_DEPTH", "bad"}, "environment: PIPETRACKER_MAX_LINK_DEPTH: bad"},
		{"no file", Problem{"", 2, 0, "x", "bad"}, ":2: x: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	ps := Problems{tests[0].p, tests[1].p}
	if got, want := ps.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact.yaml")
	if err := os.WriteFile(exact, []byte("#"+strings.Repeat(" ", maxFileSize-2)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")

	t.Run("missing file is an I/O error naming the path", func(t *testing.T) {
		_, err := Load(missing, Options{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
		var ps Problems
		if errors.As(err, &ps) {
			t.Errorf("an I/O error must not be Problems")
		}
		if !strings.Contains(err.Error(), missing) {
			t.Errorf("err %q does not name %s", err, missing)
		}
	})
	t.Run("directory is an I/O error", func(t *testing.T) {
		_, err := Load(dir, Options{})
		var ps Problems
		if err == nil || errors.As(err, &ps) {
			t.Fatalf("err = %v, want an I/O error", err)
		}
	})
	t.Run("file over 1 MiB", func(t *testing.T) {
		_, err := Load(big, Options{})
		ps := problemsOf(t, err)
		want := Problems{{File: big, Message: "config file too large: more than 1048576 bytes"}}
		if !reflect.DeepEqual(ps, want) {
			t.Errorf("problems %v, want %v", ps, want)
		}
	})
	t.Run("file of exactly 1 MiB", func(t *testing.T) {
		c, err := Load(exact, Options{})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.File != exact {
			t.Errorf("File = %q", c.File)
		}
	})
	if _, err := os.Stat("/dev/zero"); err == nil {
		t.Run("endless file", func(t *testing.T) {
			_, err := Load("/dev/zero", Options{})
			ps := problemsOf(t, err)
			if len(ps) != 1 || !strings.HasPrefix(ps[0].Message, "config file too large") {
				t.Errorf("problems %v", ps)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	a, b := Default(), Default()
	a.MatchKeys[0] = "changed"
	if b.MatchKeys[0] != "transaction_id" {
		t.Errorf("Default shares its slices between calls")
	}
	want := &Config{
		MatchKeys:    []string{"transaction_id", "request_id", "trace_id"},
		Output:       Output{Format: "text", Path: "./output"},
		FollowLinks:  true,
		MaxLinkDepth: 3,
		MaxLinkedIDs: 100,
		MaxEvents:    100000,
		Redaction:    Redaction{Enabled: true, Mode: "mask"},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("Default() = %+v, want %+v", b, want)
	}
}

func TestParseNothingGivesDefaultsWithEnvironment(t *testing.T) {
	c, err := Parse("", nil, Options{Getenv: envOf(map[string]string{"PIPETRACKER_MATCH_KEYS": "order_id"})})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Default()
	want.MatchKeys = []string{"order_id"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}
