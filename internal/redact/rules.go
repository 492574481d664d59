package redact

import (
	"net"
	"regexp"
	"strings"
)

// The names of the built-in rules.
const (
	RuleEmail       = "email"
	RuleCard        = "card"
	RuleIBAN        = "iban"
	RulePhone       = "phone"
	RuleIPv4        = "ipv4"
	RuleIPv6        = "ipv6"
	RuleSSN         = "ssn"
	RuleJWT         = "jwt"
	RuleBearer      = "bearer"
	RuleAWSKey      = "aws_key"
	RuleAWSSecret   = "aws_secret"
	RuleSecretField = "secret_field"
	RuleDigits      = "digits"
)

// RuleInfo describes a built-in rule.
type RuleInfo struct {
	Name string
	// On says whether the rule applies when the configuration does not
	// name it.
	On          bool
	Description string
}

// builtin is a rule found by code: a cheap test that s may hold a match,
// and a finder that calls emit for each match.
type builtin struct {
	RuleInfo
	need features // run only when one of these is present; 0: always
	find func(s string, emit func(start, end int))
	// norm is the form of a match that hash mode keys its pseudonym on, so
	// that one value written two ways gets one pseudonym.
	norm func(s string) string
}

// Rules lists the built-in rules in the order they are documented.
func Rules() []RuleInfo {
	bs := builtins()
	out := make([]RuleInfo, len(bs))
	for i, b := range bs {
		out[i] = b.RuleInfo
	}
	return out
}

// DefaultSecretFields are the field names whose values are secrets.
func DefaultSecretFields() []string {
	return []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie", "set-cookie", "private_key", "client_secret", "access_token", "refresh_token"}
}

func hasDigit(s string) bool { return strings.IndexAny(s, "0123456789") >= 0 }

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// numStart reports whether a number may start at i: the byte before it is
// not part of a word, an identifier or another number.
func numStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	return !(isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '+')
}

// numEnd reports whether a number may end at j: the byte after it does not
// continue a word or the number (a decimal point, a dash and a digit).
func numEnd(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isAlnum(c) || c == '_' {
		return false
	}
	if (c == '.' || c == '-' || c == ',') && j+1 < len(s) && isDigit(s[j+1]) {
		return false
	}
	return true
}

// features are what one pass over a text tells of it, one bit each; a
// rule names the features it needs (any of them) instead of scanning the
// text again. Each is a necessary condition of its rule's finder
// emitting anything (TestPrefilterExact and FuzzPrefilter hold the two
// to that), so a rule whose features are absent is not run at all, and
// clean log text runs no finder.
type features uint32

const (
	fDigit  features = 1 << iota // a digit
	fAt                          // '@' (e-mail)
	fColon                       // ':' (IPv6)
	fDot                         // '.' (IPv4)
	fCard                        // 13 or more digits in a run of groups joined by one ' ' or '-'
	fPlus                        // '+' and a digit 1 to 9 (E.164)
	fNANP                        // a North American number's shape where a number starts (nanpAt)
	fTrunk                       // 0, a digit 1 to 9, at most 5 digits, ' ' or '-', a digit
	fSSN                         // ddd-dd-dddd where a number starts
	fIBAN                        // a word that starts with two capitals and two digits
	fJWT                         // ".eyJ"
	fAuth                        // the words bearer or basic before a blank, or authorization
	fAWSKey                      // a word of 20 characters starting with 'A'
	fB64x40                      // a run of exactly 40 base64 characters
	fAssign                      // ':' or '=' after a name that may be a secret field's
)

// Byte classes of the feature scan: letters need no work of their own.
const (
	clsOther  = iota // punctuation, blanks, control and non-ASCII bytes
	clsLetter        // A-Z a-z
	clsDigit         // 0-9
	clsUnder         // '_': part of a word, not of base64
	clsB64Sym        // '+' and '/': part of base64, not of a word
)

var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLetter
		t[c-'a'+'A'] = clsLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	t['_'] = clsUnder
	t['+'], t['/'] = clsB64Sym, clsB64Sym
	return t
}()

// scan computes the features of s. names are the endings of the secret
// field names (nil for none): a ':' or '=' after a name ending otherwise
// cannot start a secret value.
func scan(s string, names *nameEnds) features {
	if maskSIMD && len(s) >= maskMin && len(s) <= maskWords*64 {
		return scanMasks(s, names)
	}
	return scanScalar(s, names)
}

// scanScalar is scan in one pass, a byte at a time.
func scanScalar(s string, names *nameEnds) features {
	var f features
	word, b64 := 0, 0 // where the current word and base64 runs started
	card := 0         // digits in the current card-shaped run
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch byteClass[c] {
		case clsLetter:
			// Letters alone tell nothing: skip the whole run of them.
			for i+1 < len(s) && byteClass[s[i+1]] == clsLetter {
				i++
			}
			card = 0
			continue
		case clsDigit:
			// A whole number at once: its shapes where it starts, its
			// length for the card run.
			f |= fDigit
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			// Only three digits before '-' or '.' (ddd-ddd, ddd.ddd,
			// ddd-dd-) or a short number starting with 0 (a trunk
			// prefix) can start the shapes numberAt looks for.
			if n := j - i; n == 3 && j < len(s) && (s[j] == '-' || s[j] == '.') || s[i] == '0' && n >= 2 && n <= 5 {
				f.numberAt(s, i)
			}
			card += j - i
			if card >= 13 {
				f |= fCard
			}
			i = j - 1
			continue
		case clsUnder:
			if i-b64 == 40 {
				f |= fB64x40
			}
			b64 = i + 1
			card = 0
			continue
		case clsB64Sym:
			if wordMay(s, word, i) {
				f.word(s, word, i)
			}
			word = i + 1
			if c == '+' && i+1 < len(s) && s[i+1] >= '1' && s[i+1] <= '9' {
				f |= fPlus
			}
			card = 0
			continue
		}
		if wordMay(s, word, i) {
			f.word(s, word, i)
		}
		if i-b64 == 40 {
			f |= fB64x40
		}
		word, b64 = i+1, i+1
		if card > 0 && !((c == ' ' || c == '-') && isDigit(s[i-1]) && i+1 < len(s) && isDigit(s[i+1])) {
			card = 0
		}
		switch c {
		case '@':
			f |= fAt
		case '.':
			f |= fDot
			if strings.HasPrefix(s[i+1:], "eyJ") {
				f |= fJWT
			}
		case ':', '=':
			if c == ':' {
				f |= fColon
			}
			if f&fAssign == 0 && names != nil && i > 0 && assignAt(s, i, names) {
				f |= fAssign
			}
		case '(':
			if nanpAt(s, i) >= 0 {
				f |= fNANP
			}
		}
	}
	if wordMay(s, word, len(s)) {
		f.word(s, word, len(s))
	}
	if len(s)-b64 == 40 {
		f |= fB64x40
	}
	return f
}

// numberAt notes the shapes of phone numbers and SSNs that start with the
// digit at i, the first of a number.
func (f *features) numberAt(s string, i int) {
	// The whole shapes the finders take, where a number starts: an IP
	// address's 146.125 is not a phone number's 415.555.
	if nanpAt(s, i) >= 0 {
		*f |= fNANP
	}
	if ssnAt(s, i) {
		*f |= fSSN
	}
	if s[i] == '0' && i+1 < len(s) && s[i+1] >= '1' && s[i+1] <= '9' && numStart(s, i) {
		k := i + 2
		for k < len(s) && k-i <= 5 && isDigit(s[k]) {
			k++
		}
		if k-i <= 5 && k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
			*f |= fTrunk
		}
	}
}

// wordMay reports whether the word (letters, digits and '_') s[a:b] that
// ends at b may be one that word notes: most words are none of them, and
// this small test, inlined where a word ends, turns them away.
func wordMay(s string, a, b int) bool {
	n := b - a
	return n >= 4 && (isUpper(s[a]) || n <= 13 && (s[a]|0x20 == 'a' || s[a]|0x20 == 'b'))
}

// word notes the features of the word s[a:b] that ends at b.
func (f *features) word(s string, a, b int) {
	n := b - a
	if isUpper(s[a]) && isUpper(s[a+1]) && isDigit(s[a+2]) && isDigit(s[a+3]) {
		*f |= fIBAN
	}
	if n == 20 && s[a] == 'A' {
		*f |= fAWSKey
	}
	if n == 13 && strings.EqualFold(s[a:b], "authorization") ||
		(n == 5 || n == 6) && b < len(s) && (s[b] == ' ' || s[b] == '\t') && (strings.EqualFold(s[a:b], "basic") || strings.EqualFold(s[a:b], "bearer")) {
		*f |= fAuth
	}
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// assignAt reports whether the ':' or '=' at i > 0 follows a name that
// may be a secret field's.
func assignAt(s string, i int, names *nameEnds) bool {
	// Mostly name=value or a time's 09:14: the name ends right here, and
	// one look at its last byte settles it.
	if p := s[i-1]; byteClass[p] == clsLetter || byteClass[p] == clsDigit || p == '_' {
		return names.last[p] && names.may(s[:i])
	}
	return nameBefore(s, i, names)
}

// nameBefore reports whether the ':' or '=' at i follows a name, past
// blanks, a quote and a backslash, that may be a secret field's.
func nameBefore(s string, i int, names *nameEnds) bool {
	if names == nil {
		return false
	}
	j := nameEnd(s, i)
	return j > 0 && names.last[s[j-1]] && names.may(s[:j])
}

// nameEnd returns where the name before the ':' or '=' at i ends: before
// optional blanks, a quote and a backslash ("name" = v, \"name\":v).
func nameEnd(s string, i int) int {
	j := i
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
		if j > 0 && s[j-1] == '\\' {
			j--
		}
	}
	return j
}

// nameEnds holds the last two bytes of the secret field names, normalised
// (lower case, '-' as '_'), and the names of one byte: a name that ends
// otherwise is not a secret field's.
type nameEnds struct {
	two [1 << 16 / 64]uint64
	one [256]bool
	// last marks the bytes, as written, that a name may end with.
	last [256]bool
}

func normByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case c == '-':
		return '_'
	}
	return c
}

// add notes a normalised name.
func (e *nameEnds) add(norm string) {
	n := len(norm)
	for c := range 256 {
		if normByte(byte(c)) == norm[n-1] {
			e.last[c] = true
		}
	}
	if n == 1 {
		e.one[norm[0]] = true
		return
	}
	k := uint16(norm[n-2])<<8 | uint16(norm[n-1])
	e.two[k/64] |= 1 << (k % 64)
}

// may reports whether name (as written) may end with a secret field name.
func (e *nameEnds) may(name string) bool {
	n := len(name)
	if n == 0 {
		return false
	}
	last := normByte(name[n-1])
	if e.one[last] {
		return true
	}
	if n < 2 {
		return false
	}
	k := uint16(normByte(name[n-2]))<<8 | uint16(last)
	return e.two[k/64]&(1<<(k%64)) != 0
}

func builtins() []builtin {
	return []builtin{
		{RuleInfo{RuleEmail, true, "e-mail addresses"}, fAt, findEmail, strings.ToLower},
		{RuleInfo{RuleCard, true, "payment card numbers, 13 to 19 digits with spaces or dashes, Luhn-checked, known issuer prefix"}, fCard, findCards, onlyDigits},
		{RuleInfo{RuleIBAN, true, "IBANs, compact or in groups of four, length per country, mod-97 checked"}, fIBAN, findIBANs, func(s string) string { return strings.ReplaceAll(s, " ", "") }},
		{RuleInfo{RulePhone, true, "phone numbers: E.164 (+ and 8 to 15 digits) and national forms ((555) 123-4567, 555-123-4567, 020 7946 0958)"}, fPlus | fNANP | fTrunk, findPhones, onlyDigits},
		{RuleInfo{RuleIPv4, false, "IPv4 addresses"}, fDot, findIPv4, nil},
		{RuleInfo{RuleIPv6, false, "IPv6 addresses"}, fColon, findIPv6, strings.ToLower},
		{RuleInfo{RuleSSN, true, "US social security numbers (123-45-6789, valid area and group)"}, fSSN, findSSNs, nil},
		{RuleInfo{RuleJWT, true, "JSON web tokens"}, fJWT, regexFinder(jwtRE, 0), nil},
		{RuleInfo{RuleBearer, true, "bearer and basic credentials, Authorization header values"}, fAuth, findAuth, nil},
		{RuleInfo{RuleAWSKey, true, "AWS access key ids (AKIA…, ASIA…)"}, fAWSKey, regexFinder(awsKeyRE, 0), nil},
		{RuleInfo{RuleAWSSecret, true, "AWS secret access keys: 40 characters of base64 after a secret-key name, or standing alone with mixed case, digits and / or +"}, fB64x40, findAWSSecrets, nil},
		{RuleInfo{RuleSecretField, true, "values of fields whose names say secret (password, token, api_key, cookie, …), in fields and in key=value or \"key\": \"value\" text"}, fAssign, nil, nil},
		{RuleInfo{RuleDigits, false, "any number of 4 or more digits (destroys timestamps and ids)"}, fDigit, findDigits, nil},
	}
}

// regexFinder emits the matches of re, or of its group when group > 0.
func regexFinder(re *regexp.Regexp, group int) func(string, func(int, int)) {
	return func(s string, emit func(int, int)) {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if m[2*group] >= 0 {
				emit(m[2*group], m[2*group+1])
			}
		}
	}
}

var (
	domainRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}`)
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	awsKeyRE = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b`)
	// fileExt are name endings that make user@2x.png a file, not an address.
	fileExt = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true, "css": true, "js": true, "map": true, "json": true, "yaml": true, "yml": true, "txt": true, "log": true, "html": true, "htm": true, "xml": true, "go": true, "py": true, "rb": true, "java": true, "class": true, "jar": true, "zip": true, "gz": true, "tgz": true, "tar": true, "md": true, "ts": true, "tsx": true, "jsx": true, "lock": true, "sum": true, "mod": true}
)

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// findEmail finds each '@' with a local part before it and a domain
// with a top-level name after it.
func findEmail(s string, emit func(int, int)) {
	for p := 0; p < len(s); p++ {
		at := strings.IndexByte(s[p:], '@')
		if at < 0 {
			return
		}
		p += at
		a := p
		for a > 0 && isLocal(s[a-1]) {
			a--
		}
		// The local part neither starts nor ends with a dot.
		for a < p && s[a] == '.' {
			a++
		}
		if a == p || s[p-1] == '.' {
			continue
		}
		// A domain name has at most 253 characters; looking no further
		// keeps the scan linear.
		m := domainRE.FindStringIndex(s[p+1 : min(len(s), p+1+254)])
		if m == nil {
			continue
		}
		b := p + 1 + m[1]
		tld := strings.ToLower(s[strings.LastIndexByte(s[:b], '.')+1 : b])
		if fileExt[tld] {
			continue
		}
		emit(a, b)
		p = b - 1
	}
}

// groups scans s for runs of digit groups separated by one byte of seps
// and calls f with the start and end of each group of each run.
func groups(s, seps string, f func(starts, ends []int)) {
	var starts, ends []int
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			i++
			continue
		}
		starts, ends = starts[:0], ends[:0]
		for {
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			starts, ends = append(starts, i), append(ends, j)
			if j+1 < len(s) && strings.IndexByte(seps, s[j]) >= 0 && isDigit(s[j+1]) {
				i = j + 1
				continue
			}
			i = j
			break
		}
		f(starts, ends)
	}
}

func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// cardIssuer reports whether the digits start like a card of a known
// network and have a length it issues.
func cardIssuer(d string) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34 || p2 == 37:
		return n == 15
	case p4 == 6011 || p2 == 65 || p4/10 >= 644 && p4/10 <= 649 || p4/100 == 62:
		return n >= 16 && n <= 19
	case p2 == 35:
		return n >= 16 && n <= 19
	case p2 == 36 || p2 == 38 || p2 == 39 || p4/10 >= 300 && p4/10 <= 305:
		return n >= 14 && n <= 19
	case p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 || p4 == 6761 || p4 == 6762 || p4 == 6763:
		return n >= 12 && n <= 19
	}
	return false
}

func findCards(s string, emit func(int, int)) {
	groups(s, " -", func(starts, ends []int) {
		for i := 0; i < len(starts); {
			best := -1
			if numStart(s, starts[i]) {
				digits := 0
				for j := i; j < len(starts); j++ {
					// One kind of separator, groups of 3 to 6 after the first
					// of 4, or one group without separators.
					if j > i && (s[ends[j-1]] != s[ends[i]] || ends[j]-starts[j] < 3 && j < len(starts)-1 || ends[j]-starts[j] > 6 || ends[i]-starts[i] != 4) {
						break
					}
					digits += ends[j] - starts[j]
					if digits > 19 {
						break
					}
					if digits >= 13 && (j+1 < len(starts) || numEnd(s, ends[j])) {
						if d := onlyDigits(s[starts[i]:ends[j]]); cardIssuer(d) && luhn(d) {
							best = j
						}
					}
				}
			}
			if best >= 0 {
				emit(starts[i], ends[best])
				i = best + 1
			} else {
				i++
			}
		}
	})
}

// ibanLength is the length of the IBANs of each country.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

var ibanStartRE = regexp.MustCompile(`[A-Z]{2}\d{2}`)

func isUpperAlnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

func findIBANs(s string, emit func(int, int)) {
	for _, m := range ibanStartRE.FindAllStringIndex(s, -1) {
		a := m[0]
		if a > 0 && (isAlnum(s[a-1]) || s[a-1] == '_' || s[a-1] == '-') {
			continue
		}
		want, ok := ibanLength[s[a:a+2]]
		if !ok {
			continue
		}
		// Take want characters, allowing one space between groups of four.
		var b strings.Builder
		j := a
		for j < len(s) && b.Len() < want {
			c := s[j]
			if isUpperAlnum(c) {
				b.WriteByte(c)
				j++
				continue
			}
			if c == ' ' && b.Len()%4 == 0 && j+1 < len(s) && isUpperAlnum(s[j+1]) {
				j++
				continue
			}
			break
		}
		if b.Len() != want || j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
			continue
		}
		if mod97(b.String()) == 1 {
			emit(a, j)
		}
	}
}

// mod97 is the IBAN check: the number made of the characters after the
// first four, then the first four, letters as 10 to 35, modulo 97.
func mod97(iban string) int {
	r := 0
	for _, c := range []byte(iban[4:] + iban[:4]) {
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

func findPhones(s string, emit func(int, int)) {
	findE164(s, emit)
	findNANP(s, emit)
	findTrunk(s, emit)
}

// findE164 finds + and a country code followed by digits and single
// separators, 8 to 15 digits in all.
func findE164(s string, emit func(int, int)) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '+' || s[i+1] < '1' || s[i+1] > '9' {
			continue
		}
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '_' || s[i-1] == '.') {
			continue
		}
		j, digits, seps, dots, lastSep := i+1, 0, 0, 0, false
		for j < len(s) {
			c := s[j]
			if isDigit(c) {
				digits++
				lastSep = false
			} else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && !lastSep {
				seps++
				if c == '.' {
					dots++
				}
				lastSep = c != ')'
			} else {
				break
			}
			j++
		}
		for j > i+1 && !isDigit(s[j-1]) {
			j--
		}
		if digits < 8 || digits > 15 || !numEnd(s, j) {
			continue
		}
		// "+3.14159265" is a number, not a phone.
		if dots == 1 && seps == 1 {
			continue
		}
		if d := onlyDigits(s[i:j]); len(d) != digits {
			digits = len(d)
			if digits < 8 {
				continue
			}
		}
		emit(i, j)
		i = j
	}
}

// digitsAt reports whether s has n digits at i.
func digitsAt(s string, i, n int) bool {
	if i < 0 || i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// groupStarts calls f with each i where a number or '(' starts: the byte
// before is not a digit.
func groupStarts(s string, f func(i int)) {
	for i := 0; i < len(s); i++ {
		if (isDigit(s[i]) || s[i] == '(') && (i == 0 || !isDigit(s[i-1])) {
			f(i)
		}
	}
}

// nanpAt returns the end of a North American number at a — (415) 555-2671,
// (415)555-2671, 415-555-2671, 415.555.2671 — or -1.
func nanpAt(s string, a int) int {
	area := func(i int) bool { return digitsAt(s, i, 3) && s[i] >= '2' }
	if s[a] == '(' {
		if !area(a+1) || a+4 >= len(s) || s[a+4] != ')' {
			return -1
		}
		k := a + 5
		if k < len(s) && s[k] == ' ' {
			k++
		}
		if !area(k) || k+3 >= len(s) || strings.IndexByte(" .-", s[k+3]) < 0 || !digitsAt(s, k+4, 4) {
			return -1
		}
		return k + 8
	}
	if !area(a) || a+3 >= len(s) || (s[a+3] != '-' && s[a+3] != '.') || !area(a+4) || a+7 >= len(s) || s[a+7] != s[a+3] || !digitsAt(s, a+8, 4) {
		return -1
	}
	return a + 12
}

func findNANP(s string, emit func(int, int)) {
	groupStarts(s, func(a int) {
		b := nanpAt(s, a)
		if b < 0 || !numStart(s, a) || !numEnd(s, b) {
			return
		}
		if a > 0 && s[a] != '(' && (s[a-1] == '(' || s[a-1] == '#') {
			return
		}
		emit(a, b)
	})
}

// findTrunk finds national numbers with a trunk prefix 0 and separators:
// 020 7946 0958, 06 12 34 56 78, 030-12345678; 9 to 12 digits.
func findTrunk(s string, emit func(int, int)) {
	groupStarts(s, func(a int) {
		if s[a] != '0' || a+1 >= len(s) || s[a+1] < '1' || s[a+1] > '9' || !numStart(s, a) {
			return
		}
		k := a
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k-a > 5 {
			return
		}
		groups := 0
		for groups < 4 && k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
			m := k + 1
			for m < len(s) && isDigit(s[m]) {
				m++
			}
			if n := m - k - 1; n < 2 || n > 8 {
				break
			}
			groups++
			k = m
		}
		b := k
		if groups == 0 || !numEnd(s, b) {
			return
		}
		if n := len(onlyDigits(s[a:b])); n < 9 || n > 12 {
			return
		}
		if strings.Contains(s[a:b], " ") && strings.Contains(s[a:b], "-") || b-a == 11 && ssnAt(s, a) {
			return // mixed separators, or 012-34-5678: an SSN's shape
		}
		emit(a, b)
	})
}

var ipv4RE = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`)

func findIPv4(s string, emit func(int, int)) {
	for _, m := range ipv4RE.FindAllStringIndex(s, -1) {
		a, b := m[0], m[1]
		if a > 0 && (isAlnum(s[a-1]) || s[a-1] == '.') || b < len(s) && (isAlnum(s[b]) || s[b] == '.' && b+1 < len(s) && isDigit(s[b+1])) {
			continue
		}
		if ip := net.ParseIP(s[a:b]); ip == nil {
			continue
		}
		emit(a, b)
	}
}

var ipv6RE = regexp.MustCompile(`[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*`)

func findIPv6(s string, emit func(int, int)) {
	for _, m := range ipv6RE.FindAllStringIndex(s, -1) {
		a, b := m[0], m[1]
		for b > a && s[b-1] == '.' {
			b--
		}
		if a > 0 && (isAlnum(s[a-1]) || s[a-1] == '_') || b < len(s) && (isAlnum(s[b]) || s[b] == '_') {
			continue
		}
		c := s[a:b]
		if !strings.Contains(c, "::") && strings.Count(c, ":") < 7 && !(strings.Count(c, ":") == 6 && strings.Contains(c, ".")) {
			continue
		}
		if ip := net.ParseIP(c); ip == nil || ip.To4() != nil && !strings.Contains(c, "::") {
			continue
		}
		emit(a, b)
	}
}

// ssnAt reports whether s has the shape 123-45-6789 at a.
func ssnAt(s string, a int) bool {
	return digitsAt(s, a, 3) && a+3 < len(s) && s[a+3] == '-' && digitsAt(s, a+4, 2) && a+6 < len(s) && s[a+6] == '-' && digitsAt(s, a+7, 4)
}

func findSSNs(s string, emit func(int, int)) {
	groupStarts(s, func(a int) {
		if !ssnAt(s, a) || !numStart(s, a) || !numEnd(s, a+11) {
			return
		}
		area, group, serial := s[a:a+3], s[a+4:a+6], s[a+7:a+11]
		if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
			return
		}
		emit(a, a+11)
	})
}

// credential reports whether a word after bearer or basic looks like a
// credential rather than English: it has a digit, both cases or a symbol.
func credential(w string) bool {
	var lower, upper, other bool
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			other = true
		}
	}
	return other || lower && upper && !(upper && strings.ToUpper(w[:1]) == w[:1] && strings.ToLower(w[1:]) == w[1:])
}

// wordAt reports whether the word w (lower case) starts at i in any case,
// not inside another word.
func wordAt(s string, i int, w string) bool {
	return i+len(w) <= len(s) && strings.EqualFold(s[i:i+len(w)], w) && (i == 0 || !(isAlnum(s[i-1]) || s[i-1] == '_'))
}

func isCred(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '-'
}

// findAuth finds the credential after "Bearer" or "Basic", and the value
// of an Authorization or Proxy-Authorization header or field.
func findAuth(s string, emit func(int, int)) {
	for i := 0; i < len(s); i++ {
		switch s[i] | 0x20 {
		case 'b':
			n := 0
			if wordAt(s, i, "bearer") {
				n = 6
			} else if wordAt(s, i, "basic") {
				n = 5
			}
			if n == 0 || i+n >= len(s) || s[i+n] != ' ' && s[i+n] != '\t' {
				continue
			}
			a := i + n
			for a < len(s) && (s[a] == ' ' || s[a] == '\t') {
				a++
			}
			b := a
			for b < len(s) && isCred(s[b]) {
				b++
			}
			if b-a < 8 {
				continue
			}
			for b < len(s) && s[b] == '=' {
				b++
			}
			if credential(s[a:b]) {
				emit(a, b)
				i = b - 1
			}
		case 'a':
			if !strings.EqualFold(s[i:min(i+13, len(s))], "authorization") {
				continue
			}
			j := i
			if i >= 6 && strings.EqualFold(s[i-6:i], "proxy-") {
				j = i - 6
			}
			if j > 0 && (isAlnum(s[j-1]) || s[j-1] == '_' || s[j-1] == '-') {
				continue
			}
			k := i + 13
			if k < len(s) && s[k] == '\\' {
				k++
			}
			if k < len(s) && (s[k] == '"' || s[k] == '\'') {
				k++
			}
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k >= len(s) || s[k] != ':' && s[k] != '=' {
				continue
			}
			k++
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if a, b := valueAt(s, k, false); b > a {
				emit(a, b)
				i = b - 1
			}
		}
	}
}

// valueAt returns the span of the value that starts at i: the inside of a
// quoted string, else the optional scheme word of an authorization and one
// token, or with toEOL the rest of the line.
func valueAt(s string, i int, toEOL bool) (int, int) {
	if i >= len(s) {
		return i, i
	}
	if q := s[i]; q == '"' || q == '\'' || q == '\\' && i+1 < len(s) && s[i+1] == '"' {
		if q == '\\' {
			i++
			q = '"'
		}
		a := i + 1
		for j := a; j < len(s); j++ {
			if s[j] == '\\' && q == '"' && j+1 < len(s) && s[j+1] != '"' {
				j++
				continue
			}
			if s[j] == q {
				if s[j-1] == '\\' {
					return a, j - 1
				}
				return a, j
			}
		}
		return a, len(s)
	}
	j := i
	if toEOL {
		for j < len(s) && s[j] != '\n' && s[j] != '\r' && s[j] != '"' {
			j++
		}
		for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
			j--
		}
		return i, j
	}
	stop := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';' || c == '&' || c == '"' || c == '\'' || c == '}' || c == ']' || c == '\\'
	}
	for j < len(s) && !stop(s[j]) {
		j++
	}
	// "Bearer abc", "Basic dXNl…": the scheme word and its credential.
	if w := strings.ToLower(s[i:j]); (w == "bearer" || w == "basic" || w == "digest" || w == "negotiate" || w == "token") && j < len(s) && s[j] == ' ' {
		k := j + 1
		for k < len(s) && !stop(s[k]) {
			k++
		}
		if k > j+1 {
			return j + 1, k
		}
	}
	return i, j
}

var awsSecretCtxRE = regexp.MustCompile(`(?i)(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret(?:_?key)?)\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9/+]{40})`)

func isB64(c byte) bool { return isAlnum(c) || c == '/' || c == '+' }

func findAWSSecrets(s string, emit func(int, int)) {
	if containsFold(s, "secret") {
		for _, m := range awsSecretCtxRE.FindAllStringSubmatchIndex(s, -1) {
			if m[3] >= len(s) || !isB64(s[m[3]]) && s[m[3]] != '=' {
				emit(m[2], m[3])
			}
		}
	}
	// Standing alone: exactly 40 characters of base64 with both cases, a
	// digit and a / or +, not a path.
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		a := i
		var lower, upper, digit, sym bool
		for i < len(s) && isB64(s[i]) {
			c := s[i]
			switch {
			case c >= 'a' && c <= 'z':
				lower = true
			case c >= 'A' && c <= 'Z':
				upper = true
			case isDigit(c):
				digit = true
			default:
				sym = true
			}
			i++
		}
		if i-a != 40 || i < len(s) && s[i] == '=' {
			continue
		}
		if lower && upper && digit && sym && !strings.Contains(s[a:i], "//") && s[a] != '/' {
			emit(a, i)
		}
	}
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

var digitsRE = regexp.MustCompile(`\d{4,}`)

func findDigits(s string, emit func(int, int)) {
	for _, m := range digitsRE.FindAllStringIndex(s, -1) {
		if (m[0] == 0 || !isAlnum(s[m[0]-1])) && (m[1] == len(s) || !isAlnum(s[m[1]])) {
			emit(m[0], m[1])
		}
	}
}
