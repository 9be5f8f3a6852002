package loop

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
)

// model is a fake model: its step and a value each step draws from rng.
type model struct {
	step  int
	draws []uint64
	saved []int
}

func (m *model) loop(steps, every int) Loop {
	return Loop{Seed: 7, Steps: steps, Every: every,
		Step: func() int { return m.step },
		Run: func(rng *rand.Rand) error {
			m.draws = append(m.draws, rng.Uint64())
			m.step++
			return nil
		},
		Save: func() (uint64, error) { m.saved = append(m.saved, m.step); return uint64(len(m.saved)), nil },
	}
}

// TestRun: checkpoints every few steps and at the end, none twice for one
// step; a run stopped and resumed draws what one run draws.
func TestRun(t *testing.T) {
	t.Parallel()
	whole := &model{}
	ver, err := Run(context.Background(), whole.loop(10, 4))
	if err != nil || ver != 3 {
		t.Fatalf("run: version %d, %v", ver, err)
	}
	if want := []int{4, 8, 10}; len(whole.saved) != 3 || whole.saved[0] != want[0] || whole.saved[1] != want[1] || whole.saved[2] != want[2] {
		t.Fatalf("checkpoints at %v, want %v", whole.saved, want)
	}
	// Cancelled after 3 steps: checkpointed there; resumed to 10.
	part := &model{}
	ctx, cancel := context.WithCancel(context.Background())
	l := part.loop(10, 4)
	run := l.Run
	l.Run = func(rng *rand.Rand) error {
		err := run(rng)
		if part.step == 3 {
			cancel()
		}
		return err
	}
	if _, err := Run(ctx, l); !errors.Is(err, context.Canceled) || part.step != 3 || part.saved[len(part.saved)-1] != 3 {
		t.Fatalf("cancelled: step %d, saved %v, %v", part.step, part.saved, err)
	}
	if _, err := Run(context.Background(), part.loop(10, 4)); err != nil {
		t.Fatal(err)
	}
	for i := range whole.draws {
		if part.draws[i] != whole.draws[i] {
			t.Fatalf("step %d drew %d resumed, %d in one run", i, part.draws[i], whole.draws[i])
		}
	}
	// Nothing to do: no checkpoint.
	done := &model{step: 10}
	if ver, err := Run(context.Background(), done.loop(10, 4)); err != nil || ver != 0 || len(done.saved) != 0 {
		t.Fatalf("a finished model: version %d, saved %v, %v", ver, done.saved, err)
	}
}

// TestRunStepError: a failed step stops the loop without a checkpoint.
func TestRunStepError(t *testing.T) {
	t.Parallel()
	m := &model{}
	l := m.loop(10, 2)
	boom := errors.New("boom")
	l.Run = func(*rand.Rand) error { m.step++; return boom }
	if _, err := Run(context.Background(), l); !errors.Is(err, boom) || len(m.saved) != 0 {
		t.Fatalf("step error: %v, saved %v", err, m.saved)
	}
	if Keep(0) != DefaultKeep || Keep(5) != 5 {
		t.Fatal("Keep")
	}
}
