package cmdutil

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress shows a bar with rate and ETA when w is a terminal and plain
// periodic log lines otherwise.
type Progress struct {
	bar     *progressbar.ProgressBar
	w       io.Writer
	label   string
	last    time.Time
	start   time.Time
	printed bool
	base    int // done at start (a resumed run): rates count from here
}

// ProgressEvery is the interval of plain progress lines.
var ProgressEvery = 5 * time.Second

// IsTerminal says whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress reports progress towards total on w (nothing when quiet).
func NewProgress(w io.Writer, total int, label, unit string, quiet bool) *Progress {
	p := &Progress{w: w, label: label, start: time.Now()}
	p.last = p.start
	switch {
	case quiet:
		p.w = nil
	case IsTerminal(w):
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

// Update reports done of total; extra is appended to log lines, which are
// printed every ProgressEvery.
func (p *Progress) Update(done, total int, extra string) {
	switch {
	case p.w == nil:
	case p.bar != nil:
		p.bar.Set(done)
	case time.Since(p.last) >= ProgressEvery:
		p.line(done, total, extra)
	}
}

func (p *Progress) line(done, total int, extra string) {
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

// Finish closes the bar, or prints a last log line if any was printed.
func (p *Progress) Finish(done, total int, extra string) {
	switch {
	case p.w == nil:
	case p.bar != nil:
		p.bar.Finish()
	case p.printed:
		p.line(done, total, extra)
	}
}

// Describe sets the bar's label (a no-op for log lines).
func (p *Progress) Describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}

// Resume starts the display at done (a resumed run): the bar shows it, and
// rates count from it.
func (p *Progress) Resume(done int) {
	p.base = done
	if p.bar != nil {
		p.bar.Set(done)
	}
}

// Bar says whether p draws a terminal bar (other output would break it).
func (p *Progress) Bar() bool { return p.bar != nil }
