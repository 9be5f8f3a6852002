package rgunit

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"rgunit/imageio"
)

// TranslationRecord is a translation as rgunit translate --json prints it
// and the HTTP API answers it: Outputs are file paths (or data URLs).
type TranslationRecord struct {
	Input      string   `json:"input"`
	Target     string   `json:"target"`
	Source     string   `json:"source_attrs"`
	TargetVals string   `json:"target_attrs"`
	Estimated  bool     `json:"estimated"` // the source's attributes came from E_a
	Outputs    []string `json:"outputs"`
	Neighbours []uint64 `json:"neighbours"`
	Found      int      `json:"found"` // neighbours the index had (fewer than k on a small database)
	Retrieval  bool     `json:"retrieval"`
	K          int      `json:"-"` // the neighbours asked for
}

// Record is tr's record, without outputs.
func (t *Translator) Record(tr *Translation) TranslationRecord {
	return TranslationRecord{Input: tr.Source.Name, Target: tr.Targets, Source: t.schema.Format(tr.Output.Source),
		TargetVals: t.schema.Format(tr.Target), Estimated: tr.Estimated, Neighbours: tr.Neighbours, Found: tr.Found,
		Retrieval: tr.Retrieval, K: t.K()}
}

// WriteText writes r as rgunit translate prints it.
func (r TranslationRecord) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s: %s -> %s (%s): %s\n", relPath(r.Input), r.Source, r.TargetVals, r.Target, strings.Join(r.Outputs, ", "))
	if !r.Retrieval {
		return nil
	}
	note := ""
	if r.Found < r.K {
		note = fmt.Sprintf(" (only %d item(s) to retrieve from; k is %d: the neighbours found are reused)", r.Found, r.K)
	}
	ids := make([]string, len(r.Neighbours))
	for i, id := range r.Neighbours {
		ids[i] = fmt.Sprintf("id:%d", id)
	}
	_, err := fmt.Fprintf(w, "  guided by %s%s\n", strings.Join(ids, ", "), note)
	return err
}

// WriteFiles writes translations of one source into dir: each output as
// name_to_TARGET_i.png at the database's image size, and their Sheet as
// name_sheet.png. It returns the records (with the outputs' paths) and
// the sheet's path.
func (t *Translator) WriteFiles(dir, name string, trs []*Translation) ([]TranslationRecord, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	var recs []TranslationRecord
	for _, tr := range trs {
		r := t.Record(tr)
		slug := strings.NewReplacer(",", "+", "/", "_", " ", "").Replace(tr.Targets)
		for i := range tr.Outputs {
			p := filepath.Join(dir, fmt.Sprintf("%s_to_%s_%d.png", name, slug, i+1))
			if err := imageio.WritePNG(p, tr.ImageAt(i, t.d.st.ImageSize())); err != nil {
				return nil, "", err
			}
			r.Outputs = append(r.Outputs, p)
		}
		recs = append(recs, r)
	}
	sheet, err := t.Sheet(trs)
	if err != nil {
		return nil, "", err
	}
	p := filepath.Join(dir, name+"_sheet.png")
	return recs, p, imageio.WritePNG(p, sheet)
}

// ImageFiles expands a folder into its image files, sorted (hidden files
// and other files left out); anything else is one input (a file, id:N).
func ImageFiles(arg string) ([]string, error) {
	fi, err := os.Stat(arg)
	if err != nil || !fi.IsDir() {
		return []string{arg}, nil // a file, id:N, or an error loading reports
	}
	ents, err := os.ReadDir(arg)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && imageio.HasImageExt(e.Name()) {
			out = append(out, filepath.Join(arg, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no image files", arg)
	}
	slices.Sort(out)
	return out, nil
}

// OutputNamer returns a function naming each input's outputs: its file
// name without the extension, or with the extension after an underscore
// when an earlier input had that stem (a.jpg, a.png -> a, a_png), so no
// output overwrites another's.
func OutputNamer() func(name string) string {
	used := map[string]bool{}
	return func(name string) string {
		n := stem(name)
		if used[n] {
			n += "_" + strings.TrimPrefix(filepath.Ext(name), ".")
		}
		for k := 2; used[n]; k++ {
			n = fmt.Sprintf("%s_%d", stem(name), k)
		}
		used[n] = true
		return n
	}
}

// stem is a file name without its folder and extension.
func stem(name string) string {
	b := filepath.Base(name)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// TranslateFiles translates src to every target (samples codes each,
// drawn with rng) and writes the outputs and their sheet into dir as
// WriteFiles does.
func (t *Translator) TranslateFiles(src *Source, targets []string, samples int, rng *rand.Rand, dir, name string) ([]TranslationRecord, string, error) {
	trs := make([]*Translation, 0, len(targets))
	for _, spec := range targets {
		tr, err := t.Translate(src, spec, samples, rng)
		if err != nil {
			return nil, "", err
		}
		trs = append(trs, tr)
	}
	return t.WriteFiles(dir, name, trs)
}

// FileResult is one input of TranslateEach: its records and sheet, or
// why it failed (an error that names the input).
type FileResult struct {
	I       int // its place in the inputs
	Input   string
	Source  *Source // nil when the input could not be read
	Records []TranslationRecord
	Sheet   string
	Err     error
}

// TranslateEach translates each input (an image file or id:N; see
// ImageFiles for a folder) to every target into dir as TranslateFiles
// does, outputs named by OutputNamer, input i drawing its sampled codes
// from PCG(seed, i); a failed input does not stop the others. fn is told
// of each input in turn. It returns how many failed, and ctx's error when
// it was cancelled (between two inputs).
func (t *Translator) TranslateEach(ctx context.Context, inputs, targets []string, samples int, seed uint64, dir string, fn func(FileResult)) (failed int, err error) {
	name := OutputNamer()
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return failed, err
		}
		r := FileResult{I: i, Input: in}
		if r.Source, r.Err = t.Load(in); r.Err == nil {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			r.Records, r.Sheet, r.Err = t.TranslateFiles(r.Source, targets, samples, rng, dir, name(r.Source.Name))
		}
		if r.Err != nil {
			failed++
			if !strings.Contains(r.Err.Error(), in) {
				r.Err = fmt.Errorf("%s: %w", in, r.Err)
			}
		}
		if fn != nil {
			fn(r)
		}
	}
	return failed, nil
}
