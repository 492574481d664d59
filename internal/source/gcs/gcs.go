// Package gcs reads logs from Google Cloud Storage: "gs://bucket/prefix"
// (also spelt "gcs://bucket/prefix").
package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// The driver uses Google's client of the Cloud Storage JSON API
// (google.golang.org/api/storage/v1): the layer through which
// cloud.google.com/go/storage itself speaks HTTP, with the same
// Application Default Credentials. The higher client also links gRPC,
// xDS and OpenTelemetry exporters, which the tool never uses and which
// cost every start of it, whatever the sources, about 8 ms (more than
// half its start-up; docs/performance.md). The retries it would add are
// done here, with the same rules.

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
// scans. Close (the Bucket's) removes the copies kept on disk; the client
// holds nothing to release.
type Source struct {
	*blob.Bucket
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
	return &Source{Bucket: blob.NewBucket(st, spec, cfg)}, nil
}

// Scan implements source.Source; see blob.Bucket.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	st, err := s.Bucket.Scan(ctx, q, out)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("gcs: %w", err)
	}
	return st, err
}

// store is the blob.Store of one bucket and prefix.
type store struct {
	bucket, prefix string
	tn             tuning

	mu  sync.Mutex
	svc *storage.Service
	// compressed says objects are read as stored: true but through an
	// emulator, whose reads do not take the header that asks for it.
	compressed bool
}

// serviceOf makes the client on first use.
func (st *store) serviceOf(ctx context.Context) (*storage.Service, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.svc != nil {
		return st.svc, nil
	}
	opts := []option.ClientOption{option.WithScopes(storage.DevstorageReadOnlyScope)}
	st.compressed = true
	if host := os.Getenv(emulatorEnv); host != "" {
		st.compressed = false
		opts = []option.ClientOption{option.WithEndpoint(emulatorEndpoint(host)), option.WithoutAuthentication()}
	}
	svc, err := storage.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloud storage client: %w", err)
	}
	st.svc = svc
	return svc, nil
}

// emulatorEndpoint is the JSON API's root on an emulator at host
// ("127.0.0.1:4443" or a URL).
func emulatorEndpoint(host string) string {
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	return strings.TrimSuffix(host, "/") + "/storage/v1/"
}

// retry runs call until it succeeds, fails in a way that another attempt
// would not mend (see retryable), or has been tried maxAttempts times,
// pausing between attempts with exponential backoff.
func (st *store) retry(ctx context.Context, call func(context.Context) error) error {
	bo := gax.Backoff{}
	if st.tn.backoff != nil {
		bo = *st.tn.backoff
	}
	attempts := 0
	retryer := gax.OnErrorFunc(bo, func(err error) bool {
		attempts++
		return attempts < maxAttempts && retryable(err)
	})
	return gax.Invoke(ctx, func(ctx context.Context, _ gax.CallSettings) error {
		return call(ctx)
	}, gax.WithRetry(func() gax.Retryer { return retryer }))
}

// retryable tells the errors worth another attempt, as Google advises for
// Cloud Storage: answers 408, 429 and 5xx, connections refused, reset or
// cut short, and temporary name lookups.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code == 408 || ge.Code == 429 || (ge.Code >= 500 && ge.Code < 600)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTemporary
	}
	var ue *url.Error
	var oe *net.OpError
	if errors.As(err, &ue) || errors.As(err, &oe) {
		msg := err.Error()
		for _, s := range [...]string{"connection refused", "connection reset", "broken pipe", "client connection lost", "server closed idle connection"} {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return errors.Is(err, io.EOF)
	}
	return false
}

// List implements blob.Store.
func (st *store) List(ctx context.Context, fn func(blob.Entry) error) error {
	svc, err := st.serviceOf(ctx)
	if err != nil {
		return err
	}
	call := svc.Objects.List(st.bucket).Prefix(st.prefix).Fields("nextPageToken", "items(name,size,updated,generation)")
	if st.tn.pageSize > 0 {
		call.MaxResults(int64(st.tn.pageSize))
	}
	for token := ""; ; {
		call.PageToken(token)
		var page *storage.Objects
		err := st.retry(ctx, func(ctx context.Context) error {
			var err error
			page, err = call.Context(ctx).Do()
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, o := range page.Items {
			if strings.HasSuffix(o.Name, "/") {
				continue // a folder marker
			}
			e := blob.Entry{
				Key:     o.Name,
				Rel:     strings.TrimPrefix(o.Name, st.prefix),
				Size:    int64(o.Size),
				Version: strconv.FormatInt(o.Generation, 10),
			}
			if t, err := time.Parse(time.RFC3339Nano, o.Updated); err == nil {
				e.ModTime = t // else unknown: selected whatever the window
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
}

// Open implements blob.Store. It reads the generation the listing saw, as
// stored where it can: an object uploaded with Content-Encoding gzip is
// then not unzipped by the server, but by the scanner like any other. A
// read cut short by an error worth another attempt (see retryable) goes
// on from the byte it reached, up to maxAttempts-1 times, as Google's own
// client does; only where the generation is pinned and the body is the
// object as stored, not decoded on the way (see blob.Resume).
func (st *store) Open(ctx context.Context, e blob.Entry) (io.ReadCloser, error) {
	var gen int64
	if g, err := strconv.ParseInt(e.Version, 10, 64); err == nil && g > 0 {
		gen = g
	}
	open := func(ctx context.Context, off int64) (blob.Opened, error) {
		svc, err := st.serviceOf(ctx)
		if err != nil {
			return blob.Opened{}, err
		}
		call := svc.Objects.Get(st.bucket, e.Key)
		if gen > 0 {
			call.Generation(gen)
		}
		if st.compressed {
			// Asked for explicitly, gzip is neither decoded by the server
			// nor by Go's transport.
			call.Header().Set("Accept-Encoding", "gzip")
		}
		if off > 0 {
			call.Header().Set("Range", blob.RangeFrom(off))
		}
		var resp *http.Response
		err = st.retry(ctx, func(ctx context.Context) error {
			var err error
			resp, err = call.Context(ctx).Download()
			return err
		})
		if err != nil {
			return blob.Opened{}, err
		}
		return blob.Opened{Body: resp.Body, Exact: gen > 0 && !resp.Uncompressed, ContentRange: resp.Header.Get("Content-Range")}, nil
	}
	return blob.Resume(ctx, open, retryable, maxAttempts-1)
}
