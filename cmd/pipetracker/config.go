package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipetracker/pipetracker/internal/config"
)

func configCmd(e *env) *cobra.Command {
	var path string
	var initAlias bool
	c := &cobra.Command{
		Use:   "config",
		Short: "Write, check or show the configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if initAlias {
				return e.configInit("pipetracker.yaml", false)
			}
			return cmd.Help()
		},
	}
	c.PersistentFlags().StringVarP(&path, "config", "c", "", "config file (default ./pipetracker.yaml when present)")
	c.Flags().BoolVar(&initAlias, "init", false, "same as 'config init'")

	var force bool
	var out string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented pipetracker.yaml",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.configInit(out, force)
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	initCmd.Flags().StringVarP(&out, "output", "o", "pipetracker.yaml", "where to write it (- for stdout)")

	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and list every problem with file:line",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := e.loadConfig(path)
			if err != nil {
				return &codeError{exitError, err}
			}
			name := cfg.File
			if name == "" {
				name = "built-in defaults"
			}
			fmt.Fprintf(e.stdout, "%s: ok (%d sources, match keys %v)\n", name, len(cfg.LogSources), cfg.MatchKeys)
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration, secrets masked",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := e.loadConfig(path)
			if err != nil {
				return &codeError{exitError, err}
			}
			b, err := cfg.Show()
			if err != nil {
				return &codeError{exitError, err}
			}
			_, err = e.stdout.Write(b)
			return err
		},
	}
	c.AddCommand(initCmd, validate, show)
	return c
}

func (e *env) configInit(path string, force bool) error {
	tpl := config.InitTemplate()
	if path == "-" {
		_, err := e.stdout.Write(tpl)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &codeError{exitError, fmt.Errorf("%s exists; use --force to overwrite it", path)}
	}
	if err != nil {
		return &codeError{exitError, fmt.Errorf("config init: %w", err)}
	}
	if _, err := f.Write(tpl); err != nil {
		f.Close()
		return &codeError{exitError, fmt.Errorf("config init: %w", err)}
	}
	if err := f.Close(); err != nil {
		return &codeError{exitError, fmt.Errorf("config init: %w", err)}
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", path)
	return nil
}
