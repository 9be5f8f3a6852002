package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"rgunit/storage"
)

// DefaultUnlabelledTargets are the targets of the unlabelled-photo
// precision check (the issue's: a hair colour, gender both ways, age both
// ways).
var DefaultUnlabelledTargets = []string{"Blond_Hair", "Black_Hair", "Male", "-Male", "Young", "-Young"}

// UnlabelledRow is one target's precision: of the k neighbours (or
// attribute matches) returned, the share whose true label has the asked
// value.
type UnlabelledRow struct {
	Target   string  `json:"target"`
	Queries  int     `json:"queries"`   // image+target queries scored
	ImageP10 float64 `json:"image_p10"` // image+target: neighbours with the asked value
	// NearestP10 is ImageP10 for the plain nearest items (Query.Nearest:
	// the named value not required of the neighbours), in the same run.
	NearestP10 float64 `json:"nearest_p10"`
	AttrP10    float64 `json:"attr_p10"`    // attribute-only: items with the asked value
	BaseRate   float64 `json:"base_rate"`   // share of all items with the asked value
	AttrRanked bool    `json:"attr_ranked"` // the attribute-only answer was not in id order
}

// ParseTarget reads one target "Attr" or "-Attr" into its attribute and
// value.
func ParseTarget(t string) (string, int8) {
	if name, ok := strings.CutPrefix(t, "-"); ok {
		return name, -1
	}
	return t, 1
}

// Precision is the share of ids whose true label (truth) for attr is v;
// ids without a true label count against.
func Precision(ids []uint64, truth map[uint64]storage.Labels, attr string, v int8) float64 {
	if len(ids) == 0 {
		return 0
	}
	n := 0
	for _, id := range ids {
		if truth[id][attr] == v {
			n++
		}
	}
	return float64(n) / float64(len(ids))
}

// WriteUnlabelled writes the rows as a table.
func WriteUnlabelled(w io.Writer, rows []UnlabelledRow, k int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tqueries\timage+target P@%d\tplain nearest P@%d\tattribute-only P@%d\tbase rate\tattribute-only ranked\t\n", k, k, k)
	var img, near, attr float64
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%v\t\n", r.Target, r.Queries, r.ImageP10, r.NearestP10, r.AttrP10, r.BaseRate, r.AttrRanked)
		img += r.ImageP10
		near += r.NearestP10
		attr += r.AttrP10
	}
	n := float64(len(rows))
	fmt.Fprintf(tw, "mean\t\t%.3f\t%.3f\t%.3f\t\t\t\n", img/n, near/n, attr/n)
	return tw.Flush()
}
