package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pipetracker/pipetracker/internal/redact"
)

// Redaction holds the settings of the redaction of reports.
type Redaction struct {
	// Enabled turns redaction on; it is on by default.
	Enabled bool
	// Mode is "mask" or "hash".
	Mode string
	// Rules turns built-in rules on or off by name; nil keeps every rule's
	// default.
	Rules map[string]bool
	// Custom are the rules of the configuration, in order.
	Custom []RedactionRule
	// SecretFields replaces the names of the fields whose values are
	// secrets; nil keeps the built-in list.
	SecretFields []string
}

// RedactionRule is a custom rule: a name and an RE2 expression.
type RedactionRule struct {
	Name    string
	Pattern string
	// Line is the rule's line in the file, 0 when it did not come from a
	// file.
	Line int
}

// redactionKeys are the keys of the redaction section.
var (
	redactionKeys  = []string{"enabled", "mode", "rules", "custom", "secret_fields"}
	customRuleKeys = []string{"name", "pattern"}
	redactionModes = []string{"mask", "hash"}
)

// customAt is the origin of one custom rule and of its parts.
type customAt struct {
	name, pattern where
}

// decodeRedaction stores the redaction section.
func (l *loader) decodeRedaction(n *node, c *Config) {
	for _, f := range l.fields(n, "redaction", redactionKeys) {
		field := "redaction." + f.key
		switch f.key {
		case "enabled":
			l.setBool(f.value, field, &c.Redaction.Enabled)
		case "mode":
			l.setString(f.value, field, &c.Redaction.Mode)
		case "rules":
			l.decodeRuleSwitches(f.value, field, c)
		case "custom":
			l.decodeCustomRules(f.value, field, c)
		case "secret_fields":
			l.decodeSecretFields(f.value, field, c)
		}
	}
}

// decodeRuleSwitches stores redaction.rules: a mapping of rule names to
// true or false.
func (l *loader) decodeRuleSwitches(n *node, field string, c *Config) {
	switch n.kind {
	case kindNull:
		return
	case kindMap:
	default:
		l.add(l.here(n, field), "must be a mapping of rule names to true or false, got "+n.describe())
		return
	}
	known := builtinRuleNames()
	for _, e := range n.entries {
		path := field + "." + e.key
		if !contains(known, e.key) {
			l.unknownField(e, field, known)
			continue
		}
		var on bool
		before := len(l.problems)
		if e.value.kind == kindNull {
			continue
		}
		l.setBool(e.value, path, &on)
		if len(l.problems) > before {
			continue
		}
		if c.Redaction.Rules == nil {
			c.Redaction.Rules = make(map[string]bool, len(n.entries))
		}
		c.Redaction.Rules[e.key] = on
	}
}

// decodeCustomRules stores redaction.custom: a list of mappings with a name
// and a pattern.
func (l *loader) decodeCustomRules(n *node, field string, c *Config) {
	c.Redaction.Custom, l.custom = nil, nil
	switch n.kind {
	case kindNull:
		return
	case kindSeq:
	default:
		l.add(l.here(n, field), "must be a list of rules with name and pattern, got "+n.describe())
		return
	}
	for i, item := range n.items {
		path := fmt.Sprintf("%s[%d]", field, i)
		if item.kind != kindMap {
			l.add(l.here(item, path), "must be a mapping with name and pattern, got "+item.describe())
			continue
		}
		r := RedactionRule{Line: item.line}
		at := customAt{name: l.here(item, path+".name"), pattern: l.here(item, path+".pattern")}
		for _, f := range l.fields(item, path, customRuleKeys) {
			switch f.key {
			case "name":
				if s, ok := l.str(f.value, path+".name"); ok {
					r.Name = s
					at.name = l.here(f.value, path+".name")
				}
			case "pattern":
				if s, ok := l.str(f.value, path+".pattern"); ok {
					r.Pattern = s
					at.pattern = l.here(f.value, path+".pattern")
				}
			}
		}
		c.Redaction.Custom = append(c.Redaction.Custom, r)
		l.custom = append(l.custom, at)
	}
}

// decodeSecretFields stores redaction.secret_fields: a list of names.
func (l *loader) decodeSecretFields(n *node, field string, c *Config) {
	switch n.kind {
	case kindNull:
		return
	case kindSeq:
	default:
		l.add(l.here(n, field), "must be a list of field names, got "+n.describe())
		return
	}
	c.Redaction.SecretFields = []string{}
	l.at[field] = l.here(n, field)
	for i, item := range n.items {
		if s, ok := l.str(item, fmt.Sprintf("%s[%d]", field, i)); ok {
			c.Redaction.SecretFields = append(c.Redaction.SecretFields, s)
		}
	}
}

func builtinRuleNames() []string {
	rules := redact.Rules()
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Name
	}
	return out
}

// validateRedaction checks the mode and the custom rules: each has a name
// of its own and an expression that RE2 compiles.
func (l *loader) validateRedaction(c *Config) {
	r := c.Redaction
	if !contains(redactionModes, r.Mode) {
		l.report("redaction.mode", fmt.Sprintf("unknown mode %q; choose mask or hash", r.Mode))
	}
	builtin := builtinRuleNames()
	seen := map[string]bool{}
	for i, rule := range r.Custom {
		at := customAt{name: where{file: l.name, field: fmt.Sprintf("redaction.custom[%d].name", i)}, pattern: where{file: l.name, field: fmt.Sprintf("redaction.custom[%d].pattern", i)}}
		if i < len(l.custom) {
			at = l.custom[i]
		}
		switch name := strings.TrimSpace(rule.Name); {
		case name == "":
			l.add(at.name, "a custom rule needs a name")
		case contains(builtin, name):
			l.add(at.name, fmt.Sprintf("%q is the name of a built-in rule; turn it on or off under redaction.rules", name))
		case seen[name]:
			l.add(at.name, fmt.Sprintf("rule %q is defined twice", name))
		}
		seen[rule.Name] = true
		if rule.Pattern == "" {
			l.add(at.pattern, "a custom rule needs a pattern")
			continue
		}
		if _, err := regexp.Compile(rule.Pattern); err != nil {
			l.add(at.pattern, "not a valid RE2 expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	for i, f := range r.SecretFields {
		if strings.TrimSpace(f) == "" {
			l.report("redaction.secret_fields", fmt.Sprintf("item %d must not be empty", i))
		}
	}
}

// RedactOptions returns the options of redact.New for these settings;
// the hash key is left for the caller to find in the secret store.
func (r *Redaction) RedactOptions() redact.Options {
	opt := redact.Options{Rules: r.Rules, Mode: redact.Mode(r.Mode), SecretFields: r.SecretFields}
	for _, c := range r.Custom {
		opt.Custom = append(opt.Custom, redact.Custom{Name: c.Name, Pattern: c.Pattern})
	}
	return opt
}
