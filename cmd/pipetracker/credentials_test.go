package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestCredentialsFromSecretFiles checks that a source's credentials come
// from the secret store's files when the environment has none, and that a
// file others may read is refused with a warning that does not show it.
func TestCredentialsFromSecretFiles(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("DD-API-KEY")+"/"+r.Header.Get("DD-APPLICATION-KEY"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": []any{}, "meta": map[string]any{"status": "done"}})
	}))
	defer srv.Close()

	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, value string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(secrets, "."+name+"_secret")
		if err := os.WriteFile(p, []byte(value), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("dd_api_key", "file-api-key-0001", 0o600)
	write("dd_app_key", "file-app-key-0002", 0o600)
	cfg := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(cfg, []byte("log_sources:\n  - datadog://service:x?endpoint="+srv.URL+
		"\nmatch_keys: [transaction_id]\nsecurity:\n  secrets_dir: "+secrets+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := result(t, "", nil, "trace", "T-1", "-c", cfg, "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (nothing found, no failure): %s", code, errs)
	}
	mu.Lock()
	if len(seen) == 0 || seen[0] != "file-api-key-0001/file-app-key-0002" {
		t.Errorf("keys sent %q, want both from their files", seen)
	}
	mu.Unlock()

	// A file others may read is refused: a warning names the variable, the
	// source fails with its own message, and no value is printed.
	write("dd_app_key", "file-app-key-0002", 0o644)
	code, out, errs = result(t, "", nil, "trace", "T-1", "-c", cfg, "--format", "json")
	if code != 2 || !strings.Contains(errs, "DD_APP_KEY") || !strings.Contains(errs, "chmod 600") {
		t.Errorf("exit %d, stderr:\n%s\nwant 2 and a warning about the readable file", code, errs)
	}
	if strings.Contains(out+errs, "file-app-key-0002") || strings.Contains(out+errs, "file-api-key-0001") {
		t.Fatalf("a secret reached the output:\n%s\n%s", out, errs)
	}
}
