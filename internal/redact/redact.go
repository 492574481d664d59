// Package redact removes personal data and credentials from a trace report
// before it leaves the process.
//
// Rules find values in text: built-in ones (e-mail addresses, payment
// cards, IBANs, phone numbers, SSNs, JWTs, credentials, AWS keys, values of
// fields named like secrets, and, off by default, IP addresses and long
// numbers) and custom regular expressions. A found value is replaced by
// [REDACTED:rule] in mask mode, or by rule:xxxxxxxx in hash mode, where
// xxxxxxxx is a keyed HMAC-SHA256 of the value: the same value gets the
// same pseudonym across services and runs for one key, so a customer's
// path can be followed without showing who it is.
//
// The traced id and the linked ids are never replaced, whatever they look
// like.
package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// Mode says how a found value is replaced.
type Mode string

// The modes.
const (
	// ModeMask replaces a value by [REDACTED:rule].
	ModeMask Mode = "mask"
	// ModeHash replaces a value by rule:xxxxxxxx, a keyed pseudonym.
	ModeHash Mode = "hash"
)

// Custom is a rule of the configuration: a name and an RE2 expression.
// When the expression has a group, only the first group's text is
// replaced; otherwise the whole match.
type Custom struct {
	Name    string
	Pattern string
}

// Options configures a Redactor.
type Options struct {
	// Rules turns built-in rules on or off by name; a rule not named keeps
	// its default (RuleInfo.On).
	Rules map[string]bool
	// Custom rules apply after the built-in ones, in order.
	Custom []Custom
	// SecretFields are the field names whose values are secrets; nil
	// means DefaultSecretFields. A name matches a field named the same,
	// or ending in _name or -name, in any case.
	SecretFields []string
	// Mode is ModeMask ("" too) or ModeHash.
	Mode Mode
	// HashKey is the key of hash mode; required there.
	HashKey []byte
}

// ErrNoHashKey is returned by New for hash mode without a key.
var ErrNoHashKey = errors.New("redaction mode hash needs a key (secret pipetracker_redact_key); refusing to use a default")

// Span is one value found in a text.
type Span struct {
	Start, End int
	Rule       string
}

// rule is a compiled rule.
type rule struct {
	name string
	need features // 0: always run
	find func(string, func(int, int))
	norm func(string) string
}

// Redactor applies a set of rules. It is safe for concurrent use.
type Redactor struct {
	rules        []rule
	mode         Mode
	key          []byte
	secretFields []string // lower case, '-' as '_'
	fieldsOn     bool
	// ends are the endings of secretFields.
	ends *nameEnds
	// exact runs every finder on every text, as if no feature said a rule
	// cannot match: what the tests compare the prefilter with.
	exact bool
	// cuts says values cut out of a clean raw text need no look of their
	// own (see inside): no custom rule, and not exact.
	cuts bool
}

// New compiles the rules of opt. Unknown rule names, bad expressions and
// hash mode without a key are errors.
func New(opt Options) (*Redactor, error) {
	r := &Redactor{mode: opt.Mode}
	switch opt.Mode {
	case "", ModeMask:
		r.mode = ModeMask
	case ModeHash:
		if len(opt.HashKey) == 0 {
			return nil, ErrNoHashKey
		}
		r.key = slices.Clone(opt.HashKey)
	default:
		return nil, fmt.Errorf("redact: unknown mode %q (choose mask or hash)", opt.Mode)
	}
	known := map[string]bool{}
	for _, b := range builtins() {
		known[b.Name] = true
		on := b.On
		if v, ok := opt.Rules[b.Name]; ok {
			on = v
		}
		if !on {
			continue
		}
		if b.Name == RuleSecretField {
			r.fieldsOn = true
			continue
		}
		r.rules = append(r.rules, rule{name: b.Name, need: b.need, find: b.find, norm: b.norm})
	}
	for name := range opt.Rules {
		if !known[name] {
			return nil, fmt.Errorf("redact: unknown rule %q", name)
		}
	}
	for _, c := range opt.Custom {
		if c.Name == "" {
			return nil, errors.New("redact: a custom rule has no name")
		}
		if known[c.Name] {
			return nil, fmt.Errorf("redact: custom rule %q has the name of a built-in rule", c.Name)
		}
		known[c.Name] = true
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("redact: rule %q: %w", c.Name, err)
		}
		group := 0
		if re.NumSubexp() > 0 {
			group = 1
		}
		r.rules = append(r.rules, rule{name: c.Name, find: regexFinder(re, group)})
	}
	fields := opt.SecretFields
	if fields == nil {
		fields = DefaultSecretFields()
	}
	if r.fieldsOn && len(fields) > 0 {
		for _, f := range fields {
			n := normField(f)
			if n == "" {
				continue
			}
			r.secretFields = append(r.secretFields, n)
			if r.ends == nil {
				r.ends = new(nameEnds)
			}
			r.ends.add(n)
		}
	}
	r.cuts = len(opt.Custom) == 0
	return r, nil
}

// normField is a field name in lower case with '-' as '_'.
func normField(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
}

// secretField reports whether a field's name says its value is a secret:
// it is one of the names, or ends with '_' or '-' and one, in any case and
// with '-' and '_' alike. It allocates nothing.
func (r *Redactor) secretField(name string) bool {
	return r.maySecret(name) && r.secretName(name)
}

// maySecret is secretField's first look, at the last byte of name: most
// names end otherwise than any secret one's. It is small enough to be
// inlined where fields are walked.
func (r *Redactor) maySecret(name string) bool {
	return r.ends != nil && name != "" && r.ends.last[name[len(name)-1]]
}

// secretName is secretField past maySecret.
func (r *Redactor) secretName(name string) bool {
	if !r.fieldsOn || !r.ends.may(name) {
		return false
	}
	for _, f := range r.secretFields {
		if len(name) < len(f) {
			continue
		}
		tail := len(name) - len(f)
		if !sameName(name[tail:], f) {
			continue
		}
		if tail == 0 || name[tail-1] == '_' || name[tail-1] == '-' {
			return true
		}
	}
	return false
}

// sameName compares a name with a normalised one (lower case, '_' for
// '-').
func sameName(name, norm string) bool {
	for i := 0; i < len(norm); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '-' {
			c = '_'
		}
		if c != norm[i] {
			return false
		}
	}
	return true
}

// Find returns the values the rules find in s, in order and without
// overlaps; spans that overlap an occurrence of a kept value are left out.
func (r *Redactor) Find(s string, keep []string) []Span {
	spans, _ := r.find(s, keep)
	return spans
}

// find is Find that also reports whether a rule found anything at all,
// kept ids aside.
func (r *Redactor) find(s string, keep []string) ([]Span, bool) {
	f := scan(s, r.ends)
	// got is allocated once a finder runs, which clean text never makes
	// one do.
	var got *[]Span
	for i := range r.rules {
		ru := &r.rules[i]
		if ru.need != 0 && f&ru.need == 0 && !r.exact {
			continue
		}
		if got == nil {
			got = new([]Span)
		}
		out := got
		ru.find(s, func(a, b int) {
			if b > a {
				*out = append(*out, Span{a, b, ru.name})
			}
		})
	}
	if r.fieldsOn && len(r.secretFields) > 0 && (f&fAssign != 0 || r.exact) {
		if got == nil {
			got = new([]Span)
		}
		out := got
		r.findSecretText(s, func(a, b int) { *out = append(*out, Span{a, b, RuleSecretField}) })
	}
	if got == nil || len(*got) == 0 {
		return nil, false
	}
	spans := *got
	if len(keep) > 0 {
		spans = slices.DeleteFunc(spans, func(sp Span) bool { return overlapsKept(s, sp, keep) })
	}
	// The earliest, then the longest, then the first rule wins.
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].Start != spans[j].Start {
			return spans[i].Start < spans[j].Start
		}
		return spans[i].End > spans[j].End
	})
	out := spans[:0]
	end := -1
	for _, sp := range spans {
		if sp.Start >= end {
			out = append(out, sp)
			end = sp.End
		}
	}
	return out, true
}

// findSecretText finds the values of secret fields written as name=value,
// name: value, "name":"value" or \"name\":\"value\".
func (r *Redactor) findSecretText(s string, emit func(a, b int)) {
	for i := 0; i < len(s); i++ {
		if s[i] != ':' && s[i] != '=' {
			continue
		}
		j := nameEnd(s, i)
		end := j
		for j > 0 && (isAlnum(s[j-1]) || s[j-1] == '_' || s[j-1] == '-') {
			j--
		}
		if j == end || !r.secretField(s[j:end]) {
			continue
		}
		k := i + 1
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		eol := strings.HasSuffix(normField(s[j:end]), "cookie")
		if a, b := valueAt(s, k, eol); b > a {
			emit(a, b)
			i = b - 1
		}
	}
}

// overlapsKept reports whether sp overlaps an occurrence of a kept value.
func overlapsKept(s string, sp Span, keep []string) bool {
	for _, k := range keep {
		if k == "" {
			continue
		}
		// Look in the span widened by the kept value's length, so that an
		// occurrence that straddles the span's ends is seen.
		lo, hi := max(0, sp.Start-len(k)+1), min(len(s), sp.End+len(k)-1)
		if strings.Contains(s[lo:hi], k) {
			return true
		}
	}
	return false
}

// replacement is what a value found by rule becomes.
func (r *Redactor) replacement(ruleName, value string, norm func(string) string) string {
	if r.mode != ModeHash {
		return "[REDACTED:" + ruleName + "]"
	}
	if norm != nil {
		value = norm(value)
	}
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(ruleName))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return ruleName + ":" + hex.EncodeToString(m.Sum(nil)[:4])
}

func (r *Redactor) norm(ruleName string) func(string) string {
	for _, ru := range r.rules {
		if ru.name == ruleName {
			return ru.norm
		}
	}
	return nil
}

// String returns s with every value found replaced, and adds the
// replacements to counts by rule (counts may be nil).
func (r *Redactor) String(s string, keep []string, counts map[string]int) string {
	return r.redactString(s, &pass{keep: keep, counts: counts})
}

// found is a value replaced in one record, with the rule that found it.
type found struct{ rule, value string }

// pass is the state of the redaction of one record: the kept ids, the
// counts, and the values already replaced in the record's text, which
// are replaced wherever else they appear in it (a field parsed out of a
// cookie header, say).
type pass struct {
	keep   []string
	counts map[string]int
	found  []found
	// clean, when set, is the record's raw text in which no rule found
	// anything: a value cut out of it (see inside) holds nothing either.
	clean string
}

// minEcho is the shortest replaced value that is looked for elsewhere in
// its record; minPart the shortest whole value replaced for being part of
// a replaced one.
const (
	minEcho = 4
	minPart = 6
)

func (p *pass) count(rule string) {
	if p.counts != nil {
		p.counts[rule]++
	}
}

func (r *Redactor) redactString(s string, p *pass) string {
	s, _ = r.redactText(s, p)
	return s
}

// redactText is redactString that also reports whether a rule found
// anything in s, kept ids aside.
func (r *Redactor) redactText(s string, p *pass) (string, bool) {
	if p.clean != "" && len(p.found) == 0 && inside(p.clean, s) {
		return s, false
	}
	// Values found before in the record first, then the rules.
	s = r.echoes(s, p)
	spans, any := r.find(s, p.keep)
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		v := s[sp.Start:sp.End]
		b.WriteString(s[last:sp.Start])
		b.WriteString(r.replacement(sp.Rule, v, r.norm(sp.Rule)))
		last = sp.End
		p.count(sp.Rule)
		p.remember(sp.Rule, v)
	}
	if len(spans) > 0 {
		b.WriteString(s[last:])
		s = b.String()
	}
	return s, any
}

// Bytes that may stand before and after a value cut out of a text without
// changing what a built-in rule finds in it: none continues a word, a
// number, base64, an address or a phone number, or is a separator that a
// rule reads past (':' of IPv6, ')' and '.' of phones, '=' of base64, ','
// and '-' of numbers).
var cutBefore, cutAfter = func() (b, a [256]bool) {
	for _, c := range []byte(" \t\"'=;,[{<|&") {
		b[c] = true
	}
	for _, c := range []byte(" \t\r\n\"';]}>|&") {
		a[c] = true
	}
	return b, a
}()

// inside reports whether v is a cut of raw's own bytes (the parsers slice
// records' text) that starts and ends at bytes of cutBefore and cutAfter
// or at raw's ends. Every built-in rule then finds in v only what it
// finds in raw: a raw text in which no rule finds anything needs no look
// at such values. Custom expressions may anchor, so a redactor with any
// does not rely on this.
func inside(raw, v string) bool {
	if len(v) == 0 {
		return true
	}
	r0 := uintptr(unsafe.Pointer(unsafe.StringData(raw)))
	v0 := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	if v0 < r0 || v0+uintptr(len(v)) > r0+uintptr(len(raw)) {
		return false
	}
	a := int(v0 - r0)
	b := a + len(v)
	return (a == 0 || cutBefore[raw[a-1]] && !blankDigit(raw, a-1, -1)) &&
		(b == len(raw) || cutAfter[raw[b]] && !blankDigit(raw, b, 1))
}

// blankDigit reports whether raw[i] is a blank with a digit next to it on
// the side dir points to: numbers are read across one blank ("+44 20 7946
// 0958", "4111 1111 1111 1111").
func blankDigit(raw string, i, dir int) bool {
	j := i + dir
	return (raw[i] == ' ' || raw[i] == '\t') && j >= 0 && j < len(raw) && isDigit(raw[j])
}

// maxFound bounds the values of one record looked for elsewhere in it,
// which keeps the cost of a record linear in its size.
const maxFound = 32

// remember adds a replaced value to those looked for elsewhere.
func (p *pass) remember(rule, v string) {
	if len(v) < minEcho || len(p.found) >= maxFound {
		return
	}
	for _, f := range p.found {
		if f.value == v {
			return
		}
	}
	p.found = append(p.found, found{rule, v})
}

// echoes replaces in s the values replaced before in the same record.
func (r *Redactor) echoes(s string, p *pass) string {
	if len(p.found) == 0 {
		return s
	}
	for _, f := range p.found {
		if len(s) < minEcho || !strings.Contains(s, f.value) {
			continue
		}
		n := strings.Count(s, f.value)
		s = strings.ReplaceAll(s, f.value, r.replacement(f.rule, f.value, r.norm(f.rule)))
		for range n {
			p.count(f.rule)
		}
	}
	// A whole value that is part of one replaced before: a field parsed
	// out of a replaced header.
	if len(s) >= minPart && !slices.Contains(p.keep, s) {
		for _, f := range p.found {
			if strings.Contains(f.value, s) {
				p.count(f.rule)
				return r.replacement(f.rule, s, r.norm(f.rule))
			}
		}
	}
	return s
}

// Value returns a field value with its strings redacted: maps and lists
// are copied when something in them changes, a field whose name says
// secret is replaced whole, numbers that a rule finds become strings.
func (r *Redactor) Value(v any, keep []string, counts map[string]int) any {
	nv, _ := r.value(v, &pass{keep: keep, counts: counts})
	return nv
}

// value is Value that also says whether anything changed.
func (r *Redactor) value(v any, p *pass) (any, bool) {
	switch x := v.(type) {
	case string:
		// The value itself when nothing changed: boxing a string anew
		// allocates.
		if s := r.redactString(x, p); s != x {
			return s, true
		}
		return v, false
	case json.Number:
		if s := r.redactString(string(x), p); s != string(x) {
			return s, true
		}
		return x, false
	case map[string]any:
		return r.fields(x, p)
	case []any:
		var out []any
		for i, e := range x {
			ne, changed := r.value(e, p)
			if out == nil && changed {
				out = slices.Clone(x)
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	default:
		return v, false
	}
}

// Fields returns fields with every value redacted (see Value); it returns
// fields itself when nothing changed.
func (r *Redactor) Fields(fields map[string]any, keep []string, counts map[string]int) map[string]any {
	out, _ := r.fields(fields, &pass{keep: keep, counts: counts})
	return out
}

func (r *Redactor) fields(fields map[string]any, p *pass) (map[string]any, bool) {
	if r.untouched(fields, p) {
		return fields, false
	}
	// In the order of the names: what one value gives up is looked for in
	// the others, so the order must not change from run to run.
	var out map[string]any
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v := fields[k]
		var nv any
		if r.secretField(k) && !emptyValue(v) && !isKept(v, p.keep) {
			nv = r.replacement(RuleSecretField, fmt.Sprint(v), nil)
			p.count(RuleSecretField)
		} else {
			var changed bool
			if nv, changed = r.value(v, p); !changed {
				continue
			}
		}
		if out == nil {
			out = make(map[string]any, len(fields))
			for k2, v2 := range fields {
				out[k2] = v2
			}
		}
		out[k] = nv
	}
	if out == nil {
		return fields, false
	}
	return out, true
}

// untouched reports that redaction leaves fields as they are: no value is
// under a secret name, and no rule finds anything in any value (values
// cut out of a clean raw text are not even looked at, see inside). Then
// the order of the values does not matter either: nothing is replaced,
// so nothing is looked for elsewhere.
func (r *Redactor) untouched(fields map[string]any, p *pass) bool {
	if len(p.found) > 0 {
		return false
	}
	for k, v := range fields {
		if r.maySecret(k) && r.secretName(k) && !emptyValue(v) && !isKept(v, p.keep) {
			return false
		}
		// Most values are strings: one call less than untouchedValue.
		if s, ok := v.(string); ok {
			if !r.untouchedText(s, p) {
				return false
			}
		} else if !r.untouchedValue(v, p) {
			return false
		}
	}
	return true
}

func (r *Redactor) untouchedValue(v any, p *pass) bool {
	switch x := v.(type) {
	case string:
		return r.untouchedText(x, p)
	case json.Number:
		return r.untouchedText(string(x), p)
	case map[string]any:
		return r.untouched(x, p)
	case []any:
		for _, e := range x {
			if !r.untouchedValue(e, p) {
				return false
			}
		}
	}
	return true
}

func (r *Redactor) untouchedText(s string, p *pass) bool {
	if p.clean != "" && inside(p.clean, s) {
		return true
	}
	spans, _ := r.find(s, p.keep)
	return len(spans) == 0
}

func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}

func isKept(v any, keep []string) bool {
	s, ok := v.(string)
	return ok && slices.Contains(keep, s)
}

// Report redacts, in place, everything of rep that is shown: each event's
// message, raw text and fields, the warnings, the sources' errors and the
// verifiers' answers. The traced id, the linked ids, the ids events
// matched by, origins and service names are left as they are, and no rule
// replaces text that contains one of those ids. It sets rep.Redactions to the number of
// values replaced by rule, and returns it.
func (r *Redactor) Report(rep *trace.Report) map[string]int {
	keep := keptIDs(rep)
	counts := r.events(rep.Trace.Events, keep)
	for i := range rep.Warnings {
		rep.Warnings[i].Message = r.String(rep.Warnings[i].Message, keep, counts)
	}
	for i := range rep.Stats.Sources {
		rep.Stats.Sources[i].Error = r.String(rep.Stats.Sources[i].Error, keep, counts)
	}
	for i := range rep.Verifications {
		v := &rep.Verifications[i]
		v.Error = r.String(v.Error, keep, counts)
		if v.Response != nil {
			v.Response = r.Fields(v.Response, keep, counts)
		}
	}
	rep.Redactions = counts
	return counts
}

// eventsPerWorker is the least number of events worth a goroutine.
const eventsPerWorker = 256

// events redacts every event, in chunks on every core when there are many
// (a hot id yields tens of thousands), and returns the counts by rule.
func (r *Redactor) events(events []trace.Event, keep []string) map[string]int {
	workers := min(runtime.GOMAXPROCS(0), len(events)/eventsPerWorker)
	if workers <= 1 {
		counts := map[string]int{}
		for i := range events {
			r.event(&events[i], keep, counts)
		}
		return counts
	}
	parts := make([]map[string]int, workers)
	chunk := (len(events) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		parts[w] = map[string]int{}
		lo, hi := w*chunk, min(len(events), (w+1)*chunk)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				r.event(&events[i], keep, parts[w])
			}
		})
	}
	wg.Wait()
	counts := parts[0]
	for _, part := range parts[1:] {
		for rule, n := range part {
			counts[rule] += n
		}
	}
	return counts
}

// Precheck reports whether no rule finds anything in the event's raw
// text, message or field values and no field's name is secret: then no
// redaction changes it, whatever ids are kept, and Report passes it by
// once its Clean is set. It is meant for the goroutine that finds the
// event (engine.Options.Precheck), where its text is still in the
// processor's cache; looking at tens of thousands of events again after
// the trace is assembled costs twice as much. Safe for concurrent use.
func (r *Redactor) Precheck(ev trace.Event) bool {
	p := &pass{}
	if spans, _ := r.find(ev.Raw, nil); len(spans) > 0 {
		return false
	}
	if r.cuts {
		p.clean = ev.Raw
	}
	return r.untouchedText(ev.Message, p) && r.untouched(ev.Fields, p)
}

// event redacts one event. The raw text goes first: what is replaced
// there is replaced in the message and the fields too.
func (r *Redactor) event(ev *trace.Event, keep []string, counts map[string]int) {
	if ev.Clean {
		return
	}
	p := &pass{keep: keep, counts: counts}
	raw := ev.Raw
	var any bool
	ev.Raw, any = r.redactText(raw, p)
	if !any && r.cuts {
		p.clean = raw
	}
	ev.Message = r.redactString(ev.Message, p)
	if ev.Fields != nil {
		ev.Fields, _ = r.fields(ev.Fields, p)
	}
}

// keptIDs are the ids no rule may replace: the traced one, the linked ones
// and those the events matched by.
func keptIDs(rep *trace.Report) []string {
	seen := map[string]bool{}
	var keep []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			keep = append(keep, s)
		}
	}
	add(rep.Query.ID)
	add(rep.Trace.ID)
	for _, l := range rep.LinkedIDs {
		add(l.Value)
	}
	for i := range rep.Trace.Events {
		add(rep.Trace.Events[i].Matched.Value)
	}
	return keep
}
