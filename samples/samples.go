// Package samples holds the 300 labelled procedural faces rgunit ships
// (25 per hair colour x gender x age domain, from faces12k_64, with their
// list_attr.txt and list_content.txt): the demo ingests them from the
// binary, and the tests from samples/faces.
package samples

import "embed"

// Faces is the folder faces/: the images and their labels.
//
//go:embed faces
var Faces embed.FS
