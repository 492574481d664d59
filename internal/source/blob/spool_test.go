package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestSpool(t *testing.T) {
	text := logText(50000) // several chunks
	boom := errors.New("exit status 3")
	tests := []struct {
		name    string
		finish  func(error) error
		src     func() io.Reader
		want    string
		wantErr error
	}{
		{"whole stream", nil, func() io.Reader { return strings.NewReader(text) }, text, nil},
		{"empty stream", nil, func() io.Reader { return strings.NewReader("") }, "", nil},
		{"finish replaces the end", func(error) error { return boom }, func() io.Reader { return strings.NewReader(text) }, text, boom},
		{"source error", nil, func() io.Reader {
			return io.MultiReader(strings.NewReader("abc"), errReader{boom})
		}, "abc", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSpool()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Readers start before the copy and follow it.
			type result struct {
				data string
				err  error
			}
			results := make(chan result, 2)
			for range 2 {
				go func() {
					b, err := io.ReadAll(s.Reader(context.Background()))
					results <- result{string(b), err}
				}()
			}
			go s.Fill(tt.src(), tt.finish)
			for range 2 {
				r := <-results
				if r.data != tt.want || !errors.Is(r.err, tt.wantErr) {
					t.Fatalf("read %d bytes, err %v; want %d bytes, err %v", len(r.data), r.err, len(tt.want), tt.wantErr)
				}
			}
			// A later reader reads it all again.
			b, err := io.ReadAll(s.Reader(context.Background()))
			if string(b) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("second pass: %d bytes, err %v", len(b), err)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSpoolWaitAndClose(t *testing.T) {
	s, err := NewSpool()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool directory: %v, mode %v", err, fi.Mode())
	}
	pr, pw := io.Pipe()
	go s.Fill(pr, nil)
	if _, err := pw.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}

	// A reader waiting for more returns when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := s.Reader(ctx)
	buf := make([]byte, 100)
	n, err := r.Read(buf)
	if string(buf[:n]) != "first\n" || err != nil {
		t.Fatalf("first read %q, %v", buf[:n], err)
	}
	start := time.Now()
	if _, err := r.Read(buf); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("waiting read: %v after %v", err, time.Since(start))
	}

	// Close wakes waiting readers and removes the directory.
	r2 := s.Reader(context.Background())
	r2.Read(buf)
	done := make(chan error)
	go func() {
		_, err := r2.Read(buf)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrSpoolClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("spool directory still there: %v", err)
	}
	pw.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
