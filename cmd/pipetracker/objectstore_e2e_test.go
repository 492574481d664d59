package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// bucketLogs is a small trace across three services, as objects: one
// gzip, one dated two days before the window, and near misses.
func bucketLogs(t *testing.T) map[string][]byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("2025-10-21T09:00:00.100Z INFO payment authorised transaction_id=TXN-S3E2E request_id=r-77\n" +
		"2025-10-21T09:00:00.200Z INFO unrelated transaction_id=TXN-S3E2E0\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"logs/gateway/2025/10/21/access.log": []byte("2025-10-21T09:00:00.000Z INFO request in transaction_id=TXN-S3E2E\n" +
			"2025-10-21T09:00:00.050Z INFO other request transaction_id=TXN-OTHER\n"),
		"logs/payments/2025/10/21/app.log.gz": z.Bytes(),
		"logs/shipping/2025/10/21/app.log":    []byte("2025-10-21T09:00:01.000Z INFO label printed request_id=r-77\n"),
		"logs/shipping/2025/10/19/app.log":    []byte("2025-10-21T09:00:02.000Z INFO dated two days before request_id=r-77\n"),
	}
}

// TestObjectStoreTrace runs `pipetracker trace` against S3 (reached
// through AWS_ENDPOINT_URL with static credentials, as for MinIO) and
// against Cloud Storage (through STORAGE_EMULATOR_HOST).
func TestObjectStoreTrace(t *testing.T) {
	const secret = "e2e-secret-access-key-never-shown-5b1d"
	objects := bucketLogs(t)

	be := s3mem.New()
	s3srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithTimeSkewLimit(0)).Server())
	defer s3srv.Close()
	if err := be.CreateBucket("traces"); err != nil {
		t.Fatal(err)
	}
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer gcs.Stop()
	gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "traces"})
	for k, v := range objects {
		if _, err := be.PutObject("traces", k, map[string]string{}, bytes.NewReader(v), int64(len(v)), nil); err != nil {
			t.Fatal(err)
		}
		gcs.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "traces", Name: k, Updated: time.Now()}, Content: v})
	}

	for _, tc := range []struct {
		loc string
		env map[string]string
	}{
		{"s3://traces/logs", map[string]string{
			"AWS_ENDPOINT_URL": s3srv.URL, "AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": secret,
			"AWS_REGION": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
			"AWS_EC2_METADATA_DISABLED": "true",
		}},
		{"gs://traces/logs", map[string]string{"STORAGE_EMULATOR_HOST": strings.TrimPrefix(gcs.URL(), "http://")}},
		{"gcs://traces/logs/", map[string]string{"STORAGE_EMULATOR_HOST": strings.TrimPrefix(gcs.URL(), "http://")}},
	} {
		t.Run(tc.loc, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errs := result(t, "", nil, "trace", "TXN-S3E2E", "--source", tc.loc,
				"--key", "transaction_id", "--key", "request_id", "--since", "2025-10-21T00:00:00Z", "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errs, out)
			}
			if strings.Contains(out+errs, secret) {
				t.Fatal("the secret access key is in the output")
			}
			rep := decode(t, out)
			var got []string
			for _, e := range rep.Events {
				if e.Origin.Source != tc.loc {
					t.Errorf("origin.source %q, want the location as given %q", e.Origin.Source, tc.loc)
				}
				got = append(got, fmt.Sprintf("%s %s:%d", e.Service, e.Origin.Path, e.Origin.Line))
			}
			want := []string{
				"gateway gateway/2025/10/21/access.log:1",
				"payments payments/2025/10/21/app.log.gz:1",
				"shipping shipping/2025/10/21/app.log:1",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if !strings.Contains(out, `"outside_window": 1`) && !strings.Contains(out, `"outside_window":1`) {
				t.Errorf("the summary does not count the object dated outside the window:\n%s", out)
			}
		})
	}
}
