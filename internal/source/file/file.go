// Package file reads logs from the local file system (a directory, a file
// or a glob) and from standard input.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// Driver returns the driver of local locations (scheme "file"): a
// directory, read recursively; a single file; or a glob such as
// "logs/*/app.log*" or "logs/**/*.log". Compressed files (gzip, zstd) are
// recognised by their content, rotated names are files like any other.
func Driver() source.Driver {
	return source.Driver{
		Scheme:      "file",
		Description: "local directory (recursive), file or glob; gzip and zstd by content",
		Open: func(spec source.Spec) (source.Source, error) {
			return newSource(spec, logline.StartsRecord)
		},
	}
}

// Source reads one local location. Its Scan lists the location afresh on
// every call. A location that is a named pipe or a device (such as the
// /dev/fd/N of a shell's process substitution) can be read once: it is
// kept in a private temporary file on the first Scan, which Close removes.
type Source struct {
	spec   source.Spec
	loc    string // the location with a leading "~/" expanded
	starts func([]byte) bool
	// open opens a file for reading; tests replace it.
	open func(name string) (io.ReadCloser, error)

	mu     sync.Mutex
	stream *Stream // for a location that is not a regular file or directory
}

func newSource(spec source.Spec, starts func([]byte) bool) (*Source, error) {
	loc := strings.TrimPrefix(spec.Location, "file://")
	if loc == "" {
		return nil, errors.New("file: empty location")
	}
	if rest, ok := strings.CutPrefix(loc, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("file: %s: %w", spec.Location, err)
		}
		loc = filepath.Join(home, rest)
	}
	if hasMeta(loc) {
		if _, err := filepath.Match(loc, ""); err != nil {
			return nil, fmt.Errorf("file: %s: %w", spec.Location, err)
		}
	}
	return &Source{
		spec:   spec,
		loc:    loc,
		starts: starts,
		open:   func(name string) (io.ReadCloser, error) { return os.Open(name) },
	}, nil
}

// Scan lists the location, leaves out the files that q's limits exclude
// (each reported in one warning), and scans the rest, several at a time.
// It fails when the location does not exist or a glob matches nothing;
// files that cannot be read, binary files and corrupt compressed files are
// warnings. When out is a blob.Feed, each file is also searched for the
// ids added to the trace before it is begun, and not for the ids an
// earlier scan of the trace searched it for (see blob.Feed); a file left
// with nothing to search for is not read, nor counted in the Stats. Once the feed has a focus, the files left are read in
// blob.Queue's order.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	var stats source.Stats
	if st, err := s.streamOf(); err != nil || st != nil {
		if err != nil {
			return stats, err
		}
		return st.Scan(ctx, q, out)
	}
	files, err := list(ctx, s.loc, out)
	if err != nil {
		return stats, err
	}
	files = s.limit(files, q, out, &stats)
	if len(files) == 0 || len(q.IDs) == 0 {
		return stats, ctx.Err()
	}
	scanners := blob.NewScanners(s.starts, blob.Options{
		DetectBinary: true,
		Progress:     func(n int64) { out.Progress(0, n) },
	})
	if _, err := scanners.For(q.IDs); err != nil {
		return stats, fmt.Errorf("file: %w", err)
	}
	// With a feed, each file is searched for the ids known when it is
	// begun, less those an earlier scan of this trace searched it for
	// (blob.PlanScan).
	feed, _ := out.(blob.Feed)

	var (
		mu       sync.Mutex
		binaries []string
	)
	queue := blob.NewQueue(files, func(f entry) time.Time { return f.mod })
	g, gctx := errgroup.WithContext(ctx)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		g.Go(func() error {
			for {
				var focus time.Time
				if feed != nil {
					focus = feed.Focus()
				}
				f, ok := queue.Next(focus)
				if !ok {
					return nil
				}
				sc, finish, err := blob.PlanScan(out, scanners, q.IDs, f.path, f.size, f.mod)
				if err != nil {
					return fmt.Errorf("file: %w", err)
				}
				if sc == nil {
					continue // searched for everything already
				}
				o, err := s.scanFile(gctx, sc, f, out)
				if err != nil {
					return err
				}
				finish(o)
				mu.Lock()
				if o.Count(&stats) {
					binaries = append(binaries, f.name)
				}
				mu.Unlock()
				for _, w := range o.Warnings(f.name) {
					out.Warn(w)
				}
				out.Progress(1, 0)
			}
		})
	}
	err = g.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return stats, ctxErr
	}
	if err != nil {
		return stats, err
	}
	if len(binaries) > 0 {
		slices.Sort(binaries)
		out.Warn(fmt.Sprintf("skipped %d binary %s: %s", len(binaries), blob.Plural(len(binaries), "file"), blob.Names(binaries)))
	}
	return stats, nil
}

// streamOf returns the stream source of a location that is neither a
// regular file nor a directory, opening it on the first call; nil for
// other locations.
func (s *Source) streamOf() (*Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream != nil {
		return s.stream, nil
	}
	fi, err := os.Stat(s.loc)
	if err != nil || fi.IsDir() || fi.Mode().IsRegular() {
		return nil, nil // list reports what is wrong
	}
	r, err := s.open(s.loc)
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	base := filepath.Base(s.loc)
	s.stream = newStream(s.spec, r, r, s.loc, base, blob.ServiceFromPath(base), s.starts)
	return s.stream, nil
}

// Close removes the copy of a stream location; other locations hold
// nothing.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream == nil {
		return nil
	}
	return s.stream.Close()
}

// scanFile scans one file. Its error stops the whole scan.
func (s *Source) scanFile(ctx context.Context, sc *blob.Scanner, f entry, out source.Output) (blob.Outcome, error) {
	r, err := s.open(f.path)
	if err != nil {
		if ctx.Err() != nil {
			return blob.Outcome{}, ctx.Err()
		}
		return blob.Outcome{Fault: fmt.Errorf("cannot read: %w", unwrapPath(err))}, nil
	}
	defer r.Close()
	service := s.spec.Service
	if service == "" {
		service = blob.ServiceFromPath(f.rel)
	}
	return blob.ScanObject(ctx, sc, r, blob.Object{Name: f.name, Path: f.rel, Service: service, ModTime: f.mod}, out)
}

// limit applies q's time window and limits to files (sorted by rel) and
// reports what it leaves out.
func (s *Source) limit(files []entry, q *source.Query, out source.Output, stats *source.Stats) []entry {
	if !q.Since.IsZero() {
		var old []string
		files = slices.DeleteFunc(files, func(f entry) bool {
			if f.mod.Before(q.Since) {
				old = append(old, f.name)
				return true
			}
			return false
		})
		if len(old) > 0 {
			stats.Skip(source.SkipOld, len(old))
			out.Warn(fmt.Sprintf("skipped %d %s last modified before %s: %s",
				len(old), blob.Plural(len(old), "file"), q.Since.UTC().Format(time.RFC3339), blob.Names(old)))
		}
	}
	if q.MaxFileBytes > 0 {
		var big []string
		files = slices.DeleteFunc(files, func(f entry) bool {
			if f.size > q.MaxFileBytes {
				big = append(big, fmt.Sprintf("%s (%s)", f.name, blob.ByteSize(f.size)))
				return true
			}
			return false
		})
		if len(big) > 0 {
			stats.Skip(source.SkipTooLarge, len(big))
			stats.Truncated = true
			out.Warn(fmt.Sprintf("skipped %d %s larger than %s: %s",
				len(big), blob.Plural(len(big), "file"), blob.ByteSize(q.MaxFileBytes), blob.Names(big)))
		}
	}
	if q.MaxFiles > 0 && len(files) > q.MaxFiles {
		byAge := slices.Clone(files)
		slices.SortStableFunc(byAge, func(a, b entry) int { return b.mod.Compare(a.mod) })
		keep := make(map[string]bool, q.MaxFiles)
		for _, f := range byAge[:q.MaxFiles] {
			keep[f.path] = true
		}
		var left []string
		files = slices.DeleteFunc(files, func(f entry) bool {
			if !keep[f.path] {
				left = append(left, f.name)
				return true
			}
			return false
		})
		stats.Skip(source.SkipMaxFiles, len(left))
		stats.Truncated = true
		out.Warn(fmt.Sprintf("max_files %d reached: left out %d older %s: %s",
			q.MaxFiles, len(left), blob.Plural(len(left), "file"), blob.Names(left)))
	}
	return files
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// warning names already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
