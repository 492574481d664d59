package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/live"
	"github.com/pipetracker/pipetracker/internal/redact"
	"github.com/pipetracker/pipetracker/internal/render"
	"github.com/pipetracker/pipetracker/internal/secret"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// pii are values of the corpus that no output may show.
var pii = []string{
	"anna.smith@example.com", "bob@corp-internal.io", "zoe+orders@shop.co.uk",
	"4111 1111 1111 1111", "4111111111111111", "5500-0055-5555-5559", "378282246310005",
	"DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
	"+44 20 7946 0958", "(415) 555-2671",
	"078-05-1120",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"mF_9.B5f-4.1JqM", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"hunter2", "s3ss10n-c00kie",
}

// writePIICorpus writes logs of three services in which every record of
// TXN-77 (and of its linked request REQ-9) carries personal data or a
// credential, and returns the directory and the number of records of the
// trace.
func writePIICorpus(t *testing.T) (string, int) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"gateway.log": `2025-10-21T09:14:03.100Z INFO gateway request transaction_id=TXN-77 request_id=REQ-9 from anna.smith@example.com
2025-10-21T09:14:03.105Z DEBUG gateway headers transaction_id=TXN-77 Authorization: Bearer mF_9.B5f-4.1JqM Cookie: session=s3ss10n-c00kie
2025-10-21T09:14:03.110Z INFO gateway unrelated transaction_id=TXN-1 user=someone@example.com
`,
		"payments.log": `{"ts":"2025-10-21T09:14:04.000Z","level":"info","msg":"charging card 4111 1111 1111 1111 for anna.smith@example.com","transaction_id":"TXN-77","customer":{"email":"anna.smith@example.com","phone":"+44 20 7946 0958","ssn":"078-05-1120"},"card":{"pan":4111111111111111,"backup":"5500-0055-5555-5559","amex":"378282246310005"}}
{"ts":"2025-10-21T09:14:04.200Z","level":"error","msg":"refund to DE89370400440532013000 failed, call (415) 555-2671","request_id":"REQ-9","iban2":"GB82 WEST 1234 5698 7654 32","password":"hunter2"}
`,
		"auth.log": `2025-10-21T09:14:05.000Z INFO auth token issued request_id=REQ-9 jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U
2025-10-21T09:14:05.100Z WARN auth aws creds request_id=REQ-9 aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
2025-10-21T09:14:05.200Z INFO auth notify request_id=REQ-9 bob@corp-internal.io zoe+orders@shop.co.uk
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, 7
}

func keyEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{secret.KeyEnv: k}
	for n, v := range extra {
		env[n] = v
	}
	return env
}

func TestRedactionEveryFormat(t *testing.T) {
	dir, events := writePIICorpus(t)
	outDir := t.TempDir()
	for _, format := range render.Formats() {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(outDir, "trace."+format)
			code, stdout, stderr := result(t, "", nil, "trace", "TXN-77", "-s", dir, "-k", "transaction_id", "-k", "request_id", "--format", format, "-o", out, "-v")
			if code != exitFound {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			all := string(data) + stdout + stderr
			for _, v := range pii {
				if strings.Contains(all, v) {
					t.Errorf("%s output shows %q", format, v)
				}
			}
			if format == "mermaid" {
				return // a diagram of services: no records to check
			}
			for _, id := range []string{"TXN-77", "REQ-9"} {
				if !strings.Contains(all, id) {
					t.Errorf("%s output lost the id %s", format, id)
				}
			}
			if !strings.Contains(all, "REDACTED") {
				t.Errorf("%s output shows no redaction mark", format)
			}
		})
	}
	// The trace is complete: every record of the request, counted once per
	// rule in the summary.
	code, stdout, stderr := result(t, "", nil, "trace", "TXN-77", "-s", dir, "-k", "transaction_id", "-k", "request_id", "--format", "json")
	if code != exitFound {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep struct {
		Summary struct {
			Events     int            `json:"events"`
			Redactions map[string]int `json:"redactions"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Events != events {
		t.Errorf("events = %d, want %d", rep.Summary.Events, events)
	}
	for _, rule := range []string{"email", "card", "iban", "phone", "ssn", "jwt", "bearer", "aws_key", "aws_secret", "secret_field"} {
		if rep.Summary.Redactions[rule] == 0 {
			t.Errorf("summary.redactions has no %s: %v", rule, rep.Summary.Redactions)
		}
	}
	// --no-redact shows the records as logged.
	_, stdout, _ = result(t, "", nil, "trace", "TXN-77", "-s", dir, "--format", "json", "--no-redact")
	if !strings.Contains(stdout, "anna.smith@example.com") {
		t.Error("--no-redact still redacts")
	}
}

func TestRedactionHashMode(t *testing.T) {
	dir, _ := writePIICorpus(t)
	cfg := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(cfg, []byte("match_keys: [transaction_id, request_id]\nredaction:\n  mode: hash\nsecurity:\n  secrets_dir: "+t.TempDir()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := result(t, "", nil, "trace", "TXN-77", "-s", dir, "-c", cfg)
	if code != exitError || !strings.Contains(stderr, "refusing to start") {
		t.Fatalf("hash mode without a key: exit %d, %s", code, stderr)
	}
	env := map[string]string{"PIPETRACKER_REDACT_KEY": "k1"}
	code, out1, stderr := result(t, "", env, "trace", "TXN-77", "-s", dir, "-c", cfg, "--format", "json")
	if code != exitFound {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, out2, _ := result(t, "", env, "trace", "TXN-77", "-s", dir, "-c", cfg, "--format", "json")
	pseudo := regexp.MustCompile(`email:[0-9a-f]{8}`)
	p1, p2 := pseudo.FindAllString(out1, -1), pseudo.FindAllString(out2, -1)
	if len(p1) == 0 || strings.Join(p1, ",") != strings.Join(p2, ",") {
		t.Errorf("pseudonyms not stable across runs: %v vs %v", p1, p2)
	}
	if strings.Contains(out1, "anna.smith@example.com") {
		t.Error("hash mode shows the address")
	}
}

func TestEncryptedReports(t *testing.T) {
	dir, _ := writePIICorpus(t)
	cfg := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(cfg, []byte("match_keys: [transaction_id, request_id]\nsecurity:\n  encrypt_logs: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := result(t, "", nil, "trace", "TXN-77", "-s", dir, "-c", cfg, "--format", "json", "-o", out)
	if code != exitError || !strings.Contains(stderr, secret.KeyEnv) {
		t.Fatalf("encrypt_logs without a key: exit %d, %s", code, stderr)
	}
	env := keyEnv(t, nil)
	if code, _, stderr = result(t, "", env, "trace", "TXN-77", "-s", dir, "-c", cfg, "--format", "json", "-o", out); code != exitFound {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sealed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !secret.LooksLikeToken(sealed) || strings.Contains(string(sealed), "TXN-77") {
		t.Fatalf("report is not a token: %.80s", sealed)
	}
	plain := filepath.Join(t.TempDir(), "plain.json")
	if code, _, stderr = result(t, "", env, "decrypt", out, "-o", plain); code != exitFound {
		t.Fatalf("decrypt: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(plain)
	if r := decode(t, string(data)); r.Summary.Events != 7 {
		t.Errorf("decrypted report has %d events", r.Summary.Events)
	}
	code, stdout, _ := result(t, "", env, "decrypt", out)
	if code != exitFound || !strings.HasPrefix(stdout, "{") {
		t.Errorf("decrypt to stdout: exit %d, %.40q", code, stdout)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no key", nil, []string{"decrypt", out}, secret.KeyEnv},
		{"other key", keyEnv(t, nil), []string{"decrypt", out}, "not a valid token"},
		{"not a report", env, []string{"decrypt", cfg}, "not a valid token"},
		{"missing file", env, []string{"decrypt", filepath.Join(dir, "nope")}, "no such file"},
		{"no file", env, []string{"decrypt"}, "exactly one FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := result(t, "", tt.env, tt.args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func TestEncryptedInputRecords(t *testing.T) {
	env := keyEnv(t, nil)
	k, _ := secret.ParseKey(env[secret.KeyEnv])
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("2025-10-21T09:14:03Z INFO api start transaction_id=TXN-5\n")
	for _, line := range []string{
		"2025-10-21T09:14:04Z INFO api sealed step transaction_id=TXN-5 mail=anna.smith@example.com",
		"2025-10-21T09:14:05Z INFO api sealed other transaction_id=TXN-6",
	} {
		tok, err := k.Encrypt([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(tok)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "api.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := result(t, "", env, "trace", "TXN-5", "-s", dir, "--format", "json")
	if code != exitFound {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode(t, stdout)
	if r.Summary.Events != 2 || !strings.Contains(stdout, "sealed step") || strings.Contains(stdout, "anna.smith") {
		t.Errorf("events %d; output %s", r.Summary.Events, stdout)
	}
	// Without the key the sealed record is not found.
	_, stdout, _ = result(t, "", nil, "trace", "TXN-5", "-s", dir, "--format", "json")
	if r := decode(t, stdout); r.Summary.Events != 1 {
		t.Errorf("without key: %d events", r.Summary.Events)
	}
}

func TestSecretCommands(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, _ := result(t, "", nil, "secret", "keygen")
	if code != exitFound {
		t.Fatalf("keygen exit %d", code)
	}
	key := strings.TrimSpace(stdout)
	if _, err := secret.ParseKey(key); err != nil {
		t.Fatalf("keygen printed %q: %v", key, err)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("keygen wrote files: %v", entries)
	}
	env := map[string]string{secret.KeyEnv: key}
	tests := []struct {
		name  string
		stdin string
		env   map[string]string
		args  []string
		code  int
		want  string
	}{
		{"set", "dd-secret-value\n", env, []string{"secret", "set", "dd_api_key"}, exitFound, "mode 0600"},
		{"value on argv refused", "", env, []string{"secret", "set", "dd_api_key", "dd-secret-value"}, exitError, "standard input"},
		{"no key", "v", nil, []string{"secret", "set", "x"}, exitError, secret.KeyEnv},
		{"bad name", "v", env, []string{"secret", "set", "../x"}, exitError, "bad secret name"},
		{"empty value", "", env, []string{"secret", "set", "y"}, exitError, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := result(t, tt.stdin, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, "dd-secret-value") {
				t.Error("stderr shows the secret")
			}
		})
	}
	st, err := os.Stat(".dd_api_key_secret")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", st, err)
	}
	v, err := (&secret.Store{Getenv: func(k string) string { return env[k] }}).Lookup("dd_api_key")
	if err != nil || v != "dd-secret-value" {
		t.Errorf("Lookup = %q, %v", v, err)
	}
	if _, err := os.Stat(".x_secret"); err == nil {
		t.Error("set without a key wrote a file")
	}
}

// TestRedactErr checks that an error a trace fails with is shown with its
// personal data redacted, the traced id kept, and its causes still seen
// by errors.Is.
func TestRedactErr(t *testing.T) {
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sec := &security{red: red}
	cause := fmt.Errorf("source s3://logs: record of anna.smith@example.com for TXN-77: %w", context.DeadlineExceeded)
	for _, tc := range []struct {
		name    string
		sec     *security
		err     error
		want    string
		wrapped bool
	}{
		{"redacted", sec, cause, "source s3://logs: record of [REDACTED:email] for TXN-77: context deadline exceeded", true},
		{"clean error as it is", sec, context.Canceled, "context canceled", false},
		{"redaction off", &security{}, cause, cause.Error(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.sec.redactErr(tc.err, "TXN-77")
			if got.Error() != tc.want {
				t.Fatalf("got %q, want %q", got.Error(), tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("%v does not wrap %v", got, tc.err)
			}
			if _, ok := got.(*redactedError); ok != tc.wrapped {
				t.Fatalf("redactedError %v, want %v", ok, tc.wrapped)
			}
		})
	}
}

// TestRedactWarning checks that a live trace's warning is redacted with
// the trace's own ids kept, and left alone when redaction is off.
func TestRedactWarning(t *testing.T) {
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := &trace.Report{Query: trace.Query{ID: "TXN-77"}, LinkedIDs: []trace.LinkedID{{Value: "+4420794609581"}}}
	msg := "kafka://broker:9092/orders: record for anna.smith@example.com, TXN-77 and +4420794609581 dropped"
	want := "kafka://broker:9092/orders: record for [REDACTED:email], TXN-77 and +4420794609581 dropped"
	if got := (&security{red: red}).redactWarning(rep, msg); got != want {
		t.Errorf("redacted: got %q, want %q", got, want)
	}
	if got := (&security{}).redactWarning(rep, msg); got != msg {
		t.Errorf("redaction off: got %q", got)
	}
}

// TestLiveDecrypt checks that a live trace gets the key's decryption when
// a key is configured, and nothing without one.
func TestLiveDecrypt(t *testing.T) {
	text, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.ParseKey(text)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := key.Encrypt([]byte("2025-10-21T09:00:00Z INFO paid transaction_id=TXN-77\n"))
	if err != nil {
		t.Fatal(err)
	}
	var lo live.Options
	(&security{}).liveDecrypt(&lo)
	if lo.Decrypt != nil || lo.TokenPrefix != "" {
		t.Fatal("decryption set without a key")
	}
	(&security{key: key}).liveDecrypt(&lo)
	if lo.Decrypt == nil || lo.TokenPrefix != secret.TokenPrefix {
		t.Fatal("decryption not set with a key")
	}
	plain, ok, err := lo.Decrypt(tok)
	if err != nil || !ok || string(plain) != "2025-10-21T09:00:00Z INFO paid transaction_id=TXN-77" {
		t.Fatalf("Decrypt = %q, %v, %v", plain, ok, err)
	}
}
