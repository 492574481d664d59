package secret

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type vector struct {
	Desc   string `json:"desc"`
	Token  string `json:"token"`
	Now    string `json:"now"`
	IV     []byte `json:"iv"`
	TTLSec int    `json:"ttl_sec"`
	Src    string `json:"src"`
	Secret string `json:"secret"`
}

func loadVectors(t *testing.T, name string) []vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return vs
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// The generate vectors fix the time and IV, which Encrypt draws itself:
// the token must carry them and decrypt to the source.
func TestFernetGenerateVectors(t *testing.T) {
	for _, v := range loadVectors(t, "generate.json") {
		k, err := ParseKey(v.Secret)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.URLEncoding.DecodeString(v.Token)
		if err != nil {
			t.Fatal(err)
		}
		if raw[0] != 0x80 {
			t.Errorf("version %#x", raw[0])
		}
		if got, want := int64(binary.BigEndian.Uint64(raw[1:9])), mustTime(t, v.Now).Unix(); got != want {
			t.Errorf("time %d, want %d", got, want)
		}
		if got := raw[9:25]; string(got) != string(v.IV) {
			t.Errorf("iv %v, want %v", got, v.IV)
		}
		msg, err := k.Decrypt([]byte(v.Token))
		if err != nil || string(msg) != v.Src {
			t.Errorf("decrypt = %q, %v; want %q", msg, err, v.Src)
		}
		// A token made now with the same key round-trips.
		tok, err := k.Encrypt([]byte(v.Src))
		if err != nil {
			t.Fatal(err)
		}
		if back, err := k.Decrypt(tok); err != nil || string(back) != v.Src {
			t.Errorf("round trip = %q, %v", back, err)
		}
		if !LooksLikeToken(tok) {
			t.Errorf("LooksLikeToken(%s) = false", tok)
		}
	}
}

func TestFernetVerifyVectors(t *testing.T) {
	for _, v := range loadVectors(t, "verify.json") {
		k, err := ParseKey(v.Secret)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := k.DecryptAt([]byte(v.Token), time.Duration(v.TTLSec)*time.Second, mustTime(t, v.Now))
		if err != nil || string(msg) != v.Src {
			t.Errorf("ttl %d: %q, %v; want %q", v.TTLSec, msg, err, v.Src)
		}
	}
}

func TestFernetInvalidVectors(t *testing.T) {
	for _, v := range loadVectors(t, "invalid.json") {
		t.Run(v.Desc, func(t *testing.T) {
			k, err := ParseKey(v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := k.DecryptAt([]byte(v.Token), time.Duration(v.TTLSec)*time.Second, mustTime(t, v.Now))
			if !errors.Is(err, ErrBadToken) {
				t.Errorf("DecryptAt = %q, %v; want ErrBadToken", msg, err)
			}
		})
	}
}

func TestParseKeyNeverQuotes(t *testing.T) {
	_, err := ParseKey("hunter2-not-a-key")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("ParseKey error = %v", err)
	}
	s, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(s); err != nil {
		t.Errorf("generated key %q does not parse: %v", s, err)
	}
	s2, _ := GenerateKey()
	if s == s2 {
		t.Error("two generated keys are equal")
	}
}

func TestLooksLikeToken(t *testing.T) {
	k, _ := GenerateKey()
	key, _ := ParseKey(k)
	tok, _ := key.Encrypt([]byte("x"))
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"token", string(tok), true},
		{"token with newline", string(tok) + "\n", true},
		{"log line", `2025-10-21T09:00:00Z INFO checkout transaction_id=TXN-1 paid`, false},
		{"json", `{"level":"info","msg":"gAAAAA"}`, false},
		{"short", "gAAAAABdnQ1TUKh2OE_ggbyCIxfg", false},
		{"bad char", "gAAAAA" + strings.Repeat("a", 93) + "!", false},
		{"padding inside", "gAAAAA" + strings.Repeat("a", 40) + "=" + strings.Repeat("a", 53), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeToken([]byte(tt.in)); got != tt.want {
				t.Errorf("LooksLikeToken = %v, want %v", got, tt.want)
			}
		})
	}
}

func newKeyEnv(t *testing.T) (string, func(string) string) {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, func(name string) string {
		if name == KeyEnv {
			return k
		}
		return ""
	}
}

func TestLookup(t *testing.T) {
	_, withKey := newKeyEnv(t)
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, "."+name+"_secret")
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("plain", "s3cr3t-plain\n", 0o600)
	write("exposed", "s3cr3t-exposed\n", 0o644)
	write("empty", "\n", 0o600)
	enc := &Store{Getenv: withKey, Dir: dir}
	if err := enc.Set("sealed", []byte("s3cr3t-sealed\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, ".sealed_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("Set wrote mode %04o, want 0600", st.Mode().Perm())
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".sealed_secret")); strings.Contains(string(data), "s3cr3t") || !LooksLikeToken(data) {
		t.Errorf("Set wrote %q, want a token", data)
	}
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return withKey(k)
		}
	}
	tests := []struct {
		name    string
		getenv  func(string) string
		secret  string
		want    string
		wantErr error
		errHas  string
	}{
		{"env first", env(map[string]string{"PLAIN": "from-env"}), "plain", "from-env", nil, ""},
		{"conventional env name", env(map[string]string{"DD_API_KEY": "dd"}), "dd_api_key", "dd", nil, ""},
		{"dashes and dots", env(map[string]string{"KAFKA_SASL_PASSWORD": "k"}), "kafka-sasl.password", "k", nil, ""},
		{"plain file", withKey, "plain", "s3cr3t-plain", nil, ""},
		{"encrypted file", withKey, "sealed", "s3cr3t-sealed", nil, ""},
		{"encrypted without key", nil, "sealed", "", ErrNoKey, "encrypted"},
		{"encrypted with another key", env(map[string]string{KeyEnv: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="}), "sealed", "", ErrBadToken, "another"},
		{"exposed file", withKey, "exposed", "", ErrExposed, "chmod 600"},
		{"empty file", withKey, "empty", "", ErrNotFound, "empty"},
		{"missing", withKey, "nothing", "", ErrNotFound, "NOTHING"},
		{"path traversal", withKey, "../etc/passwd", "", ErrBadName, ""},
		{"empty name", withKey, "", "", ErrBadName, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Store{Getenv: tt.getenv, Dir: dir}
			got, err := s.Lookup(tt.secret)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup = %q, %v; want %v", got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q does not say %q", err, tt.errHas)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q shows the secret", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Lookup = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSetRefusesWithoutKey(t *testing.T) {
	dir := t.TempDir()
	s := &Store{Dir: dir}
	if err := s.Set("x", []byte("v")); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Set without key = %v, want ErrNoKey", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Set without key left %d files", len(entries))
	}
	_, withKey := newKeyEnv(t)
	s.Getenv = withKey
	if err := s.Set("x", []byte("\n")); err == nil {
		t.Error("Set accepted an empty value")
	}
}
