package benchcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/cmdutil"
)

type benchDupesOptions struct {
	db         cmdutil.DB
	n          int
	thresholds []float64
	asJSON     bool
}

// dupesRow is one threshold's score.
type dupesRow struct {
	Threshold float64 `json:"threshold"`
	bench.DupesScore
}

func newBenchDupesCmd() *cobra.Command {
	o := &benchDupesOptions{}
	cmd := &cobra.Command{
		Use:   "dupes",
		Short: "Near-duplicate finding: copies of N items (re-encoded, resized) found, at several thresholds",
		Long: `Copies --db to a scratch folder, makes three copies of each of --n items
spread over it (JPEG quality 75, resized 1.5x and 0.75x), ingests them, and runs
rgunit dupes at each --threshold: copies grouped with their original, groups
joining different originals, other items grouped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.IntVar(&o.n, "n", 100, "items copied")
	f.Float64SliceVar(&o.thresholds, "threshold", []float64{0.005, 0.01, 0.02, 0.03, 0.05}, "thresholds to score")
	cmdutil.JSONFlag(cmd, &o.asJSON, "one JSON object per threshold")
	return cmd
}

func (o *benchDupesOptions) run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	path, cleanup, err := scratchCopy(o.db.Path)
	if err != nil {
		return err
	}
	defer cleanup()
	db, err := rgunit.Open(path, &rgunit.Options{Existing: true})
	if err != nil {
		return err
	}
	defer db.Close()
	origin, err := o.addCopies(ctx, db, filepath.Join(filepath.Dir(path), "copies"))
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, th := range o.thresholds {
		groups, err := db.Dupes(ctx, rgunit.DupesOptions{Threshold: th})
		if err != nil {
			return err
		}
		ids := make([][]uint64, len(groups))
		for i, g := range groups {
			ids[i] = g.IDs
		}
		row := dupesRow{Threshold: th, DupesScore: bench.ScoreDupes(ids, origin)}
		if o.asJSON {
			cmdutil.WriteJSONLine(out, row)
			continue
		}
		fmt.Fprintf(out, "threshold %.3f: ", th)
		row.WriteText(out)
	}
	return nil
}

// addCopies ingests the copies of n items spread over db and returns
// copy id -> original id.
func (o *benchDupesOptions) addCopies(ctx context.Context, db *rgunit.DB, dir string) (map[uint64]uint64, error) {
	st, err := db.Stats()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	step := max(st.Items/o.n, 1)
	for i := range min(o.n, st.Items) {
		id := uint64(1 + i*step)
		png, err := db.Image(id)
		if err != nil {
			return nil, err
		}
		files, err := bench.CopyVariants(png)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			p := filepath.Join(dir, fmt.Sprintf("%d_%s", id, f.Name))
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				return nil, err
			}
			paths = append(paths, p)
		}
	}
	if _, err := db.Ingest(ctx, paths, rgunit.IngestOptions{}); err != nil {
		return nil, err
	}
	origin := map[uint64]uint64{}
	err = db.EachItem(ctx, rgunit.ItemFilter{Offset: st.Items}, func(it rgunit.Item) error {
		pre, _, ok := strings.Cut(filepath.Base(it.Path), "_")
		id, err := strconv.ParseUint(pre, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("copy %s: no original id in its name", it.Path)
		}
		origin[it.ID] = id
		return nil
	})
	return origin, err
}
