package config

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/redact"
)

func TestShowMasksSecrets(t *testing.T) {
	c := Default()
	c.LogSources = []Source{
		{Location: "kafka://alice:s3cr3t-pass@broker:9092/orders"},
		{Location: "s3://bucket/logs/?X-Amz-Signature=sig-value&region=eu"},
		{Location: "loki://h/?api_token=tok-value&limit=5"},
		{Location: "./logs", Service: "api", Options: map[string]string{
			"password":         "pw-value",
			"API_KEY":          "key-value",
			"auth_header":      "Bearer auth-value",
			"credentials_file": "/run/cred-value",
			"clientSecret":     "secret-value",
			"endpoint":         "http://bob:endpoint-pass@minio:9000",
			"region":           "eu-west-1",
		}},
	}
	c.VerifierEndpoints = map[string]string{
		"a": "https://carol:verifier-pass@h/verify",
		"b": "http://h/verify?token=vtoken-value&x=1",
	}
	out, err := c.Show()
	if err != nil {
		t.Fatalf("Show: %v", err)
	}
	text := string(out)
	for _, secret := range []string{"alice", "s3cr3t-pass", "sig-value", "tok-value", "pw-value", "key-value", "auth-value",
		"cred-value", "secret-value", "bob", "endpoint-pass", "carol", "verifier-pass", "vtoken-value"} {
		if strings.Contains(text, secret) {
			t.Errorf("Show leaks %q:\n%s", secret, text)
		}
	}
	for _, shown := range []string{
		"kafka://***@broker:9092/orders",
		"X-Amz-Signature=***&region=eu",
		"api_token=***&limit=5",
		"endpoint: http://***@minio:9000",
		"region: eu-west-1",
		"https://***@h/verify",
		"token=***&x=1",
	} {
		if !strings.Contains(text, shown) {
			t.Errorf("Show lacks %q:\n%s", shown, text)
		}
	}
	// Five secret option values, each masked.
	if n := len(regexp.MustCompile(`(?m)^\s+\w+: "\*\*\*"$`).FindAllString(text, -1)); n != 5 {
		t.Errorf("%d masked option values, want 5:\n%s", n, text)
	}
	// The masked configuration still loads.
	if _, err := Parse("shown.yaml", out, Options{}); err != nil {
		t.Errorf("Show output does not load: %v\n%s", err, text)
	}
}

func TestShowRoundTrip(t *testing.T) {
	tricky := &Config{
		LogSources: []Source{
			{Location: "./logs"},
			{Location: "-"},
			{Location: "exec:kubectl logs -l app=checkout --since=2h"},
			{Location: "./dir with spaces/#not a comment", Service: "yes", Timezone: "America/New_York", Options: map[string]string{
				"concurrency": "8", "flag": "true", "nothing": "", "null": "null", "quote": `say "hi": 'x'`,
				"multi": "line one\nline two", "unicode": "Zürich ☃", "colon": "a: b", "dash": "- x", "star": "*x",
			}},
		},
		MatchKeys:         []string{"transaction_id", "0x10", "~", "@timestamp"},
		Output:            Output{Format: "ndjson", Path: "/var/tmp/reports", MaxFiles: 12, MaxSizeMB: 34},
		VerifierEndpoints: map[string]string{"svc a": "http://localhost:8000/verify?x=1&y=2"},
		Security:          Security{EncryptLogs: true, SecretsDir: "/run/my secrets"},
		Redaction: Redaction{Enabled: false, Mode: "hash", Rules: map[string]bool{"ipv4": true, "phone": false},
			Custom:       []RedactionRule{{Name: "member", Pattern: `MBR-\d{6} # "x": 'y'`}, {Name: "group", Pattern: `loyalty=(\w+)`}},
			SecretFields: []string{"pin", "x-api-key"}},
		FollowLinks:  false,
		MaxLinkDepth: 0,
		MaxLinkedIDs: 7,
		MaxEvents:    8,
	}
	tests := []struct {
		name string
		c    *Config
	}{
		{"defaults", Default()},
		{"every setting with awkward text", tricky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.c.Show()
			if err != nil {
				t.Fatalf("Show: %v", err)
			}
			got, err := Parse("shown.yaml", out, Options{KnownScheme: knownSchemes})
			if err != nil {
				t.Fatalf("Show output does not load: %v\n%s", err, out)
			}
			want := *tt.c
			want.File = "shown.yaml"
			for i := range got.LogSources {
				got.LogSources[i].Line = 0
			}
			for i := range got.Redaction.Custom {
				got.Redaction.Custom[i].Line = 0
			}
			// Show writes the effective state of every rule and the
			// effective secret field names.
			want.Redaction.Rules = map[string]bool{}
			for _, r := range redact.Rules() {
				on := r.On
				if v, ok := tt.c.Redaction.Rules[r.Name]; ok {
					on = v
				}
				want.Redaction.Rules[r.Name] = on
			}
			if want.Redaction.SecretFields == nil {
				want.Redaction.SecretFields = redact.DefaultSecretFields()
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("round trip:\n%+v\nwant\n%+v\nYAML:\n%s", got, &want, out)
			}
		})
	}
}
