package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/scenario"
)

// errScenarioOver reports a --scenario-start so early that the scenario
// has already ended.
var errScenarioOver = errors.New("the scenario has already ended")

// parseScenarioStart reads --scenario-start: "now" or an RFC 3339 time,
// so that several daemons (or a daemon and an observer) can share one
// timeline.
func parseScenarioStart(v string, now time.Time) (time.Time, error) {
	if v == "now" || v == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{},
			fmt.Errorf("--scenario-start %q: want \"now\" or an RFC 3339 time such as 2026-01-02T15:04:05Z", v)
	}
	return t, nil
}

// scenarioRun applies a scenario's phases, over time, to the served
// configuration.
type scenarioRun struct {
	sc    *scenario.Scenario
	start time.Time
	// cur is the index of the phase in force, -1 before the start and
	// len(Phases) after the end.
	cur int
}

// newScenarioRun checks that every phase's override fits cfg, and that
// the scenario is not over at now.
func newScenarioRun(sc *scenario.Scenario, start, now time.Time, cfg *config.Config) (*scenarioRun, error) {
	if !now.Before(start.Add(sc.Duration)) {
		return nil, fmt.Errorf("scenario %s: %w (started %v, lasts %v)", sc.Name, errScenarioOver,
			start.Format(time.RFC3339), sc.Duration)
	}
	r := &scenarioRun{sc: sc, start: start, cur: -1}
	if err := r.check(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// check reports overrides of any phase that do not fit cfg.
func (r *scenarioRun) check(cfg *config.Config) error {
	var errs []error
	for i := range r.sc.Phases {
		if _, err := r.effective(cfg, i); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Check implements supervisor.Overlay: until the scenario ends, every
// phase's overrides must fit a reloaded configuration.
func (r *scenarioRun) Check(cfg *config.Config) error {
	if r.ended(time.Now()) {
		return nil
	}
	return r.check(cfg)
}

// Apply implements supervisor.Overlay: cfg with the override of the
// phase in force. Check or newScenarioRun accepted cfg.
func (r *scenarioRun) Apply(cfg *config.Config) *config.Config {
	out, _ := r.effective(cfg, r.cur)
	return out
}

// effective returns cfg with the override of phase i applied to every
// interface; i outside the phases returns cfg.
func (r *scenarioRun) effective(cfg *config.Config, i int) (*config.Config, error) {
	if i < 0 || i >= len(r.sc.Phases) {
		return cfg, nil
	}
	ph := r.sc.Phases[i]
	out := *cfg
	out.Interfaces = make([]config.Interface, len(cfg.Interfaces))
	var errs []error
	for j, ifc := range cfg.Interfaces {
		got, err := ph.Override.Apply(ifc)
		if err != nil {
			errs = append(errs,
				fmt.Errorf("scenario %s, phase %d %q, interface %s: %w", r.sc.Name, i+1, ph.Name, ifc.Name, err))
		}
		out.Interfaces[j] = got
	}
	return &out, errors.Join(errs...)
}

// index returns the phase index at now: -1 before the start,
// len(Phases) at or after the end.
func (r *scenarioRun) index(now time.Time) int {
	off := now.Sub(r.start)
	if off < 0 {
		return -1
	}
	ph, ok := r.sc.At(off)
	if !ok {
		return len(r.sc.Phases)
	}
	return ph.Index
}

// next returns when the phase after the one in force at now starts, or
// when the scenario ends.
func (r *scenarioRun) next(now time.Time) time.Time {
	switch i := r.index(now); {
	case i < 0:
		return r.start
	case i >= len(r.sc.Phases):
		return r.start.Add(r.sc.Duration)
	default:
		return r.start.Add(r.sc.Phases[i].End)
	}
}

// ended reports whether the scenario is over at now.
func (r *scenarioRun) ended(now time.Time) bool { return r.index(now) >= len(r.sc.Phases) }

// phaseImpairments returns a function giving each interface its own Set
// of phase i's impairments, started at the phase's start; nil when the
// phase has none.
func (r *scenarioRun) phaseImpairments(i int) func() *impair.Set {
	if i < 0 || i >= len(r.sc.Phases) || len(r.sc.Phases[i].Impairments) == 0 {
		return nil
	}
	ph := r.sc.Phases[i]
	at := r.start.Add(ph.Start)
	return func() *impair.Set { return ph.Set(at, r.sc.Seed) }
}

// logPhase logs the phase in force at now with its progress.
func (r *scenarioRun) logPhase(log *slog.Logger, now time.Time) {
	i := r.index(now)
	if i < 0 || i >= len(r.sc.Phases) {
		return
	}
	ph := r.sc.Phases[i]
	off := now.Sub(r.start)
	left := (ph.End - off).Round(time.Second)
	names := make([]string, len(ph.Impairments))
	for j, sp := range ph.Impairments {
		names[j] = sp.Name
	}
	log.Info(fmt.Sprintf("phase %d/%d %q started, %v left", i+1, len(r.sc.Phases), ph.Name, left),
		"scenario", r.sc.Name, "impairments", names, "scenario_left", (r.sc.Duration - off).Round(time.Second))
}
