package victorialogs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// The servers are started once, by the first test that needs them, and
// stopped when all tests have run.
var servers struct {
	dir string

	single struct {
		once sync.Once
		v    *storetest.VictoriaLogs
		err  error
	}
	cluster struct {
		once sync.Once
		v    *storetest.VictoriaLogs
		err  error
	}
	tenant atomic.Int64 // the last tenant handed out
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "victorialogs-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	servers.dir = dir
	servers.tenant.Store(100)
	code := m.Run()
	if v := servers.single.v; v != nil {
		v.Close()
	}
	if v := servers.cluster.v; v != nil {
		v.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary returns the victoria-logs binary, skipping the test when it is
// not installed and no environment variable names it.
func vlBinary(t *testing.T) string {
	t.Helper()
	bin, err := storetest.VictoriaLogsBinary()
	if errors.Is(err, storetest.ErrNoBinary) {
		t.Skipf("VictoriaLogs tests skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// single returns the shared single-node server.
func single(t *testing.T) *storetest.VictoriaLogs {
	t.Helper()
	bin := vlBinary(t)
	s := &servers.single
	s.once.Do(func() {
		s.v, s.err = storetest.StartVictoriaLogs(context.Background(), bin, servers.dir+"/single")
	})
	if s.err != nil {
		t.Fatalf("start VictoriaLogs: %v", s.err)
	}
	return s.v
}

// cluster returns the shared cluster: two storage nodes behind a front end.
func cluster(t *testing.T) *storetest.VictoriaLogs {
	t.Helper()
	bin := vlBinary(t)
	s := &servers.cluster
	s.once.Do(func() {
		s.v, s.err = storetest.StartVictoriaLogsCluster(context.Background(), bin, servers.dir+"/cluster", 2)
	})
	if s.err != nil {
		t.Fatalf("start VictoriaLogs cluster: %v", s.err)
	}
	return s.v
}

// newTenant returns a tenant no other test uses, so that each test sees
// only its own records.
func newTenant() storetest.Tenant {
	return storetest.Tenant{AccountID: int(servers.tenant.Add(1)), ProjectID: 3}
}

// load stores records for tenant (service as the stream field; path and
// line as fields) and waits until they are searchable.
func load(t *testing.T, v *storetest.VictoriaLogs, tenant storetest.Tenant, recs []storetest.Record) {
	t.Helper()
	rows := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		row := map[string]any{"_msg": r.Text, "service": r.Service, "path": r.Path, "line": r.Line}
		if !r.Time.IsZero() {
			row["_time"] = r.Time.UTC().Format(time.RFC3339Nano)
		}
		rows = append(rows, row)
	}
	loadRows(t, v, tenant, rows)
}

// loadRows stores rows as they are for tenant and waits until they are
// searchable.
func loadRows(t *testing.T, v *storetest.VictoriaLogs, tenant storetest.Tenant, rows []map[string]any) {
	t.Helper()
	ctx := t.Context()
	for start := 0; start < len(rows); start += 50000 {
		end := min(start+50000, len(rows))
		if err := v.Insert(ctx, tenant, []string{"service"}, rows[start:end]); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.WaitCount(ctx, tenant, "*", len(rows)); err != nil {
		t.Fatal(err)
	}
}

// spec returns the Spec of a source that reads tenant from v, with opts
// added to the options.
func spec(v *storetest.VictoriaLogs, tenant storetest.Tenant, opts map[string]string) source.Spec {
	o := map[string]string{
		"account_id":     fmt.Sprint(tenant.AccountID),
		"project_id":     fmt.Sprint(tenant.ProjectID),
		"default_window": "36500d",
	}
	for k, val := range opts {
		o[k] = val
	}
	return source.Spec{Location: "victorialogs://" + v.URL[len("http://"):], Options: o}
}

// open opens a source for spec with no environment.
func open(t *testing.T, sp source.Spec) *Source {
	t.Helper()
	s, err := newSource(sp, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
