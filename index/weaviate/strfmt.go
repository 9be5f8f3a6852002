package weaviate

import "github.com/go-openapi/strfmt"

func strfmtUUID(s string) strfmt.UUID { return strfmt.UUID(s) }
