package rgunit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"rgunit/ingest"
	"rgunit/samples"
)

// DemoTargets are the demo's targets: another hair colour, and the other
// age.
var DemoTargets = []string{"Blond_Hair", "-Young"}

// ErrDemoInterrupted: the demo's ingest was stopped (Ctrl-C).
var ErrDemoInterrupted = errors.New("rgunit: the demo was interrupted")

// DemoOptions configure Demo. The zero value runs the demo on the faces
// embedded in the binary into rgunit-demo/demo.db, printing nothing.
type DemoOptions struct {
	DB       string    // the database to create (replaced if present); default rgunit-demo/demo.db
	Data     string    // a folder of sample images (labels in its list_attr.txt); default the embedded faces
	Out      io.Writer // where the commands the demo stands for and their output are printed
	OnIngest func(ingest.Progress)
	OnIndex  func(done, total int)
}

// Demo runs rgunit's main job on what the binary ships: it creates a
// fresh database with the shipped default model, ingests the sample faces
// with their labels (every face embedded and indexed), prints the
// database's statistics, then translates the first face to DemoTargets
// with retrieval guidance and writes the outputs and a sheet into
// translations/ beside the database. Nothing is trained, and a failed run
// leaves nothing behind. It returns the sheet's path.
func Demo(ctx context.Context, o DemoOptions) (sheet string, err error) {
	if o.DB == "" {
		o.DB = filepath.Join("rgunit-demo", "demo.db")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	dir := filepath.Dir(o.DB)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	defer func() { // a failed run leaves nothing behind
		if err != nil && os.IsNotExist(statErr) {
			os.RemoveAll(dir)
		} else if err != nil {
			os.Remove(o.DB)
			os.RemoveAll(filepath.Join(dir, "translations"))
		}
	}()
	if err := os.Remove(o.DB); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	d, err := Open(o.DB, nil)
	if err != nil {
		return "", err
	}
	defer d.Close()
	if err := d.demoIngest(ctx, o); err != nil {
		return "", err
	}
	return d.demoTranslate(o)
}

// demoIngest ingests the sample faces and prints the database's
// statistics.
func (d *DB) demoIngest(ctx context.Context, o DemoOptions) error {
	data, in, cleanup, err := sampleFaces(o.Data)
	defer cleanup()
	if err != nil {
		return err
	}
	shown := o.Data
	if shown == "" {
		shown = "samples/faces"
	}
	fmt.Fprintf(o.Out, "== rgunit ingest %s --labels %s/list_attr.txt --db %s\n", shown, shown, o.DB)
	in.OnIngest, in.OnIndex = o.OnIngest, o.OnIndex
	res, err := d.Ingest(ctx, []string{data}, in)
	if err == nil {
		err = res.WriteText(o.Out)
	}
	switch {
	case err != nil:
		return err
	case res.Interrupted:
		return ErrDemoInterrupted
	case res.Index == nil:
		return fmt.Errorf("the shipped default model was not imported into %s", o.DB)
	}
	fmt.Fprintf(o.Out, "\n== rgunit stats --db %s\n", o.DB)
	s, err := d.Stats()
	if err != nil {
		return err
	}
	return s.WriteText(o.Out)
}

// demoTranslate translates the first face to DemoTargets and writes the
// outputs and the sheet.
func (d *DB) demoTranslate(o DemoOptions) (string, error) {
	dir := filepath.Join(filepath.Dir(o.DB), "translations")
	fmt.Fprintf(o.Out, "\n== rgunit translate id:1 --to %s --db %s --out %s\n", strings.Join(DemoTargets, " --to "), o.DB, dir)
	t, err := d.Translator(TranslatorOptions{})
	if err != nil {
		return "", err
	}
	src, err := t.Load("id:1")
	if err != nil {
		return "", err
	}
	recs, sheet, err := t.TranslateFiles(src, DemoTargets, 1, rand.New(rand.NewPCG(1, 0)), dir, OutputNamer()(src.Name))
	for _, r := range recs {
		if err := r.WriteText(o.Out); err != nil {
			return "", err
		}
	}
	return sheet, err
}

// sampleFaces prepares the demo's input: data, a folder of images with
// their labels in data/list_attr.txt when it has one, or with data "" a
// scratch copy of the 300 faces embedded in the binary, which o ingests
// under their names in samples/faces and cleanup removes.
func sampleFaces(data string) (dir string, o IngestOptions, cleanup func(), err error) {
	dir, cleanup = data, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rgunit-demo-")
		if err != nil {
			return "", o, cleanup, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		if err := os.CopyFS(tmp, samples.Faces); err != nil {
			return "", o, cleanup, err
		}
		dir = filepath.Join(tmp, "faces")
		o.StoredPath = func(abs string) string { return "samples/faces/" + filepath.Base(abs) }
	}
	lf := filepath.Join(dir, "list_attr.txt")
	if fi, err := os.Stat(lf); err == nil && fi.Mode().IsRegular() {
		if o.Labels, err = ingest.LoadLabels(lf); err != nil {
			return "", o, cleanup, err
		}
	}
	return dir, o, cleanup, nil
}
