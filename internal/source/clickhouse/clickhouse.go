// Package clickhouse reads logs from a ClickHouse table
// ("clickhouse://host:9000/db?table=otel_logs") over the native protocol:
// it matches the ids in the trace id column, in the attributes and in the
// body with bound parameters, and streams back the matching rows as
// records whose fields are the row's columns.
package clickhouse

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	chdriver "github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// Driver returns the driver of ClickHouse locations (scheme
// "clickhouse"). Credentials come from the source's options or the
// CLICKHOUSE_USER and CLICKHOUSE_PASSWORD environment variables.
// getenv looks up those variables (and, from the CLI, the secret store
// behind them); nil means the process environment.
func Driver(getenv func(string) string) source.Driver {
	if getenv == nil {
		getenv = os.Getenv
	}
	return source.Driver{
		Scheme:      "clickhouse",
		Description: "ClickHouse table over the native protocol: clickhouse://host:9000/db?table=otel_logs; the id search runs in the store",
		Open: func(spec source.Spec) (source.Source, error) {
			return newSource(spec, getenv)
		},
	}
}

// Source queries one ClickHouse table. The connection is opened on the
// first Scan and closed by Close; it is safe for one Scan at a time.
type Source struct {
	spec source.Spec
	name string // the location, redacted
	cfg  *config
	// now returns the current time; tests replace it.
	now func() time.Time

	mu   sync.Mutex
	conn chdriver.Conn
}

func newSource(spec source.Spec, getenv func(string) string) (*Source, error) {
	cfg, err := parseConfig(spec, getenv)
	if err != nil {
		return nil, err
	}
	return &Source{spec: spec, name: source.Redact(spec.Location), cfg: cfg, now: time.Now}, nil
}

// connect returns the source's connection, opening it the first time.
func (s *Source) connect() (chdriver.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn, nil
	}
	opt := &ch.Options{
		Addr:     []string{s.cfg.addr},
		Protocol: ch.Native,
		Auth: ch.Auth{
			Database: s.cfg.database,
			Username: s.cfg.username,
			Password: s.cfg.password,
		},
		DialTimeout: 10 * time.Second,
		ReadTimeout: s.cfg.timeout + 5*time.Second,
	}
	if s.cfg.secure {
		opt.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	conn, err := ch.Open(opt)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s: %w", s.name, err)
	}
	s.conn = conn
	return conn, nil
}

// Close closes the connection.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// column is one selected column: its role and name.
type column struct{ role, name string }

// selected returns the columns the query selects, in order: a Nested
// attributes column is selected as its key and value arrays.
func (s *Source) selected() []column {
	var cols []column
	for _, c := range columnDefaults {
		name := s.cfg.columns[c.role]
		if name == "" {
			continue
		}
		typ := ""
		switch c.role {
		case "attributes":
			typ = s.cfg.attrType
		case "resource_attributes":
			typ = s.cfg.resType
		}
		if typ == attrNested {
			cols = append(cols, column{c.role + ".key", name + ".key"}, column{c.role + ".value", name + ".value"})
			continue
		}
		cols = append(cols, column{c.role, name})
	}
	return cols
}

// quote quotes an identifier (already checked to be one) for the query.
func quote(name string) string { return "`" + name + "`" }

// query returns the SQL text and its positional arguments for ids over
// [start, end] (either may be zero for no bound): the ids are bound
// parameters (the client quotes them), never part of the text. A row
// matches when its trace id equals an id, an attribute (under one of the
// attribute keys, or any attribute without keys) holds one, or its body
// contains one. Time bounds are whole seconds, widened to hold the
// window; the engine checks the exact bounds. The server stops the query
// after the timeout option (max_execution_time), so that a trace the user
// gave up on leaves nothing running.
func (s *Source) query(ids []string, start, end time.Time) (string, []any) {
	var (
		sel   []string
		where []string
		args  []any
	)
	for _, c := range s.selected() {
		sel = append(sel, quote(c.name))
	}
	col := s.cfg.columns
	tcol := quote(col["time"])
	// DateTime holds 1970 to 2106: a bound outside that is no bound.
	if !start.IsZero() && start.Unix() > 0 {
		where = append(where, tcol+" >= toDateTime(?)")
		args = append(args, start.Unix())
	}
	if !end.IsZero() && end.Unix() >= 0 && end.Unix() < math.MaxUint32 {
		where = append(where, tcol+" < toDateTime(?)")
		args = append(args, end.Unix()+1)
	}
	var alts []string
	placeholders := func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
	idArgs := func() {
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if c := col["trace_id"]; c != "" {
		alts = append(alts, quote(c)+" IN ("+placeholders(len(ids))+")")
		idArgs()
	}
	if c := col["attributes"]; c != "" {
		cond, cargs := attributeCondition(c, s.cfg.attrType, s.cfg.keys, ids)
		alts = append(alts, cond)
		args = append(args, cargs...)
	}
	for _, id := range ids {
		alts = append(alts, "position("+quote(col["body"])+", ?) > 0")
		args = append(args, id)
	}
	where = append(where, "("+strings.Join(alts, " OR ")+")")
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quote(s.cfg.database) + "." + quote(s.cfg.table) +
		" WHERE " + strings.Join(where, " AND ") + " LIMIT " + strconv.Itoa(s.cfg.maxRecords+1) +
		// In the query text, as every server version reads it (old ones
		// ignore settings sent beside the query by this client).
		" SETTINGS max_execution_time = " + strconv.Itoa(int(math.Ceil(s.cfg.timeout.Seconds())))
	return q, args
}

// attributeCondition returns the condition that an attributes column of
// kind typ holds one of ids: under one of keys, or in any value when keys
// is empty (as a substring, as the body is searched).
func attributeCondition(c, typ string, keys, ids []string) (string, []any) {
	var (
		parts []string
		args  []any
	)
	in := func() string {
		for _, id := range ids {
			args = append(args, id)
		}
		return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	}
	contains := func(v string, forms []string) string {
		var ors []string
		for _, f := range forms {
			ors = append(ors, "position("+v+", ?) > 0")
			args = append(args, f)
		}
		return strings.Join(ors, " OR ")
	}
	switch typ {
	case attrMap:
		if len(keys) == 0 {
			return "arrayExists(v -> " + contains("v", ids) + ", mapValues(" + quote(c) + "))", args
		}
		for _, k := range keys {
			args = append(args, k)
			parts = append(parts, quote(c)+"[?] IN "+in())
		}
	case attrNested:
		if len(keys) == 0 {
			return "arrayExists(v -> " + contains("v", ids) + ", " + quote(c+".value") + ")", args
		}
		for _, k := range keys {
			args = append(args, k)
			parts = append(parts, "arrayExists((k, v) -> k = ? AND v IN "+in()+", "+quote(c+".key")+", "+quote(c+".value")+")")
		}
	case attrJSON:
		if len(keys) == 0 {
			// The JSON text holds an id as written, or escaped.
			var forms []string
			for _, id := range ids {
				forms = append(forms, id)
				if e := jsonEscape(id); e != id {
					forms = append(forms, e)
				}
			}
			return "(" + contains(quote(c), forms) + ")", args
		}
		for _, k := range keys {
			args = append(args, k)
			parts = append(parts, "visitParamExtractString("+quote(c)+", ?) IN "+in())
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// jsonEscape returns s as it stands inside a JSON string.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// Scan runs one query for all of q.IDs over the window (q.Since and
// q.Until, else the default_window back from now, reported in the stats)
// and streams the matching rows to out, up to max_records; beyond it the
// stats say Truncated and out gets a warning. The server stops a query
// that runs longer than the timeout option (max_execution_time).
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var st source.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if len(q.IDs) == 0 {
		return st, nil
	}
	start, end := q.Since, q.Until
	if start.IsZero() && end.IsZero() {
		end = s.now().UTC()
		start = end.Add(-s.cfg.window)
		st.Since, st.Until = start, end
	}
	conn, err := s.connect()
	if err != nil {
		return st, err
	}
	sql, args := s.query(q.IDs, start, end)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout+5*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return st, s.failed(ctx, err)
	}
	defer rows.Close()
	cols := s.selected()
	types := rows.ColumnTypes()
	if len(types) != len(cols) {
		return st, fmt.Errorf("clickhouse: query %s: %d columns returned, %d asked", s.name, len(types), len(cols))
	}
	dest := make([]any, len(types))
	for i, t := range types {
		dest[i] = reflect.New(t.ScanType()).Interface()
	}
	n := 0
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return st, s.failed(ctx, err)
		}
		if err := rows.Scan(dest...); err != nil {
			return st, fmt.Errorf("clickhouse: read %s: %w", s.name, err)
		}
		n++
		if n > s.cfg.maxRecords {
			st.Truncated = true
			out.Warn(fmt.Sprintf("max_records %d reached: more records matched and were left out (narrow the window with --since/--until or raise max_records)", s.cfg.maxRecords))
			return st, nil
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c.role] = reflect.ValueOf(dest[i]).Elem().Interface()
		}
		rec := s.record(row)
		st.Bytes += int64(len(rec.Data))
		out.Progress(0, int64(len(rec.Data)))
		if err := out.Record(rec); err != nil {
			return st, err
		}
	}
	if err := rows.Err(); err != nil {
		return st, s.failed(ctx, err)
	}
	return st, ctx.Err()
}

// failed turns a client error into the scan's error: the caller's
// cancellation as is, the timeout named.
func (s *Source) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("clickhouse: query %s: no answer within %v (option timeout): %w", s.name, s.cfg.timeout, ctx.Err())
		}
		return ctx.Err()
	}
	return fmt.Errorf("clickhouse: query %s: %w", s.name, err)
}

// record turns a row (role → value) into a structured record. Data is
// the body as stored. Fields are the attributes, the resource attributes
// (the attributes win) and trace_id and span_id when set. Time is the time
// column's, Level the severity's; a row without a severity has its body
// parsed for level, message and fields (a plain log line stored as it was
// written), the row's own fields winning. The service is the service
// column's, else the resource attribute service.name, else the parsed
// body's. Path is the path
// column's value, else the table; Line is the line column's value, else a
// key of the row (a hash of its time, service, trace id and body) that is
// the same in every scan.
func (s *Source) record(row map[string]any) *source.Record {
	body := text(row["body"])
	fields := make(map[string]any)
	for k, v := range attributes(row, "resource_attributes") {
		fields[k] = v
	}
	for k, v := range attributes(row, "attributes") {
		fields[k] = v
	}
	traceID, spanID := text(row["trace_id"]), text(row["span_id"])
	if traceID != "" {
		fields["trace_id"] = traceID
	}
	if spanID != "" {
		fields["span_id"] = spanID
	}
	t := timeOf(row["time"])
	level := text(row["severity"])
	message, parsedService := body, ""
	if level == "" && body != "" {
		var lv trace.Level
		lv, parsedService, message = logline.FromBody(body, fields, logline.Options{Location: s.spec.Timezone})
		level = string(lv)
	}
	service := s.spec.Service
	if service == "" {
		service = text(row["service"])
	}
	if service == "" {
		service = text(fields["service.name"])
	}
	if service == "" {
		service = parsedService
	}
	rec := &source.Record{
		Data:    []byte(body),
		Path:    s.cfg.database + "." + s.cfg.table,
		Service: service,
		Time:    t,
		Level:   level,
		Message: message,
		Fields:  fields,
	}
	if p := text(row["path"]); p != "" {
		rec.Path = p
	}
	if n, ok := integer(row["line"]); ok && n > 0 {
		rec.Line = n
	} else {
		rec.Line = rowKey(t, service, traceID, body)
	}
	return rec
}

// attributes returns the attributes of role in row, whatever the column
// kind: a map, key and value arrays, or a JSON object text.
func attributes(row map[string]any, role string) map[string]string {
	out := make(map[string]string)
	if v, ok := row[role]; ok {
		switch v := deref(v).(type) {
		case map[string]string:
			return v
		case string:
			for k, val := range jsonObject(v) {
				out[k] = val
			}
		}
		return out
	}
	keys, _ := deref(row[role+".key"]).([]string)
	vals, _ := deref(row[role+".value"]).([]string)
	for i := range min(len(keys), len(vals)) {
		out[keys[i]] = vals[i]
	}
	return out
}

// deref returns what a pointer (a Nullable column) points to.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil
	}
	return rv.Interface()
}

// text returns a string column's value, "" for anything else.
func text(v any) string {
	switch v := deref(v).(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// integer returns an integer column's value.
func integer(v any) (int64, bool) {
	rv := reflect.ValueOf(deref(v))
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() <= math.MaxInt64 {
			return int64(rv.Uint()), true
		}
	case reflect.String:
		n, err := strconv.ParseInt(rv.String(), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// timeOf returns a DateTime or DateTime64 column's value in UTC.
func timeOf(v any) time.Time {
	if t, ok := deref(v).(time.Time); ok {
		return t.UTC()
	}
	return time.Time{}
}

// jsonObject returns the members of a JSON object text as strings:
// strings as they are, other values as JSON; nil for anything else.
func jsonObject(s string) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			out[k] = str
			continue
		}
		out[k] = string(raw)
	}
	return out
}

// rowKey returns a positive number that identifies a row by its time,
// service, trace id and body (FNV-1a, 63 bits).
func rowKey(t time.Time, service, traceID, body string) int64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(t.UnixNano()))
	h.Write(b[:])
	for _, s := range []string{service, traceID, body} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	k := int64(h.Sum64() >> 1)
	if k == 0 {
		k = 1
	}
	return k
}
