package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/pipetracker/pipetracker/internal/source"
)

// TestUnreachable checks that a cluster that cannot be reached, or that
// accepts connections and never answers, fails the source after
// dial_timeout with an error that names the brokers.
func TestUnreachable(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	for _, tc := range []struct {
		name, addr, want string
	}{
		{name: "refused", addr: refusedAddr, want: "connection refused"},
		{name: "silent", addr: silent.Addr().String(), want: "dial_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(source.Spec{Location: "kafka://" + tc.addr + "/orders?dial_timeout=500ms"}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, _, err = collect(t, src, &source.Query{IDs: []string{"TXN-1"}})
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failed after %v, want about the dial timeout", d)
			}
			t.Logf("error: %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.addr) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s and %q", err, tc.addr, tc.want)
			}
		})
	}
}

// lossCluster starts a cluster of one broker with a topic of two
// partitions holding n records each, all with the id.
func lossCluster(t *testing.T, n int) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	topic := newTopic(t, c, "loss", 2)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	// Small produce calls make small batches, so that a read with small
	// fetches takes many of them.
	for i := 0; i < 2*n; i += 10 {
		var recs []*kgo.Record
		for j := i; j < min(i+10, 2*n); j++ {
			recs = append(recs, rec(topic, int32(j%2), time.Now(), fmt.Sprintf("record %04d of a long partition TXN-L", j)))
		}
		produce(t, prod, recs...)
	}
	return c, topic
}

// smallFetches makes a read take many fetches.
func smallFetches(src *Source) {
	src.extra = []kgo.Opt{kgo.FetchMaxBytes(256), kgo.FetchMaxPartitionBytes(256)}
}

// TestBrokerLostMidRead stops the cluster after the first records and
// checks that the scan ends with what it read and a warning naming the
// partitions and offsets it could not read.
func TestBrokerLostMidRead(t *testing.T) {
	c, topic := lossCluster(t, 200)
	src, err := Open(source.Spec{Location: "kafka://" + strings.Join(c.ListenAddrs(), ",") + "/" + topic + "?read_timeout=1s&dial_timeout=1s"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	smallFetches(src)
	var once sync.Once
	out := &records{}
	stopping := &stopAfter{records: out, stop: func() { once.Do(c.Close) }}
	start := time.Now()
	st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-L"}}, stopping)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if n := len(out.recs); n == 0 || n >= 400 {
		t.Errorf("read %d of 400 records, want some and not all", n)
	}
	if !st.Truncated || st.SkippedBy[source.SkipUnreadable] == 0 {
		t.Errorf("stats %+v, want truncated with unreadable partitions", st)
	}
	joined := strings.Join(out.warn, "\n")
	t.Logf("warnings: %s", joined)
	if !strings.Contains(joined, topic+"/0 offsets") || !strings.Contains(joined, topic+"/1 offsets") || !strings.Contains(joined, "-199:") {
		t.Errorf("warnings %q, want the partitions and offsets not read", out.warn)
	}
}

// stopAfter calls stop when the first record arrives.
type stopAfter struct {
	*records
	stop func()
}

func (s *stopAfter) Record(r *source.Record) error {
	s.stop()
	return s.records.Record(r)
}

// TestFetchRetried fails the first fetches and checks that the read
// retries and completes without a warning.
func TestFetchRetried(t *testing.T) {
	c, topic := lossCluster(t, 50)
	var failed atomic.Int32
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		if failed.Add(1) <= 3 {
			c.KeepControl()
			return nil, errors.New("broker restarting"), true
		}
		return nil, nil, false
	})
	src, err := Open(source.Spec{Location: "kafka://" + strings.Join(c.ListenAddrs(), ",") + "/" + topic + "?read_timeout=10s"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	smallFetches(src)
	var out records
	st, err := src.Scan(t.Context(), &source.Query{IDs: []string{"TXN-L"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed.Load() < 3 {
		t.Fatalf("only %d fetches were made", failed.Load())
	}
	if len(out.recs) != 100 || st.Truncated || len(out.warn) != 0 {
		t.Errorf("got %d records, stats %+v, warnings %q; want all 100 and no warning", len(out.recs), st, out.warn)
	}
}

// TestSideEffectFree records every request the client makes and checks
// that none joins a group, commits, creates a topic or writes.
func TestSideEffectFree(t *testing.T) {
	c, topic := lossCluster(t, 5)
	var mu sync.Mutex
	seen := map[int16]bool{}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		seen[req.Key()] = true
		mu.Unlock()
		return nil, nil, false
	})
	src, err := Open(source.Spec{Location: "kafka://" + strings.Join(c.ListenAddrs(), ",") + "/" + topic}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := collect(t, src, &source.Query{IDs: []string{"TXN-L"}}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !seen[int16(kmsg.Fetch)] {
		t.Fatal("no fetch was seen: the control function saw nothing")
	}
	for _, k := range []kmsg.Key{kmsg.Produce, kmsg.OffsetCommit, kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.SyncGroup,
		kmsg.Heartbeat, kmsg.CreateTopics, kmsg.DeleteRecords, kmsg.InitProducerID, kmsg.ConsumerGroupHeartbeat, kmsg.PushTelemetry} {
		if seen[int16(k)] {
			t.Errorf("the client sent a %s request", k.Name())
		}
	}
}

// TestSASL checks every mechanism against a cluster that requires SASL,
// and that bad or missing credentials fail with a clear error that never
// shows the password.
func TestSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plainuser", "plain-secret"),
		kfake.Superuser("SCRAM-SHA-256", "user256", "secret-256"),
		kfake.Superuser("SCRAM-SHA-512", "user512", "secret-512"),
		kfake.SeedTopics(1, "secured"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.SASL(testMech(t, "plain", "plainuser", "plain-secret")))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produce(t, prod, rec("secured", 0, time.Now(), "secured TXN-SASL"))
	loc := "kafka://" + strings.Join(c.ListenAddrs(), ",") + "/secured?dial_timeout=2s&sasl="
	for _, tc := range []struct {
		name, mech, user, pass string
		openErr, scanErr       string
	}{
		{name: "plain", mech: "plain", user: "plainuser", pass: "plain-secret"},
		{name: "scram-sha-256", mech: "scram-sha-256", user: "user256", pass: "secret-256"},
		{name: "scram-sha-512", mech: "SCRAM-SHA-512", user: "user512", pass: "secret-512"},
		{name: "wrong password", mech: "scram-sha-256", user: "user256", pass: "not-the-secret", scanErr: EnvPassword},
		{name: "no user", mech: "plain", pass: "x", openErr: EnvUsername},
		{name: "no password", mech: "plain", user: "plainuser", openErr: EnvPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{EnvUsername: tc.user, EnvPassword: tc.pass}
			src, err := Open(source.Spec{Location: loc + tc.mech}, func(k string) string { return env[k] })
			if tc.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.openErr) {
					t.Fatalf("open: %v, want an error naming %s", err, tc.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := collect(t, src, &source.Query{IDs: []string{"TXN-SASL"}})
			if tc.scanErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.scanErr) {
					t.Fatalf("scan: %v, want an error", err)
				}
				t.Logf("error: %v", err)
				if strings.Contains(err.Error(), tc.pass) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil || len(c.Records()) != 1 {
				t.Errorf("got %v, %v; want the record", c.Records(), err)
			}
		})
	}
}

// testMech returns a SASL mechanism with the given credentials.
func testMech(t *testing.T, mech, user, pass string) sasl.Mechanism {
	t.Helper()
	m, err := mechanism(&settings{sasl: mech}, func(k string) string {
		return map[string]string{EnvUsername: user, EnvPassword: pass}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTLS checks a cluster behind TLS: trusted through ca_file, and
// refused with the system roots, which do not hold the test's CA.
func TestTLS(t *testing.T) {
	cert, caFile := selfSigned(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}), kfake.SeedTopics(1, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produce(t, prod, rec("tls", 0, time.Now(), "over tls TXN-TLS"))
	loc := "kafka://" + strings.Join(c.ListenAddrs(), ",") + "/tls?dial_timeout=2s"
	for _, tc := range []struct {
		name, query, err string
	}{
		{name: "ca file", query: "&ca_file=" + caFile},
		{name: "system roots", query: "&tls=true", err: "certificate"},
		{name: "plain text", err: "TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(source.Spec{Location: loc + tc.query}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			col, _, err := collect(t, src, &source.Query{IDs: []string{"TXN-TLS"}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("scan: %v, want an error about %q", err, tc.err)
				}
				return
			}
			if err != nil || len(col.Records()) != 1 {
				t.Errorf("got %v, %v; want the record", col.Records(), err)
			}
		})
	}
}

// selfSigned returns a certificate for 127.0.0.1 and the path of a PEM
// file holding it.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kfake"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, path
}
