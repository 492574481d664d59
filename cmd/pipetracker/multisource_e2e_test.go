package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMultiSource traces one request whose records are spread over local
// files, a Kafka topic and Datadog, and checks that the CLI returns them
// as one timeline in time order, found through the linked request id as
// well, each with its provenance.
func TestMultiSource(t *testing.T) {
	t0 := time.Now().Add(-30 * time.Minute).UTC().Truncate(time.Millisecond)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	stamp := func(s int) string { return at(s).Format("2006-01-02T15:04:05.000Z") }

	// Local files.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "checkout"), 0o755); err != nil {
		t.Fatal(err)
	}
	logText := stamp(0) + " INFO checkout started transaction_id=TXN-E2E-7 request_id=req-e2e-1\n" +
		stamp(2) + " INFO unrelated transaction_id=TXN-E2E-8\n" +
		stamp(4) + " INFO checkout done transaction_id=TXN-E2E-7\n"
	if err := os.WriteFile(filepath.Join(dir, "checkout", "app.log"), []byte(logText), 0o644); err != nil {
		t.Fatal(err)
	}

	// Kafka: a JSON payload with its own time, and a text payload without
	// one, whose time is the record's.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(2), kfake.SeedTopics(2, "payments-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = prod.ProduceSync(ctx,
		&kgo.Record{Topic: "payments-e2e", Partition: 0, Timestamp: at(1).Add(40 * time.Millisecond),
			Value: []byte(`{"ts":"` + stamp(1) + `","level":"info","msg":"authorise","transaction_id":"TXN-E2E-7"}`)},
		&kgo.Record{Topic: "payments-e2e", Partition: 1, Timestamp: at(2),
			Value: []byte("WARN card retry request_id=req-e2e-1")},
		&kgo.Record{Topic: "payments-e2e", Partition: 1, Timestamp: at(3),
			Value: []byte(`{"ts":"` + stamp(3) + `","msg":"other","transaction_id":"TXN-E2E-8"}`)},
	).FirstErr()
	if err != nil {
		t.Fatal(err)
	}

	// Datadog.
	dd := &ddFake{events: []ddEvent{
		{ID: "AQAAAYe2e-label", At: at(3), Service: "shipping", Status: "info", Message: "label printed",
			Attrs: map[string]any{"transaction_id": "TXN-E2E-7"}},
		{ID: "AQAAAYe2e-fail", At: at(5), Service: "shipping", Status: "error", Message: "carrier rejected request_id=req-e2e-1"},
		{ID: "AQAAAYe2e-other", At: at(5), Service: "shipping", Status: "info", Message: "TXN-E2E-8"},
	}}
	srv := httptest.NewServer(dd)
	defer srv.Close()
	// The CLI hands its environment to the sources: the keys reach the
	// Datadog driver through run's getenv, not the process environment.
	environ := map[string]string{"DD_API_KEY": "e2e-api-key", "DD_APP_KEY": "e2e-app-key"}

	kafkaLoc := "kafka://" + strings.Join(cluster.ListenAddrs(), ",") + "/payments-e2e?service=payments"
	ddLoc := "datadog://env:e2e?endpoint=" + srv.URL
	type want struct {
		service, path, level string
		sec                  int
		line                 int64
	}
	wants := []want{
		{"checkout", "checkout/app.log", "info", 0, 1},
		{"payments", "payments-e2e/0", "info", 1, 0},
		{"payments", "payments-e2e/1", "warn", 2, 0},
		{"shipping", "AQAAAYe2e-label", "info", 3, 0},
		{"checkout", "checkout/app.log", "info", 4, 3},
		{"shipping", "AQAAAYe2e-fail", "error", 5, 0},
	}
	for _, tc := range []struct {
		name   string
		window []string
	}{
		{name: "default window"},
		{name: "given window", window: []string{"--since", at(-60).Format(time.RFC3339), "--until", at(60).Format(time.RFC3339)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trace", "TXN-E2E-7", "-s", dir, "-s", kafkaLoc, "-s", ddLoc, "--format", "json"}, tc.window...)
			code, out, errs := result(t, "", environ, args...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, errs, out)
			}
			rep := decode(t, out)
			if len(rep.Events) != len(wants) {
				t.Fatalf("got %d events, want %d:\n%s", len(rep.Events), len(wants), out)
			}
			for i, w := range wants {
				e := rep.Events[i]
				if e.Service != w.service || e.Origin.Path != w.path || e.Origin.Line != w.line || e.Level != w.level || e.Time == nil || !e.Time.Equal(at(w.sec)) {
					t.Errorf("event %d: %s %s:%d %s at %v; want %s %s:%d %s at %v",
						i, e.Service, e.Origin.Path, e.Origin.Line, e.Level, e.Time, w.service, w.path, w.line, w.level, at(w.sec))
				}
			}
			if src := rep.Events[1].Origin.Source; !strings.HasPrefix(src, "kafka://") {
				t.Errorf("kafka event's source %q", src)
			}
			if !slices.Equal(rep.Summary.Path, []string{"checkout", "payments", "shipping"}) {
				t.Errorf("summary path %v", rep.Summary.Path)
			}
			if !slices.ContainsFunc(rep.LinkedIDs, func(l struct{ Key, Value string }) bool { return l.Value == "req-e2e-1" }) {
				t.Errorf("linked ids %v, want req-e2e-1", rep.LinkedIDs)
			}
			if len(rep.Warnings) != 0 {
				t.Errorf("warnings %v", rep.Warnings)
			}
		})
	}
	if n := dd.searches(); n < 4 {
		t.Errorf("Datadog saw %d searches, want one per pass and run", n)
	}
}

// ddFake answers the Logs Search API with the events whose message or
// attributes hold one of the quoted full-text terms of the query, within
// the window; one page.
type ddFake struct {
	events []ddEvent

	mu sync.Mutex
	n  int
}

type ddEvent struct {
	ID, Service, Status, Message string
	At                           time.Time
	Attrs                        map[string]any
}

var ddTerm = regexp.MustCompile(`\*:"((?:[^"\\]|\\.)*)"`)

func (f *ddFake) searches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *ddFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/logs/events/search" || r.Header.Get("DD-API-KEY") != "e2e-api-key" || r.Header.Get("DD-APPLICATION-KEY") != "e2e-app-key" {
		http.Error(w, `{"errors":["Forbidden"]}`, http.StatusForbidden)
		return
	}
	var req struct {
		Filter struct{ Query, From, To string }
		Page   struct{ Limit int }
		Sort   string
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"errors":["bad body"]}`, http.StatusBadRequest)
		return
	}
	from, err1 := time.Parse(time.RFC3339Nano, req.Filter.From)
	to, err2 := time.Parse(time.RFC3339Nano, req.Filter.To)
	if err1 != nil || err2 != nil || !strings.HasPrefix(req.Filter.Query, "(env:e2e) ") || req.Sort != "timestamp" {
		http.Error(w, `{"errors":["bad request"]}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	var terms []string
	for _, m := range ddTerm.FindAllStringSubmatch(req.Filter.Query, -1) {
		terms = append(terms, strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[1]))
	}
	data := []any{}
	for _, e := range f.events {
		raw, _ := json.Marshal(e.Attrs)
		holds := slices.ContainsFunc(terms, func(id string) bool {
			return strings.Contains(e.Message, id) || strings.Contains(string(raw), id)
		})
		if holds && !e.At.Before(from) && e.At.Before(to) {
			data = append(data, map[string]any{"id": e.ID, "type": "log", "attributes": map[string]any{
				"attributes": e.Attrs, "host": "ship-1", "message": e.Message, "service": e.Service,
				"status": e.Status, "tags": []string{"env:e2e"}, "timestamp": e.At.Format(time.RFC3339Nano),
			}})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": map[string]any{"status": "done"}})
}
