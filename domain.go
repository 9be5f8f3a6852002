package rgunit

import (
	"fmt"
	"slices"

	"rgunit/guided"
	"rgunit/retrieval"
)

// DomainCheck says how far images lie from the images the database's
// models were trained on (the bundle's retrieval.Domain).
type DomainCheck struct {
	Images   int     `json:"images"`          // images checked
	Median   float64 `json:"median_distance"` // their median distance
	TrainP99 float64 `json:"train_p99"`       // 99% of the training images lie within this
	Outside  bool    `json:"outside"`         // Median > TrainP99: the model does not know such images
	Data     string  `json:"trained_on"`      // what the models were trained on
}

// Warning is what to tell a user about c ("" when the images are in the
// models' domain).
func (c *DomainCheck) Warning() string {
	if c == nil || !c.Outside {
		return ""
	}
	what := "these images lie"
	if c.Images == 1 {
		what = "this image lies"
	}
	return fmt.Sprintf("%s far from what the model was trained on (distance %.1f; 99%% of its training images within %.1f): it knows %s. Use a model trained on images like these (rgunit model list: --model default for drawn faces, --model celeba64 for photos of faces) or train one on them (rgunit train unit)",
		what, c.Median, c.TrainP99, c.Data)
}

// modelInfo is what the database's latest retrieval model brings besides
// its weights: the training domain and the posteriors' temperatures
// (from its bundle, or fitted here), with the model itself. It is read
// once per model version (ingest requests of a server would otherwise
// re-read and re-fit it each time).
type modelInfo struct {
	key    [2]uint64 // latest retrieval and bundle record versions
	model  *retrieval.Model
	temps  []float64
	domain *retrieval.Domain
	data   string
}

// info returns the latest retrieval model's modelInfo (nil without one).
func (d *DB) info() (*modelInfo, error) {
	vs, err := d.st.ModelVersions()
	if err != nil {
		return nil, err
	}
	last := func(name string) uint64 {
		v := vs[name]
		if len(v) == 0 {
			return 0
		}
		return slices.Max(v)
	}
	key := [2]uint64{last(retrieval.ModelName), last(guided.BundleModelName)}
	if key[0] == 0 {
		return nil, nil
	}
	d.infoMu.Lock()
	defer d.infoMu.Unlock()
	if d.infoCache != nil && d.infoCache.key == key {
		return d.infoCache, nil
	}
	m, _, err := retrieval.Load(d.st)
	if err != nil {
		return nil, err
	}
	in := &modelInfo{key: key, model: m}
	p, err := guided.ImportedProvenance(d.st)
	if err != nil {
		return nil, err
	}
	fromBundle := false
	if p != nil {
		if fromBundle, err = guided.FromBundle(d.st); err != nil {
			return nil, err
		}
	}
	if fromBundle {
		in.temps, in.domain, in.data = p.Temperatures, p.Domain, p.Data
	}
	if in.temps == nil {
		if in.temps, err = retrieval.FitTemperaturesOn(d.st, m); err != nil {
			return nil, err
		}
	}
	d.infoCache = in
	return in, nil
}

// checkDomain scores features against the models' domain.
func (d *DB) checkDomain(feats [][]float64, dom *retrieval.Domain, data string) *DomainCheck {
	dists := make([]float64, len(feats))
	for i, f := range feats {
		dists[i] = dom.Distance(f)
	}
	slices.Sort(dists)
	c := &DomainCheck{Images: len(feats), Median: dists[len(dists)/2], TrainP99: dom.P99, Data: data}
	c.Outside = c.Median > c.TrainP99
	return c
}

// domainSample is the most new items an ingest checks.
const domainSample = 200

// CheckItemsDomain checks up to 200 of ids (drawn at random) against the
// models' domain; nil when the models carry no domain.
func (d *DB) CheckItemsDomain(ids []uint64) (*DomainCheck, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = retrieval.Sample(ids, domainSample)
	in, err := d.info() // the model only: a remote index may be down
	if err != nil || in == nil || in.domain == nil {
		return nil, err
	}
	feats, err := retrieval.ItemFeatures(d.st, in.model, ids)
	if err != nil {
		return nil, err
	}
	return d.checkDomain(feats, in.domain, in.data), nil
}

// CheckSourceDomain checks a query's or translation's source against the
// models' domain; nil when the models carry no domain.
func (d *DB) CheckSourceDomain(src *Source) (*DomainCheck, error) {
	in, err := d.info()
	if err != nil || in == nil || in.domain == nil {
		return nil, err
	}
	defer d.reading()()
	idx, err := d.index()
	if err != nil {
		return nil, err
	}
	if len(src.X) != 3*idx.Model.Size()*idx.Model.Size() {
		return nil, nil // read for another model's size
	}
	feats, err := idx.Model.Features(src.X, 1)
	if err != nil {
		return nil, err
	}
	return d.checkDomain(feats, in.domain, in.data), nil
}

// checkNewItems checks the items added after id last, when the models
// carry a domain.
func (d *DB) checkNewItems(last uint64) (*DomainCheck, error) {
	if in, err := d.info(); err != nil || in == nil || in.domain == nil {
		return nil, err
	}
	ids, err := d.st.IDsAfter(last)
	if err != nil {
		return nil, err
	}
	return d.CheckItemsDomain(ids)
}
