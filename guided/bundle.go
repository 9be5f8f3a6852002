package guided

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/nn"
	"rgunit/retrieval"
	"rgunit/storage"
)

// BundleModelName is the model name an imported bundle's provenance is
// stored under.
const BundleModelName = "bundle"

const bundleMagic = "RGUNIT-BUNDLE\n"

// Provenance says what made a bundle.
type Provenance struct {
	Format  int    `json:"format"`
	Command string `json:"command"` // the command that trained the models
	Data    string `json:"data"`    // the data set they were trained on
	Commit  string `json:"commit"`  // the rgunit commit that trained them
	Created string `json:"created"` // when the bundle was written (RFC 3339)

	Size          int      `json:"size"` // model image side
	Attrs         []string `json:"attrs"`
	Stage1Step    int      `json:"stage1_step"`
	RetrievalStep int      `json:"retrieval_step"`
	RGStep        int      `json:"rg_step"`
	K             int      `json:"k"`

	RetrievalSHA256 string `json:"retrieval_sha256"`
	RGSHA256        string `json:"rg_sha256"`

	// Domain describes the training images as the model sees them, so a
	// database can say when its images are far from them (bundles
	// exported before it have none).
	Domain *retrieval.Domain `json:"domain,omitempty"`
	// Temperatures calibrate the attribute posteriors stored for every
	// item (see retrieval.Posteriors), fitted on the labelled training
	// items.
	Temperatures []float64 `json:"temperatures,omitempty"`
	// Reach, when positive, is the reach of the bundle's translation codes
	// (generator.CodeStats.Reach), chosen when it was exported; 0 keeps
	// generator.Reach.
	Reach float64 `json:"reach,omitempty"`
}

// WriteText writes p as rgunit model info prints it.
func (p Provenance) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "command:    %s\ndata:       %s\ncommit:     %s\ncreated:    %s\n", p.Command, p.Data, p.Commit, p.Created)
	fmt.Fprintf(w, "model:      %d px, attributes %s, k %d\n", p.Size, strings.Join(p.Attrs, ","), p.K)
	fmt.Fprintf(w, "steps:      stage 1 %d, retrieval %d, rg-unit %d\n", p.Stage1Step, p.RetrievalStep, p.RGStep)
	var err error
	if p.Reach > 0 {
		_, err = fmt.Fprintf(w, "codes:      changed blocks reach %g standard deviations past the target domain\n", p.Reach)
	}
	return err
}

// ID names the bundle in messages: the first 8 hex digits of the retrieval
// blob's hash (which index the bundle makes), a dot, and the first 4 of
// the RG-UNIT blob's (a bundle whose stage 3 was retrained over the same
// retrieval model has an ID of its own).
func (p Provenance) ID() string {
	return p.RetrievalSHA256[:min(8, len(p.RetrievalSHA256))] + "." + p.RGSHA256[:min(4, len(p.RGSHA256))]
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Export encodes st's latest retrieval model and the RG-UNIT model trained
// over it as a bundle, without optimizer state. p's command, data, commit
// and created are kept; the rest is filled in.
func Export(st *storage.Store, p Provenance) ([]byte, error) {
	m, mver, err := retrieval.Load(st)
	if err != nil {
		return nil, err
	}
	blob, ver, err := st.Model(rg.ModelName, 0)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w %s: run rgunit train rg first", ErrNoModel, st.Path())
	}
	if err != nil {
		return nil, err
	}
	if rv, _, err := rg.CheckpointInfo(blob); err != nil {
		return nil, err
	} else if rv != mver {
		return nil, fmt.Errorf("%w: %s version %d was trained over retrieval version %d, the latest is %d", ErrVersion, rg.ModelName, ver, rv, mver)
	}
	r, err := rg.Unmarshal(blob, m.Stage1)
	if err != nil {
		return nil, err
	}
	if p.Reach != 0 {
		if err := m.Stage1.Config.Stats.SetReach(p.Reach); err != nil {
			return nil, err
		}
	}
	m.Opt = nn.NewAdam(m.Opt.LR, m.Opt.Beta1, m.Opt.Beta2)
	r.OptG, r.OptD = nn.NewAdam(r.OptG.LR, r.OptG.Beta1, r.OptG.Beta2), nn.NewAdam(r.OptD.LR, r.OptD.Beta1, r.OptD.Beta2)
	r.Config.Retrieval = 0 // set again on import, to the version it gets there
	mb, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	rb, err := r.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if p.Domain == nil {
		if p.Domain, err = retrieval.FitDomainOn(st, m); err != nil {
			return nil, fmt.Errorf("the training images' statistics: %w", err)
		}
	}
	if p.Temperatures == nil {
		if p.Temperatures, err = retrieval.FitTemperaturesOn(st, m); err != nil {
			return nil, fmt.Errorf("the attribute posteriors' calibration: %w", err)
		}
	}
	p.Format, p.Size, p.Attrs, p.K = bundleFormat, m.Size(), m.Schema().Attrs, r.Config.K
	p.Stage1Step, p.RetrievalStep, p.RGStep = m.Stage1.Step, m.Step, r.Step
	p.RetrievalSHA256, p.RGSHA256 = sum(mb), sum(rb)
	out, err := nn.AppendHeader(nil, bundleMagic, p)
	if err != nil {
		return nil, err
	}
	out = appendBlob(out, mb)
	out = appendBlob(out, rb)
	whole := sha256.Sum256(out)
	return append(out, whole[:]...), nil
}

// bundleFormat 2 ends with the SHA-256 of everything before it, so the
// header (provenance, k, attributes) is covered too; format 1 (no
// trailer) is refused.
const bundleFormat = 2

func appendBlob(w, b []byte) []byte {
	return append(binary.AppendUvarint(w, uint64(len(b))), b...)
}

func readBlob(b []byte) (blob, rest []byte, err error) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, nil, fmt.Errorf("%w: truncated length", ErrBundle)
	}
	b = b[n:]
	if x > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: a blob of %d bytes, %d left", ErrBundle, x, len(b))
	}
	return b[:x], b[x:], nil
}

// Bundle is a decoded bundle.
type Bundle struct {
	Provenance Provenance
	Retrieval  []byte // checkpoint blobs
	RG         []byte
}

// DecodeBundle checks a bundle's framing and hashes (not its weights).
func DecodeBundle(b []byte) (*Bundle, error) {
	if len(b) < sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes", ErrBundle, len(b))
	}
	body, trailer := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	var p Provenance
	rest, err := nn.ReadHeader(body, bundleMagic, &p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if p.Format != bundleFormat {
		return nil, fmt.Errorf("%w: format %d (this rgunit reads format %d: export the bundle again)", ErrBundle, p.Format, bundleFormat)
	}
	if whole := sha256.Sum256(body); !bytes.Equal(whole[:], trailer) {
		return nil, fmt.Errorf("%w: the file's checksum does not match (it is damaged or was edited)", ErrBundle)
	}
	out := &Bundle{Provenance: p}
	if out.Retrieval, rest, err = readBlob(rest); err != nil {
		return nil, err
	}
	if out.RG, rest, err = readBlob(rest); err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBundle, len(rest))
	}
	if sum(out.Retrieval) != p.RetrievalSHA256 || sum(out.RG) != p.RGSHA256 {
		return nil, fmt.Errorf("%w: a model's checksum does not match (the file is damaged)", ErrBundle)
	}
	return out, nil
}

// Imported is what Import did.
type Imported struct {
	Provenance       Provenance
	RetrievalVersion uint64
	RGVersion        uint64
	Already          bool // the database already held these models
}

// String says which models were imported and what made them.
func (imp *Imported) String() string {
	p := imp.Provenance
	return fmt.Sprintf("models: bundle %s (retrieval version %d, rg-unit version %d; trained by %q on %s at commit %s)",
		p.ID(), imp.RetrievalVersion, imp.RGVersion, p.Command, p.Data, p.Commit)
}

// Import stores a bundle's models in st as new versions of the retrieval
// and RG-UNIT models, with the bundle's provenance, in one transaction. A
// database that already has a retrieval model other than the bundle's is
// refused with ErrVersion (its index belongs to that model); importing the
// same bundle again does nothing, and a bundle with the same retrieval
// model and another RG-UNIT model adds that model. The caller indexes the items afterwards
// (retrieval.Sync).
func Import(st *storage.Store, data []byte) (*Imported, error) {
	bd, err := DecodeBundle(data)
	if err != nil {
		return nil, err
	}
	p := bd.Provenance
	m, err := retrieval.Unmarshal(bd.Retrieval)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	r, err := rg.Unmarshal(bd.RG, m.Stage1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if stored := st.ImageSize(); stored < m.Size() || stored%m.Size() != 0 {
		return nil, fmt.Errorf("%w: %s holds %d px images; the bundle's %d px model needs a multiple of %d",
			generator.ErrResolution, st.Path(), stored, m.Size(), m.Size())
	}
	res := &Imported{Provenance: p}
	haveRetrieval := true
	cur, ver, err := st.Model(retrieval.ModelName, 0)
	switch {
	case err == nil && sum(cur) == p.RetrievalSHA256:
		res.RetrievalVersion = ver // imported before
	case err == nil:
		how := "trained in it"
		if pb, _, err := st.Model(BundleModelName, 0); err == nil {
			var old Provenance
			if json.Unmarshal(pb, &old) == nil {
				how = "imported from bundle " + old.ID()
			}
		}
		return nil, fmt.Errorf("%w: %s already has retrieval model version %d (%s), not bundle %s's; use a new database for these models",
			ErrVersion, st.Path(), ver, how, p.ID())
	case errors.Is(err, storage.ErrNotFound):
		haveRetrieval = false
		if res.RetrievalVersion, err = st.NextModelVersion(retrieval.ModelName); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	// The same bundle again does nothing; one with another RG-UNIT model
	// over the same retrieval model (stage 3 retrained) adds it as a new
	// version, and the index stays valid.
	if cur, ver, err := st.Model(rg.ModelName, 0); err == nil && haveRetrieval {
		if rv, _, err := rg.CheckpointInfo(cur); err == nil && rv == res.RetrievalVersion {
			if old, err := ImportedProvenance(st); err == nil && old != nil && old.RGSHA256 == p.RGSHA256 {
				res.RGVersion, res.Already = ver, true
			}
		}
	}
	if res.RGVersion != 0 {
		return res, nil
	}
	if err := res.store(st, r, bd, !haveRetrieval); err != nil {
		return nil, err
	}
	return res, nil
}

// store writes the imported models: the retrieval model (with
// newRetrieval), the RG-UNIT model that names its version and the
// provenance, in one transaction (a kill leaves all of them or none; then
// the import runs again).
func (res *Imported) store(st *storage.Store, r *rg.Model, bd *Bundle, newRetrieval bool) error {
	r.Config.Retrieval = res.RetrievalVersion
	rb, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	pj, err := json.Marshal(res.Provenance)
	if err != nil {
		return err
	}
	puts := []storage.ModelPut{{Name: rg.ModelName, Blob: rb}, {Name: BundleModelName, Blob: pj, Keep: 1}}
	if newRetrieval {
		puts = append([]storage.ModelPut{{Name: retrieval.ModelName, Blob: bd.Retrieval}}, puts...)
	}
	vers, err := st.PutModels(puts...)
	if err != nil {
		return err
	}
	if newRetrieval && vers[0] != res.RetrievalVersion { // another writer cannot hold the file: a bug
		return fmt.Errorf("guided: the retrieval model became version %d, not %d", vers[0], res.RetrievalVersion)
	}
	res.RGVersion = vers[len(vers)-2]
	return nil
}

// ImportedProvenance returns the provenance of the bundle st's models came
// from, or nil when they were not imported (or there are none).
func ImportedProvenance(st *storage.Store) (*Provenance, error) {
	pb, _, err := st.Model(BundleModelName, 0)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Provenance
	if err := json.NewDecoder(bytes.NewReader(pb)).Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: stored provenance: %v", ErrBundle, err)
	}
	return &p, nil
}

// FromBundle reports whether st's latest retrieval model is the one an
// imported bundle brought (not one trained in st).
func FromBundle(st *storage.Store) (bool, error) {
	p, err := ImportedProvenance(st)
	if err != nil || p == nil {
		return false, err
	}
	cur, _, err := st.Model(retrieval.ModelName, 0)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return sum(cur) == p.RetrievalSHA256, nil
}
