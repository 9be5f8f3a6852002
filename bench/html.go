package bench

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"io"

	"rgunit/imageio"
)

// Figure is an image of the report with its caption.
type Figure struct {
	Caption string
	Image   image.Image
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f3":      func(x float64) string { return fmt.Sprintf("%.3f", x) },
	"f2":      func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"f4":      func(x float64) string { return fmt.Sprintf("%.4f", x) },
	"pctf":    func(f float64) string { return fmt.Sprintf("%g%%", f*100) },
	"pctd":    func(f float64) string { return fmt.Sprintf("%+.1f%%", f*100) },
	"rowPair": func(r LabelsRow) []Row { return []Row{r.GMM, r.RG} },
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{image-rendering:pixelated;border:1px solid #ddd}figure{margin:1.5em 0}
.note{color:#555}
</style></head><body>
<h1>{{.Title}}</h1>
{{range .Tables}}
<h2>{{.Data}}</h2>
<p>{{.Images}} held-back inputs (never seen by the evaluation classifier), each translated to the attributes of another held-back image; every method faces the same inputs and targets.
Evaluation classifier accuracy on the real held-back images: {{f4 .ClassifierAcc}}.
FD-cls is the Fréchet distance in the classifier's penultimate features (not Inception FID): real vs real {{f3 .FDFloor}} (its floor), untranslated inputs vs real {{f3 .FDInputs}}.</p>
<table><tr><th>method</th><th>target-attribute accuracy</th><th>RG-UNIT minus this (paired, 95%)</th><th>FD-cls</th><th>diversity</th><th>speckle</th>
<th>paired L1 hair</th><th>paired L1 age</th><th>paired SSIM hair</th><th>paired SSIM age</th><th>pairs</th></tr>
{{range .Rows}}<tr><td>{{.Method}}</td><td>{{f4 .TargetAcc}}</td><td>{{with .VsRG}}{{.}}{{end}}</td><td>{{f3 .FDcls}}</td><td>{{f4 .Diversity}}</td><td>{{f2 .Speckle}}</td>
{{if .Paired}}<td>{{f4 .Paired.HairL1}}</td><td>{{f4 .Paired.AgeL1}}</td><td>{{f4 .Paired.HairSSIM}}</td><td>{{f4 .Paired.AgeSSIM}}</td><td>{{.Paired.Pairs}}</td>{{else}}<td>-</td><td>-</td><td>-</td><td>-</td><td>0</td>{{end}}</tr>
{{end}}{{with index .Rows 0}}{{if .Paired}}<tr class="note"><td>no change (the source itself)</td><td></td><td></td><td></td><td></td><td>1.00</td><td>{{f4 .Paired.HairL1Ident}}</td><td>{{f4 .Paired.AgeL1Ident}}</td><td>{{f4 .Paired.HairSSIMIdent}}</td><td>{{f4 .Paired.AgeSSIMIdent}}</td><td></td></tr>{{end}}{{end}}
</table>
<p><b>Verdict.</b> {{.Verdict}}</p>
{{with .Labels}}
<h3>Table 3: fewer labels, every item in the retrieval set</h3>
<p>Stages 1-3 trained on a fraction of the labelled items (chosen by a hash of the id); the retrieval index holds every item, the unlabelled rest included. Same inputs, targets and classifier as above.</p>
<table><tr><th>labels</th><th>method</th><th>target-attribute accuracy</th><th>FD-cls</th><th>FD-cls change</th><th>diversity</th>
<th>paired L1 hair</th><th>paired L1 age</th><th>paired SSIM hair</th><th>paired SSIM age</th><th>training run</th></tr>
{{range .Rows}}{{$r := .}}{{range $i, $row := rowPair .}}<tr><td>{{pctf $r.Fraction}}</td><td>{{$row.Method}}</td><td>{{f4 $row.TargetAcc}}</td><td>{{f3 $row.FDcls}}</td><td>{{if $i}}{{pctd $r.FDGain}}{{end}}</td><td>{{f4 $row.Diversity}}</td>
{{if $row.Paired}}<td>{{f4 $row.Paired.HairL1}}</td><td>{{f4 $row.Paired.AgeL1}}</td><td>{{f4 $row.Paired.HairSSIM}}</td><td>{{f4 $row.Paired.AgeSSIM}}</td>{{else}}<td>-</td><td>-</td><td>-</td><td>-</td>{{end}}<td>{{$r.Run}}</td></tr>
{{end}}{{end}}</table>
<p><b>Verdict (Table 3).</b> {{.Verdict}}</p>
{{end}}
{{end}}
{{range .Figures}}<figure><img src="data:image/png;base64,{{.Src}}" width="{{.W}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}
<p class="note">{{.Note}}</p>
</body></html>
`))

type htmlFigure struct {
	Caption string
	Src     string
	W       int
}

// WriteHTML writes a self-contained report: the tables, then the figures
// (PNG, inline), then a note.
func WriteHTML(w io.Writer, title, note string, tables []*Table, figures []Figure) error {
	var figs []htmlFigure
	for _, f := range figures {
		b, err := imageio.EncodePNG(f.Image)
		if err != nil {
			return err
		}
		figs = append(figs, htmlFigure{Caption: f.Caption, Src: base64.StdEncoding.EncodeToString(b), W: 3 * f.Image.Bounds().Dx()})
	}
	return reportTmpl.Execute(w, map[string]any{"Title": title, "Note": note, "Tables": tables, "Figures": figs})
}
