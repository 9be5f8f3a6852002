package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// ErrInterrupted ends a command stopped by Ctrl-C (exit status 130).
var ErrInterrupted = errors.New("interrupted")

// Interrupted is the error of a training stopped at step (err is the
// trainer's): Ctrl-C says how to resume, other errors pass.
func Interrupted(err error, step int) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w at step %d (checkpoint saved); run the same command again to resume", ErrInterrupted, step)
	}
	return err
}

// Losses is what a training display needs of a step's losses: sums over
// the steps since the last JSON line, and their mean.
type Losses[L any] interface {
	*L
	Add(L)
	Mean() L
}

// Run shows a training run: a bar or log lines with the last step's
// losses and the rate, the mean losses as a JSON line every checkpoint
// with --json, and the last losses when it ends.
type Run[L any, P Losses[L]] struct {
	cmd          *cobra.Command
	pr           *Progress
	label        string
	steps, every int
	quiet, jsonl bool
	summary      func(L) string
	start        time.Time
	startStep    int
	window       L
}

// NewRun returns the display of a run of steps steps; summary formats a
// step's losses (" | loss 0.1234").
func NewRun[L any, P Losses[L]](cmd *cobra.Command, label string, steps, every int, quiet, jsonl bool, summary func(L) string) *Run[L, P] {
	return &Run[L, P]{cmd: cmd, label: label, steps: steps, every: every, quiet: quiet, jsonl: jsonl, summary: summary}
}

// Summary is the losses with the rate since the display started.
func (r *Run[L, P]) Summary(l L, step int) string {
	rate := float64(step-r.startStep) / time.Since(r.start).Seconds()
	return fmt.Sprintf("%s | %.2f steps/s", r.summary(l), rate)
}

// Step shows step's losses (the trainer's OnStep); the display starts at
// the first step, and a resumed run counts its rate from there.
func (r *Run[L, P]) Step(step int, l L) {
	if r.pr == nil {
		r.start, r.startStep = time.Now(), step-1
		r.pr = NewProgress(r.cmd.ErrOrStderr(), r.steps, r.label, "steps", r.quiet)
		r.pr.Resume(r.startStep)
	}
	s := r.Summary(l, step)
	r.pr.Describe("step " + s)
	r.pr.Update(step, r.steps, s)
	P(&r.window).Add(l)
	if r.jsonl && r.every > 0 && step%r.every == 0 {
		WriteJSONLine(r.cmd.OutOrStdout(), P(&r.window).Mean())
		var zero L
		r.window = zero
	}
}

// Checkpoint reports a checkpoint on stderr (an OnCheckpoint), unless
// quiet or a terminal bar shows the run (a line would break it).
func (r *Run[L, P]) Checkpoint(version uint64, step int) {
	if !r.quiet && (r.pr == nil || !r.pr.Bar()) {
		fmt.Fprintf(r.cmd.ErrOrStderr(), "checkpoint: version %d at step %d\n", version, step)
	}
}

// Ran says whether a step ran (a model that had its steps already takes
// none).
func (r *Run[L, P]) Ran() bool { return r.pr != nil }

// Finish closes the display after the trainer returned err at step with
// last losses, and returns err as the command's error.
func (r *Run[L, P]) Finish(err error, step int, last L) error {
	if r.pr != nil {
		r.pr.Finish(step, r.steps, r.Summary(last, step))
	}
	return Interrupted(err, step)
}

// End prints how the run ended: the last losses as JSON with --json, else
// line.
func (r *Run[L, P]) End(last L, line string) error {
	if r.jsonl {
		return WriteJSONLine(r.cmd.OutOrStdout(), last)
	}
	_, err := fmt.Fprintln(r.cmd.OutOrStdout(), line)
	return err
}

// Execute runs root with a context that Ctrl-C or SIGTERM cancels (a
// second Ctrl-C kills at once), prints its error after the command's name,
// and returns the exit status: 0, 130 for ErrInterrupted, else 1.
func Execute(root *cobra.Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	err := root.ExecuteContext(ctx)
	stop()
	if err == nil {
		return 0
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, root.Name()+": ") { // the library's errors name it already
		msg = root.Name() + ": " + msg
	}
	fmt.Fprintln(root.ErrOrStderr(), msg)
	if errors.Is(err, ErrInterrupted) {
		return 130
	}
	return 1
}
