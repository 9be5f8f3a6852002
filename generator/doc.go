// Package generator holds the GMM-UNIT decoder G ([Decoder]: content map +
// attribute code -> image) and discriminator D ([Discriminator]: LSGAN patch
// scores and one logit per attribute), the stage-1 model that bundles them
// with the encoders of package embed ([UNIT]), its trainer and checkpoints.
// The stage-3 retrieval-guided generator of RG-UNIT will live here too.
package generator
