package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var inFlight, peak atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(w, `{"service":%q,"id":%q,"state":"settled"}`, r.URL.Query().Get("service"), r.URL.Query().Get("id"))
	})
	mux.HandleFunc("/array", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `[1,2]`) })
	mux.HandleFunc("/null", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `null`) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `<html>`) })
	mux.HandleFunc("/500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, `{"error":"boom"}`, 500) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"x":"`+strings.Repeat("a", maxBody)+`"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name      string
		services  []string
		endpoints map[string]string
		wantOK    []bool
		wantErr   []string // substring of each result's error
	}{
		{"none configured", []string{"a", "b"}, nil, nil, nil},
		{"absent service ignored", []string{"a"}, map[string]string{"z": srv.URL + "/ok"}, nil, nil},
		{"ok object", []string{"a"}, map[string]string{"a": srv.URL + "/ok"}, []bool{true}, []string{""}},
		{"query kept", []string{"a"}, map[string]string{"a": srv.URL + "/ok?token=x"}, []bool{true}, []string{""}},
		{"array", []string{"a"}, map[string]string{"a": srv.URL + "/array"}, []bool{false}, []string{"not a JSON object"}},
		{"null", []string{"a"}, map[string]string{"a": srv.URL + "/null"}, []bool{false}, []string{"not a JSON object"}},
		{"html", []string{"a"}, map[string]string{"a": srv.URL + "/html"}, []bool{false}, []string{"not a JSON object"}},
		{"server error", []string{"a"}, map[string]string{"a": srv.URL + "/500"}, []bool{false}, []string{"HTTP 500"}},
		{"timeout", []string{"a"}, map[string]string{"a": srv.URL + "/slow"}, []bool{false}, []string{"no answer within"}},
		{"too big", []string{"a"}, map[string]string{"a": srv.URL + "/big"}, []bool{false}, []string{"larger than"}},
		{"refused", []string{"a"}, map[string]string{"a": closedURL}, []bool{false}, []string{"refused"}},
		{"not a URL", []string{"a"}, map[string]string{"a": "ftp://x/y"}, []bool{false}, []string{"not an absolute"}},
		{
			"path order, mixed",
			[]string{"c", "b", "a", "b"},
			map[string]string{"a": srv.URL + "/ok", "b": srv.URL + "/500", "c": srv.URL + "/ok"},
			[]bool{true, false, true}, []string{"", "HTTP 500", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Run(context.Background(), "TXN-1", tt.services, tt.endpoints, Options{Timeout: 200 * time.Millisecond})
			if len(got) != len(tt.wantOK) {
				t.Fatalf("got %d results, want %d: %+v", len(got), len(tt.wantOK), got)
			}
			for i, v := range got {
				if v.OK != tt.wantOK[i] {
					t.Errorf("result %d (%s): ok=%v, want %v (error %q)", i, v.Service, v.OK, tt.wantOK[i], v.Error)
				}
				if tt.wantErr[i] == "" && v.Error != "" || !strings.Contains(v.Error, tt.wantErr[i]) {
					t.Errorf("result %d (%s): error %q, want it to contain %q", i, v.Service, v.Error, tt.wantErr[i])
				}
				if v.OK && (v.Response["id"] != "TXN-1" || v.Response["service"] != v.Service || v.Status != 200) {
					t.Errorf("result %d: response %v status %d", i, v.Response, v.Status)
				}
			}
		})
	}

	t.Run("bounded concurrency", func(t *testing.T) {
		peak.Store(0)
		eps := map[string]string{}
		var svcs []string
		for i := range 10 {
			s := fmt.Sprintf("s%d", i)
			svcs = append(svcs, s)
			eps[s] = srv.URL + "/ok"
		}
		got := Run(context.Background(), "TXN-1", svcs, eps, Options{Concurrency: 2})
		for _, v := range got {
			if !v.OK {
				t.Errorf("%s: %s", v.Service, v.Error)
			}
		}
		if p := peak.Load(); p > 2 || p < 1 {
			t.Errorf("peak concurrency %d, want 1..2", p)
		}
	})

	t.Run("credentials redacted", func(t *testing.T) {
		u := strings.Replace(closedURL, "http://", "http://user:secret@", 1)
		got := Run(context.Background(), "TXN-1", []string{"a"}, map[string]string{"a": u}, Options{})
		if len(got) != 1 || strings.Contains(got[0].Endpoint+got[0].Error, "secret") {
			t.Errorf("credentials shown: %+v", got)
		}
	})
}
