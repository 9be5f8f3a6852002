package main

import "github.com/spf13/cobra"

type reindexOptions struct {
	syncOptions
	update bool
}

func (o *reindexOptions) addFlags(cmd *cobra.Command) {
	o.syncOptions.addFlags(cmd)
	cmd.Flags().BoolVar(&o.update, "update", false, "only add the items missing from the index")
}

func (o *reindexOptions) run(cmd *cobra.Command, args []string) error {
	// --quantize converts the stored embeddings: nothing is embedded again.
	o.rebuild = !o.update && o.idx.Quantize == ""
	return o.syncOptions.run(cmd, args)
}
