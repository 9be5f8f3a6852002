package retrieval

import (
	"context"
	"math/rand/v2"
	"time"

	"rgunit/embed"
	"rgunit/internal/loop"
	"rgunit/storage"
)

// Losses of one retrieval training step.
type Losses struct {
	Step    int                `json:"step"`
	Loss    float64            `json:"loss"`     // mean over the negative kinds
	PerKind map[string]float64 `json:"per_kind"` // triplet loss per negative kind
	Seconds float64            `json:"seconds"`
	n       int                // steps summed by Add
}

// Add sums l into s (for a mean over several steps; Step becomes l's).
func (s *Losses) Add(l Losses) {
	s.Step, s.Loss, s.Seconds = l.Step, s.Loss+l.Loss, s.Seconds+l.Seconds
	for k, v := range l.PerKind {
		if s.PerKind == nil {
			s.PerKind = map[string]float64{}
		}
		s.PerKind[k] += v
	}
	s.n++
}

// Mean returns the mean of the losses added (Seconds: per step).
func (s Losses) Mean() Losses {
	if s.n == 0 {
		return s
	}
	d := float64(s.n)
	m := Losses{Step: s.Step, Loss: s.Loss / d, Seconds: s.Seconds / d}
	for k, v := range s.PerKind {
		if m.PerKind == nil {
			m.PerKind = map[string]float64{}
		}
		m.PerKind[k] = v / d
	}
	return m
}

// TrainOptions configure Train.
type TrainOptions struct {
	Steps           int // train until the model has taken this many steps
	CheckpointEvery int // default 200
	KeepCheckpoints int // default 3
	OnPool          func(done, total int)
	OnStep          func(Losses)
	OnCheckpoint    func(version uint64)
}

// Train makes the triplet pool with m's frozen stage 1 (the same pool for a
// given seed, so a resumed run is the same run), then trains the embedder
// from m.Step to o.Steps, checkpointing into st every o.CheckpointEvery
// steps and when it stops. It returns the version of the last checkpoint.
func Train(ctx context.Context, st *storage.Store, m *Model, data *embed.Labelled, o TrainOptions) (last Losses, ver uint64, err error) {
	kinds, err := embed.ParseNegatives(m.Config.Negatives)
	if err != nil {
		return last, 0, err
	}
	pool, err := embed.BuildPool(ctx, m.Stage1, m.Schema(), data, m.Config.Pool, 64, kinds, m.Config.Seed, o.OnPool)
	if err != nil {
		return last, 0, err
	}
	tr, err := embed.NewTrainer(m.Emb, m.Opt, m.Config.Batch, pool.Roles(), m.Stage1.ContentShape())
	if err != nil {
		return last, 0, err
	}
	defer tr.Close()
	ver, err = loop.Run(ctx, loop.Loop{Seed: m.Config.Seed, Steps: o.Steps, Every: o.CheckpointEvery,
		Step: func() int { return m.Step },
		Run: func(rng *rand.Rand) error {
			start := time.Now()
			loss, per, err := tr.Step(pool, rng)
			if err != nil {
				return err
			}
			m.Step++
			last = Losses{Step: m.Step, Loss: loss, PerKind: map[string]float64{}, Seconds: time.Since(start).Seconds()}
			for i, k := range kinds {
				last.PerKind[k.String()] = per[i]
			}
			if o.OnStep != nil {
				o.OnStep(last)
			}
			return nil
		},
		Save:         func() (uint64, error) { return Checkpoint(st, m, loop.Keep(o.KeepCheckpoints)) },
		OnCheckpoint: o.OnCheckpoint,
	})
	return last, ver, err
}
