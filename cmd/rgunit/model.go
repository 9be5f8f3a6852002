package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/guided"
	"rgunit/internal/cmdutil"
)

// rgunit model: export, import, describe and list model bundles (a
// retrieval model with the RG-UNIT model trained over it). The
// subcommands share this file, as bbolt's surgery subcommands share
// theirs.

type modelListOptions struct{ asJSON bool }

func (o *modelListOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per model")
}

func (o *modelListOptions) run(cmd *cobra.Command, _ []string) error {
	ms, err := rgunit.ShippedModels()
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLines(cmd.OutOrStdout(), ms)
	}
	return rgunit.WriteModels(cmd.OutOrStdout(), ms)
}

type modelInfoOptions struct{ asJSON bool }

func (o *modelInfoOptions) addFlags(cmd *cobra.Command) {
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the provenance as JSON")
}

func (o *modelInfoOptions) run(cmd *cobra.Command, args []string) error {
	b, err := rgunit.Bundle(args[0])
	if err != nil {
		return err
	}
	bd, err := guided.DecodeBundle(b)
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), bd.Provenance)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "bundle %s, %s\n", bd.Provenance.ID(), rgunit.FormatBytes(int64(len(b))))
	return bd.Provenance.WriteText(cmd.OutOrStdout())
}

type modelImportOptions struct {
	cmdutil.DB
	quiet bool
}

func (o *modelImportOptions) addFlags(cmd *cobra.Command) {
	cmdutil.QuietFlag(cmd, &o.quiet)
}

func (o *modelImportOptions) run(cmd *cobra.Command, args []string) error {
	b, err := rgunit.Bundle(args[0])
	if err != nil {
		return err
	}
	return o.Update(func(db *rgunit.DB) error {
		p := cmdutil.NewPhase(cmd, "index", "img", o.quiet)
		imp, s, err := db.ImportBundle(cmd.Context(), b, p.Steps)
		p.Finish()
		if imp != nil && !imp.Already {
			fmt.Fprintln(cmd.OutOrStdout(), imp)
		}
		if err == nil {
			_, err = fmt.Fprintln(cmd.OutOrStdout(), s)
		}
		return err
	})
}

type modelExportOptions struct {
	cmdutil.DB
	out string
	p   guided.Provenance
}

func (o *modelExportOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "bundle file to write")
	f.StringVar(&o.p.Command, "command", "", "the command that trained the models (recorded)")
	f.StringVar(&o.p.Data, "data", "", "the data they were trained on (recorded)")
	f.StringVar(&o.p.Commit, "commit", "", "the rgunit commit that trained them (recorded)")
	f.Float64Var(&o.p.Reach, "reach", 0, "how far past the target domain's mean, in its standard deviations, translations move a changed attribute's code (0: the default, 3); measure it first with rgunit bench translate --reach")
}

func (o *modelExportOptions) run(cmd *cobra.Command, _ []string) error {
	if o.out == "" {
		return fmt.Errorf("--out is required")
	}
	if err := generator.CheckReach(o.p.Reach); err != nil {
		return fmt.Errorf("--reach %g: %w", o.p.Reach, err)
	}
	o.p.Created = time.Now().UTC().Format(time.RFC3339)
	return o.View(func(db *rgunit.DB) error {
		b, err := db.ExportBundle(o.p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, b, 0o644); err != nil {
			return err
		}
		bd, err := guided.DecodeBundle(b)
		if err != nil {
			return err
		}
		p := bd.Provenance
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, bundle %s (stage 1 step %d, retrieval step %d, rg-unit step %d, k %d)\n",
			o.out, rgunit.FormatBytes(int64(len(b))), p.ID(), p.Stage1Step, p.RetrievalStep, p.RGStep, p.K)
		return err
	})
}
