package redact

import (
	"math/bits"
	"strings"
)

// The feature scan of a text of a usual size works on bit masks, one bit
// per byte and one mask per class of byte, made 32 bytes at a time where
// the processor can (classify). The features then follow from shifts and
// ands of whole words instead of a branch per byte; only a few positions
// (the start of a number shaped like a phone number's, a ':' or '=' after
// a name) still get a look of their own. It computes exactly what
// scanScalar does (FuzzScanMasks holds the two to that), and hands texts
// that are unusual in a costly way (a run of 40 or more base64
// characters) to scanScalar.

// Texts of maskMin to maskWords*64 bytes are scanned with masks; shorter
// ones cost less byte by byte, longer ones would need a larger frame.
const (
	maskWords = 16
	maskMin   = 32
)

// The classes of byte, one row of masks each.
const (
	kDigit  = iota // 0-9
	kLetter        // A-Z a-z
	kUpper         // A-Z
	kUnder         // _
	kPlus          // +
	kSlash         // /
	kZero          // 0
	kDash          // -
	kDot           // .
	kSpace         // ' '
	kColon         // :
	kEq            // =
	kParen         // (
	kAt            // @
	kAB            // a b A B
	kCapA          // A
	nClasses
)

// masks holds a text's classes: bit i%64 of word i/64 of row k is set
// when byte i is of class k. Each row has one more word than a text can
// fill, always zero, so that a look ahead past the last word reads
// nothing.
type masks [nClasses][maskWords + 1]uint64

// classOf returns the classes of c as bits 1<<k, for classifyScalar.
func classOf(c byte) uint32 {
	var k uint32
	switch {
	case isDigit(c):
		k |= 1 << kDigit
		if c == '0' {
			k |= 1 << kZero
		}
	case isUpper(c):
		k |= 1<<kLetter | 1<<kUpper
	case c >= 'a' && c <= 'z':
		k |= 1 << kLetter
	}
	switch c {
	case '_':
		k |= 1 << kUnder
	case '+':
		k |= 1 << kPlus
	case '/':
		k |= 1 << kSlash
	case '-':
		k |= 1 << kDash
	case '.':
		k |= 1 << kDot
	case ' ':
		k |= 1 << kSpace
	case ':':
		k |= 1 << kColon
	case '=':
		k |= 1 << kEq
	case '(':
		k |= 1 << kParen
	case '@':
		k |= 1 << kAt
	case 'a', 'b', 'A', 'B':
		k |= 1 << kAB
	}
	if c == 'A' {
		k |= 1 << kCapA
	}
	return k
}

// classifyScalar is classify a byte at a time: where no vector
// instructions do it, and what the tests compare them with.
func (m *masks) classifyScalar(s string) {
	for i := 0; i < len(s); i++ {
		k := classOf(s[i])
		for c := range nClasses {
			if k&(1<<c) != 0 {
				m[c][i/64] |= 1 << (i % 64)
			}
		}
	}
}

// ahead returns word w of row a moved by n bits (0 < n < 64) so that bit
// i holds what bit i+n of the row does: a look n bytes ahead.
func ahead(a *[maskWords + 1]uint64, w, n int) uint64 {
	return a[w]>>n | a[w+1]<<(64-n)
}

// next returns x, word w of a row, moved by n bits (0 < n < 64) so that
// bit i holds bit i+n of the row, whose word w+1 is nx.
func next(x, nx uint64, n int) uint64 {
	return x>>n | nx<<(64-n)
}

// behind1 returns word w of row a moved so that bit i holds bit i-1: a
// look at the byte before.
func behind1(a *[maskWords + 1]uint64, w int) uint64 {
	x := a[w] << 1
	if w > 0 {
		x |= a[w-1] >> 63
	}
	return x
}

// scanMasks is scanScalar for texts of maskMin to maskWords*64 bytes.
func scanMasks(s string, names *nameEnds) features {
	var m masks
	m.classify(s)
	return m.features(s, names)
}

// features computes the features of s from its classes. The words are
// visited from the last, so that the runs of the word after are known.
func (m *masks) features(s string, names *nameEnds) features {
	words := (len(s) + 63) / 64
	var f features
	digit, letter, upper, under := &m[kDigit], &m[kLetter], &m[kUpper], &m[kUnder]
	zero, dash, dot, space := &m[kZero], &m[kDash], &m[kDot], &m[kSpace]
	var anyDigit, anyAt, anyColon, anyDot uint64
	// Word bytes (letters, digits, '_'), base64 bytes (letters, digits,
	// '+', '/') and card bytes (digits, and one ' ' or '-' between two
	// digits): w1, b1 and c1 hold word w of these rows, and wN, bN and cN
	// word w of the rows of where runs of at least N of them start. The
	// same of word w+1 are nN, nbN and ncN.
	var w1, w2, w4, w8 uint64
	var b1, b2, b4, b8, b16 uint64
	var c1, c2, c4, c8 uint64
	for w := words - 1; w >= 0; w-- {
		d := digit[w]
		anyDigit |= d
		anyAt |= m[kAt][w]
		anyColon |= m[kColon][w]
		anyDot |= dot[w]
		n1, n2, n4, n8 := w1, w2, w4, w8
		w1 = letter[w] | d | under[w]
		w2 = w1 & next(w1, n1, 1)
		w4 = w2 & next(w2, n2, 2)
		w8 = w4 & next(w4, n4, 4)
		w16 := w8 & next(w8, n8, 8)

		// A run of 40 or more base64 characters: rare, and scanScalar
		// knows whether one is exactly 40 long.
		nb1, nb2, nb4, nb8, nb16 := b1, b2, b4, b8, b16
		b1 = letter[w] | d | m[kPlus][w] | m[kSlash][w]
		b2 = b1 & next(b1, nb1, 1)
		b4 = b2 & next(b2, nb2, 2)
		b8 = b4 & next(b4, nb4, 4)
		b16 = b8 & next(b8, nb8, 8)
		b32 := b16 & next(b16, nb16, 16)
		if b32&next(b8, nb8, 32) != 0 {
			return scanScalar(s, names)
		}

		// Card runs of 13 or more bytes: count their digits.
		nc1, nc2, nc4 := c1, c2, c4
		c1 = m.card(w)
		c2 = c1 & next(c1, nc1, 1)
		c4 = c2 & next(c2, nc2, 2)
		c8 = c4 & next(c4, nc4, 4)
		if c13 := c8 & next(c4, nc4, 8) & next(c1, nc1, 12); c13 != 0 && f&fCard == 0 {
			prev := c1 << 1
			if w > 0 {
				prev |= m.card(w-1) >> 63
			}
			for x := c13 &^ prev; x != 0 && f&fCard == 0; x &= x - 1 {
				if cardDigits(s, w*64+bits.TrailingZeros64(x)) >= 13 {
					f |= fCard
				}
			}
		}

		// Words: exactly 5, 6, 13 and 20 long from where they start.
		wordBefore := w1 << 1
		if w > 0 {
			wordBefore |= (letter[w-1] | digit[w-1] | under[w-1]) >> 63
		}
		if start := w1 &^ wordBefore; start != 0 {
			// Two capitals and two digits (an IBAN's country and check).
			if start&upper[w]&ahead(upper, w, 1)&ahead(digit, w, 2)&ahead(digit, w, 3) != 0 {
				f |= fIBAN
			}
			// 20 long from an 'A' (an AWS access key).
			if start&m[kCapA][w]&w16&next(w4, n4, 16)&^next(w1, n1, 20) != 0 {
				f |= fAWSKey
			}
			// 5, 6 or 13 long from an 'a' or 'b' (basic, bearer,
			// authorization): word tells.
			w5 := w4 & next(w1, n1, 4)
			w6 := w4 & next(w2, n2, 4)
			exact5 := w5 &^ next(w1, n1, 5)
			exact6 := w6 &^ next(w1, n1, 6)
			exact13 := w8 & next(w4, n4, 8) & next(w1, n1, 12) &^ next(w1, n1, 13)
			for x := start & m[kAB][w] & (exact5 | exact6 | exact13); x != 0; x &= x - 1 {
				a := w*64 + bits.TrailingZeros64(x)
				b := a + 5
				for b < len(s) && b < a+13 && isWordByte(s[b]) {
					b++
				}
				f.word(s, a, b)
			}
		}

		// Numbers: where one starts with ddd-dd or ddd.dd (a North
		// American number or an SSN), or with 0 and a digit 1 to 9 and
		// ends within five digits at ' ' or '-' and a digit (a trunk
		// prefix), numberAt looks.
		if start := d &^ behind1(digit, w); start != 0 {
			dd3 := ahead(dash, w, 3) | ahead(dot, w, 3)
			shaped := ahead(digit, w, 1) & ahead(digit, w, 2) & dd3 & ahead(digit, w, 4) & ahead(digit, w, 5)
			sepDigit := func(n int) uint64 {
				return (ahead(space, w, n) | ahead(dash, w, n)) & ahead(digit, w, n+1)
			}
			trunk := zero[w] & ahead(digit, w, 1) &^ ahead(zero, w, 1) & (sepDigit(2) | sepDigit(3) | sepDigit(4) | sepDigit(5))
			for x := start & (shaped | trunk); x != 0; x &= x - 1 {
				f.numberAt(s, w*64+bits.TrailingZeros64(x))
			}
		}
		// '(' and three digits: (415) 555-2671.
		for x := m[kParen][w] & ahead(digit, w, 1) & ahead(digit, w, 2) & ahead(digit, w, 3); x != 0; x &= x - 1 {
			if nanpAt(s, w*64+bits.TrailingZeros64(x)) >= 0 {
				f |= fNANP
			}
		}
		// '+' and a digit 1 to 9.
		if m[kPlus][w]&ahead(digit, w, 1)&^ahead(zero, w, 1) != 0 {
			f |= fPlus
		}
		// ".eyJ", a JWT's second part.
		for x := dot[w] & ahead(letter, w, 1) & ahead(letter, w, 2) & ahead(upper, w, 3); x != 0 && f&fJWT == 0; x &= x - 1 {
			if i := w*64 + bits.TrailingZeros64(x); strings.HasPrefix(s[i+1:], "eyJ") {
				f |= fJWT
			}
		}
		// ':' or '=' after a name that may be a secret field's.
		if names != nil {
			for x := m[kColon][w] | m[kEq][w]; x != 0 && f&fAssign == 0; x &= x - 1 {
				if i := w*64 + bits.TrailingZeros64(x); i > 0 && assignAt(s, i, names) {
					f |= fAssign
				}
			}
		}
	}
	if anyDigit != 0 {
		f |= fDigit
	}
	if anyAt != 0 {
		f |= fAt
	}
	if anyColon != 0 {
		f |= fColon
	}
	if anyDot != 0 {
		f |= fDot
	}
	return f
}

// card returns word w of the row of card bytes: digits, and one ' ' or
// '-' between two digits.
func (m *masks) card(w int) uint64 {
	digit := &m[kDigit]
	return digit[w] | (m[kSpace][w]|m[kDash][w])&behind1(digit, w)&ahead(digit, w, 1)
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }

// cardDigits counts the digits of the card run (digits, and single ' ' or
// '-' between two of them) that starts at i.
func cardDigits(s string, i int) int {
	n := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			n++
		case (c == ' ' || c == '-') && i > 0 && isDigit(s[i-1]) && i+1 < len(s) && isDigit(s[i+1]):
		default:
			return n
		}
	}
	return n
}
