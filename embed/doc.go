// Package embed holds the GMM-UNIT encoders, built with gorgonia through
// package nn: the content encoder E_c ([ContentEncoder]: image -> spatial
// content map) and the attribute encoder E_a ([AttrEncoder]: image -> mean
// and log-variance of a per-attribute Gaussian code), and the attribute
// [Schema] that lays the code out: each binary attribute owns Dim
// dimensions, and its two values are the Gaussians N(+1, 0.5^2) and
// N(-1, 0.5^2) in every one of them. The stage-2 retrieval embedder
// ([Embedder], trained on triplets by [Trainer]) lives here too.
package embed
