// Package gcs reads logs from Google Cloud Storage: "gs://bucket/prefix"
// (also spelt "gcs://bucket/prefix").
package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// maxAttempts is how many times the client sends one request that fails
// with a 5xx or 429 answer or a network error.
const maxAttempts = 5

// emulatorEnv names the environment variable that points the client at an
// emulator (fake-gcs-server and the like) instead of Google's servers.
const emulatorEnv = "STORAGE_EMULATOR_HOST"

// tuning holds what tests change: the listing's page size and the
// client's pause between attempts.
type tuning struct {
	pageSize int
	backoff  *gax.Backoff // nil: the client's default
}

// Driver returns the driver of "gs://bucket/prefix" locations.
// Credentials are Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
// gcloud's user credentials, the metadata server); STORAGE_EMULATOR_HOST
// points the client at an emulator, without credentials.
func Driver() source.Driver { return driver("gs", tuning{}) }

// AliasDriver returns the same driver for the "gcs://" spelling.
func AliasDriver() source.Driver { return driver("gcs", tuning{}) }

func driver(scheme string, tn tuning) source.Driver {
	return source.Driver{
		Scheme:      scheme,
		Description: "Google Cloud Storage: " + scheme + "://bucket/prefix; gzip and zstd by content",
		Open: func(spec source.Spec) (source.Source, error) {
			return open(spec, tn)
		},
	}
}

// Source reads the objects under one Cloud Storage prefix. The client is
// made on the first Scan; the listing is read once and kept for the later
// scans. Close releases the client and the copies kept on disk.
type Source struct {
	*blob.Bucket
	st *store
}

func open(spec source.Spec, tn tuning) (*Source, error) {
	loc, err := blob.ParseLocation(spec.Location, "gs", "gcs")
	if err != nil {
		return nil, fmt.Errorf("gcs: %s: %w", source.Redact(spec.Location), err)
	}
	cfg, err := blob.ParseConfig(blob.MergeOptions(spec.Options, loc.Options))
	if err != nil {
		return nil, fmt.Errorf("gcs: %s: %w", source.Redact(spec.Location), err)
	}
	scheme, _, _ := strings.Cut(spec.Location, "://")
	cfg.Name = func(e blob.Entry) string { return strings.ToLower(scheme) + "://" + loc.Bucket + "/" + e.Key }
	st := &store{bucket: loc.Bucket, prefix: loc.Prefix, tn: tn}
	return &Source{Bucket: blob.NewBucket(st, spec, cfg), st: st}, nil
}

// Scan implements source.Source; see blob.Bucket.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	st, err := s.Bucket.Scan(ctx, q, out)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("gcs: %w", err)
	}
	return st, err
}

// Close releases the client and removes the copies kept for later scans.
func (s *Source) Close() error {
	return errors.Join(s.Bucket.Close(), s.st.close())
}

// store is the blob.Store of one bucket and prefix.
type store struct {
	bucket, prefix string
	tn             tuning

	mu     sync.Mutex
	client *storage.Client
	// compressed says objects are read as stored: true but through an
	// emulator, whose JSON reads do not take the header that asks for it.
	compressed bool
}

// clientOf makes the client on first use.
func (st *store) clientOf(ctx context.Context) (*storage.Client, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.client != nil {
		return st.client, nil
	}
	var opts []option.ClientOption
	st.compressed = true
	if os.Getenv(emulatorEnv) != "" {
		st.compressed = false
		// Emulators serve the JSON API; the XML API that the client reads
		// objects through by default needs host names they may not set up.
		opts = append(opts, storage.WithJSONReads())
	}
	c, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloud storage client: %w", err)
	}
	retry := []storage.RetryOption{storage.WithMaxAttempts(maxAttempts)}
	if st.tn.backoff != nil {
		retry = append(retry, storage.WithBackoff(*st.tn.backoff))
	}
	c.SetRetry(retry...)
	st.client = c
	return c, nil
}

func (st *store) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.client == nil {
		return nil
	}
	err := st.client.Close()
	st.client = nil
	if err != nil {
		return fmt.Errorf("gcs: close client: %w", err)
	}
	return nil
}

// List implements blob.Store.
func (st *store) List(ctx context.Context, fn func(blob.Entry) error) error {
	c, err := st.clientOf(ctx)
	if err != nil {
		return err
	}
	q := &storage.Query{Prefix: st.prefix}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated", "Generation"}); err != nil {
		return err
	}
	it := c.Bucket(st.bucket).Objects(ctx, q)
	if st.tn.pageSize > 0 {
		it.PageInfo().MaxSize = st.tn.pageSize
	}
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if strings.HasSuffix(a.Name, "/") {
			continue // a folder marker
		}
		err = fn(blob.Entry{
			Key:     a.Name,
			Rel:     strings.TrimPrefix(a.Name, st.prefix),
			Size:    a.Size,
			ModTime: a.Updated,
			Version: strconv.FormatInt(a.Generation, 10),
		})
		if err != nil {
			return err
		}
	}
}

// Open implements blob.Store. It reads the generation the listing saw, as
// stored where it can: an object uploaded with Content-Encoding gzip is
// then not unzipped by the server, but by the scanner like any other.
func (st *store) Open(ctx context.Context, e blob.Entry) (io.ReadCloser, error) {
	c, err := st.clientOf(ctx)
	if err != nil {
		return nil, err
	}
	o := c.Bucket(st.bucket).Object(e.Key).ReadCompressed(st.compressed)
	if gen, err := strconv.ParseInt(e.Version, 10, 64); err == nil && gen > 0 {
		o = o.Generation(gen)
	}
	return o.NewReader(ctx)
}
