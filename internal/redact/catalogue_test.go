package redact

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// labelled is one case of the catalogue: a text, and for a positive case
// the rule that must find the value secret in it.
type labelled struct {
	text   string
	rule   string // "" for a negative case
	secret string
}

// prefixes make the cases look like the lines they come from.
var prefixes = []string{
	"",
	"2025-10-21T09:14:03.123Z INFO checkout transaction_id=TXN-48213 ",
	"Oct 21 09:14:03 web-3 payments[2231]: ",
	`{"ts":"2025-10-21T09:14:03Z","level":"warn","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"`,
	"[2025-10-21 09:14:03,551] ERROR req=7f3a9c21-1b2c-4d5e-8f90-a1b2c3d4e5f6 ",
	"web-3 - - [21/Oct/2025:09:14:03 +0000] \"POST /api/v1/orders HTTP/1.1\" 201 512 ",
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func hexs(r *rand.Rand, n int, upper bool) string {
	const lo, up = "0123456789abcdef", "0123456789ABCDEF"
	b := make([]byte, n)
	for i := range b {
		if upper {
			b[i] = up[r.IntN(16)]
		} else {
			b[i] = lo[r.IntN(16)]
		}
	}
	return string(b)
}

func alnum(r *rand.Rand, n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}

const (
	b64set   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b64url   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// luhnDigit returns the check digit that makes body+digit pass Luhn.
func luhnDigit(body string) string {
	for d := 0; d < 10; d++ {
		if luhn(body + string(byte('0'+d))) {
			return string(byte('0' + d))
		}
	}
	panic("unreachable")
}

func card(r *rand.Rand) (plain string, formatted string) {
	type net struct {
		prefix string
		n      int
	}
	nets := []net{{"4", 16}, {"4", 13}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15}, {"6011", 16}, {"65", 16}, {"3530", 16}, {"36", 14}, {"4", 19}}
	nt := pick(r, nets)
	body := nt.prefix + digits(r, nt.n-len(nt.prefix)-1)
	d := body + luhnDigit(body)
	switch r.IntN(3) {
	case 0:
		return d, d
	default:
		sep := pick(r, []string{" ", "-"})
		var parts []string
		if nt.n == 15 {
			parts = []string{d[:4], d[4:10], d[10:]}
		} else {
			for i := 0; i < len(d); i += 4 {
				parts = append(parts, d[i:min(i+4, len(d))])
			}
		}
		return d, strings.Join(parts, sep)
	}
}

func iban(r *rand.Rand, grouped bool) string {
	countries := []string{"DE", "GB", "FR", "NL", "ES", "IT", "CH", "BE", "AT", "PL", "SE", "IE", "PT", "NO", "DK"}
	c := pick(r, countries)
	n := ibanLength[c] - 4
	var bban string
	switch c {
	case "GB", "IE":
		bban = alnum(r, 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + digits(r, n-4)
	case "NL":
		bban = alnum(r, 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + digits(r, n-4)
	case "FR", "IT":
		bban = digits(r, n)
		if c == "IT" {
			bban = "X" + digits(r, n-1)
		}
	default:
		bban = digits(r, n)
	}
	// Check digits: 98 - (bban + country + "00") mod 97.
	var num strings.Builder
	for _, ch := range bban + c + "00" {
		if ch >= 'A' && ch <= 'Z' {
			fmt.Fprintf(&num, "%d", ch-'A'+10)
		} else {
			num.WriteRune(ch)
		}
	}
	v, _ := new(big.Int).SetString(num.String(), 10)
	check := 98 - int(new(big.Int).Mod(v, big.NewInt(97)).Int64())
	s := fmt.Sprintf("%s%02d%s", c, check, bban)
	if !grouped {
		return s
	}
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, " ")
}

func jwt(r *rand.Rand) string {
	enc := base64.RawURLEncoding.EncodeToString
	h := enc([]byte(pick(r, []string{`{"alg":"HS256","typ":"JWT"}`, `{"alg":"RS256","kid":"k1"}`, `{"typ":"JWT","alg":"ES256"}`})))
	p := enc(fmt.Appendf(nil, `{"sub":"%s","iat":%d,"exp":%d}`, digits(r, 8), 1700000000+r.IntN(1e7), 1700003600+r.IntN(1e7)))
	return h + "." + p + "." + alnum(r, 43, b64url)
}

// awsSecret makes a 40-character key with at least one / or +.
func awsSecret(r *rand.Rand) string {
	for {
		s := alnum(r, 40, b64set)
		if strings.ContainsAny(s, "/+") && strings.ContainsAny(s, "0123456789") && !strings.Contains(s, "//") && s[0] != '/' {
			return s
		}
	}
}

func ssn(r *rand.Rand) string {
	for {
		a, g, s := digits(r, 3), digits(r, 2), digits(r, 4)
		if a != "000" && a != "666" && a[0] != '9' && g != "00" && s != "0000" {
			return a + "-" + g + "-" + s
		}
	}
}

var (
	firsts  = []string{"anna", "jean", "li", "maria", "olu", "sven", "priya", "tom", "zoe", "ahmed", "kim", "lucas"}
	lasts   = []string{"smith", "dupont", "wang", "garcia", "okafor", "berg", "patel", "lee", "mueller", "rossi"}
	domains = []string{"example.com", "mail.example.org", "corp-internal.io", "gmail.com", "outlook.fr", "shop.co.uk", "uni-berlin.de", "xn--bcher-kva.example"}
)

func email(r *rand.Rand) string {
	f, l := pick(r, firsts), pick(r, lasts)
	local := pick(r, []string{f + "." + l, f + "_" + l, f + l + digits(r, 2), f + "+orders", strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:], f + "-" + l})
	return local + "@" + pick(r, domains)
}

func phone(r *rand.Rand) string {
	nxx := func() string { return string(byte('2'+r.IntN(8))) + digits(r, 2) }
	switch r.IntN(10) {
	case 0:
		return "+1 " + nxx() + " " + nxx() + " " + digits(r, 4)
	case 1:
		return "+44 20 " + digits(r, 4) + " " + digits(r, 4)
	case 2:
		return "+33 6 " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2)
	case 3:
		return "+49" + "151" + digits(r, 8)
	case 4:
		return "(" + nxx() + ") " + nxx() + "-" + digits(r, 4)
	case 5:
		return nxx() + "-" + nxx() + "-" + digits(r, 4)
	case 6:
		return nxx() + "." + nxx() + "." + digits(r, 4)
	case 7:
		return "020 " + digits(r, 4) + " " + digits(r, 4)
	case 8:
		return "06 " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2)
	default:
		return "+1-" + nxx() + "-" + nxx() + "-" + digits(r, 4)
	}
}

// positives returns the labelled cases that hold one value each.
func positives() []labelled {
	r := rand.New(rand.NewPCG(1, 2))
	var out []labelled
	add := func(rule, secret, format string) {
		out = append(out, labelled{text: pick(r, prefixes) + fmt.Sprintf(format, secret), rule: rule, secret: secret})
	}
	for range 35 {
		add(RuleEmail, email(r), pick(r, []string{"user=%s", `"email":"%s"`, "sent receipt to <%s>", "customer %s logged in", "From: %s", "notify(%s) ok", "login failed for '%s'"}))
	}
	for range 40 {
		_, f := card(r)
		add(RuleCard, f, pick(r, []string{"card=%s", `"pan":"%s"`, "charging card %s amount=12.50 EUR", "cc: %s exp 12/27", "pan %s declined"}))
	}
	for range 30 {
		add(RuleIBAN, iban(r, r.IntN(2) == 0), pick(r, []string{"iban=%s", `"iban":"%s"`, "payout to %s ok", "IBAN: %s"}))
	}
	for range 40 {
		add(RulePhone, phone(r), pick(r, []string{"phone=%s", `"phone":"%s"`, "sms sent to %s", "callback %s requested", "tel: %s"}))
	}
	for range 25 {
		add(RuleSSN, ssn(r), pick(r, []string{"ssn=%s", `"ssn":"%s"`, "verified SSN %s", "tax id %s on file"}))
	}
	for range 25 {
		add(RuleJWT, jwt(r), pick(r, []string{"token=%s", "Authorization: Bearer %s", `"id_token":"%s"`, "session %s refreshed", "jwt %s"}))
	}
	for range 30 {
		tok := pick(r, []string{alnum(r, 32, b64url), "sk_live_" + alnum(r, 24, upperNum+"abcdef"), "ghp_" + alnum(r, 36, b64url), alnum(r, 20, b64set) + "==", hexs(r, 40, false)})
		add(RuleBearer, tok, pick(r, []string{"Authorization: Bearer %s", "authorization=Bearer %s", `"Authorization":"Basic %s"`, "header Authorization: Token %s", "using bearer %s", "Proxy-Authorization: Basic %s"}))
	}
	for range 25 {
		add(RuleAWSKey, pick(r, []string{"AKIA", "ASIA", "AROA", "AIDA"})+alnum(r, 16, upperNum), pick(r, []string{"aws_access_key_id=%s", `"AccessKeyId":"%s"`, "using key %s for s3", "credentials %s expired"}))
	}
	for range 25 {
		add(RuleAWSSecret, awsSecret(r), pick(r, []string{"aws_secret_access_key=%s", `"SecretAccessKey":"%s"`, "AWS_SECRET_ACCESS_KEY: %s", "secret %s", "loaded %s from env"}))
	}
	for range 40 {
		v := pick(r, []string{"hunter2", "S3cr3t!pass", "p@ssw0rd-" + digits(r, 3), alnum(r, 24, b64url), "correct horse battery", "sess_" + hexs(r, 24, false)})
		f := pick(r, []string{"password=%s", `"password":"%s"`, "passwd: %s", `"api_key": "%s"`, "api-key=%s", "client_secret=%s", "db_password=%s", "Cookie: %s", "set-cookie: %s", `{\"token\":\"%s\"}`, "x-api-key: %s", "refresh_token=%s"})
		if strings.Contains(v, " ") && !strings.Contains(f, `"`) && !strings.Contains(strings.ToLower(f), "cookie") {
			v = strings.ReplaceAll(v, " ", "-")
		}
		add(RuleSecretField, v, f)
	}
	// Off by default; measured with the rules turned on.
	for range 20 {
		ip := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		add(RuleIPv4, ip, pick(r, []string{"client=%s", "connect from %s port 443", `"remote_addr":"%s"`, "peer %s:5432 closed"}))
	}
	for range 20 {
		ip := pick(r, []string{"2001:db8:" + hexs(r, 4, false) + "::" + hexs(r, 3, false), "fe80::" + hexs(r, 4, false) + ":" + hexs(r, 4, false) + ":" + hexs(r, 4, false) + ":" + hexs(r, 4, false),
			fmt.Sprintf("2a00:%s:%s:%s:%s:%s:%s:%s", hexs(r, 4, false), hexs(r, 4, false), hexs(r, 4, false), hexs(r, 4, false), hexs(r, 4, false), hexs(r, 4, false), hexs(r, 4, false)), "::ffff:192.0.2." + fmt.Sprint(1+r.IntN(254))})
		add(RuleIPv6, ip, pick(r, []string{"client=%s", "connect from [%s]:443", `"remote_addr":"%s"`, "peer %s closed"}))
	}
	return out
}

// negatives returns texts in which nothing must be found: the numbers and
// ids that logs are full of.
func negatives() []labelled {
	r := rand.New(rand.NewPCG(3, 4))
	fixed := []string{
		"2025-10-21T09:14:03.123456789Z", "2025-10-21 09:14:03,551", "21/Oct/2025:09:14:03 +0000", "Tue, 21 Oct 2025 09:14:03 GMT",
		"ts=1761037443", "ts_ms=1761037443123", "ts_ns=1761037443123456789", "date=2025-10-21 time=09:14:03", "took 01-15-2024",
		"offset +02:00", "tz=+0530", "elapsed +1 day", "delta +0.5%", "pi=+3.14159265", "score +12.75",
		"version 1.2.3", "v2.10.0-rc.1", "go1.26.8", "kernel 5.15.0-1049-aws", "build 10.0.19045.3693", "node v20.11.1",
		"price=1234.56 EUR", "total $1,299.00", "amount=49.99", "€ 12 345,67", "qty 10000 units",
		"status=200 bytes=51234 duration_ms=1532", "GET /api/v1/orders/1234567 HTTP/1.1", "port 8443", "pid 2231 tid 140234",
		"order_id=ORD-2025-000123", "invoice INV-99812734", "order 100023456", "ticket #4521", "sku 0012-3344-55",
		"Bearer token missing", "basic auth disabled", "password reset requested for user 42", "token_count=512", "max_tokens=4096",
		"password_changed=true", "secret_name=db-creds", "authorization failed: no header", "user@localhost denied", "icon logo@2x.png missing",
		"image nginx@sha256:" + strings.Repeat("ab12", 16), "commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "@timestamp field missing",
		"isbn 978-3-16-148410-0", "ISO 8601", "HTTP/2 stream 1339", "retry 3/5 in 250ms", "heap=512MiB gc=12ms",
		"range 0-1023/4096", "matrix 3x4", "ratio 16:9", "at 09:14:03.551", "uptime 12:03:44",
		"mac=00:1a:2b:3c:4d:5e", "0x7ffee4b2c8a0", "errno=-104", "exit status 137", "weights 0.25 0.5 0.25",
		"coords 48.8566,2.3522", "temp -12.5C", "seq 000123 456789", "zip 75001", "NL 1234 AB Amsterdam",
		"Rollout DE89 in progress", "account DE00 bad", "base64 aGVsbG8gd29ybGQ=", "path /var/lib/app/data/2025/10/21/part-00001.parquet",
		"https://example.com/a/b?c=d&e=f", "s3://bucket/logs/2025/10/21/app.log.gz", "user agent Mozilla/5.0 (X11; Linux x86_64)",
		"k8s pod checkout-7d9f8b6c5-x2x9z", "container 3f4e5d6c7b8a", "span_id=00f067aa0ba902b7", "node ip-10-0-1-23.ec2.internal",
	}
	var out []labelled
	for _, s := range fixed {
		out = append(out, labelled{text: pick(r, prefixes) + s})
	}
	gen := []func() string{
		func() string { // UUIDs
			return fmt.Sprintf("request_id=%s-%s-4%s-%s%s-%s", hexs(r, 8, false), hexs(r, 4, false), hexs(r, 3, false), pick(r, []string{"8", "9", "a", "b"}), hexs(r, 3, false), hexs(r, 12, false))
		},
		func() string { return "trace_id=" + hexs(r, 32, false) },
		func() string { return "traceparent: 00-" + hexs(r, 32, false) + "-" + hexs(r, 16, false) + "-01" },
		func() string { return "span " + hexs(r, 16, false) },
		func() string { return "sha256=" + hexs(r, 64, false) },
		func() string { return "git " + hexs(r, 40, false) },
		func() string { return "etag \"" + hexs(r, 32, true) + "\"" },
		func() string { return fmt.Sprintf("version %d.%d.%d", r.IntN(30), r.IntN(100), r.IntN(1000)) },
		func() string { return fmt.Sprintf("ts=%d", 1600000000+r.IntN(2e8)) },
		func() string { return fmt.Sprintf("ts_ms=%d", 1600000000000+r.Int64N(2e11)) },
		func() string {
			return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", 2020+r.IntN(6), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000))
		},
		func() string {
			return fmt.Sprintf("price=%d.%02d %s", r.IntN(100000), r.IntN(100), pick(r, []string{"EUR", "USD", "GBP"}))
		},
		func() string { return fmt.Sprintf("order_id=ORD-%d-%06d", 2020+r.IntN(6), r.IntN(1e6)) },
		func() string { return "order " + digits(r, 9+r.IntN(3)) },
		func() string { return "TXN-" + digits(r, 5+r.IntN(6)) },
		func() string { return fmt.Sprintf("duration=%dms bytes=%d", r.IntN(100000), r.IntN(1e7)) },
		func() string { // long numbers that are not cards: Luhn fails
			for {
				d := digits(r, 13+r.IntN(7))
				if !luhn(d) {
					return "ref " + d
				}
			}
		},
		func() string { return "id=" + alnum(r, 22, b64url) },
		func() string { return "req " + alnum(r, 26, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") },
		func() string {
			return fmt.Sprintf("%d.%d.%d.%d", r.IntN(10), r.IntN(30), r.IntN(200), 256+r.IntN(5000))
		},
		func() string { return "nonce " + alnum(r, 32, b64url) },
	}
	for i := 0; len(out) < 360; i++ {
		out = append(out, labelled{text: pick(r, prefixes) + gen[i%len(gen)]()})
	}
	return out
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// evaluate scores each rule on the catalogue: a positive case is a true
// positive when a span of its rule covers its value; every other span is a
// false positive of its rule.
func evaluate(t *testing.T, r *Redactor, cases []labelled) map[string]*score {
	scores := map[string]*score{}
	get := func(rule string) *score {
		if scores[rule] == nil {
			scores[rule] = &score{}
		}
		return scores[rule]
	}
	for _, c := range cases {
		spans := r.Find(c.text, []string{"TXN-48213"})
		found := false
		var at int
		if c.rule != "" {
			at = strings.Index(c.text, c.secret)
			if at < 0 {
				t.Fatalf("case %q: secret %q not in text", c.text, c.secret)
			}
		}
		for _, sp := range spans {
			if c.rule != "" && !found && sp.Rule == c.rule && sp.Start <= at && sp.End >= at+len(c.secret) {
				found = true
				get(sp.Rule).tp++
				continue
			}
			get(sp.Rule).fp++
			if testing.Verbose() {
				t.Logf("false positive %s: %q in %q", sp.Rule, c.text[sp.Start:sp.End], c.text)
			}
		}
		if c.rule != "" && !found {
			get(c.rule).fn++
			if testing.Verbose() {
				t.Logf("missed %s: %q in %q (spans %v)", c.rule, c.secret, c.text, spans)
			}
		}
	}
	return scores
}

func TestCatalogue(t *testing.T) {
	pos, neg := positives(), negatives()
	if len(pos) < 300 || len(neg) < 300 {
		t.Fatalf("catalogue has %d positive and %d negative cases, want ≥ 300 each", len(pos), len(neg))
	}
	all := map[string]bool{}
	for _, ri := range Rules() {
		all[ri.Name] = ri.Name != RuleDigits
	}
	r, err := New(Options{Rules: all})
	if err != nil {
		t.Fatal(err)
	}
	scores := evaluate(t, r, append(pos, neg...))
	perRule := map[string]int{}
	for _, c := range pos {
		perRule[c.rule]++
	}
	names := make([]string, 0, len(scores))
	for _, ri := range Rules() {
		if ri.Name != RuleDigits {
			names = append(names, ri.Name)
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "catalogue: %d positive, %d negative cases\n", len(pos), len(neg))
	table.WriteString("| rule | default | cases | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|---|---|\n")
	for _, name := range names {
		s := scores[name]
		if s == nil {
			s = &score{}
		}
		on := "on"
		for _, ri := range Rules() {
			if ri.Name == name && !ri.On {
				on = "off"
			}
		}
		fmt.Fprintf(&table, "| %s | %s | %d | %d | %d | %d | %.3f | %.3f |\n", name, on, perRule[name], s.tp, s.fp, s.fn, s.precision(), s.recall())
		if perRule[name] < 20 {
			t.Errorf("rule %s has %d positive cases, want ≥ 20", name, perRule[name])
		}
		if s.precision() < 0.99 || s.recall() < 0.98 {
			t.Errorf("rule %s: precision %.3f (want ≥ 0.99), recall %.3f (want ≥ 0.98)", name, s.precision(), s.recall())
		}
	}
	for rule := range scores {
		if rule != "" && !slices.Contains(names, rule) {
			t.Errorf("spans of unexpected rule %q", rule)
		}
	}
	t.Log("\n" + table.String())
}

// With the defaults, nothing of the negative catalogue changes.
func TestCatalogueNegativesSurviveDefaults(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range negatives() {
		if got := r.String(c.text, nil, nil); got != c.text {
			t.Errorf("%q\nbecame %q", c.text, got)
		}
	}
	for _, c := range positives() {
		got := r.String(c.text, nil, nil)
		on := c.rule != RuleIPv4 && c.rule != RuleIPv6
		if on && strings.Contains(got, c.secret) {
			t.Errorf("%s: %q survives in %q", c.rule, c.secret, got)
		}
		if !on && got != c.text {
			t.Errorf("%s is off by default but %q became %q", c.rule, c.text, got)
		}
	}
}
