package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"rgunit/generator"
)

// ganRun reports a GAN training run (train unit, train rg): a progress bar
// or log lines, JSON lines of the mean losses at each checkpoint, and the
// closing line.
type ganRun struct {
	cmd          *cobra.Command
	pr           *progress
	steps, every int
	jsonl, kl    bool // kl: the run trains KL (stage 1)
	start        time.Time
	startStep    int
	window       generator.Losses // sums since the last JSON line
}

func newGANRun(cmd *cobra.Command, label string, step, steps, every int, quiet, jsonl, kl bool) *ganRun {
	g := &ganRun{cmd: cmd, pr: newProgress(cmd.ErrOrStderr(), steps, label, "steps", quiet), steps: steps, every: every,
		jsonl: jsonl, kl: kl, start: time.Now(), startStep: step}
	g.pr.base = step
	if g.pr.bar != nil {
		g.pr.bar.Set(step)
	}
	return g
}

func (g *ganRun) summary(l generator.Losses) string {
	rate := float64(l.Step-g.startStep) / time.Since(g.start).Seconds()
	kl := ""
	if g.kl {
		kl = fmt.Sprintf(" kl %.3f", l.KL)
	}
	return fmt.Sprintf(" | G %.3f (rec %.3f cyc %.3f adv %.3f cls %.3f%s) D %.3f | %.2f steps/s",
		l.GTotal, l.Rec, l.Cycle, l.Adv, l.Cls, kl, l.DAdv+l.DCls, rate)
}

// onStep is the trainer's OnStep.
func (g *ganRun) onStep(l generator.Losses) {
	g.pr.describe("step " + g.summary(l))
	g.pr.update(l.Step, g.steps, g.summary(l))
	g.window.Add(l)
	if g.jsonl && l.Step%g.every == 0 {
		writeJSONLine(g.cmd.OutOrStdout(), g.window.Mean())
		g.window = generator.Losses{}
	}
}

// finish closes the display and reports how the run ended (err is the
// trainer's; step the model's step now; what prefixes the closing line).
func (g *ganRun) finish(err error, last generator.Losses, step int, what string) error {
	g.pr.finish(step, g.steps, g.summary(last))
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w at step %d (checkpoint saved); run the same command again to resume", errInterrupted, step)
	}
	if err != nil {
		return err
	}
	if g.jsonl {
		return writeJSONLine(g.cmd.OutOrStdout(), last)
	}
	fmt.Fprintf(g.cmd.OutOrStdout(), "%strained to step %d%s\n", what, step, g.summary(last))
	return nil
}
