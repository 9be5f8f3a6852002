package main

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"os"

	"github.com/spf13/cobra"

	"rgunit/generator"
	"rgunit/imageio"
	"rgunit/storage"
)

func newTranslateCmd() *cobra.Command {
	var (
		db          dbFlag
		to, out     string
		samples     int
		seed        uint64
		noRetrieval bool
	)
	cmd := &cobra.Command{
		Use:   "translate IMG",
		Short: "Translate an image to target attributes",
		Long: `Translates IMG to the attributes of --to: a comma-separated list where a name
sets the attribute and -name clears it (Blond_Hair,Young,-Male); attributes not
named keep the value the attribute encoder reads from IMG. --no-retrieval uses
the GMM-UNIT model alone (retrieval guidance comes with the later stages).
With --samples N, N codes are drawn from the target Gaussians; otherwise their
means are used. The output PNG shows the input, then each translation.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !noRetrieval {
				return fmt.Errorf("retrieval-guided translation needs the retrieval stages, which are not built yet; pass --no-retrieval for the GMM-UNIT baseline")
			}
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			if samples < 1 || samples > 64 {
				return fmt.Errorf("--samples %d: want 1 to 64", samples)
			}
			st, err := db.open(false, false, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			u, _, err := generator.LoadLatest(st)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("%s has no GMM-UNIT model yet: train one with rgunit train unit", st.Path())
			}
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			size := u.Config.Arch.Size
			img, _, err := imageio.Load(data, size, 100_000_000)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			x, err := generator.RGBATensor(img, size)
			if err != nil {
				return err
			}
			res, err := generator.TranslateImage(u, x, to, samples, rand.New(rand.NewPCG(seed, 0)))
			if err != nil {
				return err
			}
			grid := image.NewRGBA(image.Rect(0, 0, size*(1+len(res.Outputs)), size))
			draw.Draw(grid, image.Rect(0, 0, size, size), img, image.Point{}, draw.Src)
			for i, o := range res.Outputs {
				draw.Draw(grid, image.Rect(size*(i+1), 0, size*(i+2), size), generator.TensorImage(o, size), image.Point{}, draw.Src)
			}
			png, err := imageio.EncodePNG(grid)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, png, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: source %s -> target %s, %d output(s)\n", out,
				res.Schema.Format(res.Source), res.Schema.Format(res.Target), len(res.Outputs))
			return nil
		},
	}
	db.register(cmd)
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "target attributes, e.g. Blond_Hair,Young,-Male")
	f.StringVar(&out, "out", "", "output PNG")
	f.IntVar(&samples, "samples", 1, "codes drawn from the target Gaussians (1: their means)")
	f.Uint64Var(&seed, "seed", 1, "seed of the sampled codes")
	f.BoolVar(&noRetrieval, "no-retrieval", false, "translate with GMM-UNIT alone")
	cmd.MarkFlagRequired("to")
	return cmd
}
