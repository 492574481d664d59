package kafka

import (
	"regexp"
	"strings"
	"testing"
)

// topicName is what Kafka accepts as a topic name, as its documentation
// writes it.
var topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

func TestValidTopic(t *testing.T) {
	cases := []string{"", "orders", "a.b_c-d", "Orders2025", "a b", "a/b", "a:b", "é", strings.Repeat("x", 249), strings.Repeat("x", 250)}
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "t"+string([]byte{byte(c)})+"t")
	}
	for _, tc := range cases {
		if got, want := validTopic(tc), topicName.MatchString(tc); got != want {
			t.Errorf("validTopic(%q) = %v, want %v", tc, got, want)
		}
	}
}

// FuzzParseLocation checks that any location either parses into brokers
// and topics that Kafka accepts, or fails with an error that does not
// repeat credentials written into it.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{
		"kafka://k1:9092/orders", "kafka://k1,k2/a,b?sasl=plain&tls=true", "kafka://k1?topic_regex=^a",
		"kafka://user:hunter2@k1/t", "kafka:///", "kafka://k1/t?max_records=%zz", "kafka://k1/a/b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, loc string) {
		s, err := parseLocation(loc, nil)
		if err != nil {
			if userinfo, _, ok := strings.Cut(strings.TrimPrefix(loc, "kafka://"), "@"); ok && len(userinfo) > 8 && !strings.ContainsAny(userinfo, "/?,") && strings.Contains(err.Error(), userinfo) {
				t.Fatalf("error %q repeats the credentials %q", err, userinfo)
			}
			return
		}
		if len(s.brokers) == 0 || len(s.topics) == 0 && s.regex == nil {
			t.Fatalf("%q parsed without brokers or topics: %+v", loc, s)
		}
		for _, tp := range s.topics {
			if !topicName.MatchString(tp) {
				t.Fatalf("%q gave the topic %q", loc, tp)
			}
		}
		for _, b := range s.brokers {
			if b == "" || strings.ContainsAny(b, " /@") {
				t.Fatalf("%q gave the broker %q", loc, b)
			}
		}
	})
}
