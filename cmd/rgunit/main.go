// Command rgunit builds a searchable image database and translates images
// between attribute domains with retrieval guidance (RG-UNIT).
package main

import (
	"os"

	"rgunit/internal/cmdutil"
)

func main() { os.Exit(cmdutil.Execute(newRootCmd())) }
