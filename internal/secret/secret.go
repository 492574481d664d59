// Package secret finds the credentials Pipetracker needs and keeps them
// out of sight.
//
// A secret has a name such as dd_api_key. It is looked up first in the
// environment, under the name in upper case (DD_API_KEY; this gives the
// conventional names DD_API_KEY, DD_APP_KEY, AWS_*, KAFKA_SASL_*), then in
// the file .<name>_secret of the store's directory. The file holds the value
// either in clear or as a Fernet token made with the key in APP_SECRET_KEY.
// A file that its group or others may read or write is refused. No key is
// ever made without being asked for.
package secret

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv is the environment variable that holds the Fernet key of
// encrypted secret files and reports.
const KeyEnv = "APP_SECRET_KEY"

// Mask is how a secret is shown.
const Mask = "***"

// maxFileSize bounds a secret file.
const maxFileSize = 64 << 10

// Errors of the store; test them with errors.Is.
var (
	// ErrNotFound means neither the environment nor a file has the secret.
	ErrNotFound = errors.New("secret not found")
	// ErrNoKey means APP_SECRET_KEY is not set.
	ErrNoKey = errors.New(KeyEnv + " is not set (make a key with `pipetracker secret keygen`)")
	// ErrBadName means a name that cannot be a secret's.
	ErrBadName = errors.New("bad secret name")
	// ErrExposed means a secret file that others may read.
	ErrExposed = errors.New("secret file is accessible by group or others")
)

// Store looks secrets up. The zero value reads no environment and uses the
// working directory.
type Store struct {
	// Getenv looks up environment variables; nil means none. An empty
	// variable counts as unset.
	Getenv func(string) string
	// Dir is the directory of the .<name>_secret files; "" is the working
	// directory.
	Dir string
}

// CheckName reports whether name can name a secret: 1 to 64 letters,
// digits, '_', '-' or '.', not starting with '.' or '-'.
func CheckName(name string) error {
	if name == "" || len(name) > 64 || name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("%w %q: want 1 to 64 letters, digits, _, - or .", ErrBadName, name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("%w %q: want 1 to 64 letters, digits, _, - or .", ErrBadName, name)
		}
	}
	return nil
}

// EnvName is the environment variable of a secret: the name in upper case
// with '-' and '.' turned into '_'.
func EnvName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, strings.ToUpper(name))
}

// Path is the file of a secret: .<name>_secret in the store's directory.
func (s *Store) Path(name string) string {
	return filepath.Join(s.dir(), "."+name+"_secret")
}

func (s *Store) dir() string {
	if s.Dir == "" {
		return "."
	}
	return s.Dir
}

func (s *Store) getenv(k string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(k)
}

// Key returns the key in APP_SECRET_KEY, or ErrNoKey.
func (s *Store) Key() (*Key, error) {
	v := s.getenv(KeyEnv)
	if v == "" {
		return nil, ErrNoKey
	}
	k, err := ParseKey(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KeyEnv, err)
	}
	return k, nil
}

// Lookup returns the value of the secret name: from the environment, else
// from its file, decrypted when it is a token. Errors never include the
// value. A missing secret is ErrNotFound.
func (s *Store) Lookup(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	if v := s.getenv(EnvName(name)); v != "" {
		return v, nil
	}
	path := s.Path(name)
	data, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s (set %s or write %s with `pipetracker secret set %s`)", ErrNotFound, name, EnvName(name), path, name)
	}
	if err != nil {
		return "", err
	}
	if LooksLikeToken(data) {
		k, err := s.Key()
		if err != nil {
			return "", fmt.Errorf("secret %s: %s is encrypted: %w", name, path, err)
		}
		plain, err := k.Decrypt(data)
		if err != nil {
			return "", fmt.Errorf("secret %s: %s: %w (was it made with another %s?)", name, path, err, KeyEnv)
		}
		data = plain
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%w: %s: %s is empty", ErrNotFound, name, path)
	}
	return v, nil
}

// readPrivate reads a secret file that only its owner may access.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secret: %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run `chmod 600 %s`", ErrExposed, path, perm, path)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(&limited{f: f, n: maxFileSize + 1}); err != nil {
		return nil, fmt.Errorf("secret: %s: %w", path, err)
	}
	if b.Len() > maxFileSize {
		return nil, fmt.Errorf("secret: %s is larger than %d bytes", path, maxFileSize)
	}
	return b.Bytes(), nil
}

// limited reads at most n bytes of f.
type limited struct {
	f *os.File
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, nil
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// Set encrypts value with the key in APP_SECRET_KEY and writes it to the
// secret's file with mode 0600, replacing the file atomically. Without a
// key it fails with ErrNoKey: it never writes a secret in clear.
func (s *Store) Set(name string, value []byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	value = bytes.TrimRight(value, "\r\n")
	if len(value) == 0 {
		return fmt.Errorf("secret %s: the value is empty", name)
	}
	k, err := s.Key()
	if err != nil {
		return err
	}
	tok, err := k.Encrypt(value)
	if err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	path := s.Path(name)
	tmp, err := os.CreateTemp(s.dir(), ".secret-*.tmp")
	if err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("secret %s: %w", name, err)
	}
	if _, err := tmp.Write(append(tok, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("secret %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	return nil
}
