package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// result runs the program in-process and returns its exit code and output.
func result(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// toRoot makes the repository root the working directory, as the README's
// commands assume.
func toRoot(t *testing.T) {
	t.Helper()
	t.Chdir(filepath.Join("..", ".."))
}

type jsonReport struct {
	SchemaVersion int `json:"schema_version"`
	Summary       struct {
		Events   int      `json:"events"`
		Services int      `json:"services"`
		Path     []string `json:"path"`
		Errors   int      `json:"errors"`
	} `json:"summary"`
	Events []struct {
		Time    *time.Time `json:"time"`
		Service string     `json:"service"`
		Level   string     `json:"level"`
		Message string     `json:"message"`
		Matched struct {
			Key, Value, Via string
		} `json:"matched"`
		Origin struct {
			Source string `json:"source"`
			Path   string `json:"path"`
			Line   int64  `json:"line"`
		} `json:"origin"`
		Raw string `json:"raw"`
	} `json:"events"`
	LinkedIDs []struct {
		Key, Value string
	} `json:"linked_ids"`
	Warnings []struct {
		Source, Message string
	} `json:"warnings"`
}

func decode(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return r
}

type expectedEvent struct {
	Service string `json:"service"`
	Time    string `json:"time"`
	Path    string `json:"path"`
	Line    int64  `json:"line"`
}

// TestExamples traces the bundled example as the README does and checks
// the answer against examples/expected.json, in both modes.
func TestExamples(t *testing.T) {
	toRoot(t)
	raw, err := os.ReadFile("examples/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		ID       string          `json:"id"`
		Follow   []expectedEvent `json:"follow"`
		NoFollow []expectedEvent `json:"no_follow"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		extra []string
		want  []expectedEvent
	}{
		{"follow", nil, want.Follow},
		{"no-follow", []string{"--no-follow"}, want.NoFollow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trace", want.ID, "--config", "examples/pipetracker.yaml", "--format", "json"}, tc.extra...)
			code, out, errs := result(t, "", nil, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errs)
			}
			rep := decode(t, out)
			got := make([]expectedEvent, len(rep.Events))
			for i, e := range rep.Events {
				got[i] = expectedEvent{Service: e.Service, Path: e.Origin.Path, Line: e.Origin.Line}
				if e.Time != nil {
					got[i].Time = e.Time.UTC().Format(time.RFC3339Nano)
				}
			}
			for i := range tc.want {
				if tc.want[i].Time != "" {
					ts, err := time.Parse(time.RFC3339Nano, tc.want[i].Time)
					if err != nil {
						t.Fatalf("expected.json: event %d: %v", i, err)
					}
					tc.want[i].Time = ts.UTC().Format(time.RFC3339Nano)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d events, want %d", len(got), len(tc.want))
			}
			for i := 0; i < max(len(got), len(tc.want)); i++ {
				var g, w expectedEvent
				if i < len(got) {
					g = got[i]
				}
				if i < len(tc.want) {
					w = tc.want[i]
				}
				if g != w {
					t.Errorf("event %d:\n got  %+v\n want %+v", i, g, w)
				}
			}
		})
	}
}

// TestExamplesText checks the README's first command prints a timeline.
func TestExamplesText(t *testing.T) {
	toRoot(t)
	code, out, errs := result(t, "", nil, "trace", "TXN-48213", "--config", "examples/pipetracker.yaml")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	for _, want := range []string{"TXN-48213", "gateway", "ledger", "+0.000s"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes written to a non-terminal:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(filepath.Join(logs, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(logs, "api", "app.log"),
		"2025-10-21T09:00:00Z INFO start transaction_id=T-1\n"+
			"2025-10-21T09:00:01Z INFO other transaction_id=T-2\n")
	badConfig := filepath.Join(dir, "bad.yaml")
	write(t, badConfig, "log_sources:\n  - ./logs\nmatch_key:\n  - transaction_id\n")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"found", []string{"trace", "T-1", "-s", logs}, 0, "T-1", ""},
		{"nothing found", []string{"trace", "T-9", "-s", logs, "--format", "json"}, 1, `"events": []`, ""},
		{"usage: no id", []string{"trace"}, 2, "", "exactly one ID"},
		{"usage: bad flag", []string{"trace", "T-1", "--bogus"}, 2, "", "bogus"},
		{"usage: bad format", []string{"trace", "T-1", "-s", logs, "--format", "yaml"}, 2, "", "text"},
		{"usage: bad since", []string{"trace", "T-1", "-s", logs, "--since", "yesterday"}, 2, "", "--since"},
		{"bad id", []string{"trace", "T\x01", "-s", logs}, 2, "", "control"},
		{"config problem", []string{"trace", "T-1", "-c", badConfig}, 2, "", "bad.yaml:3"},
		{"missing source still prints", []string{"trace", "T-1", "-s", logs, "-s", filepath.Join(dir, "nope"), "--format", "json"}, 2, `"T-1"`, "nope"},
		{"no sources", []string{"trace", "T-1", "-c", writeTemp(t, dir, "empty.yaml", "match_keys: [transaction_id]\n")}, 2, "", "no log sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := result(t, "", nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			if !strings.Contains(out, tc.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.inStdout, out)
			}
			if !strings.Contains(errs, tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, errs)
			}
		})
	}
}

func TestStdinSource(t *testing.T) {
	in := "2025-10-21T09:00:00Z INFO a transaction_id=T-1 request_id=R-77\n" +
		"2025-10-21T09:00:02Z INFO b request_id=R-77\n" +
		"2025-10-21T09:00:03Z INFO c request_id=R-78\n"
	code, out, errs := result(t, in, nil, "trace", "T-1", "-s", "-", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decode(t, out)
	if len(rep.Events) != 2 {
		t.Fatalf("got %d events, want 2 (the id and its linked request_id):\n%s", len(rep.Events), out)
	}
	if v := rep.Events[1].Matched; v.Key != "request_id" || v.Value != "R-77" || v.Via != "transaction_id=T-1" {
		t.Errorf("second event matched %+v, want request_id=R-77 via transaction_id=T-1", v)
	}
}

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, errs := result(t, "", nil, "config", "init"); code != 0 {
		t.Fatalf("config init: exit %d: %s", code, errs)
	}
	if code, _, errs := result(t, "", nil, "config", "init"); code != 2 || !strings.Contains(errs, "exists") {
		t.Errorf("second config init: exit %d, stderr %q; want 2 naming the existing file", code, errs)
	}
	if code, out, errs := result(t, "", nil, "config", "validate"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("validate the written file: exit %d: %s %s", code, out, errs)
	}
	if err := os.Remove("pipetracker.yaml"); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := result(t, "", nil, "config", "--init"); code != 0 {
		t.Errorf("config --init: exit %d: %s", code, errs)
	}
	write(t, "secret.yaml", "log_sources:\n  - location: ./logs\n    options:\n      api_token: hunter3\nverifier_endpoints:\n  ledger: https://user:hunter2@verify.example/check\n")
	code, out, errs := result(t, "", nil, "config", "show", "-c", "secret.yaml")
	if code != 0 {
		t.Fatalf("config show: exit %d: %s", code, errs)
	}
	if strings.Contains(out, "hunter") {
		t.Errorf("config show printed a secret:\n%s", out)
	}
}

func TestSourcesAndVersion(t *testing.T) {
	code, out, _ := result(t, "", nil, "sources")
	if code != 0 || !strings.Contains(out, "file") || !strings.Contains(out, "exec") || !strings.Contains(out, "stdin") {
		t.Errorf("sources: exit %d:\n%s", code, out)
	}
	code, out, _ = result(t, "", nil, "version")
	if code != 0 || !strings.HasPrefix(out, "pipetracker ") {
		t.Errorf("version: exit %d: %q", code, out)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeTemp(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	write(t, p, content)
	return p
}

// TestTraceFlags checks the flags that change what is searched, over the
// bundled examples.
func TestTraceFlags(t *testing.T) {
	toRoot(t)
	base := []string{"trace", "TXN-48213", "--config", "examples/pipetracker.yaml", "--format", "json", "--no-follow"}
	count := func(t *testing.T, extra ...string) (jsonReport, int) {
		t.Helper()
		code, out, errs := result(t, "", nil, append(append([]string{}, base...), extra...)...)
		if code > 1 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		rep := decode(t, out)
		return rep, len(rep.Events)
	}
	_, keyed := count(t)
	anyRep, anyCount := count(t, "--any")
	if anyCount <= keyed {
		t.Errorf("--any found %d events, key-aware %d: --any must also find bare mentions", anyCount, keyed)
	}
	for _, e := range anyRep.Events {
		if !strings.Contains(e.Raw, "TXN-48213") {
			t.Errorf("--any matched a record without the id: %s", e.Raw)
		}
	}
	if _, n := count(t, "--key", "request_id"); n != 0 {
		t.Errorf("--key request_id found %d events for a transaction id, want 0 (--key replaces match_keys)", n)
	}
	// Which file is newest must not depend on the order in which a clone
	// wrote them: a copy of the logs, one file of the trace newest.
	logs := t.TempDir()
	if err := os.CopyFS(logs, os.DirFS("examples/logs")); err != nil {
		t.Fatal(err)
	}
	old, newest := time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC), filepath.Join(logs, "checkout", "checkout.log")
	err := filepath.WalkDir(logs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		mt := old
		if path == newest {
			mt = old.Add(time.Hour)
		}
		return os.Chtimes(path, mt, mt)
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, n := count(t, "--source", logs, "--max-files", "1")
	if n == 0 || n >= keyed {
		t.Errorf("--max-files 1 found %d events, want some but fewer than %d", n, keyed)
	}
	if !strings.Contains(fmt.Sprint(rep.Warnings), "max_files") {
		t.Errorf("--max-files 1: no warning naming the limit: %+v", rep.Warnings)
	}
	rep, n = count(t, "--max-events", "2")
	if n != 2 || keyed <= 2 {
		t.Errorf("--max-events 2 kept %d events of %d, want 2", n, keyed)
	}
	if !strings.Contains(fmt.Sprint(rep.Warnings), "max_events 2 reached") {
		t.Errorf("--max-events 2: no warning naming the limit: %+v", rep.Warnings)
	}
	if _, n := count(t, "--max-events", "0"); n != keyed {
		t.Errorf("--max-events 0 kept %d events, want all %d", n, keyed)
	}
	if _, n := count(t, "--until", "2025-10-21T09:14:07.100Z"); n == 0 || n >= keyed {
		t.Errorf("--until found %d events, want some but fewer than %d", n, keyed)
	}
	// Records without a time cannot be placed outside the window: they stay.
	sinceRep, _ := count(t, "--since", "1h")
	for _, e := range sinceRep.Events {
		if e.Time != nil {
			t.Errorf("--since 1h kept a 2025 event: %s", e.Raw)
		}
	}
}
