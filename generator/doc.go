// Package generator is stage 1 of RG-UNIT, GMM-UNIT: the decoder G
// ([Decoder]: content map + attribute code -> image, AdaIN) and the
// discriminator D ([Discriminator]: LSGAN patch scores and one logit per
// attribute), the stage-1 model that bundles them with the encoders of
// package embed ([UNIT]), its training recipe, trainer and checkpoints
// (model "gmm-unit"), and the translation codes every stage decodes.
//
// Stage 3's generator (RG-UNIT: the retrieval fusion in front of a decoder
// initialized from stage 1) is package generator/rg; both trainers build
// their steps from generator/internal/gan.
package generator
