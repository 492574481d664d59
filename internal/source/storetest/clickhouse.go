package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ClickHouseEnv names the environment variable that gives the path of the
// clickhouse-server binary.
const ClickHouseEnv = "PIPETRACKER_TEST_CLICKHOUSE_BIN"

// ClickHouseBinary finds clickhouse-server: $PIPETRACKER_TEST_CLICKHOUSE_BIN,
// else clickhouse-server in PATH or /usr/sbin, /usr/bin.
func ClickHouseBinary() (string, error) {
	return Binary(ClickHouseEnv, "install it with: apt-get install -y clickhouse-server clickhouse-client",
		"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server")
}

// ClickHouseConfig is the configuration file a ClickHouse installation
// ships, which StartClickHouse copies with its paths and ports changed.
const ClickHouseConfig = "/etc/clickhouse-server/config.xml"

// ClickHouse is a running ClickHouse server of this package's.
type ClickHouse struct {
	// Native is the host:port of the native protocol; HTTP the base URL
	// of the HTTP interface.
	Native string
	HTTP   string
	proc   *process
}

// StartClickHouse starts clickhouse-server with a private copy of the
// installed configuration (data and logs under dir, free loopback ports for
// the HTTP, native and interserver interfaces) and waits until it answers.
func StartClickHouse(ctx context.Context, bin, dir string) (*ClickHouse, error) {
	conf, err := os.ReadFile(ClickHouseConfig)
	if err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	users, err := os.ReadFile(filepath.Join(filepath.Dir(ClickHouseConfig), "users.xml"))
	if err != nil {
		return nil, fmt.Errorf("clickhouse users: %w", err)
	}
	var ports [3]int
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"data", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	text := string(conf)
	text = strings.ReplaceAll(text, "/var/lib/clickhouse/", filepath.Join(dir, "data")+"/")
	text = strings.ReplaceAll(text, "/var/log/clickhouse-server/", filepath.Join(dir, "log")+"/")
	for i, tag := range []string{"http_port", "tcp_port", "interserver_http_port"} {
		re := regexp.MustCompile(`<` + tag + `>\d+</` + tag + `>`)
		text = re.ReplaceAllString(text, fmt.Sprintf("<%s>%d</%s>", tag, ports[i], tag))
	}
	// Listen on IPv4 loopback only: an IPv6-less machine must not fail.
	text = regexp.MustCompile(`\s*<listen_host>::1</listen_host>`).ReplaceAllString(text, "")
	confPath := filepath.Join(dir, "config.xml")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), users, 0o644); err != nil {
		return nil, err
	}
	p, err := start("clickhouse", dir, bin, "--config-file="+confPath)
	if err != nil {
		return nil, err
	}
	c := &ClickHouse{
		Native: "127.0.0.1:" + strconv.Itoa(ports[1]),
		HTTP:   "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		proc:   p,
	}
	if err := p.waitHTTP(ctx, c.HTTP+"/ping"); err != nil {
		_ = p.stop()
		return nil, err
	}
	return c, nil
}

// Close stops the server.
func (c *ClickHouse) Close() { _ = c.proc.stop() }

// Exec runs one SQL statement through the HTTP interface.
func (c *ClickHouse) Exec(ctx context.Context, sql string) error {
	return c.post(ctx, url.Values{}, strings.NewReader(sql))
}

// InsertJSON inserts rows (column → value, arrays for Array and Nested
// columns) into table as JSONEachRow through the HTTP interface.
func (c *ClickHouse) InsertJSON(ctx context.Context, table string, rows []map[string]any) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return c.post(ctx, url.Values{"query": {"INSERT INTO " + table + " FORMAT JSONEachRow"}}, &body)
}

// Query runs sql through the HTTP interface and returns its output.
func (c *ClickHouse) Query(ctx context.Context, sql string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.HTTP+"/", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return string(b), nil
}

func (c *ClickHouse) post(ctx context.Context, params url.Values, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.HTTP+"/?"+params.Encode(), body)
	if err != nil {
		return err
	}
	if err := do(req); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	return nil
}
