// Package embed will hold the GMM-UNIT content encoder E_c, the attribute
// encoder E_a and the stage-2 retrieval embedder, built with gorgonia.
//
// Nothing is implemented yet; see the project's GMM-UNIT and retrieval issues.
package embed
