package benchcmd

import (
	"errors"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/internal/cmdutil"
)

// NewPlot returns the rgunit plot command: figures from rgunit's logs.
func NewPlot() *cobra.Command {
	cmd := &cobra.Command{Use: "plot", Short: "Draw figures from rgunit's logs"}
	o := &plotOptions{}
	losses := &cobra.Command{
		Use:   "losses LOG...",
		Short: "Draw the losses of train ... --json logs as an SVG (one panel per loss)",
		Long: `Reads the JSON lines that rgunit train unit|retrieval|rg print with --json
(other lines are skipped; several logs are read in order, as one run
resumed) and draws one panel per loss, step on x, each with its own range.`,
		Example: `  rgunit train unit --db faces.db --json > train.log
  rgunit plot losses train.log -o docs/stage1-losses.svg --series rec,cycle,adv,cls,kl,d_adv`,
		Args: cobra.MinimumNArgs(1),
		RunE: o.run,
	}
	f := losses.Flags()
	f.StringVarP(&o.out, "out", "o", "losses.svg", "SVG file to write (- for stdout)")
	f.StringVar(&o.title, "title", "training losses", "the figure's title")
	f.StringSliceVar(&o.series, "series", nil, "losses to draw (default: every numeric field but step)")
	cmd.AddCommand(losses)
	return cmd
}

type plotOptions struct {
	out, title string
	series     []string
}

func (o *plotOptions) run(cmd *cobra.Command, logs []string) error {
	l, err := bench.ReadLossLogFiles(logs...)
	if err != nil {
		return err
	}
	w, err := cmdutil.Create(cmd, o.out)
	if err != nil {
		return err
	}
	return errors.Join(bench.WriteLossSVG(w, l, o.series, o.title), w.Close())
}
