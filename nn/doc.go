// Package nn holds rgunit's neural-network building blocks on top of
// gorgonia.org/gorgonia: a parameter set ([Params]) whose tensors several
// graphs can bind (a GAN's generator and discriminator steps are two graphs
// over the same weights), a graph builder ([Builder]), the layers gorgonia
// lacks or gets slow or wrong (convolution with batched im2col, 2x
// upsampling, instance norm, AdaIN, the stage-1 losses), an Adam whose state
// can be saved ([Adam]), the weight encoding of checkpoints, and a faster
// single-precision GEMM for gorgonia ([BLAS]: an AVX2+FMA micro-kernel).
// Every hand-written layer is checked against finite differences in the
// tests.
package nn
