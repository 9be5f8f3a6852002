// Package nn holds rgunit's neural-network building blocks on top of
// gorgonia.org/gorgonia: a parameter set ([Params]) whose tensors several
// graphs can bind (a GAN's generator and discriminator steps are two graphs
// over the same weights), a graph builder ([Builder]) and the layers gorgonia
// lacks (instance norm, AdaIN, convolution with bias), each written once,
// here, and checked against finite differences in the tests.
package nn
