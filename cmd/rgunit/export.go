package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
)

type exportOptions struct {
	db          cmdutil.DB
	out, format string
	asJSON      bool
}

func newExportCmd() *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the items' embeddings and metadata for other tools (npy, fvecs, parquet)",
		Long: `Writes every indexed item's retrieval embedding (float32, one row per item, in
id order) and a metadata table (id, path, sha256, labels, the attributes the
model predicts with their probabilities) into --out:
  npy      embeddings.npy (rows x dim) and items.jsonl (row i describes row i)
  fvecs    embeddings.fvecs and items.jsonl
  parquet  items.parquet: the metadata and an embedding column`,
		Example: `  rgunit export --db faces.db --out faces-export --format parquet
  python -c "import numpy; print(numpy.load('faces-export/embeddings.npy').shape)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "folder to write into")
	f.StringVar(&o.format, "format", rgunit.FormatNpy, "npy, fvecs or parquet")
	f.BoolVar(&o.asJSON, "json", false, "print what was written as one JSON object")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (o *exportOptions) run(cmd *cobra.Command) error {
	db, err := o.db.Open(cmdutil.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Export(cmd.Context(), o.out, o.format)
	if err != nil {
		return err
	}
	if res.Unindexed > 0 {
		cmdutil.Warn(cmd, fmt.Sprintf("%d items have no embedding yet and were left out (run rgunit reindex --update)", res.Unindexed))
	}
	if o.asJSON {
		return cmdutil.WriteJSONLine(cmd.OutOrStdout(), res)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d items x %d dimensions (%s): %v\n", res.Rows, res.Dim, res.Format, res.Files)
	return err
}
