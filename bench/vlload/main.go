// Command vlload loads a log directory into VictoriaLogs, one row per
// record: the record's text as _msg, its time as _time, and the fields
// service (from the path, the stream field), path and line (where the
// record starts), so that a trace over VictoriaLogs can be compared with a
// trace over the same files.
//
//	go run ./bench/vlload --dir DIR/logs --url http://127.0.0.1:9428 [--batch 8MB]
//
// Records are split as Pipetracker splits them (multi-line stack traces
// stay one record); a record's time is what Pipetracker parses from it,
// with each file's modification time as the reference year of RFC 3164
// stamps. Rows without a time get the file's modification time.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vlload:", err)
		os.Exit(1)
	}
}

type row struct {
	Msg     string `json:"_msg"`
	Time    string `json:"_time"`
	Service string `json:"service"`
	Path    string `json:"path"`
	Line    int64  `json:"line"`
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("vlload", flag.ContinueOnError)
	dir := fl.String("dir", "", "directory of logs to load (required)")
	base := fl.String("url", "http://127.0.0.1:9428", "VictoriaLogs base URL")
	batchMB := fl.Int("batch", 8, "MB of JSON lines per insert request")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	start := time.Now()
	batches := make(chan []byte, 4)
	g, gctx := errgroup.WithContext(ctx)
	var rows, bytesIn int64
	for range 2 {
		g.Go(func() error {
			for b := range batches {
				if err := insert(gctx, *base, b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		flush := func() error {
			if buf.Len() == 0 {
				return nil
			}
			b := bytes.Clone(buf.Bytes())
			buf.Reset()
			select {
			case batches <- b:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		err := filepath.WalkDir(*dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(*dir, p)
			rel = filepath.ToSlash(rel)
			fi, err := d.Info()
			if err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			r, err := blob.Open(f)
			if err != nil {
				return err
			}
			defer r.Close()
			service := blob.ServiceFromPath(rel)
			return records(r, func(line int64, text []byte) error {
				pr := logline.Parse(text, logline.Options{ModTime: fi.ModTime()})
				t := pr.Time
				if t.IsZero() {
					t = fi.ModTime()
				}
				rows++
				bytesIn += int64(len(text)) + 1
				if err := enc.Encode(row{Msg: string(text), Time: t.UTC().Format(time.RFC3339Nano), Service: service, Path: rel, Line: line}); err != nil {
					return err
				}
				if buf.Len() >= *batchMB<<20 {
					return flush()
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err := g.Wait(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *base+"/internal/force_flush", nil)
	if err != nil {
		return err
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	fmt.Printf("loaded %d records (%d bytes of text) in %.1fs\n", rows, bytesIn, time.Since(start).Seconds())
	return nil
}

// records calls fn with every non-empty record of r and the line it starts
// on, a final "\r" removed.
func records(r io.Reader, fn func(line int64, text []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var (
		rec   []byte
		start int64
		n     int64
	)
	emit := func() error {
		text := bytes.TrimSuffix(rec, []byte("\r"))
		if len(strings.TrimSpace(string(text))) == 0 {
			return nil
		}
		return fn(start, text)
	}
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if rec != nil && !logline.StartsRecord(line) {
			rec = append(append(rec, '\n'), line...)
			continue
		}
		if rec != nil {
			if err := emit(); err != nil {
				return err
			}
		}
		rec = append(rec[:0:0], line...)
		start = n
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if rec != nil {
		return emit()
	}
	return nil
}

func insert(ctx context.Context, base string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/insert/jsonline?_stream_fields=service", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/stream+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("insert: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
