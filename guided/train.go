package guided

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"rgunit/generator"
	"rgunit/generator/rg"
	"rgunit/internal/loop"
	"rgunit/retrieval"
	"rgunit/storage"
)

// Load returns the latest RG-UNIT model of db's store, over db's retrieval
// model. ErrNoModel when there is none; ErrVersion when it was trained over
// another retrieval version than db's (retrain it with rgunit train rg).
func Load(db *retrieval.Session) (*rg.Model, uint64, error) {
	st := db.St
	blob, ver, err := st.Model(rg.ModelName, 0)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w %s: run rgunit train rg (or translate with --no-retrieval)", ErrNoModel, st.Path())
	}
	if err != nil {
		return nil, 0, err
	}
	rv, step, err := rg.CheckpointInfo(blob)
	if err != nil {
		return nil, 0, fmt.Errorf("%s version %d: %w", rg.ModelName, ver, err)
	}
	if rv != db.Version {
		return nil, 0, fmt.Errorf("%w: %s version %d (step %d) was trained over %s version %d, but %s's retrieval model is version %d: run rgunit train rg",
			ErrVersion, rg.ModelName, ver, step, retrieval.ModelName, rv, st.Path(), db.Version)
	}
	r, err := rg.Unmarshal(blob, db.Model.Stage1)
	if err != nil {
		return nil, 0, fmt.Errorf("%s version %d: %w", rg.ModelName, ver, err)
	}
	return r, ver, nil
}

// Checkpoint stores r as a new version of the RG-UNIT model and prunes all
// but keep versions.
func Checkpoint(st *storage.Store, r *rg.Model, keep int) (uint64, error) {
	blob, err := r.MarshalBinary()
	if err != nil {
		return 0, err
	}
	ver, err := st.PutModelKeep(rg.ModelName, blob, max(keep, 1))
	if err != nil {
		return ver, fmt.Errorf("guided: checkpoint: %w", err)
	}
	return ver, nil
}

// TrainOptions configure Train.
type TrainOptions struct {
	Steps           int // train until the model has taken this many steps
	CheckpointEvery int // default 200
	KeepCheckpoints int // default 3
	OnStep          func(l generator.Losses)
	OnCheckpoint    func(version uint64)
}

// Train runs stage-3 steps on d (labelled items of db's store) from r's
// step up to o.Steps. Each image's neighbours are retrieved through db's
// index for its target and for its own domain, never the image itself.
// Checkpoints go into the store every o.CheckpointEvery steps and when
// training stops; batches and noise depend on (seed, step) only, so a
// resumed run is the same run.
func Train(ctx context.Context, db *retrieval.Session, r *rg.Model, d *generator.Dataset, o TrainOptions) (last generator.Losses, err error) {
	if d.Size != r.Base.Config.Arch.Size {
		return last, fmt.Errorf("%w: data at %d px, model at %d px", generator.ErrResolution, d.Size, r.Base.Config.Arch.Size)
	}
	if db.Len() < 2 {
		return last, fmt.Errorf("%w: %d items indexed; stage 3 needs at least 2", ErrNoNeighbours, db.Len())
	}
	pos := make(map[uint64]int, len(d.IDs))
	for i, id := range d.IDs {
		pos[id] = i
	}
	g := &Guide{DB: db, K: r.Config.K, Images: func(id uint64) ([]float32, bool) {
		i, ok := pos[id]
		if !ok {
			return nil, false
		}
		return d.X[i], true
	}}
	tr, err := rg.NewTrainer(r)
	if err != nil {
		return last, err
	}
	defer tr.Close()
	_, err = loop.Run(ctx, loop.Loop{Seed: r.Config.Seed, Steps: o.Steps, Every: o.CheckpointEvery,
		Step: func() int { return r.Step },
		Run: func(rng *rand.Rand) error {
			b, idx := d.BatchIndices(rng, r.Config.Batch)
			exclude := make([]uint64, len(idx))
			for i, j := range idx {
				exclude[i] = d.IDs[j]
			}
			content, err := g.Content(b.X, len(idx))
			if err != nil {
				return err
			}
			tgt, err := g.Retrieve(content, b.Tgt, exclude)
			if err != nil {
				return err
			}
			src, err := g.Retrieve(content, b.Src, exclude)
			if err != nil {
				return err
			}
			var codes []float32
			if r.Config.Codes == generator.CodeEncoder.String() {
				// The code translate would use: the neighbours' E_a means for
				// the changed attributes, the image's own for the others.
				cs, err := r.Base.TranslationCodes(generator.CodeEncoder, b.X, b.Src, b.Tgt, tgt.Codes, nil)
				if err != nil {
					return err
				}
				for _, c := range cs {
					codes = append(codes, c...)
				}
			}
			l, err := tr.Step(rg.Batch{Batch: b, NbTgt: tgt.Maps, NbSrc: src.Maps, Codes: codes})
			if err == nil {
				last = l
				if o.OnStep != nil {
					o.OnStep(l)
				}
			}
			return err
		},
		Save:         func() (uint64, error) { return Checkpoint(db.St, r, loop.Keep(o.KeepCheckpoints)) },
		OnCheckpoint: o.OnCheckpoint,
	})
	return last, err
}
