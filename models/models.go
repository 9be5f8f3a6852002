// Package models holds the shipped default model: a bundle (see package
// guided) with a retrieval model and the RG-UNIT model trained over it on
// faces12k_64, embedded in the binary so that a new database can ingest and
// translate with retrieval guidance without training. default.rgm records
// the command, data and commit that made it (rgunit model info default);
// scripts/train-default.sh reproduces it.
package models

import _ "embed"

// Default is the shipped bundle.
//
//go:embed default.rgm
var Default []byte
