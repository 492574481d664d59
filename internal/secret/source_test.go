package secret

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pipetracker/pipetracker/internal/source"
)

// lines is a source of fixed records that honours Query.IDs as bytes.
type lines struct {
	recs   []string
	closed bool
}

func (l *lines) Scan(_ context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	for i, r := range l.recs {
		for _, id := range q.IDs {
			if strings.Contains(r, id) {
				if err := out.Record(&source.Record{Data: []byte(r), Path: "app.log", Line: int64(i + 1)}); err != nil {
					return source.Stats{}, err
				}
				break
			}
		}
	}
	return source.Stats{Files: 1}, nil
}

func (l *lines) Close() error { l.closed = true; return nil }

type collect struct {
	mu    sync.Mutex
	got   []string
	warns []string
}

func (c *collect) Record(r *source.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, string(r.Data))
	return nil
}
func (c *collect) Warn(m string)       { c.warns = append(c.warns, m) }
func (c *collect) Progress(int, int64) {}

func TestDecryptingRegistry(t *testing.T) {
	ks, _ := GenerateKey()
	k, _ := ParseKey(ks)
	other, _ := GenerateKey()
	ko, _ := ParseKey(other)
	enc := func(k *Key, s string) string {
		tok, err := k.Encrypt([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	src := &lines{recs: []string{
		"plain transaction_id=TXN-1 start",
		enc(k, "sealed transaction_id=TXN-1 paid\n"),
		enc(k, "sealed transaction_id=TXN-2 other"),
		enc(ko, "sealed with another key TXN-1"),
		"plain TXN-2 not asked",
	}}
	reg := source.NewRegistry(source.Driver{Scheme: "file", Open: func(source.Spec) (source.Source, error) { return src, nil }})
	s, err := DecryptingRegistry(reg, k).Open(source.Spec{Location: "./logs"})
	if err != nil {
		t.Fatal(err)
	}
	out := &collect{}
	if _, err := s.Scan(context.Background(), &source.Query{IDs: []string{"TXN-1"}}, out); err != nil {
		t.Fatal(err)
	}
	want := []string{"plain transaction_id=TXN-1 start", "sealed transaction_id=TXN-1 paid", enc(ko, "x")[:6]}
	if len(out.got) != 3 || out.got[0] != want[0] || out.got[1] != want[1] || !strings.HasPrefix(out.got[2], "gAAAAA") {
		t.Errorf("records = %q", out.got)
	}
	if len(out.warns) != 1 || !strings.Contains(out.warns[0], "could not be decrypted") {
		t.Errorf("warnings = %q", out.warns)
	}
	if c, ok := s.(interface{ Close() error }); !ok || c.Close() != nil || !src.closed {
		t.Error("Close does not reach the wrapped source")
	}
	if bytes.Contains([]byte(strings.Join(out.got, "")), []byte("TXN-2 other")) {
		t.Error("a decrypted record without the id was passed on")
	}
}
