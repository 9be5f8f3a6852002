package benchcmd

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/internal/cmdutil"
)

// benchTrainOptions are the flags of rgunit bench train.
type benchTrainOptions struct {
	size, batch, steps int
	parts              int
	recipe             string
	asJSON             bool
}

func (o *benchTrainOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.size, "size", 32, "image size: 32 or 64")
	f.IntVar(&o.batch, "batch", 8, "batch size")
	f.IntVar(&o.steps, "steps", 15, "timed steps (after 2 warm-up steps)")
	f.IntVar(&o.parts, "parts", 0, "split each step's batch into this many parts, one graph per core (0: one per core); when not 1, the same steps on one graph are timed too, as the baseline")
	f.StringVar(&o.recipe, "recipe", "default", "default or first")
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the result as JSON")
}

func newBenchTrainCmd() *cobra.Command {
	o := &benchTrainOptions{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Time stage-1 training steps, with their GFLOP/s next to the Sgemm ceiling measured in the same run",
		Long: `Times stage-1 steps (a G step and a D step) of a model of the default
architecture on a fixed random batch, and reports the median seconds per
step, the step's GFLOP (convolutions and matrix products, forward and
backward), its GFLOP/s, and that as a fraction of this machine's Sgemm
ceiling (a convolution-sized product on all cores) measured in the same run.
Run it on an otherwise idle machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *benchTrainOptions) run(cmd *cobra.Command) error {
	allocs := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	r, err := bench.MeasureTrain(o.size, o.batch, o.steps, o.parts, o.recipe, runtime.GOMAXPROCS(0), allocs)
	if err != nil {
		return err
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), r)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%d px, batch %d in %d parts, %s recipe, %d threads: %.3f s per step (median of %d; fastest %.3f), %.2f GFLOP per step, %.1f GFLOP/s = %.0f%% of the Sgemm ceiling measured now (%.1f GFLOP/s); %.0f MB allocated per step\n",
		r.Size, r.Batch, r.Parts, r.Recipe, r.Threads, r.SecondsMedian, r.Steps, r.SecondsMin, r.GFLOPPerStep, r.GFLOPS, 100*r.OfPeak, r.PeakGFLOPS, r.AllocMBStep)
	if r.Speedup > 0 {
		fmt.Fprintf(w, "one graph over the whole batch: %.3f s per step; %.2fx faster in parts\n", r.OneGraphSecondsMedian, r.Speedup)
	}
	return nil
}
