package datadog

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/sourcetest"
	"github.com/pipetracker/pipetracker/internal/source/storetest"
)

// TestContract runs the contract suite against the fake API. The suite
// speaks of files and lines; Datadog of events. The fixture stores each
// log record of a file as one event (its message the record, its service
// the one the file's path names, a tag that sets the stored files apart
// from those of other runs of the fixture) and searches
// "datadog://suite:N". provenance maps each event back to the file and
// first line it was stored from, and its Data (the event's JSON) to the
// message, after checking both, so that the suite can compare what the
// driver returned with what the files hold.
func TestContract(t *testing.T) {
	f := &fake{apiKey: testAPIKey, appKey: testAppKey}
	srv := httptest.NewServer(f)
	defer srv.Close()
	t.Setenv(EnvAPIKey, testAPIKey)
	t.Setenv(EnvAppKey, testAppKey)
	p := &provenance{f: f, url: srv.URL, at: make(map[string]map[string]origin)}
	sourcetest.Run(t, p.driver(Driver(nil)), p.fixture)
}

type origin struct {
	path string
	line int64
}

type provenance struct {
	f   *fake
	url string

	mu  sync.Mutex
	n   int
	at  map[string]map[string]origin // location → event id → file and line
	ids int
}

func (p *provenance) fixture(t *testing.T, files map[string][]byte) source.Spec {
	p.mu.Lock()
	p.n++
	tag := fmt.Sprintf("suite:%d", p.n)
	loc := "datadog://" + tag + "?endpoint=" + p.url
	at := make(map[string]origin)
	p.at[loc] = at
	var evs []fakeEvent
	now := time.Now().Add(-time.Minute)
	for name, data := range files {
		for _, r := range storetest.Records(map[string][]byte{name: data}) {
			p.ids++
			id := fmt.Sprintf("AQAAAZ%08d", p.ids)
			at[id] = origin{name, r.Line}
			evs = append(evs, fakeEvent{
				ID: id, Time: now, Host: "fixture", Service: serviceOfPath(name), Status: "info",
				Message: strings.TrimSuffix(r.Text, "\r"), Tags: []string{tag, "env:test"},
			})
		}
	}
	p.mu.Unlock()
	p.f.add(evs...)
	return source.Spec{Location: loc}
}

// driver wraps d so that each record is checked to be a parsed event
// whose Data is the event's JSON, and carries the file and line the event
// was stored from.
func (p *provenance) driver(d source.Driver) source.Driver {
	return storetest.MapRecords(d, func(spec source.Spec) (storetest.Remap, error) {
		p.mu.Lock()
		at := p.at[spec.Location]
		p.mu.Unlock()
		if at == nil {
			return nil, fmt.Errorf("no fixture stored at %s", spec.Location)
		}
		return func(r *source.Record) (*source.Record, error) {
			o, ok := at[r.Path]
			if !ok {
				return nil, fmt.Errorf("event %q was not stored by the fixture", r.Path)
			}
			var ev event
			if err := json.Unmarshal(r.Data, &ev); err != nil || ev.ID != r.Path {
				return nil, fmt.Errorf("event %s: Data is not its JSON (%v): %s", r.Path, err, r.Data)
			}
			if r.Fields == nil || r.Time.IsZero() || r.Message != ev.Attributes.Message {
				return nil, fmt.Errorf("event %s: not a parsed record: fields %v time %v message %q", r.Path, r.Fields, r.Time, r.Message)
			}
			c := *r
			c.Path, c.Line, c.Data = o.path, o.line, []byte(ev.Attributes.Message)
			return &c, nil
		}, nil
	})
}

// serviceOfPath names the service of a stored file as a log shipper would
// tag it: its first directory, else its name before the first dot.
func serviceOfPath(name string) string {
	if dir, _, ok := strings.Cut(name, "/"); ok {
		return dir
	}
	base, _, _ := strings.Cut(name, ".")
	return base
}
