package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// TestTraceAcrossFilesAndVictoriaLogs traces one request whose records
// are split between local files and a real VictoriaLogs, linked ids
// included in both directions, and checks that it comes back as one
// timeline.
func TestTraceAcrossFilesAndVictoriaLogs(t *testing.T) {
	bin, err := storetest.VictoriaLogsBinary()
	if errors.Is(err, storetest.ErrNoBinary) {
		t.Skipf("VictoriaLogs end-to-end test skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := storetest.StartVictoriaLogs(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	// gateway (file) → checkout (store) → payments (file, reached through
	// the request id the checkout record carries) → ledger (store, reached
	// through the payment id a payments record carries).
	dir := t.TempDir()
	for name, content := range map[string]string{
		"gateway/access.log": "2025-10-21T09:00:00.000Z INFO request in transaction_id=TXN-E2E\n" +
			"2025-10-21T09:00:00.500Z INFO other request transaction_id=TXN-OTHER\n",
		"payments/app.log": "2025-10-21T09:00:02.000Z INFO charging request_id=req-77\n" +
			"2025-10-21T09:00:03.000Z ERROR declined request_id=req-77 payment_id=pay-9\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, p, content)
	}
	tenant := storetest.Tenant{AccountID: 5, ProjectID: 1}
	rows := []map[string]any{
		{"_time": "2025-10-21T09:00:01Z", "service": "checkout", "_msg": "cart checked out", "level": "info",
			"transaction_id": "TXN-E2E", "request_id": "req-77"},
		{"_time": "2025-10-21T09:00:04Z", "service": "ledger", "_msg": "payment failed", "level": "error", "payment_id": "pay-9"},
		{"_time": "2025-10-21T09:00:05Z", "service": "ledger", "_msg": "unrelated", "level": "info", "payment_id": "pay-10"},
		{"_time": "2025-10-21T09:00:06Z", "service": "checkout", "_msg": "another cart", "transaction_id": "TXN-E2E-2"},
	}
	if err := v.Insert(ctx, tenant, []string{"service"}, rows); err != nil {
		t.Fatal(err)
	}
	if err := v.WaitCount(ctx, tenant, "*", len(rows)); err != nil {
		t.Fatal(err)
	}

	store := "victorialogs://" + strings.TrimPrefix(v.URL, "http://") + "?account_id=5&project_id=1"
	code, out, errs := result(t, "", nil, "trace", "TXN-E2E", "-s", dir, "-s", store,
		"-k", "transaction_id", "-k", "request_id", "-k", "payment_id",
		"--since", "2025-10-21T00:00:00Z", "--until", "2025-10-22T00:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, errs, out)
	}
	rep := decode(t, out)
	type ev struct{ time, service, level, source, matched string }
	var got []ev
	for _, e := range rep.Events {
		src := "files"
		if strings.HasPrefix(e.Origin.Source, "victorialogs://") {
			src = "store"
		}
		got = append(got, ev{e.Time.UTC().Format(time.RFC3339), e.Service, e.Level, src, e.Matched.Key + "=" + e.Matched.Value})
	}
	want := []ev{
		{"2025-10-21T09:00:00Z", "gateway", "info", "files", "transaction_id=TXN-E2E"},
		{"2025-10-21T09:00:01Z", "checkout", "info", "store", "transaction_id=TXN-E2E"},
		{"2025-10-21T09:00:02Z", "payments", "info", "files", "request_id=req-77"},
		{"2025-10-21T09:00:03Z", "payments", "error", "files", "request_id=req-77"},
		{"2025-10-21T09:00:04Z", "ledger", "error", "store", "payment_id=pay-9"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline:\n got %v\nwant %v", got, want)
	}
	if p := strings.Join(rep.Summary.Path, " → "); p != "gateway → checkout → payments → ledger" {
		t.Errorf("path %s", p)
	}
	var linked []string
	for _, l := range rep.LinkedIDs {
		linked = append(linked, l.Key+"="+l.Value)
	}
	if !slices.Equal(linked, []string{"request_id=req-77", "payment_id=pay-9"}) {
		t.Errorf("linked ids %v", linked)
	}
	for _, e := range rep.Events {
		if e.Origin.Path == "" || e.Origin.Line <= 0 {
			t.Errorf("event without a full origin: %+v", e.Origin)
		}
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %v", rep.Warnings)
	}
}
