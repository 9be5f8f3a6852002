// Package loop is the resumable training loop the three stages share:
// steps from the model's own step up to a target, a checkpoint every few
// steps and when the loop stops (the target reached, or the context
// cancelled), each step's randomness a function of (seed, step) alone, so
// that a resumed run is the same run.
package loop

import (
	"context"
	"errors"
	"math/rand/v2"
)

// Defaults of every training: steps between checkpoints, and checkpoints
// kept in the database (older ones are pruned).
const (
	DefaultCheckpointEvery = 200
	DefaultKeep            = 3
)

// Loop is one training run.
type Loop struct {
	Seed  uint64
	Steps int // run until the model has taken this many steps
	Every int // steps between checkpoints (0: DefaultCheckpointEvery)
	// Step returns the model's step count (it advances as Run runs).
	Step func() int
	// Run takes one step with rng, seeded by (Seed, the step before it),
	// and advances the model's step. After an error the model may be half
	// updated: Run stops without a checkpoint.
	Run func(rng *rand.Rand) error
	// Save checkpoints the model (keeping the last few) and returns the
	// version written.
	Save func() (uint64, error)
	// OnCheckpoint is told each version Save wrote.
	OnCheckpoint func(version uint64)
}

// Run runs l from the model's step to l.Steps. A cancelled ctx checkpoints
// and returns ctx's error; the version of the last checkpoint written (0:
// none) is returned either way.
func Run(ctx context.Context, l Loop) (uint64, error) {
	every := l.Every
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	saved, ver := l.Step(), uint64(0)
	save := func() error {
		if l.Step() == saved {
			return nil
		}
		v, err := l.Save()
		if err != nil {
			return err
		}
		saved, ver = l.Step(), v
		if l.OnCheckpoint != nil {
			l.OnCheckpoint(v)
		}
		return nil
	}
	for l.Step() < l.Steps {
		if err := ctx.Err(); err != nil {
			return ver, errors.Join(err, save())
		}
		if err := l.Run(rand.New(rand.NewPCG(l.Seed, uint64(l.Step())))); err != nil {
			return ver, err // the model may be half-updated: keep the last checkpoint
		}
		if l.Step()%every == 0 {
			if err := save(); err != nil {
				return ver, err
			}
		}
	}
	return ver, save()
}

// Keep is n, or DefaultKeep when n is not positive.
func Keep(n int) int {
	if n <= 0 {
		return DefaultKeep
	}
	return n
}
