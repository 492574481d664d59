package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestRedactionSection(t *testing.T) {
	const f = "p.yaml"
	yaml := `redaction:
  mode: hash
  rules:
    ipv4: true
    phone: false
  custom:
    - name: member
      pattern: 'MBR-[0-9]{6}'
  secret_fields: [pin, x-api-key]
security:
  secrets_dir: /run/secrets
`
	c, err := Parse(f, []byte(yaml), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Redaction{Enabled: true, Mode: "hash", Rules: map[string]bool{"ipv4": true, "phone": false},
		Custom: []RedactionRule{{Name: "member", Pattern: "MBR-[0-9]{6}", Line: 7}}, SecretFields: []string{"pin", "x-api-key"}}
	if !reflect.DeepEqual(c.Redaction, want) {
		t.Errorf("Redaction = %+v, want %+v", c.Redaction, want)
	}
	if c.Security.SecretsDir != "/run/secrets" {
		t.Errorf("SecretsDir = %q", c.Security.SecretsDir)
	}
	opt := c.Redaction.RedactOptions()
	if string(opt.Mode) != "hash" || len(opt.Custom) != 1 || opt.Custom[0].Pattern != "MBR-[0-9]{6}" || !opt.Rules["ipv4"] {
		t.Errorf("RedactOptions = %+v", opt)
	}
}

func TestRedactionProblems(t *testing.T) {
	const f = "p.yaml"
	tests := []struct {
		name string
		yaml string
		want []Problem
	}{
		{"bad RE2 points at the pattern", "redaction:\n  custom:\n    - name: a\n      pattern: '(?<=x)y'\n",
			[]Problem{{f, 4, 16, "redaction.custom[0].pattern", "not a valid RE2 expression: invalid named capture: `(?<=x)y`"}}},
		{"unbalanced", "redaction:\n  custom:\n    - {name: ok, pattern: 'a'}\n    - {name: b, pattern: '(x'}\n",
			[]Problem{{f, 4, 26, "redaction.custom[1].pattern", "not a valid RE2 expression: missing closing ): `(x`"}}},
		{"no name", "redaction:\n  custom:\n    - pattern: x\n",
			[]Problem{{f, 3, 7, "redaction.custom[0].name", "a custom rule needs a name"}}},
		{"no pattern", "redaction:\n  custom:\n    - name: x\n",
			[]Problem{{f, 3, 7, "redaction.custom[0].pattern", "a custom rule needs a pattern"}}},
		{"built-in name", "redaction:\n  custom:\n    - {name: email, pattern: x}\n",
			[]Problem{{f, 3, 14, "redaction.custom[0].name", `"email" is the name of a built-in rule; turn it on or off under redaction.rules`}}},
		{"twice", "redaction:\n  custom:\n    - {name: a, pattern: x}\n    - {name: a, pattern: y}\n",
			[]Problem{{f, 4, 14, "redaction.custom[1].name", `rule "a" is defined twice`}}},
		{"unknown rule", "redaction:\n  rules:\n    emial: true\n",
			[]Problem{{f, 3, 5, "redaction.rules", `unknown field "emial"; known fields: email, card, iban, phone, ipv4, ipv6, ssn, jwt, bearer, aws_key, aws_secret, secret_field, digits`}}},
		{"rule not a bool", "redaction:\n  rules:\n    email: sometimes\n",
			[]Problem{{f, 3, 12, "redaction.rules.email", `must be true or false, got "sometimes"`}}},
		{"bad mode", "redaction:\n  mode: scramble\n",
			[]Problem{{f, 2, 9, "redaction.mode", `unknown mode "scramble"; choose mask or hash`}}},
		{"custom not a list", "redaction:\n  custom: x\n",
			[]Problem{{f, 2, 11, "redaction.custom", `must be a list of rules with name and pattern, got "x"`}}},
		{"unknown key", "redaction:\n  mask: true\n",
			[]Problem{{f, 2, 3, "redaction", `unknown field "mask"; known fields: enabled, mode, rules, custom, secret_fields`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(f, []byte(tt.yaml), Options{})
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("Parse = %v, want Problems", err)
			}
			if !reflect.DeepEqual([]Problem(ps), tt.want) {
				t.Errorf("problems:\n%s\nwant\n%s", ps.Error(), Problems(tt.want).Error())
			}
		})
	}
}

func TestShowRedaction(t *testing.T) {
	c := Default()
	c.Redaction.Rules = map[string]bool{"ipv4": true}
	out, err := c.Show()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redaction:", "mode: mask", "ipv4: true", "email: true", "digits: false", "- password", "secrets_dir:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Show has no %q:\n%s", want, out)
		}
	}
}
