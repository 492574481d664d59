package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/config"
	"github.com/pipetracker/pipetracker/internal/live"
	"github.com/pipetracker/pipetracker/internal/redact"
	"github.com/pipetracker/pipetracker/internal/secret"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// redactKeySecret is the secret that keys hash-mode pseudonyms.
const redactKeySecret = "pipetracker_redact_key"

// maxSecretInput bounds what `secret set` reads from standard input.
const maxSecretInput = 64 << 10

func secretCmd(e *env) *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "secret",
		Short: "Make a key, or store a secret encrypted",
		Long: "Secrets are looked up in the environment first (DD_API_KEY, AWS_SECRET_ACCESS_KEY, …), then in the file\n" +
			".<name>_secret of security.secrets_dir, which may be encrypted with the key in " + secret.KeyEnv + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.PersistentFlags().StringVarP(&path, "config", "c", "", "config file (default ./pipetracker.yaml when present)")
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Print a new random key for " + secret.KeyEnv,
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			k, err := secret.GenerateKey()
			if err != nil {
				return &codeError{exitError, err}
			}
			fmt.Fprintln(e.stdout, k)
			fmt.Fprintf(e.stderr, "pipetracker: keep this key safe; use it with: export %s=<key>\n", secret.KeyEnv)
			return nil
		},
	}
	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Read a secret from standard input and write it encrypted to .NAME_secret (mode 0600)",
		Example: `  printf '%s' "$TOKEN" | pipetracker secret set dd_api_key
  pipetracker secret set kafka_sasl_password < password.txt`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &codeError{exitError, fmt.Errorf("%w: secret set takes exactly one NAME; the value is read from standard input", errUsage)}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := e.loadConfig(path)
			if err != nil {
				return &codeError{exitError, err}
			}
			value, err := io.ReadAll(io.LimitReader(e.stdin, maxSecretInput+1))
			if err != nil {
				return &codeError{exitError, fmt.Errorf("secret %s: read standard input: %w", args[0], err)}
			}
			if len(value) > maxSecretInput {
				return &codeError{exitError, fmt.Errorf("secret %s: more than %d bytes on standard input", args[0], maxSecretInput)}
			}
			store := e.secretStore(cfg)
			if err := store.Set(args[0], value); err != nil {
				return &codeError{exitError, err}
			}
			fmt.Fprintf(e.stderr, "pipetracker: wrote %s (encrypted, mode 0600)\n", store.Path(args[0]))
			return nil
		},
	}
	c.AddCommand(keygen, set)
	return c
}

func (e *env) secretStore(cfg *config.Config) *secret.Store {
	return &secret.Store{Getenv: e.getenv, Dir: cfg.Security.SecretsDir}
}

// security is what a trace needs of the secret store: the key of
// encrypted records and reports, and the redactor of its report.
type security struct {
	key     *secret.Key      // nil when APP_SECRET_KEY is not set
	red     *redact.Redactor // nil when redaction is off
	encrypt bool
}

// securityFor prepares the security of a trace. It fails when the
// configuration asks for something the secret store cannot give: hash
// mode without a key, encrypted reports without APP_SECRET_KEY.
func (e *env) securityFor(cfg *config.Config, noRedact bool) (*security, error) {
	store := e.secretStore(cfg)
	s := &security{encrypt: cfg.Security.EncryptLogs}
	k, err := store.Key()
	switch {
	case err == nil:
		s.key = k
	case errors.Is(err, secret.ErrNoKey):
		if s.encrypt {
			return nil, fmt.Errorf("security.encrypt_logs is true but %w", err)
		}
	default:
		return nil, err
	}
	if !cfg.Redaction.Enabled || noRedact {
		return s, nil
	}
	opt := cfg.Redaction.RedactOptions()
	if opt.Mode == redact.ModeHash {
		v, err := store.Lookup(redactKeySecret)
		if err != nil {
			return nil, fmt.Errorf("redaction.mode hash needs a key, refusing to start without one: %w", err)
		}
		opt.HashKey = []byte(v)
	}
	if s.red, err = redact.New(opt); err != nil {
		return nil, err
	}
	return s, nil
}

// registry returns reg, or with a key one whose sources decrypt records
// that are Fernet tokens.
func (s *security) registry(reg *source.Registry) *source.Registry {
	if s.key == nil {
		return reg
	}
	return secret.DecryptingRegistry(reg, s.key)
}

// liveDecrypt lets a live trace decrypt the records that are encrypted
// tokens, as a trace's sources do (registry), when a key is configured.
func (s *security) liveDecrypt(lo *live.Options) {
	if s.key == nil {
		return
	}
	lo.Decrypt, lo.TokenPrefix = s.key.RecordText, secret.TokenPrefix
}

// precheck returns the redactor's look at each event as the engine finds
// it (see redact.Redactor.Precheck), or nil when redaction is off.
func (s *security) precheck() func(trace.Event) bool {
	if s.red == nil {
		return nil
	}
	return s.red.Precheck
}

// redactReport applies redaction to rep when it is on, and adds the time
// it took to the report's stages as "redact".
func (s *security) redactReport(rep *trace.Report) {
	if s.red == nil {
		return
	}
	t0 := time.Now()
	s.red.Report(rep)
	d := time.Since(t0)
	rep.Stats.Stages = append(rep.Stats.Stages, trace.Stage{Name: "redact", Elapsed: d})
	rep.Stats.Elapsed += d
}

// redactErr returns err with its message redacted as a report's text is,
// id kept, when redaction is on: an error can quote what a source sent.
// errors.Is and errors.As still see err's causes.
func (s *security) redactErr(err error, id string) error {
	if s.red == nil || err == nil {
		return err
	}
	msg := s.red.String(err.Error(), []string{id}, nil)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactWarning returns a live trace's warning redacted as a report's
// warnings are, the trace's ids kept.
func (s *security) redactWarning(rep *trace.Report, msg string) string {
	if s.red == nil {
		return msg
	}
	keep := []string{rep.Query.ID, rep.Trace.ID}
	for _, l := range rep.LinkedIDs {
		keep = append(keep, l.Value)
	}
	return s.red.String(msg, keep, nil)
}

// redactedError is an error shown with a redacted message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// seal returns the writer and closer of a report: with encrypt_logs and a
// file to write, the report is collected and written as one Fernet token
// when closed; otherwise w and closeOut as they are.
func (s *security) seal(path string, w io.Writer, closeOut func() error) (io.Writer, func() error) {
	if !s.encrypt || path == "" || path == "-" {
		return w, closeOut
	}
	var buf bytes.Buffer
	return &buf, func() error {
		tok, err := s.key.Encrypt(buf.Bytes())
		if err == nil {
			_, err = w.Write(append(tok, '\n'))
		}
		if cerr := closeOut(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("encrypted report %s: %w", path, err)
		}
		return nil
	}
}
