package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// VictoriaLogsEnv names the environment variable that gives the path of
// the victoria-logs binary.
const VictoriaLogsEnv = "PIPETRACKER_TEST_VICTORIALOGS_BIN"

// VictoriaLogsVersion is the release of VictoriaLogs the tests run.
const VictoriaLogsVersion = "v1.52.1"

// VictoriaLogsBinary finds victoria-logs: $PIPETRACKER_TEST_VICTORIALOGS_BIN,
// else the build .ci/run keeps in the user's cache directory
// (pipetracker/victoria-logs-VERSION/victoria-logs), else victoria-logs in
// PATH.
func VictoriaLogsBinary() (string, error) {
	var cands []string
	if dir, err := os.UserCacheDir(); err == nil {
		cands = append(cands, filepath.Join(dir, "pipetracker", "victoria-logs-"+VictoriaLogsVersion, "victoria-logs"))
	}
	cands = append(cands, "victoria-logs")
	return Binary(VictoriaLogsEnv,
		"build it with: GOBIN=~/.cache/pipetracker/victoria-logs-"+VictoriaLogsVersion+
			" go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@"+VictoriaLogsVersion,
		cands...)
}

// VictoriaLogs is a running VictoriaLogs: one node, or the front end of a
// cluster whose storage nodes it holds.
type VictoriaLogs struct {
	// URL is the base URL of the node that answers queries and inserts
	// ("http://127.0.0.1:PORT").
	URL string
	// Storage are the base URLs of the nodes that store the data: URL
	// itself for a single node.
	Storage []string
	procs   []*process
}

// StartVictoriaLogs starts a single-node VictoriaLogs with its data under
// dir, keeping data of any age (-retentionPeriod=100y), and waits until it
// answers.
func StartVictoriaLogs(ctx context.Context, bin, dir string) (*VictoriaLogs, error) {
	p, u, err := startVL(ctx, bin, dir, "victoria-logs")
	if err != nil {
		return nil, err
	}
	return &VictoriaLogs{URL: u, Storage: []string{u}, procs: []*process{p}}, nil
}

// StartVictoriaLogsCluster starts nodes storage instances and a front end
// that inserts into and queries them (-storageNode), all under dir.
func StartVictoriaLogsCluster(ctx context.Context, bin, dir string, nodes int) (*VictoriaLogs, error) {
	v := &VictoriaLogs{}
	var addrs []string
	for i := range nodes {
		p, u, err := startVL(ctx, bin, dir, fmt.Sprintf("storage-%d", i))
		if err != nil {
			v.Close()
			return nil, err
		}
		v.procs = append(v.procs, p)
		v.Storage = append(v.Storage, u)
		addrs = append(addrs, strings.TrimPrefix(u, "http://"))
	}
	p, u, err := startVL(ctx, bin, dir, "frontend", "-storageNode="+strings.Join(addrs, ","))
	if err != nil {
		v.Close()
		return nil, err
	}
	v.procs = append(v.procs, p)
	v.URL = u
	return v, nil
}

func startVL(ctx context.Context, bin, dir, name string, extra ...string) (*process, string, error) {
	port, err := FreePort()
	if err != nil {
		return nil, "", err
	}
	data := filepath.Join(dir, name)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{
		"-httpListenAddr=" + addr,
		"-storageDataPath=" + data,
		"-retentionPeriod=100y",
		"-loggerLevel=WARN",
	}, extra...)
	p, err := start(name, dir, bin, args...)
	if err != nil {
		return nil, "", err
	}
	u := "http://" + addr
	if err := p.waitHTTP(ctx, u+"/health"); err != nil {
		_ = p.stop()
		return nil, "", err
	}
	return p, u, nil
}

// Close stops every node.
func (v *VictoriaLogs) Close() {
	for i := len(v.procs) - 1; i >= 0; i-- {
		_ = v.procs[i].stop()
	}
}

// Tenant is a VictoriaLogs tenant: the AccountID and ProjectID headers.
type Tenant struct{ AccountID, ProjectID int }

func (t Tenant) set(h http.Header) {
	h.Set("AccountID", strconv.Itoa(t.AccountID))
	h.Set("ProjectID", strconv.Itoa(t.ProjectID))
}

// Insert stores rows (JSON objects with "_msg", "_time" and other fields)
// for tenant through /insert/jsonline, with streamFields as the stream
// fields, and makes them searchable.
func (v *VictoriaLogs) Insert(ctx context.Context, tenant Tenant, streamFields []string, rows []map[string]any) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return v.InsertJSONLines(ctx, tenant, streamFields, &body)
}

// InsertJSONLines is Insert for rows already encoded as JSON lines.
func (v *VictoriaLogs) InsertJSONLines(ctx context.Context, tenant Tenant, streamFields []string, body io.Reader) error {
	q := url.Values{"_stream_fields": {strings.Join(streamFields, ",")}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL+"/insert/jsonline?"+q.Encode(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/stream+json")
	tenant.set(req.Header)
	if err := do(req); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}

// Flush makes what the storage nodes hold searchable at once.
func (v *VictoriaLogs) Flush(ctx context.Context) error {
	for _, s := range v.Storage {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s+"/internal/force_flush", nil)
		if err != nil {
			return err
		}
		if err := do(req); err != nil {
			return fmt.Errorf("flush %s: %w", s, err)
		}
	}
	return nil
}

// Count returns how many records of tenant match the LogsQL filter, as
// the query node sees them.
func (v *VictoriaLogs) Count(ctx context.Context, tenant Tenant, filter string) (int, error) {
	form := url.Values{"query": {filter + " | stats count() as n"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tenant.set(req.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("count: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var row struct{ N string }
	if err := json.Unmarshal(b, &row); err != nil {
		return 0, fmt.Errorf("count: %w: %s", err, b)
	}
	return strconv.Atoi(row.N)
}

// WaitCount flushes the storage nodes until the query node sees want
// records of tenant matching filter, or ctx ends.
func (v *VictoriaLogs) WaitCount(ctx context.Context, tenant Tenant, filter string, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if err := v.Flush(ctx); err != nil {
			return err
		}
		n, err := v.Count(ctx, tenant, filter)
		if err == nil && n == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d records of %q (saw %d, %v): %w", want, filter, n, err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// do sends req and fails on any status but 2xx.
func do(req *http.Request) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return errors.New(resp.Status + ": " + string(bytes.TrimSpace(b)))
	}
	return nil
}
