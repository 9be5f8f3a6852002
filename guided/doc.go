// Package guided is stage 3 of RG-UNIT on a database: retrieval-guided
// translation. A [Guide] finds, for an image and a target, the k items the
// retrieval index returns and encodes their content maps with the frozen
// E_c; [Train] trains the stage-3 generator (rg.Model) with neighbours
// retrieved through the real index; a [Translator] translates with them;
// and a model bundle (Export, Import) carries a retrieval model and an
// RG-UNIT model from one database to another, which is how the shipped
// default model reaches a new database.
//
// A bundle file:
//
//	"RGUNIT-BUNDLE\n"
//	uvarint n, n bytes of JSON  Provenance (command, data, commit, steps, sha256 of each blob)
//	uvarint n, n bytes          the retrieval checkpoint (package retrieval; optimizer state dropped)
//	uvarint n, n bytes          the RG-UNIT checkpoint (package generator/rg; optimizer state dropped)
//
// Importing stores both as new model versions and records the provenance
// under the model name "bundle", so stats can say where a database's
// models came from.
package guided
