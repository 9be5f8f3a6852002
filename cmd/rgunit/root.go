package main

import (
	"embed"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench/benchcmd"
	"rgunit/internal/cmdutil"
)

// help holds each command's usage line, summary, description and examples
// (cmdutil.Help): help/query.txt for rgunit query, help/train_unit.txt for
// rgunit train unit.
//
//go:embed help/*.txt
var help embed.FS

// command is what each command's file defines: its flags and its run.
type command interface {
	addFlags(cmd *cobra.Command)
	run(cmd *cobra.Command, args []string) error
}

// newCmd returns the command name ("train unit") running c, its help from
// its file, its arguments checked by args; a command whose options embed
// cmdutil.DB gets --db.
func newCmd(name string, args cobra.PositionalArgs, c command) *cobra.Command {
	cmd := cmdutil.Command(help, "help/"+strings.ReplaceAll(name, " ", "_"))
	cmd.Args, cmd.RunE = args, c.run
	if db, ok := c.(interface{ Register(*cobra.Command) }); ok {
		db.Register(cmd)
	}
	c.addFlags(cmd)
	return cmd
}

// group returns the command name, which only holds subs.
func group(name string, subs ...*cobra.Command) *cobra.Command {
	cmd := cmdutil.Command(help, "help/"+name)
	cmd.AddCommand(subs...)
	return cmd
}

func newRootCmd() *cobra.Command {
	exact1, none, some := cobra.ExactArgs(1), cobra.NoArgs, cobra.MinimumNArgs(1)
	root := group("rgunit",
		newCmd("ingest", some, &ingestOptions{}), newCmd("ls", none, &lsOptions{}),
		newCmd("stats", none, &statsOptions{}), newCmd("show", exact1, &showOptions{}),
		newCmd("rm", some, &rmOptions{}), newCmd("demo", none, &demoOptions{}),
		newCmd("translate", exact1, &translateOptions{}), newCmd("query", cobra.ArbitraryArgs, &queryOptions{}),
		newCmd("reindex", none, &syncOptions{reindex: true}), newCmd("sync", none, &syncOptions{}),
		newCmd("check", none, &checkOptions{}), newCmd("serve", none, &serveOptions{}),
		newCmd("version", none, &versionOptions{}), newCmd("dupes", none, &dupesOptions{}),
		newCmd("export", none, &exportOptions{}),
		group("train",
			newCmd("train unit", none, &trainUnitOptions{}), newCmd("train classifier", none, &trainClassifierOptions{}),
			newCmd("train retrieval", none, &trainRetrievalOptions{}), newCmd("train rg", none, &trainRGOptions{})),
		group("model",
			newCmd("model export", none, &modelExportOptions{}), newCmd("model import", exact1, &modelImportOptions{}),
			newCmd("model info", exact1, &modelInfoOptions{}), newCmd("model list", none, &modelListOptions{})),
		benchcmd.New(), benchcmd.NewPlot())
	root.SilenceUsage, root.SilenceErrors = true, true
	root.Version = rgunit.Version().String()
	root.SetVersionTemplate("{{.Version}}\n")
	return root
}
