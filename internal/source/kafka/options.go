package kafka

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Defaults of the options.
const (
	DefaultWindow      = source.DefaultWindow
	DefaultMaxRecords  = 100000
	DefaultDialTimeout = 10 * time.Second
	DefaultReadTimeout = 30 * time.Second
)

// optionNames are the options a kafka location accepts, from the entry's
// options or as query parameters of the location.
var optionNames = []string{
	"topic_regex", "service", "default_window", "max_records",
	"dial_timeout", "read_timeout", "sasl", "tls", "ca_file", "cert_file", "key_file",
}

// settings are a location's parsed options.
type settings struct {
	brokers     []string
	topics      []string
	regex       *regexp.Regexp
	service     string
	window      time.Duration
	maxRecords  int
	dialTimeout time.Duration
	readTimeout time.Duration
	sasl        string // "", "plain", "scram-sha-256" or "scram-sha-512"
	tls         bool
	caFile      string
	certFile    string
	keyFile     string
}

// validTopic reports whether Kafka accepts t as a topic name: 1 to 249
// letters, digits, '.', '_' and '-'. (A regular expression of this
// compiles to 249 copies of the class and took 2 ms of every start.)
func validTopic(t string) bool {
	if len(t) == 0 || len(t) > 249 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseLocation reads "kafka://b1:9092,b2:9092/t1,t2?opt=v" and the
// entry's options (a query parameter wins over an option of the same name).
func parseLocation(location string, options map[string]string) (*settings, error) {
	rest := location
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	hosts, path, _ := strings.Cut(rest, "/")
	if strings.Contains(hosts, "@") {
		return nil, errors.New("credentials do not belong in the location: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
	}
	s := &settings{
		window:      DefaultWindow,
		maxRecords:  DefaultMaxRecords,
		dialTimeout: DefaultDialTimeout,
		readTimeout: DefaultReadTimeout,
	}
	for _, b := range strings.Split(hosts, ",") {
		if b = strings.TrimSpace(b); b != "" {
			if strings.ContainsAny(b, " \t/") {
				return nil, fmt.Errorf("broker %q is not host:port", b)
			}
			s.brokers = append(s.brokers, b)
		}
	}
	if len(s.brokers) == 0 {
		return nil, errors.New("no broker: write kafka://host:9092/topic")
	}
	for _, t := range strings.Split(path, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !validTopic(t) {
			return nil, fmt.Errorf("%q is not a topic name (letters, digits, '.', '_' and '-')", t)
		}
		s.topics = append(s.topics, t)
	}

	opts := make(map[string]string, len(options))
	for k, v := range options {
		opts[k] = v
	}
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("query parameters: %w", err)
	}
	for k, v := range params {
		opts[k] = v[len(v)-1]
	}
	if err := s.apply(opts); err != nil {
		return nil, err
	}
	if len(s.topics) == 0 && s.regex == nil {
		return nil, errors.New("no topic: write kafka://host:9092/topic or set topic_regex")
	}
	return s, nil
}

// apply checks and sets the options.
func (s *settings) apply(opts map[string]string) error {
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := strings.TrimSpace(opts[name])
		var err error
		switch name {
		case "topic_regex":
			if s.regex, err = regexp.Compile(v); err != nil {
				return fmt.Errorf("option topic_regex: %w", err)
			}
		case "service":
			s.service = v
		case "default_window":
			if s.window, err = source.ParseWindow(v); err != nil {
				return fmt.Errorf("option default_window: %w", err)
			}
		case "max_records":
			if s.maxRecords, err = strconv.Atoi(v); err != nil || s.maxRecords <= 0 {
				return fmt.Errorf("option max_records %q is not a positive number", v)
			}
		case "dial_timeout":
			if s.dialTimeout, err = positiveDuration(v); err != nil {
				return fmt.Errorf("option dial_timeout: %w", err)
			}
		case "read_timeout":
			if s.readTimeout, err = positiveDuration(v); err != nil {
				return fmt.Errorf("option read_timeout: %w", err)
			}
		case "sasl":
			switch m := strings.ToLower(v); m {
			case "", "none":
				s.sasl = ""
			case "plain", "scram-sha-256", "scram-sha-512":
				s.sasl = m
			default:
				return fmt.Errorf("option sasl %q: choose plain, scram-sha-256 or scram-sha-512", v)
			}
		case "tls":
			if s.tls, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("option tls %q is not true or false", v)
			}
		case "ca_file":
			s.caFile = v
		case "cert_file":
			s.certFile = v
		case "key_file":
			s.keyFile = v
		default:
			return fmt.Errorf("unknown option %q (known: %s)", name, strings.Join(optionNames, ", "))
		}
	}
	if (s.certFile == "") != (s.keyFile == "") {
		return errors.New("options cert_file and key_file go together")
	}
	if s.caFile != "" || s.certFile != "" {
		s.tls = true
	}
	return nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 10s", v)
	}
	return d, nil
}
