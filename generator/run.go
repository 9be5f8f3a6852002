package generator

import (
	"context"
	"fmt"
	"math/rand/v2"

	"rgunit/internal/loop"
	"rgunit/storage"
)

// TrainOptions configure Train.
type TrainOptions struct {
	Steps           int                  // train until the model has taken this many steps
	CheckpointEvery int                  // steps between checkpoints (default 200)
	KeepCheckpoints int                  // checkpoints kept in the store (default 3)
	OnStep          func(l Losses)       // called after every step
	OnCheckpoint    func(version uint64) // called after every checkpoint
}

// Checkpoint stores u in st as a new version of ModelName and prunes old
// versions.
func Checkpoint(st *storage.Store, u *UNIT, keep int) (uint64, error) {
	blob, err := u.MarshalBinary()
	if err != nil {
		return 0, err
	}
	ver, err := st.PutModelKeep(ModelName, blob, max(keep, 1))
	if err != nil {
		return ver, fmt.Errorf("generator: checkpoint: %w", err)
	}
	return ver, nil
}

// LoadLatest returns the latest checkpoint in st (the error wraps
// storage.ErrNotFound when there is none).
func LoadLatest(st *storage.Store) (*UNIT, uint64, error) {
	blob, ver, err := st.Model(ModelName, 0)
	if err != nil {
		return nil, 0, err
	}
	u, err := UnmarshalUNIT(blob)
	if err != nil {
		return nil, 0, fmt.Errorf("%s version %d: %w", ModelName, ver, err)
	}
	return u, ver, nil
}

// Train runs steps on d from u's current step up to o.Steps, checkpointing
// into st every o.CheckpointEvery steps and when it stops (at the end, on
// cancellation or on error), each checkpoint with E_a's code statistics
// measured on d (MeasureStats). Batches and noise are drawn from generators
// seeded by (seed, step), so a resumed run takes the same batches as an
// uninterrupted one.
func Train(ctx context.Context, st *storage.Store, u *UNIT, d *Dataset, o TrainOptions) (last Losses, err error) {
	if d.Size != u.Config.Arch.Size {
		return last, fmt.Errorf("%w: data at %d px, model at %d px", ErrResolution, d.Size, u.Config.Arch.Size)
	}
	tr, err := NewTrainer(u)
	if err != nil {
		return last, err
	}
	defer tr.Close()
	_, err = loop.Run(ctx, loop.Loop{Seed: u.Config.Seed, Steps: o.Steps, Every: o.CheckpointEvery,
		Step: func() int { return u.Step },
		Run: func(rng *rand.Rand) error {
			l, err := tr.Step(d.Batch(rng, u.Config.Batch))
			if err == nil {
				last = l
				if o.OnStep != nil {
					o.OnStep(l)
				}
			}
			return err
		},
		Save: func() (uint64, error) {
			stats, err := MeasureStats(u, d)
			if err != nil {
				return 0, err
			}
			u.Config.Stats = stats
			return Checkpoint(st, u, loop.Keep(o.KeepCheckpoints))
		},
		OnCheckpoint: o.OnCheckpoint,
	})
	return last, err
}
