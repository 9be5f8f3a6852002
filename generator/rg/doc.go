// Package rg is stage 3 of RG-UNIT: the retrieval-guided generator
// ([Model]): the frozen encoders of a stage-1 model (package generator), a
// decoder initialized from its G, the [Fusion] convs that merge the
// content maps of the k retrieved neighbours into the source's, and a
// discriminator; its trainer ([Trainer], the stage-1 losses on batches
// with neighbours) and its checkpoints (model "rg-unit"). The neighbours
// themselves are retrieved by package guided, which trains and translates
// with this model on a database.
package rg
