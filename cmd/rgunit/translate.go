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
	"rgunit/embed"
	"rgunit/generator"
	"rgunit/guided"
	"rgunit/imageio"
	"rgunit/retrieval"
	"rgunit/storage"
)

// translation is one input translated to one target.
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

	imgs [][]float32
}

// translator is the model a translate run uses: RG-UNIT with its
// retrieval database, or GMM-UNIT alone.
type translator struct {
	st     *storage.Store
	rg     *guided.Translator
	u      *generator.UNIT
	schema embed.Schema
	size   int
	k      int
	codes  generator.CodeMode
}

func openTranslator(st *storage.Store, noRetrieval bool, k int, ro *retrieval.OpenOptions) (*translator, func(), error) {
	t := &translator{st: st, k: k}
	if noRetrieval {
		u, err := guided.LoadStage1(st)
		if err != nil {
			return nil, nil, err
		}
		t.u, t.schema, t.size = u, u.Config.Schema, u.Config.Arch.Size
		return t, func() {}, nil
	}
	if n, err := st.Len(); err != nil {
		return nil, nil, err
	} else if n == 0 {
		return nil, nil, fmt.Errorf("%w: %s has no items to guide with (add some with rgunit ingest, or pass --no-retrieval)", retrieval.ErrEmpty, st.Path())
	}
	tr, err := guided.OpenWith(st, ro)
	if err != nil {
		return nil, nil, err
	}
	if t.k == 0 {
		t.k = tr.K()
	}
	if t.k < 1 || t.k > tr.K() {
		tr.Close()
		return nil, nil, fmt.Errorf("-k %d: this RG-UNIT model fuses up to %d neighbours (it was trained with k = %d)", t.k, tr.K(), tr.K())
	}
	t.rg, t.schema, t.size = tr, tr.DB.Model.Schema(), tr.DB.Model.Size()
	return t, func() { tr.Close() }, nil
}

// run translates src to the target of spec.
func (t *translator) run(src *rgunit.Source, spec string, samples int, rng *rand.Rand) (*translation, error) {
	tr := &translation{Input: src.Name, Target: spec, Retrieval: t.rg != nil}
	if t.rg != nil {
		o, err := t.rg.Image(guided.Request{Image: src.X, Source: src.Labels, Targets: spec, Samples: samples, K: t.k, Exclude: src.ID, Codes: t.codes, Rng: rng})
		if err != nil {
			return nil, err
		}
		tr.imgs, tr.Neighbours, tr.Found, tr.Estimated = o.Outputs, o.Neighbours, o.Found, o.Estimated
		tr.Source, tr.TargetVals = t.schema.Format(o.Source), t.schema.Format(o.Target)
		return tr, nil
	}
	res, err := generator.TranslateImage(t.u, src.X, src.Labels, spec, samples, t.codes, rng)
	if err != nil {
		return nil, err
	}
	tr.imgs, tr.Estimated = res.Outputs, res.Estimated
	tr.Source, tr.TargetVals = t.schema.Format(res.Source), t.schema.Format(res.Target)
	return tr, nil
}

func newTranslateCmd() *cobra.Command {
	var (
		db           dbFlag
		targets      []string
		out          string
		samples, k   int
		seed         uint64
		noRetrieval  bool
		allowPartial bool
		asJSON       bool
		quiet        bool
		codes        string
	)
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(targets) == 0 {
				return fmt.Errorf("--to is required")
			}
			if samples < 1 || samples > 64 {
				return fmt.Errorf("--samples %d: want 1 to 64", samples)
			}
			if cmd.Flags().Changed("k") && noRetrieval {
				return fmt.Errorf("-k has no use with --no-retrieval")
			}
			if k < 0 {
				return fmt.Errorf("-k %d: want a positive count", k)
			}
			inputs, err := translateInputs(args[0])
			if err != nil {
				return err
			}
			st, err := db.open(false, false, 0) // read-only: translations run side by side
			if err != nil {
				return err
			}
			defer st.Close()
			t, done, err := openTranslator(st, noRetrieval, k, &retrieval.OpenOptions{AllowPartial: allowPartial})
			if err != nil {
				return err
			}
			defer done()
			if t.codes, err = generator.ParseCodeMode(codes); err != nil {
				return err
			}
			if t.rg != nil {
				warnPending(cmd, t.rg.DB)
			}
			if t.rg != nil {
				for _, spec := range targets { // refuse bad targets before any work
					if _, err := t.schema.ParseTargets(spec, make([]int8, len(t.schema.Attrs))); err != nil {
						return err
					}
				}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			pr := newProgress(cmd.ErrOrStderr(), len(inputs), "translate", "img", quiet || len(inputs) == 1)
			failed := 0
			name := outputNamer()
			for i, in := range inputs {
				src, err := rgunit.LoadSource(st, in, t.schema, t.size)
				var trs []*translation
				var outName string
				if err == nil {
					outName = name(src.Name)
					trs, err = translateOne(t, src, outName, targets, samples, rand.New(rand.NewPCG(seed, uint64(i))), out)
				}
				if err != nil {
					if len(inputs) == 1 {
						return err
					}
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in, err)
					continue
				}
				for _, tr := range trs {
					if asJSON {
						writeJSONLine(w, tr)
						continue
					}
					fmt.Fprintf(w, "%s: %s -> %s (%s): %s\n", relPath(tr.Input), tr.Source, tr.TargetVals, tr.Target, strings.Join(tr.Outputs, ", "))
					if tr.Retrieval {
						note := ""
						if tr.Found < t.k {
							note = fmt.Sprintf(" (only %d item(s) to retrieve from; k is %d: the neighbours found are reused)", tr.Found, t.k)
						}
						fmt.Fprintf(w, "  guided by %s%s\n", fmtIDs(tr.Neighbours), note)
					}
				}
				if !asJSON && len(inputs) == 1 {
					fmt.Fprintf(w, "sheet: %s\n", sheetPath(out, outName))
				}
				pr.update(i+1, len(inputs), "")
			}
			pr.finish(len(inputs), len(inputs), "")
			if failed > 0 {
				return fmt.Errorf("%d of %d inputs could not be translated", failed, len(inputs))
			}
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&targets, "to", nil, "target attributes, e.g. Blond_Hair,Young,-Male (repeat for several targets)")
	f.StringVar(&out, "out", "translations", "output folder")
	f.IntVar(&samples, "samples", 1, "codes drawn around the target code (1: the code itself)")
	f.StringVar(&codes, "codes", "encoder", "attribute codes: encoder (the source's and the neighbours' encoder codes), prior (the paper's: the targets' Gaussians) or mixed (the source's for kept attributes, the prior for changed ones)")
	f.IntVarP(&k, "k", "k", 0, "neighbours used (default: the model's k)")
	f.Uint64Var(&seed, "seed", 1, "seed of the sampled codes")
	f.BoolVar(&noRetrieval, "no-retrieval", false, "translate with GMM-UNIT alone (the baseline)")
	f.BoolVar(&allowPartial, "allow-partial", false, "with a remote index missing a shard, guide with the neighbours it finds instead of failing")
	f.BoolVar(&asJSON, "json", false, "one JSON object per input and target: outputs and neighbour ids")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
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

// translateOne translates src to every target, writes the outputs and the
// sheet into dir.
func translateOne(t *translator, src *rgunit.Source, name string, targets []string, samples int, rng *rand.Rand, dir string) ([]*translation, error) {
	var trs []*translation
	for _, spec := range targets {
		tr, err := t.run(src, spec, samples, rng)
		if err != nil {
			return nil, err
		}
		for i, x := range tr.imgs {
			p := filepath.Join(dir, fmt.Sprintf("%s_to_%s_%d.png", name, targetSlug(spec), i+1))
			if err := writePNG(p, imageio.Scale(generator.TensorImage(x, t.size), t.st.ImageSize())); err != nil {
				return nil, err
			}
			tr.Outputs = append(tr.Outputs, p)
		}
		trs = append(trs, tr)
	}
	return trs, writeTranslateSheet(t, sheetPath(dir, name), src, trs)
}

func writePNG(path string, img image.Image) error {
	b, err := imageio.EncodePNG(img)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// writeTranslateSheet draws one captioned row per target: the input, the
// neighbours used (with their ids), the outputs.
func writeTranslateSheet(t *translator, path string, src *rgunit.Source, trs []*translation) error {
	var rows []imageio.SheetRow
	for _, tr := range trs {
		nbs := make([]retrieval.Neighbour, len(tr.Neighbours))
		for i, id := range tr.Neighbours {
			nbs[i].ID = id
		}
		tiles, err := storedTiles(t.st, nbs)
		if err != nil {
			return err
		}
		for i := range tiles {
			tiles[i].Caption = "nb " + tiles[i].Caption
		}
		var outs []imageio.Tile
		for i, o := range tr.imgs {
			c := "output"
			if len(tr.imgs) > 1 {
				c = fmt.Sprintf("sample %d", i+1)
			}
			outs = append(outs, imageio.Tile{Image: generator.TensorImage(o, t.size), Caption: c})
		}
		how := "GMM-UNIT, no retrieval"
		if tr.Retrieval {
			how = fmt.Sprintf("RG-UNIT, guided by %d neighbour(s)", len(tr.Neighbours))
		}
		groups := [][]imageio.Tile{{{Image: src.Image, Caption: "input"}}}
		if len(tiles) > 0 {
			groups = append(groups, tiles)
		}
		rows = append(rows, imageio.SheetRow{Title: fmt.Sprintf("to %s (%s)", tr.Target, how), Groups: append(groups, outs)})
	}
	return writePNG(path, imageio.DrawSheet(rows, max(t.st.ImageSize(), 64)))
}

func fmtIDs(ids []uint64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("id:%d", id)
	}
	return strings.Join(parts, ", ")
}
