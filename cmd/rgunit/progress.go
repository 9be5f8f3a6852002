package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar with rate and ETA when w is a terminal and plain
// periodic log lines otherwise.
type progress struct {
	bar     *progressbar.ProgressBar
	w       io.Writer
	label   string
	last    time.Time
	start   time.Time
	printed bool
	base    int // done at start (a resumed run): rates count from here
}

// progressEvery is the interval of plain progress lines.
var progressEvery = 5 * time.Second

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, total int, label, unit string, quiet bool) *progress {
	p := &progress{w: w, label: label, start: time.Now()}
	p.last = p.start
	switch {
	case quiet:
		p.w = nil
	case isTerminal(w):
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// update reports done of total; extra is appended to log lines, which are
// printed every progressEvery.
func (p *progress) update(done, total int, extra string) {
	switch {
	case p.w == nil:
	case p.bar != nil:
		p.bar.Set(done)
	case time.Since(p.last) >= progressEvery:
		p.line(done, total, extra)
	}
}

func (p *progress) line(done, total int, extra string) {
	now := time.Now()
	p.last, p.printed = now, true
	el := now.Sub(p.start).Seconds()
	rate := float64(done-p.base) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s: %d/%d (%.1f%%), %.0f/s, ETA %s%s\n", p.label, done, total,
		100*float64(done)/float64(max(total, 1)), rate, eta, extra)
}

// finish closes the bar, or prints a last log line if any was printed.
func (p *progress) finish(done, total int, extra string) {
	switch {
	case p.w == nil:
	case p.bar != nil:
		p.bar.Finish()
	case p.printed:
		p.line(done, total, extra)
	}
}

// describe sets the bar's label (a no-op for log lines).
func (p *progress) describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}
