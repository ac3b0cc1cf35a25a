package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/matrix"
)

// Lab sizes for AutoParallel, measured on the default matrix (see the
// README's Performance section): a lab's processes (ralab serve, dumpcap,
// the clients, D-Bus) hold well under labMemory, and while a scenario
// runs a lab needs a few percent of a core at most; the CPU goes to
// setting labs up and tearing them down, which labsPerCore allows for.
const (
	labMemory   = 256 << 20
	labsPerCore = 40
)

// AutoParallel returns how many labs to run at once when
// ScenarioOptions.Parallel is zero: all of them (labs) when the
// machine's available memory and cores allow, else as many as they do,
// at least one.
func AutoParallel(labs int) int {
	n := min(labs, labsPerCore*runtime.NumCPU())
	if avail, err := memAvailable(); err == nil {
		n = min(n, int(avail/labMemory))
	}
	return max(n, 1)
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable() (uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("lab: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("lab: /proc/meminfo: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("lab: no MemAvailable in /proc/meminfo")
}

// ScenarioOptions configures RunScenarios.
type ScenarioOptions struct {
	// Config is the ralab configuration to serve; it must serve the
	// interface netlab.BridgeName.
	Config []byte
	// ConfigName names Config in messages, such as "lab.toml".
	ConfigName string
	// Executable is the ralab binary run as "ralab serve -c FILE
	// --scenario S" in each lab's router namespace.
	Executable string
	// OutDir receives matrix.json, matrix.md, matrix.html and, per lab
	// of each scenario, its pcapng, its observer report as JSON and
	// HTML, and its logs under logs/.
	OutDir string
	// Scenarios are the names of the scenarios to run; empty runs all.
	Scenarios []string
	// Parallel is how many labs run at once; zero means AutoParallel.
	Parallel int
	// Logger receives log messages; nil discards them.
	Logger *slog.Logger
	// Progress receives a line per lab started and finished, with the
	// time each stage took, and a status line every progressEvery with
	// an estimate of the time left; nil discards them.
	Progress io.Writer
	// Generator names the ralab build in each scenario's report
	// (conformance.Report.Generator).
	Generator string
}

// DefaultClients returns the clients of the default matrix: the default
// lab's (labclient.All), then NetworkManager and ConnMan
// (labclient.Extra), each of which runs on a link of its own.
func DefaultClients() []*labclient.Client {
	return append(labclient.All(), labclient.Extra()...)
}

// RunScenarios runs each selected scenario with every installed client,
// in labs run in parallel, and writes the compatibility matrix and each
// lab's capture and observer report to OutDir. The clients share one lab
// per scenario, except those that must run on a link of their own
// (labclient.Client.OwnLink), which get a lab each (see the package
// documentation). A lab that fails is recorded with its error and the
// others still run; the error returned joins those failures. When ctx
// is cancelled the labs are removed and the matrix so far is written.
func RunScenarios(ctx context.Context, opts ScenarioOptions) (*matrix.Matrix, error) {
	selected, err := opts.check()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	m := &matrix.Matrix{Schema: matrix.Schema, Config: opts.ConfigName, Clients: []string{}, Cells: []matrix.Cell{}}
	clients := installedClients(m, DefaultClients(), log)
	plans := planLabs(selected, clients)
	par := opts.Parallel
	if par <= 0 {
		par = AutoParallel(len(plans))
	}
	start := time.Now()
	results := runLabs(ctx, opts, log, plans, par)
	errs := assemble(m, selected, plans, results)
	m.Count()
	m.GeneratedAt = time.Now().UTC()
	m.ElapsedSeconds = time.Since(start).Round(time.Millisecond).Seconds()
	if err := writeMatrix(opts.OutDir, m); err != nil {
		errs = append(errs, err)
	}
	return m, errors.Join(errs...)
}

// check validates the options and returns the selected scenarios.
func (opts ScenarioOptions) check() ([]embeddedScenario, error) {
	if len(opts.Config) == 0 || opts.Executable == "" || opts.OutDir == "" {
		return nil, fmt.Errorf("%w: Config, Executable and OutDir are required", ErrOptions)
	}
	if _, err := parseServed(opts.ConfigName, opts.Config); err != nil {
		return nil, err
	}
	all, err := loadScenarios()
	if err != nil {
		return nil, err
	}
	return selectScenarios(all, opts.Scenarios)
}

// installedClients returns the installed clients among cs, without
// duplicates, and records them as m's columns; the others are recorded
// as missing.
func installedClients(m *matrix.Matrix, cs []*labclient.Client, log *slog.Logger) []*labclient.Client {
	var out []*labclient.Client
	for _, c := range cs {
		if slices.Contains(m.Clients, c.Name) || slices.ContainsFunc(m.Missing,
			func(x matrix.Missing) bool { return x.Name == c.Name }) {
			continue
		}
		if c.Available() != nil {
			m.Missing = append(m.Missing, matrix.Missing{Name: c.Name, Package: c.Package})
			log.Warn("client not installed", "client", c.Name, "package", c.Package)
			continue
		}
		out = append(out, c)
		m.Clients = append(m.Clients, c.Name)
	}
	return out
}

// labPlan is one lab of one scenario: the clients on its link.
type labPlan struct {
	// scenario is the index of the scenario among the selected ones.
	scenario int
	e        embeddedScenario
	clients  []*labclient.Client
	// macs are the clients' MAC addresses: by column, so a client has
	// the same MAC in every lab.
	macs []string
	// own is the client's name for a lab of one client on its own
	// link, "" for the shared lab.
	own string
}

// name names the lab's files: the scenario's name, and the client's for
// a lab of its own.
func (p labPlan) name() string {
	if p.own == "" {
		return p.e.sc.Name
	}
	return p.e.sc.Name + "." + p.own
}

// planLabs returns the labs of each scenario: one shared by the clients
// that may share a link, then one per client that needs its own.
func planLabs(selected []embeddedScenario, clients []*labclient.Client) []labPlan {
	var plans []labPlan
	for i, e := range selected {
		shared := labPlan{scenario: i, e: e}
		var own []labPlan
		for j, c := range clients {
			mac := fmt.Sprintf("02:00:00:00:02:%02x", j+1)
			if c.OwnLink {
				own = append(own, labPlan{scenario: i, e: e, clients: []*labclient.Client{c}, macs: []string{mac},
					own: c.Name})
				continue
			}
			shared.clients = append(shared.clients, c)
			shared.macs = append(shared.macs, mac)
		}
		if len(shared.clients) > 0 {
			plans = append(plans, shared)
		}
		plans = append(plans, own...)
	}
	return plans
}

// labResult is what one lab gave.
type labResult struct {
	cells []matrix.Cell
	lab   matrix.Lab
	err   error
}

// runLabs runs the labs, par at a time, the longest scenarios first so
// that a run with fewer slots than labs ends as early as it can, and
// returns their results in the order of plans.
func runLabs(ctx context.Context, opts ScenarioOptions, log *slog.Logger, plans []labPlan, par int) []labResult {
	results := make([]labResult, len(plans))
	order := make([]int, len(plans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(plans[b].e.sc.Duration - plans[a].e.sc.Duration) })
	prog := newProgress(opts.Progress, plans, par)
	stop := prog.every(progressEvery)
	defer stop()
	delays := staggered(plans, par)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(par, len(plans)) {
		wg.Go(func() {
			for i := range jobs {
				results[i] = runOne(ctx, opts, log, plans[i], prog, i, delays[i])
			}
		})
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

// staggered returns how long each lab waits before it starts. When all
// labs run at once, a lab whose scenario is shorter than the longest by d
// starts d/2 later: it still ends before the longest, and the longest
// labs, which set the run's time, are set up while few others are.
// Measured on the default matrix (2 cores): setup took about 12 s per lab
// with all 36 labs starting together.
func staggered(plans []labPlan, par int) []time.Duration {
	delays := make([]time.Duration, len(plans))
	if par < len(plans) {
		return delays
	}
	var longest time.Duration
	for _, p := range plans {
		longest = max(longest, p.e.sc.Duration)
	}
	for i, p := range plans {
		delays[i] = (longest - p.e.sc.Duration) / 2
	}
	return delays
}

// runOne runs lab i after delay and reports its start and end to prog.
func runOne(ctx context.Context, opts ScenarioOptions, log *slog.Logger, p labPlan, prog *progress, i int,
	delay time.Duration) labResult {
	lab := matrix.Lab{Clients: clientNames(p)}
	select {
	case <-time.After(delay):
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		lab.Error = err.Error()
		return labResult{lab: lab, err: err}
	}
	prog.started(i)
	r := &labRun{opts: opts, log: log.With("lab", p.name()), plan: p}
	cells, err := r.run(ctx)
	lab.Pcapng, lab.Report, lab.ReportHTML = r.pcapng, r.report, r.htmlReport
	lab.Phases = r.timer.phases
	if err != nil {
		lab.Error = err.Error()
		log.Error("lab failed", "lab", p.name(), "err", err)
	}
	prog.finished(i, cells, lab.Phases, err)
	return labResult{cells: cells, lab: lab, err: err}
}

// assemble adds each scenario's row and cells to m, the cells in column
// order, and returns the labs' errors.
func assemble(m *matrix.Matrix, selected []embeddedScenario, plans []labPlan, results []labResult) []error {
	rows := make([]matrix.Scenario, len(selected))
	cells := make([][]matrix.Cell, len(selected))
	for i, e := range selected {
		rows[i] = scenarioInfo(e.sc)
	}
	var errs []error
	for i, p := range plans {
		res, row := results[i], &rows[p.scenario]
		row.Labs = append(row.Labs, res.lab)
		if p.own == "" {
			row.Pcapng, row.Report, row.ReportHTML = res.lab.Pcapng, res.lab.Report, res.lab.ReportHTML
		}
		if res.err != nil {
			row.Error = errors.Join(optError(row.Error), fmt.Errorf("%s: %w", p.name(), res.err)).Error()
			errs = append(errs, fmt.Errorf("lab %s: %w", p.name(), res.err))
		}
		cells[p.scenario] = append(cells[p.scenario], res.cells...)
	}
	for i := range selected {
		slices.SortStableFunc(cells[i], func(a, b matrix.Cell) int {
			return slices.Index(m.Clients, a.Client) - slices.Index(m.Clients, b.Client)
		})
		m.Scenarios = append(m.Scenarios, rows[i])
		m.Cells = append(m.Cells, cells[i]...)
	}
	return errs
}

// optError returns an error with text s, or nil for "".
func optError(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

// writeMatrix writes matrix.json, matrix.md and matrix.html to dir.
func writeMatrix(dir string, m *matrix.Matrix) error {
	var errs []error
	for name, write := range map[string]func(io.Writer) error{
		"matrix.json": m.WriteJSON,
		"matrix.md":   m.WriteMarkdown,
		"matrix.html": m.WriteHTML,
	} {
		errs = append(errs, writeFile(filepath.Join(dir, name), write))
	}
	return errors.Join(errs...)
}
