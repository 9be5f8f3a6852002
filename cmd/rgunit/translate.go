package main

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/imageio"
)

// translation is one input translated to one target, as --json prints it.
type translation struct {
	Input      string   `json:"input"`
	Target     string   `json:"target"`
	Source     string   `json:"source_attrs"`
	TargetVals string   `json:"target_attrs"`
	Estimated  bool     `json:"estimated"` // the source's attributes came from E_a
	Outputs    []string `json:"outputs"`
	Neighbours []uint64 `json:"neighbours"`
	Found      int      `json:"found"` // neighbours the index had (fewer than k on a small database)
	Retrieval  bool     `json:"retrieval"`
}

type translateOptions struct {
	db            dbFlag
	targets       []string
	out, codes    string
	samples       int
	seed          uint64
	asJSON, quiet bool
	allowPartial  bool
	imageSize     int // the database's stored images' side: outputs are written at it
	o             rgunit.TranslatorOptions
}

func newTranslateCmd() *cobra.Command {
	o := &translateOptions{}
	cmd := &cobra.Command{
		Use:   "translate IMG|id:N|DIR",
		Short: "Translate images to target attributes, guided by retrieved neighbours",
		Long: `Translates IMG (an image file, id:N for a stored item, or a folder of images) to
the attributes of each --to: a comma-separated list where a name sets the
attribute and -name clears it (Blond_Hair,Young,-Male); attributes not named
keep IMG's values (its known labels for a stored item, else what the
attribute encoder reads). Hair colours stay one-hot.

By default RG-UNIT translates: the k items the retrieval index returns for
(IMG, target) guide the generator (a stored item is never its own
neighbour; a database with fewer than k other items uses those it has and
says so). --no-retrieval runs the GMM-UNIT baseline.

The attribute code decoded keeps IMG's own code (from the attribute
encoder) for the attributes it keeps, and takes the neighbours' codes for
the changed ones (without neighbours: the model's per-domain code
statistics): codes the generator was trained on. --codes prior uses the
paper's codes instead (the means of the targets' prior Gaussians). With
--samples N, N codes are drawn around that (diverse outputs).

Writes into --out: each output as NAME_to_TARGET_i.png and a sheet,
NAME_sheet.png, with one row per target: the input, the neighbours used, the
outputs. A folder is translated image by image with a progress bar.`,
		Example: `  rgunit translate face.png --to Blond_Hair --to -Young --db faces.db --out out/
  rgunit translate id:42 --to Black_Hair,-Male --samples 4 --json --db faces.db
  rgunit translate photos/ --to Young --out photos-young/ --db faces.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *translateOptions) addFlags(cmd *cobra.Command) {
	o.db.register(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.targets, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVar(&o.out, "out", "translations", "output folder")
	f.IntVar(&o.samples, "samples", 1, "codes drawn around the target code (1: the code itself)")
	f.StringVar(&o.codes, "codes", "encoder", "attribute codes: encoder (the source's and the neighbours' encoder codes), prior (the paper's: the targets' Gaussians) or mixed (the source's for kept attributes, the prior for changed ones)")
	f.IntVarP(&o.o.K, "k", "k", 0, "neighbours used (default: the model's k)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the sampled codes")
	f.BoolVar(&o.o.NoRetrieval, "no-retrieval", false, "translate with GMM-UNIT alone (the baseline)")
	f.BoolVar(&o.allowPartial, "allow-partial", false, "with a remote index missing a shard, guide with the neighbours it finds instead of failing")
	f.BoolVar(&o.asJSON, "json", false, "one JSON object per input and target: outputs and neighbour ids")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
}

// check refuses bad flags before anything is opened.
func (o *translateOptions) check(cmd *cobra.Command) error {
	var err error
	switch {
	case len(o.targets) == 0:
		return fmt.Errorf("--to is required")
	case o.samples < 1 || o.samples > 64:
		return fmt.Errorf("--samples %d: want 1 to 64", o.samples)
	case cmd.Flags().Changed("k") && o.o.NoRetrieval:
		return fmt.Errorf("-k has no use with --no-retrieval")
	case o.o.K < 0:
		return fmt.Errorf("-k %d: want a positive count", o.o.K)
	}
	o.o.Codes, err = generator.ParseCodeMode(o.codes)
	return err
}

func (o *translateOptions) run(cmd *cobra.Command, arg string) error {
	if err := o.check(cmd); err != nil {
		return err
	}
	inputs, err := translateInputs(arg)
	if err != nil {
		return err
	}
	st, err := o.db.open(false, false, 0) // read-only: translations run side by side
	if err != nil {
		return err
	}
	o.imageSize = st.ImageSize()
	db := rgunit.New(st, &rgunit.Options{AllowPartial: o.allowPartial})
	defer db.Close()
	t, err := db.Translator(o.o)
	if err != nil {
		return err
	}
	if idx := t.Index(); idx != nil {
		warnPending(cmd, idx)
		if err := t.CheckTargets(o.targets...); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	pr := newProgress(cmd.ErrOrStderr(), len(inputs), "translate", "img", o.quiet || len(inputs) == 1)
	failed := 0
	name := outputNamer()
	for i, in := range inputs {
		src, err := t.Load(in)
		if err == nil {
			err = o.translateOne(cmd, t, src, name(src.Name), rand.New(rand.NewPCG(o.seed, uint64(i))), len(inputs) == 1)
		}
		if err != nil {
			if len(inputs) == 1 {
				return err
			}
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in, err)
			continue
		}
		pr.update(i+1, len(inputs), "")
	}
	pr.finish(len(inputs), len(inputs), "")
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be translated", failed, len(inputs))
	}
	return nil
}

// translateOne translates src to every target, writes the outputs and the
// sheet into --out as name_*, and prints what it did.
func (o *translateOptions) translateOne(cmd *cobra.Command, t *rgunit.Translator, src *rgunit.Source, name string, rng *rand.Rand, single bool) error {
	var trs []*rgunit.Translation
	w := cmd.OutOrStdout()
	for _, spec := range o.targets {
		tr, err := t.Translate(src, spec, o.samples, rng)
		if err != nil {
			return err
		}
		line := translation{Input: src.Name, Target: spec, Source: t.Schema().Format(tr.Output.Source), TargetVals: t.Schema().Format(tr.Target),
			Estimated: tr.Estimated, Neighbours: tr.Neighbours, Found: tr.Found, Retrieval: tr.Retrieval}
		for i := range tr.Outputs {
			p := filepath.Join(o.out, fmt.Sprintf("%s_to_%s_%d.png", name, targetSlug(spec), i+1))
			if err := writePNG(p, imageio.Scale(tr.Image(i), o.imageSize)); err != nil {
				return err
			}
			line.Outputs = append(line.Outputs, p)
		}
		trs = append(trs, tr)
		o.print(w, line, t.K())
	}
	sheet, err := t.Sheet(trs)
	if err != nil {
		return err
	}
	if err := writePNG(sheetPath(o.out, name), sheet); err != nil {
		return err
	}
	if !o.asJSON && single {
		fmt.Fprintf(w, "sheet: %s\n", sheetPath(o.out, name))
	}
	return nil
}

func (o *translateOptions) print(w interface{ Write([]byte) (int, error) }, tr translation, k int) {
	if o.asJSON {
		writeJSONLine(w, tr)
		return
	}
	fmt.Fprintf(w, "%s: %s -> %s (%s): %s\n", relPath(tr.Input), tr.Source, tr.TargetVals, tr.Target, strings.Join(tr.Outputs, ", "))
	if tr.Retrieval {
		note := ""
		if tr.Found < k {
			note = fmt.Sprintf(" (only %d item(s) to retrieve from; k is %d: the neighbours found are reused)", tr.Found, k)
		}
		fmt.Fprintf(w, "  guided by %s%s\n", fmtIDs(tr.Neighbours), note)
	}
}

// translateInputs expands a folder into its image files (sorted); other
// arguments are one input.
func translateInputs(arg string) ([]string, error) {
	fi, err := os.Stat(arg)
	if err != nil || !fi.IsDir() {
		return []string{arg}, nil // a file, id:N, or an error loadSource reports
	}
	ents, err := os.ReadDir(arg)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && imageio.HasImageExt(e.Name()) {
			out = append(out, filepath.Join(arg, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no image files", arg)
	}
	slices.Sort(out)
	return out, nil
}

func stem(name string) string {
	b := filepath.Base(name)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// outputNamer returns a function naming each input's outputs: its file
// name without the extension, or with the extension after an underscore
// when an earlier input had that stem (a.jpg, a.png -> a, a_png), so no
// output overwrites another's.
func outputNamer() func(name string) string {
	used := map[string]bool{}
	return func(name string) string {
		n := stem(name)
		if used[n] {
			n += "_" + strings.TrimPrefix(filepath.Ext(name), ".")
		}
		for k := 2; used[n]; k++ {
			n = fmt.Sprintf("%s_%d", stem(name), k)
		}
		used[n] = true
		return n
	}
}

func sheetPath(dir, name string) string { return filepath.Join(dir, name+"_sheet.png") }

func targetSlug(spec string) string {
	return strings.NewReplacer(",", "+", "/", "_", " ", "").Replace(spec)
}

func writePNG(path string, img image.Image) error {
	b, err := imageio.EncodePNG(img)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func fmtIDs(ids []uint64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("id:%d", id)
	}
	return strings.Join(parts, ", ")
}
