package lab

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ralab/ralab/internal/matrix"
)

// progressEvery is how often the progress reports the labs running and
// the time left while no lab starts or ends.
const progressEvery = 15 * time.Second

// defaultOverhead is the time a lab is assumed to take beyond its
// scenario (setup, teardown, analysis) until one has finished.
const defaultOverhead = 5 * time.Second

// progress writes the progress of a run: a line per lab started and
// finished and a status line now and then, each with an estimate of the
// time left. Its methods are safe for concurrent use.
type progress struct {
	w     io.Writer
	plans []labPlan
	par   int
	start time.Time

	mu       sync.Mutex
	began    map[int]time.Time
	done     int
	overhead time.Duration // summed over the finished labs
}

func newProgress(w io.Writer, plans []labPlan, par int) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, plans: plans, par: par, start: time.Now(), began: map[int]time.Time{}}
}

// every writes a status line every d until the returned function is
// called.
func (p *progress) every(d time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprintf(p.w, "labs: %d running, %d of %d done; %s\n", len(p.began), p.done, len(p.plans), p.times())
				p.mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

// started records that lab i started.
func (p *progress) started(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.began[i] = time.Now()
	pl := p.plans[i]
	fmt.Fprintf(p.w, "lab %s started (%s, %s); %s\n", pl.name(), pl.e.sc.Duration, strings.Join(clientNames(pl), " "),
		p.times())
}

// finished records that lab i finished with cells and the time of each
// phase.
func (p *progress) finished(i int, cells []matrix.Cell, phases []matrix.Phase, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	took := time.Since(p.began[i])
	delete(p.began, i)
	p.done++
	p.overhead += max(took-p.plans[i].e.sc.Duration, 0)
	agree, unsettled := 0, 0
	for _, c := range cells {
		switch {
		case c.Agree:
			agree++
		case c.Unsettled != "":
			unsettled++
		}
	}
	status := fmt.Sprintf("%d/%d cells agree, %d unsettled", agree, len(cells), unsettled)
	if err != nil {
		status = "failed: " + err.Error()
	}
	fmt.Fprintf(p.w, "lab %s finished in %s (%s): %s; %d of %d done, %s\n",
		p.plans[i].name(), took.Round(100*time.Millisecond), phaseList(phases), status, p.done, len(p.plans), p.times())
}

// times returns the elapsed time and the estimate of the time left; p.mu
// is held.
func (p *progress) times() string {
	return fmt.Sprintf("elapsed %s, ETA %s", time.Since(p.start).Round(time.Second), p.left().Round(time.Second))
}

// left estimates the time until every lab has finished: each running
// lab ends its scenario's duration plus the mean overhead of the
// finished labs after it began, and the labs not started yet take the
// first free slots, the longest first, as runLabs starts them. p.mu is
// held.
func (p *progress) left() time.Duration {
	over := defaultOverhead
	if p.done > 0 {
		over = p.overhead / time.Duration(p.done)
	}
	now := time.Now()
	var free []time.Time // when each slot is free
	for i, t := range p.began {
		free = append(free, t.Add(p.plans[i].e.sc.Duration+over))
	}
	for len(free) < p.par {
		free = append(free, now)
	}
	waiting := p.waitingDurations(len(p.plans) - len(p.began) - p.done)
	end := now
	for _, d := range waiting {
		slices.SortFunc(free, func(a, b time.Time) int { return a.Compare(b) })
		free[0] = maxTime(free[0], now).Add(d + over)
	}
	for _, t := range free {
		end = maxTime(end, t)
	}
	return end.Sub(now)
}

// waitingDurations returns the scenario durations of the n labs that
// have not started, longest first; p.mu is held.
func (p *progress) waitingDurations(n int) []time.Duration {
	var ds []time.Duration
	for _, pl := range p.plans {
		ds = append(ds, pl.e.sc.Duration)
	}
	// runLabs starts the longest first, so the n waiting are the n
	// shortest.
	slices.SortFunc(ds, func(a, b time.Duration) int { return int(b - a) })
	return ds[len(ds)-max(n, 0):]
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// clientNames returns the names of the clients of a lab, never nil.
func clientNames(pl labPlan) []string {
	names := []string{}
	for _, c := range pl.clients {
		names = append(names, c.Name)
	}
	return names
}

// phaseList formats phases as "hosts 1.2s, capture 0.1s, ...".
func phaseList(phases []matrix.Phase) string {
	var parts []string
	for _, ph := range phases {
		parts = append(parts, fmt.Sprintf("%s %.1fs", ph.Name, ph.Seconds))
	}
	return strings.Join(parts, ", ")
}
