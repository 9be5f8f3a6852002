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
	"rgunit/samples"
)

type demoOptions struct{ data, db string }

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Ingest the shipped sample faces with the shipped model and translate one with retrieval guidance",
		Long: `demo runs rgunit's main job on what the binary ships: it creates a fresh
database with the shipped default model (rgunit model info default), ingests
the 300 sample faces embedded in the binary with their labels (every face is
embedded and indexed), prints the database's statistics, then translates one
face to two targets with retrieval guidance and writes the outputs and a sheet
(input, the neighbours used, the outputs) beside the database. It runs from
any folder; nothing is read from outside the binary (unless --data names a
folder), nothing is trained, and a failed run leaves nothing behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	cmd.Flags().StringVar(&o.data, "data", "", "folder of sample images (default: the faces embedded in the binary)")
	cmd.Flags().StringVar(&o.db, "db", filepath.Join("rgunit-demo", "demo.db"), "database to create (replaced if present)")
	return cmd
}

func (o *demoOptions) run(cmd *cobra.Command) (err error) {
	dir := filepath.Dir(o.db)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer func() { // a failed run leaves nothing behind
		if err == nil {
			return
		}
		if os.IsNotExist(statErr) {
			os.RemoveAll(dir)
		} else {
			os.Remove(o.db)
			os.RemoveAll(filepath.Join(dir, "translations"))
		}
	}()
	data, opts, cleanup, err := o.samples()
	if err != nil {
		return err
	}
	defer cleanup()
	if err := os.Remove(o.db); err != nil && !os.IsNotExist(err) {
		return err
	}
	d, err := rgunit.Open(o.db, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	out := cmd.OutOrStdout()
	shown := o.data
	if shown == "" {
		shown = "samples/faces"
	}
	fmt.Fprintf(out, "== rgunit ingest %s --labels %s/list_attr.txt --db %s\n", shown, shown, o.db)
	ip, xp := ingestProgress(cmd, false)
	opts.OnIngest, opts.OnIndex = ip.onIngest, xp.onIndex
	res, err := d.Ingest(cmd.Context(), []string{data}, opts)
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

// samples is the folder to ingest and its labels: --data, or a scratch
// copy of the embedded faces (ingested under their names in samples/faces)
// that cleanup removes.
func (o *demoOptions) samples() (data string, opts rgunit.IngestOptions, cleanup func(), err error) {
	data, cleanup = o.data, func() {}
	if data == "" {
		tmp, err := os.MkdirTemp("", "rgunit-demo-")
		if err != nil {
			return "", opts, cleanup, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		if err := os.CopyFS(tmp, samples.Faces); err != nil {
			return "", opts, cleanup, err
		}
		data = filepath.Join(tmp, "faces")
		opts.StoredPath = func(abs string) string { return "samples/faces/" + filepath.Base(abs) }
	}
	lf := filepath.Join(data, "list_attr.txt")
	if fi, err := os.Stat(lf); err == nil && fi.Mode().IsRegular() {
		if opts.Labels, err = ingest.LoadLabels(lf); err != nil {
			return "", opts, cleanup, err
		}
	}
	return data, opts, cleanup, nil
}
