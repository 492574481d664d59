package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func sourcesCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "sources",
		Short: "List the source schemes this build can read",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCHEME\tDESCRIPTION")
			for _, d := range e.reg.Drivers() {
				fmt.Fprintf(tw, "%s\t%s\n", d.Scheme, d.Description)
			}
			return tw.Flush()
		},
	}
}
