package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The environment variables that hold the SASL credentials.
const (
	EnvUsername = "KAFKA_SASL_USERNAME"
	EnvPassword = "KAFKA_SASL_PASSWORD"
)

// fetchMaxWait is how long a broker may hold a fetch that finds nothing
// new. The read never waits for new data, so this only matters at the
// very end of a partition.
const fetchMaxWait = 500 * time.Millisecond

// mechanism returns the SASL mechanism the settings name, with the
// credentials from getenv; nil without SASL.
func mechanism(s *settings, getenv func(string) string) (sasl.Mechanism, error) {
	if s.sasl == "" {
		return nil, nil
	}
	user, pass := getenv(EnvUsername), getenv(EnvPassword)
	switch {
	case user == "":
		return nil, fmt.Errorf("sasl %s needs the user name in %s", s.sasl, EnvUsername)
	case pass == "":
		return nil, fmt.Errorf("sasl %s needs the password in %s", s.sasl, EnvPassword)
	}
	switch s.sasl {
	case "plain":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "scram-sha-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	default:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
}

// tlsConfig returns the TLS configuration the settings ask for: the
// system roots, or the CA file's certificates, and a client certificate
// when one is given; nil without TLS.
func tlsConfig(s *settings) (*tls.Config, error) {
	if !s.tls {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.caFile != "" {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", s.caFile)
		}
	}
	if s.certFile != "" {
		cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// dialer opens connections to brokers, with TLS when configured, and
// remembers the last failure so that an unreachable cluster can be named
// with its cause, and how many dials failed and succeeded so that a
// follow can tell when the brokers are lost and when they are back.
type dialer struct {
	timeout time.Duration
	tls     *tls.Config

	mu   sync.Mutex
	last error
	dials
}

// dials counts a dialer's connections.
type dials struct {
	failed, made int
}

// DialContext dials host; kgo calls it for every broker connection.
func (d *dialer) DialContext(ctx context.Context, network, host string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: d.timeout}
	var (
		conn net.Conn
		err  error
	)
	if d.tls != nil {
		conn, err = (&tls.Dialer{NetDialer: nd, Config: d.tls.Clone()}).DialContext(ctx, network, host)
	} else {
		conn, err = nd.DialContext(ctx, network, host)
	}
	d.mu.Lock()
	if err != nil {
		d.last = err
		d.failed++
	} else {
		d.made++
	}
	d.mu.Unlock()
	return conn, err
}

// counts returns the dials so far and the last failure.
func (d *dialer) counts() (dials, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials, d.last
}

// lastError returns the last dial failure, or nil.
func (d *dialer) lastError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// newClient returns a client that reads without a consumer group: it
// never joins a group, commits an offset, creates a topic or pushes
// metrics to the cluster.
func (s *Source) newClient(d *dialer) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.set.brokers...),
		kgo.ClientID("pipetracker"),
		kgo.Dialer(d.DialContext),
		kgo.DisableClientMetrics(),
		kgo.FetchMaxWait(fetchMaxWait),
		// Control records (transaction markers) are kept so that the
		// last offset before the high watermark is always seen.
		kgo.KeepControlRecords(),
		// An offset that retention removed since the window was planned
		// resumes at the oldest offset left.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
	if s.mech != nil {
		opts = append(opts, kgo.SASL(s.mech))
	}
	opts = append(opts, s.extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return cl, nil
}

// unreachable describes a cluster that did not answer within the dial
// timeout.
func (s *Source) unreachable(d *dialer, err error) error {
	if last := d.lastError(); last != nil && !errors.Is(err, last) {
		err = fmt.Errorf("%w (last connection error: %v)", err, last)
	}
	hint := ""
	if s.mech != nil {
		// A broker that rejects a SASL login may just drop the connection,
		// which looks like an unreachable broker once the client retries.
		hint = fmt.Sprintf("; if they are up, check the sasl %s credentials in %s and %s", s.set.sasl, EnvUsername, EnvPassword)
	}
	return fmt.Errorf("kafka: cannot reach brokers %s (dial_timeout %s%s): %w", strings.Join(s.set.brokers, ","), s.set.dialTimeout, hint, err)
}
