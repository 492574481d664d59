package kafka

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		loc     string
		opts    map[string]string
		brokers []string
		topics  []string
		check   func(t *testing.T, s *settings)
		err     string
	}{
		{name: "one broker one topic", loc: "kafka://k1:9092/orders", brokers: []string{"k1:9092"}, topics: []string{"orders"},
			check: func(t *testing.T, s *settings) {
				if s.window != DefaultWindow || s.maxRecords != DefaultMaxRecords || s.dialTimeout != DefaultDialTimeout || s.tls || s.sasl != "" {
					t.Errorf("defaults not applied: %+v", s)
				}
			}},
		{name: "brokers and topics lists", loc: "kafka://k1:9092, k2:9092/orders,payments", brokers: []string{"k1:9092", "k2:9092"}, topics: []string{"orders", "payments"}},
		{name: "regex only", loc: "kafka://k1:9092?topic_regex=%5Eorders%5C.", brokers: []string{"k1:9092"},
			check: func(t *testing.T, s *settings) {
				if s.regex == nil || !s.regex.MatchString("orders.eu") || s.regex.MatchString("x.orders.eu") {
					t.Errorf("regex %v", s.regex)
				}
			}},
		{name: "options from the entry", loc: "kafka://k1/t", opts: map[string]string{"default_window": "3d", "max_records": "10", "dial_timeout": "2s", "read_timeout": "5s", "service": "billing"},
			brokers: []string{"k1"}, topics: []string{"t"},
			check: func(t *testing.T, s *settings) {
				if s.window != 72*time.Hour || s.maxRecords != 10 || s.dialTimeout != 2*time.Second || s.readTimeout != 5*time.Second || s.service != "billing" {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "query parameter wins", loc: "kafka://k1/t?max_records=7", opts: map[string]string{"max_records": "10"}, brokers: []string{"k1"}, topics: []string{"t"},
			check: func(t *testing.T, s *settings) {
				if s.maxRecords != 7 {
					t.Errorf("max_records %d, want 7", s.maxRecords)
				}
			}},
		{name: "ca file implies tls", loc: "kafka://k1/t?ca_file=/etc/ca.pem&sasl=SCRAM-SHA-512", brokers: []string{"k1"}, topics: []string{"t"},
			check: func(t *testing.T, s *settings) {
				if !s.tls || s.caFile != "/etc/ca.pem" || s.sasl != "scram-sha-512" {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "credentials in the location", loc: "kafka://user:pw@k1/t", err: "KAFKA_SASL_USERNAME"},
		{name: "no broker", loc: "kafka:///t", err: "no broker"},
		{name: "no topic", loc: "kafka://k1:9092", err: "no topic"},
		{name: "bad topic name", loc: "kafka://k1/orders/eu", err: "not a topic name"},
		{name: "unknown option", loc: "kafka://k1/t?max_record=3", err: `unknown option "max_record"`},
		{name: "bad window", loc: "kafka://k1/t?default_window=soon", err: "default_window"},
		{name: "bad sasl", loc: "kafka://k1/t?sasl=gssapi", err: "sasl"},
		{name: "bad regex", loc: "kafka://k1?topic_regex=(", err: "topic_regex"},
		{name: "cert without key", loc: "kafka://k1/t?cert_file=c.pem", err: "cert_file and key_file"},
		{name: "zero timeout", loc: "kafka://k1/t?dial_timeout=0s", err: "dial_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseLocation(tc.loc, tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.brokers, tc.brokers) || !slices.Equal(s.topics, tc.topics) {
				t.Errorf("brokers %q topics %q, want %q %q", s.brokers, s.topics, tc.brokers, tc.topics)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}
