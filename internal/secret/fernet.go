package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
)

// Key is a Fernet key: 32 random bytes, written as URL-safe base64. Tokens
// made with it are compatible with Python's cryptography.fernet.
type Key struct {
	k *fernet.Key
}

// ErrBadToken is returned for a token that is malformed, was not made with
// the key, or is outside its time to live.
var ErrBadToken = errors.New("not a valid token for this key")

// maxClockSkew is how far in the future a token's time may be, as the
// Fernet specification says.
const maxClockSkew = 60 * time.Second

// GenerateKey returns a new random key in its text form.
func GenerateKey() (string, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return k.Encode(), nil
}

// ParseKey reads a key in its text form (URL-safe or standard base64 of 32
// bytes). The error never quotes the text.
func ParseKey(s string) (*Key, error) {
	k, err := fernet.DecodeKey(string(bytes.TrimSpace([]byte(s))))
	if err != nil {
		return nil, errors.New("key is not 32 bytes of base64 (make one with `pipetracker secret keygen`)")
	}
	return &Key{k: k}, nil
}

// Encrypt returns plain as a Fernet token signed now.
func (k *Key) Encrypt(plain []byte) ([]byte, error) {
	tok, err := fernet.EncryptAndSign(plain, k.k)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	return tok, nil
}

// Decrypt returns the message of a token, whatever its age.
func (k *Key) Decrypt(token []byte) ([]byte, error) {
	return k.DecryptAt(token, 0, time.Time{})
}

// DecryptAt returns the message of a token that was signed at most ttl
// before now and not more than a minute after it; ttl ≤ 0 accepts any
// time. Surrounding white space is ignored.
func (k *Key) DecryptAt(token []byte, ttl time.Duration, now time.Time) ([]byte, error) {
	token = bytes.TrimSpace(token)
	if ttl > 0 {
		ts, ok := tokenTime(token)
		if !ok {
			return nil, ErrBadToken
		}
		if now.After(ts.Add(ttl)) || ts.After(now.Add(maxClockSkew)) {
			return nil, fmt.Errorf("%w: signed at %s, outside its time to live", ErrBadToken, ts.UTC().Format(time.RFC3339))
		}
	}
	msg := fernet.VerifyAndDecrypt(token, 0, []*fernet.Key{k.k})
	if msg == nil {
		return nil, ErrBadToken
	}
	return msg, nil
}

// tokenTime reads the time a token says it was signed at.
func tokenTime(token []byte) (time.Time, bool) {
	if len(token) < 12 {
		return time.Time{}, false
	}
	var head [9]byte
	// Twelve characters of base64 are nine bytes: version and time.
	if _, err := base64.URLEncoding.Decode(head[:], token[:12]); err != nil || head[0] != 0x80 {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(head[1:])), 0), true
}

// LooksLikeToken reports whether b, without surrounding white space, has
// the form of a Fernet token: URL-safe base64 starting with the version
// byte 0x80 and long enough for a header, one block and a MAC. It does not
// check the MAC.
func LooksLikeToken(b []byte) bool {
	b = bytes.TrimSpace(b)
	// version+time+iv+block+mac = 1+8+16+16+32 = 73 bytes = 100 characters.
	if len(b) < 100 || len(b)%4 != 0 || !bytes.HasPrefix(b, []byte("gAAAAA")) {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '=' && i >= len(b)-2:
		default:
			return false
		}
	}
	return true
}
