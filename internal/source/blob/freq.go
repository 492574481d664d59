package blob

// byteFreq estimates how often byte c occurs in typical log text, in
// occurrences per 10,000 bytes. The figures blend timestamps, JSON and
// logfmt punctuation, English words, hexadecimal ids and upper-case level
// names; they only need to rank bytes well enough to pick rare anchors.
func byteFreq(c byte) float64 {
	switch {
	case c == ' ':
		return 1200
	case c == '\n':
		return 70
	case c == '\t':
		return 10
	case c == '\r':
		return 5
	case c < 0x20 || c == 0x7f:
		return 0.01
	case c >= 0x80:
		return 0.5
	case c >= '0' && c <= '9':
		return digitFreq[c-'0']
	case c >= 'a' && c <= 'z':
		return lowerFreq[c-'a']
	case c >= 'A' && c <= 'Z':
		return upperFreq[c-'A']
	}
	switch c {
	case '"':
		return 250
	case ':':
		return 180
	case '-':
		return 150
	case '.':
		return 130
	case ',', '/':
		return 90
	case '=':
		return 70
	case '_':
		return 60
	case '{', '}', '[', ']':
		return 30
	case '(', ')':
		return 12
	case '\'':
		return 10
	case ';', '+':
		return 8
	case '&', '\\':
		return 5
	case '@', '?', '%':
		return 4
	case '#', '*', '>':
		return 3
	case '!', '<', '|', '$':
		return 2
	case '~':
		return 1
	}
	return 0.5 // ^ `
}

var (
	// digitFreq is indexed by c-'0'; dates and times favour 0, 1 and 2.
	digitFreq = [10]float64{380, 320, 300, 200, 170, 170, 150, 140, 140, 140}
	// lowerFreq is indexed by c-'a'.
	lowerFreq = [26]float64{
		380, 70, 180, 190, 520, 110, 100, 180, 330, 6, 40, 220, 140, // a–m
		330, 330, 130, 5, 310, 320, 420, 150, 50, 60, 20, 70, 5, // n–z
	}
	// upperFreq is indexed by c-'A'; level names make E, I, N, O, R, T common.
	upperFreq = [26]float64{
		30, 8, 15, 18, 40, 10, 12, 10, 35, 2, 4, 15, 12, // A–M
		35, 30, 12, 2, 30, 30, 35, 12, 4, 8, 2, 4, 1.5, // N–Z
	}
)
