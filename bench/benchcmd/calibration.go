package benchcmd

import (
	"github.com/spf13/cobra"

	"rgunit/bench"
	"rgunit/internal/cmdutil"
	"rgunit/retrieval"
)

func newBenchCalibrationCmd() *cobra.Command {
	var (
		db     cmdutil.DB
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "calibration",
		Short: "How well the attribute probabilities of unlabelled items are calibrated: reliability tables on held-back items",
		Long: `Fits the attribute posteriors' temperatures on the database's labelled items
outside the held-back tenth and measures on the held-back ones, per attribute:
the expected calibration error with the model's raw log-odds and with the
fitted temperature, the share of items whose probability no other item has
(whether attribute-only queries can rank them), and a reliability table (bins
of P(+1): items, mean P, fraction labelled +1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := db.Store(false)
			if err != nil {
				return err
			}
			defer st.Close()
			m, _, err := retrieval.Load(st)
			if err != nil {
				return err
			}
			r, err := bench.Calibration(st, m)
			if err != nil {
				return err
			}
			if asJSON {
				return cmdutil.WriteJSONLine(cmd.OutOrStdout(), r)
			}
			return r.WriteText(cmd.OutOrStdout())
		},
	}
	db.Register(cmd)
	cmdutil.JSONFlag(cmd, &asJSON, "print one JSON object")
	return cmd
}
