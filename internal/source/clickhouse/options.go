package clickhouse

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Defaults of the source options.
const (
	DefaultTable      = "otel_logs"
	DefaultDatabase   = "default"
	DefaultWindow     = source.DefaultWindow
	DefaultMaxRecords = 100000
	DefaultTimeout    = 60 * time.Second
)

// Environment variables that supply credentials when the options do not
// (the names clickhouse-client reads).
const (
	EnvUser     = "CLICKHOUSE_USER"
	EnvPassword = "CLICKHOUSE_PASSWORD"
)

// Column roles and the OpenTelemetry Collector exporter's column names,
// the defaults. Each can be renamed with the option "<role>_column", or
// left out by setting it to "".
var columnDefaults = []struct{ role, name string }{
	{"time", "Timestamp"},
	{"trace_id", "TraceId"},
	{"span_id", "SpanId"},
	{"severity", "SeverityText"},
	{"service", "ServiceName"},
	{"body", "Body"},
	{"attributes", "LogAttributes"},
	{"resource_attributes", "ResourceAttributes"},
	{"path", ""},
	{"line", ""},
}

// Attribute column kinds.
const (
	attrMap    = "map"    // Map(String, String): the exporter's
	attrNested = "nested" // Nested(key String, value String)
	attrJSON   = "json"   // a String holding a JSON object
)

// optionNames are the options a location's query parameters may set.
var optionNames = func() map[string]bool {
	m := map[string]bool{
		"table": true, "attributes_type": true, "resource_attributes_type": true, "attribute_keys": true,
		"default_window": true, "max_records": true, "timeout": true, "secure": true,
		"username": true, "password": true, "password_env": true,
	}
	for _, c := range columnDefaults {
		m[c.role+"_column"] = true
	}
	return m
}()

// identifier is what a database, table or column name may be: letters,
// digits and underscores, dotted for Nested subcolumns. Names are quoted
// in the query all the same.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// config is a source's settings, read from its location and options.
type config struct {
	addr     string
	database string
	table    string
	columns  map[string]string // role → column name; "" when the table has none
	attrType string
	resType  string
	keys     []string // attribute keys that may hold an id; none means every value

	window     time.Duration
	maxRecords int
	timeout    time.Duration
	secure     bool

	username, password string
}

// parseConfig reads spec: spec.Options, then the location's query
// parameters (which win), then the environment for what neither sets.
func parseConfig(spec source.Spec, getenv func(string) string) (*config, error) {
	loc := source.Redact(spec.Location)
	l, err := source.ParseStoreLocation(spec, optionNames, []string{"password"})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w (want clickhouse://host:9000/db?table=otel_logs; credentials go in the source's options or %s and %s)", loc, err, EnvUser, EnvPassword)
	}
	// ClickHouse takes no parameters of its own from the location.
	for k := range l.Extra {
		return nil, fmt.Errorf("clickhouse: %s: unknown parameter %q", loc, k)
	}
	u, opts := l.URL, l.Options
	c := &config{
		addr:     u.Host,
		database: strings.Trim(u.Path, "/"),
		table:    DefaultTable,
		columns:  make(map[string]string),
		attrType: attrMap,
		resType:  attrMap,
		timeout:  DefaultTimeout,
	}
	if u.Port() == "" {
		c.addr = u.Host + ":9000"
	}
	if c.database == "" {
		c.database = DefaultDatabase
	}
	if v, ok := opts["table"]; ok {
		c.table = v
	}
	for _, name := range []string{c.database, c.table} {
		if !identifier.MatchString(name) || strings.Contains(name, ".") {
			return nil, fmt.Errorf("clickhouse: %s: %q is not a plain database or table name", loc, name)
		}
	}
	for _, col := range columnDefaults {
		name, ok := opts[col.role+"_column"]
		if !ok {
			name = col.name
		}
		if name != "" && !identifier.MatchString(name) {
			return nil, fmt.Errorf("clickhouse: %s: option %s_column %q is not a column name", loc, col.role, name)
		}
		c.columns[col.role] = name
	}
	if c.columns["time"] == "" || c.columns["body"] == "" {
		return nil, fmt.Errorf("clickhouse: %s: the time and body columns are required", loc)
	}
	for opt, dst := range map[string]*string{"attributes_type": &c.attrType, "resource_attributes_type": &c.resType} {
		if v, ok := opts[opt]; ok {
			switch v {
			case attrMap, attrNested, attrJSON:
				*dst = v
			default:
				return nil, fmt.Errorf("clickhouse: %s: option %s %q is not map, nested or json", loc, opt, v)
			}
		}
	}
	for k := range strings.SplitSeq(opts["attribute_keys"], ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.keys = append(c.keys, k)
		}
	}
	if c.window, err = l.Window(DefaultWindow); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", loc, err)
	}
	if c.maxRecords, err = l.Count("max_records", DefaultMaxRecords); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", loc, err)
	}
	if v, ok := opts["timeout"]; ok {
		if c.timeout, err = time.ParseDuration(v); err != nil || c.timeout < time.Second {
			return nil, fmt.Errorf("clickhouse: %s: option timeout %q is not a duration of a second or more", loc, v)
		}
	}
	if c.secure, err = l.Bool("secure", false); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", loc, err)
	}
	c.username = source.Setting(opts, "username", getenv, EnvUser)
	c.password = source.Setting(opts, "password", getenv, EnvPassword)
	return c, nil
}
