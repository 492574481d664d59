package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/secret"
)

// maxReportSize bounds the reports decrypt reads.
const maxReportSize = 1 << 30

func decryptCmd(e *env) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "decrypt FILE",
		Short: "Decrypt a report written with security.encrypt_logs (key in " + secret.KeyEnv + ")",
		Example: `  pipetracker decrypt output/trace_TXN-48213.html -o trace.html
  pipetracker decrypt report.json | jq .summary`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &codeError{exitError, fmt.Errorf("%w: decrypt takes exactly one FILE, got %d", errUsage, len(args))}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			k, err := (&secret.Store{Getenv: e.getenv}).Key()
			if err != nil {
				return &codeError{exitError, err}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return &codeError{exitError, fmt.Errorf("decrypt: %w", err)}
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, maxReportSize+1))
			if err != nil {
				return &codeError{exitError, fmt.Errorf("decrypt %s: %w", args[0], err)}
			}
			if len(data) > maxReportSize {
				return &codeError{exitError, fmt.Errorf("decrypt %s: larger than %d bytes", args[0], maxReportSize)}
			}
			plain, err := k.Decrypt(data)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("decrypt %s: %w (is it an encrypted report, made with this %s?)", args[0], err, secret.KeyEnv)}
			}
			w, closeOut, err := e.openOutput(out)
			if err != nil {
				return &codeError{exitError, err}
			}
			if _, err := w.Write(plain); err != nil {
				closeOut()
				return &codeError{exitError, fmt.Errorf("decrypt: %w", err)}
			}
			if err := closeOut(); err != nil {
				return &codeError{exitError, err}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the report to this file (default stdout)")
	return c
}
