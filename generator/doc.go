// Package generator will hold the GMM-UNIT decoder G and discriminator D and
// the stage-3 retrieval-guided generator of RG-UNIT.
//
// Nothing is implemented yet; see the project's GMM-UNIT and RG-UNIT issues.
package generator
