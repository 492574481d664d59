package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// writeConfig writes a config over the example logs with the given extra
// YAML and returns its path.
func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	logs, err := filepath.Abs(filepath.Join("examples", "logs"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pipetracker.yaml")
	yaml := fmt.Sprintf("log_sources:\n  - %s\nmatch_keys: [transaction_id, request_id, payment_id]\n%s", logs, extra)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTMLReportPath(t *testing.T) {
	toRoot(t)
	out := filepath.Join(t.TempDir(), "reports")
	cfg := writeConfig(t, "output:\n  format: html\n  path: "+out+"\n")
	other := filepath.Join(t.TempDir(), "mine.html")
	tests := []struct {
		name     string
		args     []string
		wantFile string
		stdout   bool
	}{
		{"config format, default path", nil, filepath.Join(out, "trace_TXN-48213.html"), false},
		{"flag format, default path", []string{"--format", "html"}, filepath.Join(out, "trace_TXN-48213.html"), false},
		{"-o overrides", []string{"-o", other}, other, false},
		{"-o - writes stdout", []string{"-o", "-"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(out)
			args := append([]string{"trace", "TXN-48213", "--config", cfg}, tt.args...)
			code, stdout, stderr := result(t, "", nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			page := stdout
			if !tt.stdout {
				b, err := os.ReadFile(tt.wantFile)
				if err != nil {
					t.Fatalf("report not written: %v (stderr %q)", err, stderr)
				}
				page = string(b)
				if stdout != "" {
					t.Errorf("stdout not empty: %q", stdout)
				}
			}
			if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, `"id": "TXN-48213"`) {
				t.Errorf("not the report: %.200q", page)
			}
			if wrote := strings.Contains(stderr, "wrote "+tt.wantFile); wrote != (len(tt.args) == 0 || tt.args[0] == "--format") {
				t.Errorf("stderr %q", stderr)
			}
		})
	}
}

func TestDefaultReportPath(t *testing.T) {
	tests := []struct{ dir, id, want string }{
		{"out", "TXN-1", filepath.Join("out", "trace_TXN-1.html")},
		{"", "a/b\\c d", "trace_a_b_c_d.html"},
		{"out", "../../etc/passwd", filepath.Join("out", "trace__._.._etc_passwd.html")},
		{"out", ".hidden", filepath.Join("out", "trace__hidden.html")},
	}
	for _, tt := range tests {
		if got := defaultReportPath(tt.dir, tt.id, "html"); got != tt.want {
			t.Errorf("defaultReportPath(%q, %q) = %q, want %q", tt.dir, tt.id, got, tt.want)
		}
	}
}

func TestVerifier(t *testing.T) {
	toRoot(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		switch r.URL.Path {
		case "/ok":
			fmt.Fprintf(w, `{"service":%q,"id":%q,"status":"settled"}`, q.Get("service"), q.Get("id"))
		default:
			http.Error(w, "nope", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf("verifier_endpoints:\n  ledger: %s/ok\n  psp: %s/broken\n  absent: %s/ok\n", srv.URL, srv.URL, srv.URL))

	code, stdout, stderr := result(t, "", nil, "trace", "TXN-48213", "--config", cfg, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Verifications []struct {
			Service  string
			OK       bool
			Status   int
			Error    string
			Response map[string]any
		}
		Warnings []struct{ Source, Message string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2 (the absent service is not asked)", n)
	}
	if len(doc.Verifications) != 2 {
		t.Fatalf("verifications %+v", doc.Verifications)
	}
	ledger, psp := doc.Verifications[0], doc.Verifications[1]
	if ledger.Service != "ledger" || !ledger.OK || ledger.Response["id"] != "TXN-48213" || ledger.Response["service"] != "ledger" {
		t.Errorf("ledger: %+v", ledger)
	}
	if psp.Service != "psp" || psp.OK || psp.Status != 502 || psp.Error != "HTTP 502" {
		t.Errorf("psp: %+v", psp)
	}
	found := false
	for _, w := range doc.Warnings {
		found = found || strings.Contains(w.Message, "verifier for psp: HTTP 502")
	}
	if !found {
		t.Errorf("no warning for the failed endpoint: %+v", doc.Warnings)
	}
	if !strings.Contains(stderr, "verifier for psp") {
		t.Errorf("stderr lacks the warning: %q", stderr)
	}

	// Every format shows the answers.
	for format, want := range map[string]string{
		"text":    "verified:",
		"mermaid": "verified ok",
		"csv":     ",ledger,verification,",
		"ndjson":  `{"type":"verification","service":"ledger"`,
		"html":    `"verifications": [`,
	} {
		code, stdout, stderr := result(t, "", nil, "trace", "TXN-48213", "--config", cfg, "--format", format, "-o", "-")
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("%s: exit %d, output lacks %q; stderr %q", format, code, want, stderr)
		}
	}
}
