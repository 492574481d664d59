package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse: it must not panic, an error
// must be a non-empty Problems whose positions are never negative, and a
// configuration it accepts must show as YAML that loads back to itself.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/pipetracker.yaml", "testdata/examples-config.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(InitTemplate())
	for _, s := range []string{
		"log_sources:\n  - &a {location: ./a, options: {k: 1}}\n  - <<: *a\n    location: ./b\n",
		"match_keys: [a, *x]\n",
		"output: !!str 5\n",
		"a: [1, 2\n",
		"x: 1\n---\ny: 2\n",
		"verifier_endpoints: {a: 'http://h/', b: ftp://x}\n",
		"max_link_depth: 0x7fffffffffffffff\nmax_linked_ids: -0\n",
		bomb(4, 5),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, Options{})
		if err != nil {
			if c != nil {
				t.Fatalf("config returned with an error")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not a non-empty Problems: %v", err)
			}
			for _, p := range ps {
				if p.Line < 0 || p.Column < 0 || p.Message == "" || p.File != "f.yaml" {
					t.Fatalf("bad problem %#v", p)
				}
			}
			return
		}
		out, err := c.Show()
		if err != nil {
			t.Fatalf("Show: %v", err)
		}
		if strings.Contains(string(out), masked) {
			return // masking changes values; the round trip cannot hold
		}
		again, err := Parse("f.yaml", out, Options{})
		if err != nil {
			t.Fatalf("Show output does not load: %v\n%s", err, out)
		}
		for i := range c.LogSources {
			c.LogSources[i].Line = 0
			again.LogSources[i].Line = 0
		}
		if a, b := fmtConfig(c), fmtConfig(again); a != b {
			t.Fatalf("round trip changed the config:\n%s\n%s\nYAML:\n%s", a, b, out)
		}
	})
}

func fmtConfig(c *Config) string {
	out, _ := c.Show()
	return string(out)
}
