package main

import (
	"strings"

	"github.com/rewind-sh/rewind/format"
	"github.com/spf13/cobra"
)

func init() { register(newSchemaCmd) }

type schemaOptions struct {
	output string
}

func newSchemaCmd() *cobra.Command {
	var o schemaOptions
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the recording schema (columns, types, kinds, descriptions)",
		Long: "schema prints the columns of the event table as this version of rewind\n" +
			"writes them. docs/schema.md is this command's markdown output.",
		Example: "  rewind-replay schema\n" +
			"  rewind-replay schema -o markdown > docs/schema.md\n" +
			"  rewind-replay schema -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(o.output, outTable, outMarkdown, outJSON); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch o.output {
			case outMarkdown:
				return withCode(exitError, format.WriteSchemaMarkdown(w))
			case outJSON:
				return withCode(exitError, printJSON(w, struct {
					SchemaVersion int                `json:"schema_version"`
					Columns       []format.ColumnDoc `json:"columns"`
				}{format.SchemaVersion, format.SchemaDoc()}))
			}
			var rows [][]string
			for _, d := range format.SchemaDoc() {
				rows = append(rows, []string{d.Name, d.Type, strings.Join(d.Kinds, ","), d.Doc})
			}
			return withCode(exitError, printTable(w, []string{"COLUMN", "TYPE", "KINDS", "DESCRIPTION"}, rows))
		},
	}
	addOutputFlag(cmd, &o.output, outTable, outTable, outMarkdown, outJSON)
	return cmd
}
