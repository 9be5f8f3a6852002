package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"rgunit/ingest"
)

// Phase shows one phase of a job (the files of an ingest, the indexing,
// the triplet pool) on the command's stderr, from the first report of its
// total until Finish.
type Phase struct {
	cmd         *cobra.Command
	label, unit string
	quiet       bool
	p           *Progress
	done, total int
	extra       string
	closed      bool
}

// NewPhase returns the display of a phase (nothing shown when quiet).
func NewPhase(cmd *cobra.Command, label, unit string, quiet bool) *Phase {
	return &Phase{cmd: cmd, label: label, unit: unit, quiet: quiet}
}

// Update reports done of total, extra after the figures.
func (p *Phase) Update(done, total int, extra string) {
	if p.closed {
		return
	}
	if p.p == nil {
		p.p = NewProgress(p.cmd.ErrOrStderr(), total, p.label, p.unit, p.quiet)
	}
	p.done, p.total, p.extra = done, total, extra
	p.p.Update(done, total, extra)
}

// Steps is Update without extra figures (an OnIndex callback).
func (p *Phase) Steps(done, total int) { p.Update(done, total, "") }

// Until is Steps, finishing the display at total (a phase followed by
// another display).
func (p *Phase) Until(done, total int) {
	if p.Steps(done, total); done == total {
		p.Finish()
	}
}

// Ingest is Update for an ingest's files (an OnIngest callback).
func (p *Phase) Ingest(pr ingest.Progress) {
	p.Update(pr.Done, pr.Total, fmt.Sprintf(", %d added, %d duplicates, %d skipped", pr.Added, pr.Duplicates, pr.Skipped))
}

// Finish closes the display; later calls do nothing.
func (p *Phase) Finish() {
	if p.p != nil && !p.closed {
		p.p.Finish(p.done, p.total, p.extra)
	}
	p.closed = p.p != nil
}
