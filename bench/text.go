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
	fmt.Fprintln(tw, "method\ttarget acc\tRG-UNIT minus this\tper attribute\tFD-cls\tdiversity\tspeckle\tL1 hair\tL1 age\tSSIM hair\tSSIM age")
	for _, r := range t.Rows {
		vs := "-"
		if r.VsRG != nil {
			vs = r.VsRG.Interval()
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%s\t%s\t%.3f\t%.4f\t%.2f", r.Method, r.TargetAcc, vs, fmtFloats(r.TargetAccAttrs), r.FDcls, r.Diversity, r.Speckle)
		if p := r.Paired; p != nil {
			fmt.Fprintf(tw, "\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1, p.AgeL1, p.HairSSIM, p.AgeSSIM)
		} else {
			fmt.Fprintf(tw, "\t-\t-\t-\t-\n")
		}
	}
	if p := t.Rows[0].Paired; p != nil {
		fmt.Fprintf(tw, "no change (source itself)\t\t\t\t\t\t1.00\t%.4f\t%.4f\t%.4f\t%.4f\n", p.HairL1Ident, p.AgeL1Ident, p.HairSSIMIdent, p.AgeSSIMIdent)
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

// WriteText writes the result as aligned text (Table 1), with the paper's
// ordering check and the unlabelled-ingestion check; data names the
// database.
func (r *RetrievalResult) WriteText(out io.Writer, data string) error {
	fmt.Fprintf(out, "%s: %d items, %d held-back queries, P@%d; stage 1 at step %d; %.0f s\n", data, r.Items, r.Queries, r.K, r.Stage1Step, r.Seconds)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "negatives\tattributes P@%d\tcontent P@%d\tfinal loss\ttrain s\t\n", r.K, r.K)
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.4f\t%.0f\t\n", row.Setting, row.AttrP10, row.ContentP10, row.Loss, row.TrainSeconds)
	}
	tw.Flush()
	holds := "holds"
	if !r.OrderHolds {
		holds = "does NOT hold"
	}
	fmt.Fprintf(out, "paper's ordering (all >= hard > easy ~ medium > random) %s: %s\n", holds, r.OrderDetail)
	if c := r.Unlabelled; c != nil {
		fmt.Fprintf(out, "unlabelled ingestion: attribute P@%d of neighbours from the labelled half %.3f, from the unlabelled half %.3f (diff %+.3f, within 0.02: %v)\n",
			r.K, c.LabelledAttrP10, c.UnlabelledAttrP10, c.Diff, c.WithinTwoPoints)
	}
	return nil
}

// NewANNTable starts the text table of ANN rows on out (with its header);
// Flush it when the rows are written.
func NewANNTable(out io.Writer) *tabwriter.Writer {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tengine\tef\trecall@10\tQPS (1 thread)\tx exact\tx hnswlib\tinsert/s\tbuild s (1 thread)\tbuild s (all cores)\trecall (all-cores build)\treopen s\tnew process\tidentical\tbytes/vector\tbudget\tpeak RSS MiB\t")
	return tw
}

// WriteANNRows writes rows into a table of NewANNTable.
func WriteANNRows(tw *tabwriter.Writer, rows []ANNRow) {
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Dataset, r.Engine, r.Ef, r.Recall, r.QPS, r.OverExact, opt(r.OverHNSWLib, "%.2f"), opt(r.InsertPerSec, "%.0f"),
			opt(r.BuildSeconds, "%.1f"), opt(r.BuildSecondsAll, "%.1f"), opt(r.RecallAllCores, "%.4f"), opt(r.ReopenSeconds, "%.3f"), opt(r.FreshReopenSeconds, "%.3f"),
			map[bool]string{true: "yes", false: "-"}[r.Identical], opt(r.BytesPerVec, "%.0f"), opt(r.BudgetPerVec, "%.0f"), opt(r.PeakRSSMB, "%.0f"))
	}
}

// opt formats a figure an engine may not have ("-" when zero).
func opt(x float64, format string) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf(format, x)
}
