package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/generator"
	"rgunit/internal/cmdutil"
)

// ganRun reports a GAN training run (train unit, train rg): a progress bar
// or log lines, JSON lines of the mean losses at each checkpoint, and the
// closing line.
type ganRun struct {
	cmd          *cobra.Command
	pr           *cmdutil.Progress
	label        string
	steps, every int
	quiet, jsonl bool
	kl           bool // the run trains KL (stage 1)
	start        time.Time
	startStep    int
	window       generator.Losses // sums since the last JSON line
}

func newGANRun(cmd *cobra.Command, label string, steps, every int, quiet, jsonl, kl bool) *ganRun {
	return &ganRun{cmd: cmd, label: label, steps: steps, every: every, quiet: quiet, jsonl: jsonl, kl: kl}
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

// onStep is the trainer's OnStep; the display starts at the first step
// (a resumed run counts its rate from there).
func (g *ganRun) onStep(l generator.Losses) {
	if g.pr == nil {
		g.start, g.startStep = time.Now(), l.Step-1
		g.pr = cmdutil.NewProgress(g.cmd.ErrOrStderr(), g.steps, g.label, "steps", g.quiet)
		g.pr.Resume(g.startStep)
	}
	g.pr.Describe("step " + g.summary(l))
	g.pr.Update(l.Step, g.steps, g.summary(l))
	g.window.Add(l)
	if g.jsonl && l.Step%g.every == 0 {
		cmdutil.WriteJSONLine(g.cmd.OutOrStdout(), g.window.Mean())
		g.window = generator.Losses{}
	}
}

// finish closes the display and reports how the run ended (err is the
// trainer's; what prefixes the closing line).
func (g *ganRun) finish(err error, res rgunit.UnitResult, what string) error {
	if g.pr == nil {
		if err != nil {
			return interrupted(err, res.Step)
		}
		return nil // no step ran: the model had its steps already
	}
	g.pr.Finish(res.Step, g.steps, g.summary(res.Last))
	if err != nil {
		return interrupted(err, res.Step)
	}
	if g.jsonl {
		return cmdutil.WriteJSONLine(g.cmd.OutOrStdout(), res.Last)
	}
	fmt.Fprintf(g.cmd.OutOrStdout(), "%strained to step %d%s\n", what, res.Step, g.summary(res.Last))
	return nil
}
