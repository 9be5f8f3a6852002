// Package generator holds the GMM-UNIT decoder G ([Decoder]: content map +
// attribute code -> image) and discriminator D ([Discriminator]: LSGAN patch
// scores and one logit per attribute), the stage-1 model that bundles them
// with the encoders of package embed ([UNIT]), its trainer and checkpoints,
// and the stage-3 generator of RG-UNIT ([RG]: the retrieval [Fusion] of k
// neighbours' content maps in front of a decoder initialized from stage 1),
// with its trainer ([RGTrainer]) and checkpoints (model "rg-unit"). The
// neighbours themselves are retrieved by package guided.
package generator
