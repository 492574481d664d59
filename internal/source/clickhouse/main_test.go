package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// The server is started once, by the first test that needs it, and
// stopped when all tests have run.
var server struct {
	dir    string
	once   sync.Once
	ch     *storetest.ClickHouse
	err    error
	tables atomic.Int64
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clickhouse-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server.dir = dir
	code := m.Run()
	if server.ch != nil {
		server.ch.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// clickhouse returns the shared server, skipping the test when
// clickhouse-server is not installed and no environment variable names it.
func clickhouse(t *testing.T) *storetest.ClickHouse {
	t.Helper()
	bin, err := storetest.ClickHouseBinary()
	if errors.Is(err, storetest.ErrNoBinary) {
		t.Skipf("ClickHouse tests skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	server.once.Do(func() {
		ctx := context.Background()
		server.ch, server.err = storetest.StartClickHouse(ctx, bin, server.dir)
		if server.err == nil {
			server.err = server.ch.Exec(ctx, "CREATE DATABASE IF NOT EXISTS pt")
		}
	})
	if server.err != nil {
		t.Fatalf("start ClickHouse: %v", server.err)
	}
	return server.ch
}

// schema is a table that ClickHouse 18.16 can hold in the shape of the
// OpenTelemetry exporter's: the attributes as Nested key and value arrays
// (no Map type there), the resource attributes as a JSON text, the time in
// whole seconds (no DateTime64), and the path and line of each record.
const schema = `CREATE TABLE pt.%s (
	Timestamp DateTime,
	TraceId String,
	SpanId String,
	SeverityText String,
	ServiceName String,
	Body String,
	LogAttributes Nested(key String, value String),
	ResourceAttributes String,
	Path String,
	Line UInt64
) ENGINE = MergeTree() ORDER BY (ServiceName, Timestamp)`

// row is one row of schema.
type row struct {
	Time              time.Time
	TraceID, SpanID   string
	Severity, Service string
	Body              string
	Attrs             [][2]string
	Resource          string // JSON object text
	Path              string
	Line              int64
}

// table creates a table of schema, loads rows into it and returns its
// name.
func table(t *testing.T, c *storetest.ClickHouse, rows []row) string {
	t.Helper()
	name := fmt.Sprintf("logs_%d", server.tables.Add(1))
	if err := c.Exec(t.Context(), fmt.Sprintf(schema, name)); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range rows {
		keys, vals := []string{}, []string{}
		for _, kv := range r.Attrs {
			keys, vals = append(keys, kv[0]), append(vals, kv[1])
		}
		res := r.Resource
		if res == "" {
			res = "{}"
		}
		out = append(out, map[string]any{
			"Timestamp": r.Time.Unix(), "TraceId": r.TraceID, "SpanId": r.SpanID,
			"SeverityText": r.Severity, "ServiceName": r.Service, "Body": r.Body,
			"LogAttributes.key": keys, "LogAttributes.value": vals, "ResourceAttributes": res,
			"Path": r.Path, "Line": r.Line,
		})
	}
	for start := 0; start < len(out); start += 50000 {
		if err := c.InsertJSON(t.Context(), "pt."+name, out[start:min(start+50000, len(out))]); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// spec returns the Spec of a source that reads table from c with schema's
// mapping, with opts added to the options.
func spec(c *storetest.ClickHouse, table string, opts map[string]string) source.Spec {
	o := map[string]string{
		"attributes_type":          "nested",
		"resource_attributes_type": "json",
		"path_column":              "Path",
		"line_column":              "Line",
		"default_window":           "36500d",
	}
	for k, v := range opts {
		if v == "-" {
			delete(o, k)
			continue
		}
		o[k] = v
	}
	return source.Spec{Location: "clickhouse://" + c.Native + "/pt?table=" + table, Options: o}
}

// open opens a source with no environment.
func open(t *testing.T, sp source.Spec) *Source {
	t.Helper()
	s, err := newSource(sp, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !strings.Contains(err.Error(), "closed") {
			t.Errorf("close: %v", err)
		}
	})
	return s
}
