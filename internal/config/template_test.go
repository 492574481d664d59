package config

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestInitTemplateLoads(t *testing.T) {
	c, err := Parse("pipetracker.yaml", InitTemplate(), Options{KnownScheme: knownSchemes})
	if err != nil {
		t.Fatalf("template does not load: %v", err)
	}
	// The template states the defaults; only the example source is added.
	want := Default()
	want.File = "pipetracker.yaml"
	want.LogSources = []Source{{Location: "./logs", Line: 15}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("template loads as\n%+v\nwant\n%+v", c, want)
	}
}

func TestInitTemplateDocumentsEverything(t *testing.T) {
	text := string(InitTemplate())
	var names []string
	names = append(names, topKeys...)
	names = append(names, outputKeys...)
	names = append(names, securityKeys...)
	names = append(names, sourceKeys...)
	for _, key := range names {
		// Each key appears as a setting, active or commented out, and is
		// explained in a comment that starts with its name.
		if !regexp.MustCompile(`(?m)^[ #-]*` + key + `:`).MatchString(text) {
			t.Errorf("template has no setting %q", key)
		}
	}
	for _, key := range append(append([]string{}, topKeys...), outputKeys...) {
		if !regexp.MustCompile(`(?m)^\s*# ` + key + `: \S`).MatchString(text) {
			t.Errorf("template does not explain %q", key)
		}
	}
	for _, env := range []string{envLogSources, envMatchKeys, envOutputFormat, envOutputPath, envOutputMaxFiles, envOutputMaxSizeMB,
		envFollowLinks, envMaxLinkDepth, envMaxLinkedIDs, envMaxEvents, envEncryptLogs, envVerifierEndpoints} {
		if !strings.Contains(text, env) {
			t.Errorf("template does not name %s", env)
		}
	}
	for _, example := range []string{"s3://", "gcs://", "kafka://", "datadog://", "exec:", "timezone: Europe/Berlin", "options:"} {
		if !strings.Contains(text, example) {
			t.Errorf("template has no example of %q", example)
		}
	}
}

// TestInitTemplateExamples uncomments the examples and loads the result, so
// that an example a user enables is valid as written.
func TestInitTemplateExamples(t *testing.T) {
	var out []string
	section := ""
	for _, line := range strings.Split(string(InitTemplate()), "\n") {
		if m := regexp.MustCompile(`^#? ?(\w+):`).FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "# ") {
			section = m[1]
		}
		switch {
		case section == "log_sources" && regexp.MustCompile(`^  # (- |  )`).MatchString(line):
			line = "  " + line[len("  # "):]
		case section == "verifier_endpoints" && regexp.MustCompile(`^# (verifier_endpoints:|  )`).MatchString(line):
			line = line[len("# "):]
		}
		out = append(out, line)
	}
	text := strings.Replace(strings.Join(out, "\n"), "verifier_endpoints: {}\n", "", 1)
	c, err := Parse("examples.yaml", []byte(text), Options{KnownScheme: knownSchemes})
	if err != nil {
		t.Fatalf("uncommented examples do not load: %v\n%s", err, text)
	}
	var locations []string
	for _, s := range c.LogSources {
		locations = append(locations, s.Location)
	}
	wantLocations := []string{"./logs", "./legacy/billing", "exec:journalctl -o json -u nginx", "s3://my-bucket/logs/",
		"s3://my-bucket/archive/", "gcs://my-gcs-bucket/logs/", "kafka://localhost:9092/my-topic", "datadog://service:my-service"}
	if !reflect.DeepEqual(locations, wantLocations) {
		t.Errorf("example locations %q, want %q", locations, wantLocations)
	}
	if s := c.LogSources[1]; s.Service != "billing" || s.Timezone != "Europe/Berlin" {
		t.Errorf("mapping example = %+v", s)
	}
	if got := c.LogSources[4].Options["region"]; got != "eu-west-1" {
		t.Errorf("options example region = %q", got)
	}
	if got := c.VerifierEndpoints; !reflect.DeepEqual(got, map[string]string{"payments": "http://localhost:8000/verify"}) {
		t.Errorf("verifier example = %v", got)
	}
}
