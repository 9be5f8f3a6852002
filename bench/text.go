package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the table as aligned text, with its verdicts and, when
// it has one, Table 3.
func (t *Table) WriteText(out io.Writer) error {
	fmt.Fprintf(out, "%s: %d held-back inputs; classifier accuracy on real images %.4f; FD-cls floor (real vs real) %.3f, untranslated inputs %.3f\n",
		t.Data, t.Images, t.ClassifierAcc, t.FDFloor, t.FDInputs)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "method\ttarget acc\tper attribute\tFD-cls\tdiversity\tspeckle\tL1 hair\tL1 age\tSSIM hair\tSSIM age")
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%s\t%.3f\t%.4f\t%.2f", r.Method, r.TargetAcc, fmtFloats(r.TargetAccAttrs), r.FDcls, r.Diversity, r.Speckle)
		if p := r.Paired; p != nil {
			fmt.Fprintf(tw, "\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1, p.AgeL1, p.HairSSIM, p.AgeSSIM)
		} else {
			fmt.Fprintf(tw, "\t-\t-\t-\t-\n")
		}
	}
	if p := t.Rows[0].Paired; p != nil {
		fmt.Fprintf(tw, "no change (source itself)\t\t\t\t\t1.00\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1Ident, p.AgeL1Ident, p.HairSSIMIdent, p.AgeSSIMIdent)
	}
	tw.Flush()
	if p := t.Rows[0].Paired; p != nil {
		fmt.Fprintf(out, "paired ground truth: %d pairs per method\n", p.Pairs)
	}
	fmt.Fprintln(out, "speckle: the chroma high-frequency energy of the translations over their inputs' (1: as clean as the inputs)")
	if t.Verdict != "" {
		fmt.Fprintf(out, "verdict: %s\n", t.Verdict)
	}
	if t.Labels != nil {
		return t.Labels.WriteText(out)
	}
	return nil
}

// WriteText writes Table 3 as aligned text with its verdict.
func (t *LabelsTable) WriteText(out io.Writer) error {
	fmt.Fprintln(out, "\nTable 3: stages 1-3 trained on a fraction of the labels, every item in the retrieval set")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "labels\tmethod\ttarget acc\tFD-cls\tFD-cls change\tdiversity\tL1 hair\tL1 age\tSSIM hair\tSSIM age\tdatabase\ttraining run")
	for _, r := range t.Rows {
		for i, row := range []Row{r.GMM, r.RG} {
			change := ""
			if i == 1 {
				change = fmt.Sprintf("%+.1f%%", r.FDGain()*100)
			}
			fmt.Fprintf(tw, "%g%%\t%s\t%.4f\t%.3f\t%s\t%.4f", r.Fraction*100, row.Method, row.TargetAcc, row.FDcls, change, row.Diversity)
			if p := row.Paired; p != nil {
				fmt.Fprintf(tw, "\t%.4f\t%.4f\t%.4f\t%.4f", p.HairL1, p.AgeL1, p.HairSSIM, p.AgeSSIM)
			} else {
				fmt.Fprintf(tw, "\t-\t-\t-\t-")
			}
			fmt.Fprintf(tw, "\t%s\t%s\n", r.Data, r.Run)
		}
	}
	tw.Flush()
	_, err := fmt.Fprintf(out, "verdict (Table 3): %s\n", t.Verdict)
	return err
}

func fmtFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}
