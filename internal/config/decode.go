package config

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The keys of each mapping of the schema, in the order they are documented.
var (
	topKeys      = []string{"log_sources", "match_keys", "output", "verifier_endpoints", "security", "redaction", "follow_links", "max_link_depth", "max_linked_ids", "max_events", "server"}
	outputKeys   = []string{"format", "path", "max_files", "max_size_mb"}
	securityKeys = []string{"encrypt_logs", "secrets_dir"}
	sourceKeys   = []string{"location", "service", "timezone", "options"}
)

// envFile is Problem.File for problems with environment variables.
const envFile = "environment"

// where is the origin of a setting: a position in the file with the dotted
// path of the setting, or an environment variable (file "environment",
// field the variable name, no position).
type where struct {
	file      string
	line, col int
	field     string
}

// sourceAt is the origin of one log source and of its checked parts.
type sourceAt struct {
	entry, location, timezone where
}

// loader holds the state of one Parse: the problems found so far and the
// origin of every setting that validation may complain about.
type loader struct {
	name     string
	opt      Options
	problems []Problem
	// at holds the origin of scalar settings ("output.format") and of whole
	// lists ("match_keys"), keyed by their dotted path.
	at        map[string]where
	sources   []sourceAt       // parallel to Config.LogSources
	keys      []where          // parallel to Config.MatchKeys
	endpoints map[string]where // by service name
	custom    []customAt       // parallel to Config.Redaction.Custom
}

func newLoader(name string, opt Options) *loader {
	return &loader{name: name, opt: opt, at: make(map[string]where), endpoints: make(map[string]where)}
}

// here returns the origin of a value in the file.
func (l *loader) here(n *node, field string) where {
	return where{file: l.name, line: n.line, col: n.col, field: field}
}

// add records a problem at w.
func (l *loader) add(w where, msg string) {
	l.problems = append(l.problems, Problem{File: w.file, Line: w.line, Column: w.col, Field: w.field, Message: msg})
}

// report records a problem with the setting at the dotted path key.
func (l *loader) report(key, msg string) {
	w, ok := l.at[key]
	if !ok {
		w = where{file: l.name, field: key}
	}
	l.add(w, msg)
}

// sortedProblems returns the problems of the file in the order of their
// positions, followed by those of the environment in the order found.
func (l *loader) sortedProblems() Problems {
	ps := Problems(l.problems)
	sort.SliceStable(ps, func(i, j int) bool {
		ei, ej := ps[i].File == envFile, ps[j].File == envFile
		if ei != ej {
			return ej
		}
		if ei {
			return false
		}
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
	return ps
}

// decodeDocument parses data and stores its settings in c. Settings with
// problems keep their previous values.
func (l *loader) decodeDocument(data []byte, c *Config) {
	root := l.parseTree(data)
	if root == nil || root.kind == kindNull {
		return
	}
	if root.kind != kindMap {
		l.add(l.here(root, ""), "the configuration must be a mapping of settings, got "+root.describe())
		return
	}
	for _, e := range root.entries {
		v := e.value
		switch e.key {
		case "log_sources":
			l.decodeSources(v, c)
		case "match_keys":
			l.decodeMatchKeys(v, c)
		case "output":
			for _, f := range l.fields(v, "output", outputKeys) {
				field := "output." + f.key
				switch f.key {
				case "format":
					l.setString(f.value, field, &c.Output.Format)
				case "path":
					l.setString(f.value, field, &c.Output.Path)
				case "max_files":
					l.setInt(f.value, field, &c.Output.MaxFiles)
				case "max_size_mb":
					l.setInt(f.value, field, &c.Output.MaxSizeMB)
				}
			}
		case "verifier_endpoints":
			l.decodeEndpoints(v, c)
		case "security":
			for _, f := range l.fields(v, "security", securityKeys) {
				switch f.key {
				case "encrypt_logs":
					l.setBool(f.value, "security.encrypt_logs", &c.Security.EncryptLogs)
				case "secrets_dir":
					l.setString(f.value, "security.secrets_dir", &c.Security.SecretsDir)
				}
			}
		case "redaction":
			l.decodeRedaction(v, c)
		case "follow_links":
			l.setBool(v, e.key, &c.FollowLinks)
		case "max_link_depth":
			l.setInt(v, e.key, &c.MaxLinkDepth)
		case "max_linked_ids":
			l.setInt(v, e.key, &c.MaxLinkedIDs)
		case "max_events":
			l.setInt(v, e.key, &c.MaxEvents)
		case "server":
			l.decodeServer(v, c)
		default:
			l.unknownField(e, "", topKeys)
		}
	}
}

// fields returns the entries of a mapping whose keys are in known and
// reports the others; a null value is an empty mapping.
func (l *loader) fields(n *node, field string, known []string) []entry {
	switch n.kind {
	case kindNull:
		return nil
	case kindMap:
	default:
		l.add(l.here(n, field), "must be a mapping, got "+n.describe())
		return nil
	}
	out := make([]entry, 0, len(n.entries))
	for _, e := range n.entries {
		if contains(known, e.key) {
			out = append(out, e)
		} else {
			l.unknownField(e, field, known)
		}
	}
	return out
}

// unknownField reports a key that the schema does not have, with the
// nearest known key when one is close enough to be a typo.
func (l *loader) unknownField(e entry, parent string, known []string) {
	msg := fmt.Sprintf("unknown field %q", e.key)
	if nested := nestedKey(e.key); parent == "" && nested != "" {
		msg += fmt.Sprintf("; did you mean %q?", nested)
	} else if s := suggest(e.key, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		msg += "; known fields: " + strings.Join(known, ", ")
	}
	l.add(where{file: l.name, line: e.line, col: e.col, field: parent}, msg)
}

// nestedKey returns the dotted path of a key of output or security, for a
// key written at the top level instead of inside its section.
func nestedKey(key string) string {
	switch {
	case contains(outputKeys, key):
		return "output." + key
	case contains(securityKeys, key):
		return "security." + key
	}
	return ""
}

// setString stores a string value; null leaves dst unchanged.
func (l *loader) setString(n *node, field string, dst *string) {
	if s, ok := l.str(n, field); ok {
		*dst = s
		l.at[field] = l.here(n, field)
	}
}

// str returns a string value; ok is false for null and for other types,
// which are reported.
func (l *loader) str(n *node, field string) (s string, ok bool) {
	switch n.kind {
	case kindString:
		return n.text, true
	case kindNull:
		return "", false
	default:
		l.add(l.here(n, field), "must be a string, got "+n.describe())
		return "", false
	}
}

// setInt stores a whole number; null leaves dst unchanged. The sign is
// checked by validate, so that the file and the environment share it.
func (l *loader) setInt(n *node, field string, dst *int) {
	switch n.kind {
	case kindNull:
		return
	case kindInt:
		switch v := n.num.(type) {
		case int64:
			if v >= math.MinInt && v <= math.MaxInt {
				*dst = int(v)
				l.at[field] = l.here(n, field)
				return
			}
		case uint64:
			if v <= math.MaxInt {
				*dst = int(v)
				l.at[field] = l.here(n, field)
				return
			}
		}
		l.add(l.here(n, field), "must be a whole number ≥ 0, got "+n.describe()+", which is too large")
		return
	}
	l.add(l.here(n, field), "must be a whole number ≥ 0, got "+n.describe())
}

// setBool stores true or false; null leaves dst unchanged.
func (l *loader) setBool(n *node, field string, dst *bool) {
	switch n.kind {
	case kindNull:
	case kindBool:
		*dst = n.flag
		l.at[field] = l.here(n, field)
	default:
		l.add(l.here(n, field), "must be true or false, got "+n.describe())
	}
}

// decodeSources stores log_sources: a list whose entries are location
// strings or mappings. Entries of a wrong type are reported and left out.
func (l *loader) decodeSources(n *node, c *Config) {
	const field = "log_sources"
	c.LogSources, l.sources = nil, nil
	switch n.kind {
	case kindNull:
		return
	case kindSeq:
	default:
		l.add(l.here(n, field), "must be a list of locations, got "+n.describe())
		return
	}
	l.at[field] = l.here(n, field)
	for i, item := range n.items {
		path := fmt.Sprintf("%s[%d]", field, i)
		at := l.here(item, path)
		src := Source{Line: item.line}
		w := sourceAt{entry: at, location: at, timezone: at}
		switch item.kind {
		case kindNull:
		case kindString:
			src.Location = item.text
		case kindMap:
			if !l.decodeSourceMapping(item, path, &src, &w) {
				continue
			}
		default:
			l.add(at, "must be a location string or a mapping with "+strings.Join(sourceKeys, ", ")+"; got "+item.describe())
			continue
		}
		c.LogSources = append(c.LogSources, src)
		l.sources = append(l.sources, w)
	}
}

// decodeSourceMapping stores the settings of a mapping entry of log_sources;
// it returns false when the location is not a string, which is reported.
func (l *loader) decodeSourceMapping(n *node, path string, src *Source, w *sourceAt) bool {
	valid := true
	for _, f := range l.fields(n, path, sourceKeys) {
		field := path + "." + f.key
		switch f.key {
		case "location":
			if s, ok := l.str(f.value, field); ok {
				src.Location = s
			} else if f.value.kind != kindNull {
				valid = false
			}
			w.location = l.here(f.value, field)
		case "service":
			if s, ok := l.str(f.value, field); ok {
				src.Service = s
			}
		case "timezone":
			if s, ok := l.str(f.value, field); ok {
				src.Timezone = s
				w.timezone = l.here(f.value, field)
			}
		case "options":
			src.Options = l.decodeOptions(f.value, field)
		}
	}
	return valid
}

// decodeOptions returns driver options as text; nil when there are none.
func (l *loader) decodeOptions(n *node, field string) map[string]string {
	switch n.kind {
	case kindNull:
		return nil
	case kindMap:
	default:
		l.add(l.here(n, field), "must be a mapping of option names to values, got "+n.describe())
		return nil
	}
	var out map[string]string
	for _, e := range n.entries {
		if e.key == "" {
			l.add(where{file: l.name, line: e.line, col: e.col, field: field}, "option name must not be empty")
			continue
		}
		v := e.value
		if v.kind == kindMap || v.kind == kindSeq {
			// The value is not quoted: it may be a secret.
			l.add(l.here(v, field+"."+e.key), "must be a string, number or boolean, got "+kindName(v.kind))
			continue
		}
		if out == nil {
			out = make(map[string]string, len(n.entries))
		}
		if v.kind == kindNull {
			out[e.key] = ""
		} else {
			out[e.key] = v.text
		}
	}
	return out
}

// decodeMatchKeys stores match_keys: a list of strings.
func (l *loader) decodeMatchKeys(n *node, c *Config) {
	const field = "match_keys"
	switch n.kind {
	case kindNull:
		return
	case kindSeq:
	default:
		l.add(l.here(n, field), "must be a list of key names, got "+n.describe())
		return
	}
	c.MatchKeys, l.keys = []string{}, nil
	l.at[field] = l.here(n, field)
	for i, item := range n.items {
		path := fmt.Sprintf("%s[%d]", field, i)
		if item.kind == kindNull {
			item = &node{kind: kindString, line: item.line, col: item.col}
		}
		if s, ok := l.str(item, path); ok {
			c.MatchKeys = append(c.MatchKeys, s)
			l.keys = append(l.keys, l.here(item, path))
		}
	}
}

// decodeEndpoints stores verifier_endpoints: a mapping of service names to
// URLs.
func (l *loader) decodeEndpoints(n *node, c *Config) {
	const field = "verifier_endpoints"
	switch n.kind {
	case kindNull:
		return
	case kindMap:
	default:
		l.add(l.here(n, field), "must be a mapping of service names to URLs, got "+n.describe())
		return
	}
	c.VerifierEndpoints = nil
	for _, e := range n.entries {
		path := joinPath(field, e.key)
		if e.value.kind == kindNull {
			e.value = &node{kind: kindString, line: e.line, col: e.col}
		}
		if s, ok := l.str(e.value, path); ok {
			if c.VerifierEndpoints == nil {
				c.VerifierEndpoints = make(map[string]string, len(n.entries))
			}
			c.VerifierEndpoints[e.key] = s
			l.endpoints[e.key] = l.here(e.value, path)
		}
	}
}

// kindName names a type without showing the value.
func kindName(k kind) string {
	switch k {
	case kindMap:
		return "a mapping"
	case kindSeq:
		return "a list"
	case kindString:
		return "a string"
	case kindInt, kindFloat:
		return "a number"
	case kindBool:
		return "a boolean"
	default:
		return "null"
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the candidate nearest to s by edit distance, or "" when
// none is near enough to be a likely typo.
func suggest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(1, min(3, len([]rune(s))/3))
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
