// Package s3 reads logs from Amazon S3 and S3-compatible stores (MinIO,
// Ceph, Cloudflare R2, …): "s3://bucket/prefix".
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// maxAttempts is how many times the SDK sends one request that fails with
// a 5xx answer, a throttling answer or a network error.
const maxAttempts = 5

// driverOptions are the options the S3 driver reads itself.
var driverOptions = []string{"endpoint", "region", "path_style"}

// tuning holds what tests change: the listing's page size and the SDK's
// pause between attempts.
type tuning struct {
	pageSize int32
	backoff  retry.BackoffDelayer // nil: the SDK's exponential backoff
}

// Driver returns the driver of "s3://bucket/prefix" locations. Credentials
// and region come from the AWS SDK's default chain (environment, shared
// config and credentials files and profiles, SSO, web identity, container
// and instance roles); an S3-compatible store is reached through
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, or the endpoint option.
func Driver() source.Driver { return driver(tuning{}) }

func driver(tn tuning) source.Driver {
	return source.Driver{
		Scheme:      "s3",
		Description: "Amazon S3 and S3-compatible stores: s3://bucket/prefix; gzip and zstd by content",
		Open: func(spec source.Spec) (source.Source, error) {
			return open(spec, tn)
		},
	}
}

// Source reads the objects under one S3 prefix. The client is made on the
// first Scan; the listing is read once and kept for the later scans.
type Source struct {
	*blob.Bucket
	st *store
}

// settings are the driver's own options.
type settings struct {
	endpoint  string
	region    string
	pathStyle *bool
}

func open(spec source.Spec, tn tuning) (*Source, error) {
	loc, err := blob.ParseLocation(spec.Location, "s3")
	if err != nil {
		return nil, fmt.Errorf("s3: %s: %w", source.Redact(spec.Location), err)
	}
	opts := blob.MergeOptions(spec.Options, loc.Options)
	cfg, err := blob.ParseConfig(opts, driverOptions...)
	if err != nil {
		return nil, fmt.Errorf("s3: %s: %w", source.Redact(spec.Location), err)
	}
	var set settings
	set.endpoint = strings.TrimSpace(opts["endpoint"])
	if set.endpoint != "" {
		u, err := url.Parse(set.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("s3: %s: option endpoint: want an http:// or https:// URL", source.Redact(spec.Location))
		}
	}
	set.region = strings.TrimSpace(opts["region"])
	if v, ok := opts["path_style"]; ok {
		ps, err := blob.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("s3: %s: option path_style: %w", source.Redact(spec.Location), err)
		}
		set.pathStyle = &ps
	}
	st := &store{bucket: loc.Bucket, prefix: loc.Prefix, set: set, tn: tn}
	cfg.Name = func(e blob.Entry) string { return "s3://" + loc.Bucket + "/" + e.Key }
	return &Source{Bucket: blob.NewBucket(st, spec, cfg), st: st}, nil
}

// Scan implements source.Source; see blob.Bucket.
func (s *Source) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	st, err := s.Bucket.Scan(ctx, q, out)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("s3: %w", err)
	}
	return st, err
}

// store is the blob.Store of one bucket and prefix.
type store struct {
	bucket, prefix string
	set            settings
	tn             tuning

	mu     sync.Mutex
	client *s3.Client
}

// clientOf makes the client on first use.
func (st *store) clientOf(ctx context.Context) (*s3.Client, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.client != nil {
		return st.client, nil
	}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			// Reading logs is idempotent: retry every failure that
			// the SDK deems retryable, without a client-side quota.
			o.RateLimiter = ratelimit.None
			if st.tn.backoff != nil {
				o.Backoff = st.tn.backoff
			}
		})
	}
	loadOpts := []func(*config.LoadOptions) error{config.WithRetryer(retryer)}
	if st.set.region != "" {
		loadOpts = append(loadOpts, config.WithRegion(st.set.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	st.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		// The SDK logs to standard error by default; what matters reaches
		// the user as errors and warnings instead.
		o.Logger = logging.Nop{}
		o.DisableLogOutputChecksumValidationSkipped = true
		if st.set.endpoint != "" {
			o.BaseEndpoint = aws.String(st.set.endpoint)
		}
		// BaseEndpoint is set here also when AWS_ENDPOINT_URL(_S3) or a
		// profile's endpoint_url named one.
		custom := o.BaseEndpoint != nil
		switch {
		case st.set.pathStyle != nil:
			o.UsePathStyle = *st.set.pathStyle
		case custom:
			o.UsePathStyle = true
		}
		if o.Region == "" && custom {
			o.Region = "us-east-1" // S3-compatible stores mostly ignore it
		}
	})
	return st.client, nil
}

// List implements blob.Store.
func (st *store) List(ctx context.Context, fn func(blob.Entry) error) error {
	c, err := st.clientOf(ctx)
	if err != nil {
		return err
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(st.bucket)}
	if st.prefix != "" {
		in.Prefix = aws.String(st.prefix)
	}
	if st.tn.pageSize > 0 {
		in.MaxKeys = aws.Int32(st.tn.pageSize)
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") {
				continue // a folder marker
			}
			err := fn(blob.Entry{
				Key:     key,
				Rel:     strings.TrimPrefix(key, st.prefix),
				Size:    aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified),
				Version: aws.ToString(o.ETag),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Open implements blob.Store. A body cut short by an error worth another
// attempt (see retryable) goes on from the byte it reached, up to
// maxAttempts-1 times: the rest is asked for with Range and If-Match on
// the ETag the listing saw, so that it is the same object's (see
// blob.Resume). The SDK retries requests, not the reading of a body.
func (st *store) Open(ctx context.Context, e blob.Entry) (io.ReadCloser, error) {
	c, err := st.clientOf(ctx)
	if err != nil {
		return nil, err
	}
	open := func(ctx context.Context, off int64) (blob.Opened, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(e.Key)}
		if off > 0 {
			in.Range = aws.String(blob.RangeFrom(off))
			in.IfMatch = aws.String(e.Version)
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			return blob.Opened{}, err
		}
		return blob.Opened{Body: out.Body, Exact: e.Version != "", ContentRange: aws.ToString(out.ContentRange)}, nil
	}
	return blob.Resume(ctx, open, retryable, maxAttempts-1)
}

// retryable reports whether a body that broke off with err may be read on
// with another request (blob.Resume asks it only while ctx lasts): a
// connection cut short, reset or refused, as the SDK's own retryer judges
// its requests.
func retryable(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) ||
		retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}
