package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/ingest"
)

type demoOptions struct{ data, db string }

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Ingest the shipped sample faces with the shipped model and translate one with retrieval guidance",
		Long: `demo runs rgunit's main job on what the repository ships: it creates a fresh
database with the shipped default model (rgunit model info default), ingests
testdata/faces with its labels (every face is embedded and indexed), prints
the database's statistics, then translates one face to two targets with
retrieval guidance and writes the outputs and a sheet (input, the neighbours
used, the outputs) beside the database. Nothing outside the repository is
read and nothing is trained.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	cmd.Flags().StringVar(&o.data, "data", "testdata/faces", "folder of sample images")
	cmd.Flags().StringVar(&o.db, "db", filepath.Join("rgunit-demo", "demo.db"), "database to create (replaced if present)")
	return cmd
}

func (o *demoOptions) run(cmd *cobra.Command) error {
	opts := rgunit.IngestOptions{}
	lf := filepath.Join(o.data, "list_attr.txt")
	if fi, err := os.Stat(lf); err == nil && fi.Mode().IsRegular() {
		if opts.Labels, err = ingest.LoadLabels(lf); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(o.db), 0o755); err != nil {
		return err
	}
	if err := os.Remove(o.db); err != nil && !os.IsNotExist(err) {
		return err
	}
	d, err := rgunit.Open(o.db, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "== rgunit ingest %s --labels %s --db %s\n", o.data, lf, o.db)
	ip, xp := ingestProgress(cmd, false)
	opts.OnIngest, opts.OnIndex = ip.onIngest, xp.onIndex
	res, err := d.Ingest(cmd.Context(), []string{o.data}, opts)
	ip.finish()
	xp.finish()
	if err == nil {
		err = res.WriteText(out)
	}
	switch {
	case err != nil:
		return err
	case res.Interrupted:
		return errInterrupted
	case res.Index == nil:
		return fmt.Errorf("the shipped default model was not imported into %s", o.db)
	}
	fmt.Fprintf(out, "\n== rgunit stats --db %s\n", o.db)
	if err := printStats(out, d, false); err != nil {
		return err
	}
	return o.translate(cmd, d)
}

// translate translates the first face to the demo's targets with
// retrieval guidance and writes the outputs and the sheet.
func (o *demoOptions) translate(cmd *cobra.Command, d *rgunit.DB) error {
	out := cmd.OutOrStdout()
	dir := filepath.Join(filepath.Dir(o.db), "translations")
	fmt.Fprintf(out, "\n== rgunit translate id:1 --to %s --db %s --out %s\n", strings.Join(demoTargets, " --to "), o.db, dir)
	t, err := d.Translator(rgunit.TranslatorOptions{})
	if err != nil {
		return err
	}
	src, err := t.Load("id:1")
	if err != nil {
		return err
	}
	tro := &translateOptions{targets: demoTargets, out: dir, samples: 1}
	sheet, err := tro.translateOne(cmd, t, src, rgunit.OutputNamer()(src.Name), rand.New(rand.NewPCG(1, 0)), false)
	if err == nil {
		fmt.Fprintf(out, "sheet (input | neighbours | output, one row per target): %s\n", sheet)
	}
	return err
}

// demoTargets are the demo's two targets: another hair colour, and the
// other age.
var demoTargets = []string{"Blond_Hair", "-Young"}
