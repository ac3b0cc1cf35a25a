package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/matrix"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/scenario"
)

// DefaultParallel is how many scenario labs RunMatrix runs at once. Four
// labs of seven clients fit the default matrix in well under 10 minutes
// on a 2-core machine (BenchmarkDefaultMatrix).
const DefaultParallel = 4

// Timing of a scenario run.
const (
	// sampleInterval is how often each client's resolver state is read
	// and each client looks up a name through every server it holds
	// (looker), so that its DNS use shows on the wire, as a real
	// client's steady lookups would. Once a second makes the windows
	// after an RA that omits a server long enough for the observer to
	// tell a client that keeps the server from one that drops it (F6).
	sampleInterval = time.Second
	// captureLead is how long before the scenario's end the capture is
	// stopped. netlab's Capture.Stop waits 1.5 s for dumpcap to drain the
	// kernel buffer before it ends the capture, so the capture ends about
	// 0.5 s before the scenario does: ralab's move to the unimpaired
	// configuration at the end (--scenario-hold) and its final RAs when
	// stopped are never in it. The capture's end is the end of every
	// verdict, in the matrix and in "ralab analyze" of the file alike.
	captureLead = 2 * time.Second
	// serveTail is how much longer than the scenario ralab is told its
	// scenario lasts: the last phase stays in force for that long after
	// the harness's end, so a capture that a loaded machine stops late
	// still shows only the scenario's conditions, never ralab's move to
	// the unimpaired configuration at its end.
	serveTail = 30 * time.Second
	// setupTimeout bounds building a lab and starting its processes.
	setupTimeout = 2 * time.Minute
)

// ErrUnknownScenario is returned for a scenario name that is not
// embedded.
var ErrUnknownScenario = errors.New("lab: unknown scenario")

// classes maps a labclient name to its client class in the field guide
// §1 and the scenario files' [expect] tables; dibbler and ConnMan have
// none.
var classes = map[string]string{
	"networkmanager": "networkmanager",
	"rdnssd":         "rdnssd",
	"dhcpcd":         "dhcpcd",
	"networkd":       "systemd-networkd",
	"dhclient":       "dhclient",
	"dhcp6c":         "wide-dhcp6c",
	"dhcp6c-i":       "wide-dhcp6c",
}

// embeddedScenario is one scenario file of configs/scenarios.
type embeddedScenario struct {
	sc   *scenario.Scenario
	data []byte
}

// Scenarios returns the embedded scenarios: baseline first, then F1 to
// F17 in numeric order.
func Scenarios() ([]*scenario.Scenario, error) {
	all, err := loadScenarios()
	if err != nil {
		return nil, err
	}
	out := make([]*scenario.Scenario, len(all))
	for i, e := range all {
		out[i] = e.sc
	}
	return out, nil
}

// scenarioRank orders scenario names: no F-id first, then by F number.
func scenarioRank(name string) int {
	if !strings.HasPrefix(name, "F") {
		return 0
	}
	n, _ := strconv.Atoi(strings.SplitN(name[1:], "-", 2)[0])
	return n
}

func loadScenarios() ([]embeddedScenario, error) {
	ents, err := fs.ReadDir(scenarios.Files, ".")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	var out []embeddedScenario
	for _, e := range ents {
		b, err := fs.ReadFile(scenarios.Files, e.Name())
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		sc, err := scenario.Parse(e.Name(), b)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		out = append(out, embeddedScenario{sc: sc, data: b})
	}
	slices.SortFunc(out, func(a, b embeddedScenario) int {
		if d := scenarioRank(a.sc.Name) - scenarioRank(b.sc.Name); d != 0 {
			return d
		}
		return strings.Compare(a.sc.Name, b.sc.Name)
	})
	return out, nil
}

// MatrixOptions configures RunMatrix.
type MatrixOptions struct {
	// Config is the ralab configuration to serve; it must serve the
	// interface netlab.BridgeName.
	Config []byte
	// ConfigName names Config in messages, such as "lab.toml".
	ConfigName string
	// Executable is the ralab binary run as "ralab serve -c FILE
	// --scenario S" in each lab's router namespace.
	Executable string
	// OutDir receives matrix.json, matrix.md, matrix.html and per
	// scenario NAME.pcapng, its observer report NAME.report.json and
	// NAME.report.html, and logs/NAME/.
	OutDir string
	// Scenarios are the names of the scenarios to run; empty runs all.
	Scenarios []string
	// Extra are clients run beside the default ones (labclient.All),
	// such as labclient.Extra's NetworkManager and ConnMan.
	Extra []*labclient.Client
	// Parallel is how many labs run at once; zero means DefaultParallel.
	Parallel int
	// Logger receives log messages; nil discards them.
	Logger *slog.Logger
	// Progress receives one line per scenario started and finished, with
	// an estimate of the time left; nil discards them.
	Progress io.Writer
	// Generator names the ralab build in each scenario's report
	// (conformance.Report.Generator).
	Generator string
}

// RunMatrix runs each selected scenario in a fresh lab with every
// installed client, a few labs at once, and writes the compatibility
// matrix and each scenario's capture and observer report to OutDir. A
// scenario whose lab fails is recorded with its error and the others
// still run; the error returned joins those failures. When ctx is
// cancelled the labs are removed and the matrix so far is written.
func RunMatrix(ctx context.Context, opts MatrixOptions) (*matrix.Matrix, error) {
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
	selected := all
	if len(opts.Scenarios) > 0 {
		selected = nil
		for _, name := range opts.Scenarios {
			i := slices.IndexFunc(all, func(e embeddedScenario) bool { return e.sc.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("%w %q", ErrUnknownScenario, name)
			}
			if !slices.ContainsFunc(selected, func(e embeddedScenario) bool { return e.sc.Name == name }) {
				selected = append(selected, all[i])
			}
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}

	m := &matrix.Matrix{Schema: matrix.Schema, Config: opts.ConfigName, Clients: []string{}, Cells: []matrix.Cell{}}
	var clients []*labclient.Client
	for _, c := range append(labclient.All(), opts.Extra...) {
		if c.Available() != nil {
			m.Missing = append(m.Missing, matrix.Missing{Name: c.Name, Package: c.Package})
			log.Warn("client not installed", "client", c.Name, "package", c.Package)
			continue
		}
		clients = append(clients, c)
		m.Clients = append(m.Clients, c.Name)
	}

	start := time.Now()
	type result struct {
		cells []matrix.Cell
		sc    matrix.Scenario
		err   error
	}
	results := make([]result, len(selected))
	var (
		mu       sync.Mutex
		finished int
		runTime  time.Duration // summed over the finished scenarios
		wg       sync.WaitGroup
	)
	// par workers take the scenarios in order.
	jobs := make(chan int)
	for range min(par, len(selected)) {
		wg.Go(func() {
			for i := range jobs {
				e := selected[i]
				if err := ctx.Err(); err != nil {
					info := scenarioInfo(e.sc)
					info.Error = err.Error()
					results[i] = result{sc: info, err: err}
					continue
				}
				fmt.Fprintf(progress, "scenario %d/%d %s started (%s)\n", i+1, len(selected), e.sc.Name, e.sc.Duration)
				sr := &scenarioRun{opts: opts, log: log.With("scenario", e.sc.Name), e: e, clients: clients}
				began := time.Now()
				cells, err := sr.run(ctx)
				took := time.Since(began)
				info := scenarioInfo(e.sc)
				info.Pcapng, info.Report, info.ReportHTML = sr.pcapng, sr.report, sr.htmlReport
				if err != nil {
					info.Error = err.Error()
					log.Error("scenario failed", "scenario", e.sc.Name, "err", err)
				}
				results[i] = result{cells: cells, sc: info, err: err}
				agree, unsettled := 0, 0
				for _, c := range cells {
					switch {
					case c.Agree:
						agree++
					case c.Unsettled != "":
						unsettled++
					}
				}
				mu.Lock()
				finished++
				runTime += took
				elapsed := time.Since(start)
				// The scenarios left take about the mean run time each,
				// par at a time.
				left := len(selected) - finished
				eta := runTime / time.Duration(finished) * time.Duration((left+par-1)/par)
				fmt.Fprintf(progress, "scenario %d/%d %s finished: %d/%d cells agree, %d unsettled; %d of %d done, elapsed %s, ETA %s\n",
					i+1, len(selected), e.sc.Name, agree, len(cells), unsettled, finished, len(selected),
					elapsed.Round(time.Second), eta.Round(time.Second))
				mu.Unlock()
			}
		})
	}
	for i := range selected {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	var errs []error
	for _, r := range results {
		m.Scenarios = append(m.Scenarios, r.sc)
		m.Cells = append(m.Cells, r.cells...)
		if r.err != nil {
			errs = append(errs, fmt.Errorf("scenario %s: %w", r.sc.Name, r.err))
		}
	}
	m.Count()
	m.GeneratedAt = time.Now().UTC()
	m.ElapsedSeconds = time.Since(start).Round(time.Millisecond).Seconds()
	if err := writeMatrix(opts.OutDir, m); err != nil {
		errs = append(errs, err)
	}
	return m, errors.Join(errs...)
}

// hostName is the lab host name of client name: netlab host names
// allow no "-".
func hostName(name string) string { return strings.ReplaceAll(name, "-", "_") }

// scenarioInfo returns the matrix row header of sc.
func scenarioInfo(sc *scenario.Scenario) matrix.Scenario {
	return matrix.Scenario{Name: sc.Name, FIDs: append([]string{}, sc.FIDs...), Description: sc.Description, DurationSeconds: sc.Duration.Seconds()}
}

// writeMatrix writes matrix.json, matrix.md and matrix.html to dir.
func writeMatrix(dir string, m *matrix.Matrix) error {
	var errs []error
	for name, write := range map[string]func(io.Writer) error{
		"matrix.json": m.WriteJSON,
		"matrix.md":   m.WriteMarkdown,
		"matrix.html": m.WriteHTML,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("lab: %w", err))
			continue
		}
		if err := write(f); err != nil {
			errs = append(errs, err)
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("lab: %w", err))
		}
	}
	return errors.Join(errs...)
}

// scenarioRun is one scenario in its own lab.
type scenarioRun struct {
	opts    MatrixOptions
	log     *slog.Logger
	e       embeddedScenario
	clients []*labclient.Client
	// begin is when the scenario started.
	begin time.Time
	// pcapng and report are the output file names, set once written;
	// report is the JSON report, htmlReport its HTML rendering.
	pcapng, report, htmlReport string
}

// watched is one running client and its resolver timeline.
type watched struct {
	c    *labclient.Client
	inst *labclient.Instance
	// timeline are the first and the last sample of each run of
	// unchanged resolver state (see record).
	timeline []matrix.Sample
	// tail is the latest sample of the current run when it is not the
	// run's first, to be added at the next change or at the end.
	tail *matrix.Sample
	// look sends its lookups.
	look *looker
}

// run builds the lab, runs the scenario and returns its cells. The lab is
// removed on every path; its logs are kept under OutDir/logs/NAME.
func (r *scenarioRun) run(ctx context.Context) ([]matrix.Cell, error) {
	name := r.e.sc.Name
	l, err := netlab.New(ctx, netlab.Options{Logger: r.log, KeepDir: true})
	if err != nil {
		return nil, err
	}
	cells, runErr := r.inLab(ctx, l)
	if err := l.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := copyLogs(l.Dir(), filepath.Join(r.opts.OutDir, "logs", name)); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := os.RemoveAll(l.Dir()); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("lab: %w", err))
	}
	return cells, runErr
}

func (r *scenarioRun) inLab(ctx context.Context, l *netlab.Lab) ([]matrix.Cell, error) {
	sc := r.e.sc
	// Processes outlive a cancelled ctx so they can be stopped in order.
	pctx := context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	rtr := l.Router()
	cfgPath := filepath.Join(rtr.Dir(), "ralab.toml")
	scPath := filepath.Join(rtr.Dir(), "scenario.toml")
	if err := os.WriteFile(cfgPath, r.opts.Config, 0o644); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	served, err := withTail(r.e.data, sc, serveTail)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(scPath, served, 0o644); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}

	// The capture starts before the hosts exist, so it holds each host's
	// DAD and Router Solicitations: even a client that never sends
	// anything itself (rdnssd) is seen by the observer.
	capture, err := rtr.StartCapture(pctx, "capture")
	if err != nil {
		return nil, err
	}
	// Hosts in parallel, so that every client starts within a moment of
	// the scenario's start.
	hosts := make([]*netlab.Host, len(r.clients))
	herrs := make([]error, len(r.clients))
	var wg sync.WaitGroup
	for i, c := range r.clients {
		wg.Go(func() {
			hosts[i], herrs[i] = l.AddHost(sctx, hostName(c.Name), fmt.Sprintf("02:00:00:00:02:%02x", i+1))
		})
	}
	wg.Wait()
	if err := errors.Join(herrs...); err != nil {
		_, _ = capture.Stop()
		return nil, err
	}
	if err := addLinkLocalServers(sctx, rtr, sc); err != nil {
		_, _ = capture.Stop()
		return nil, err
	}
	// An explicit --scenario-start gives the harness the scenario's exact
	// timeline. ralab's copy of the scenario lasts serveTail longer, and
	// with --scenario-hold it neither sends its final RAs (which would
	// withdraw what the clients hold) nor exits before it is stopped.
	r.begin = time.Now()
	server, err := rtr.Start(pctx, "ralab-serve", r.opts.Executable, "serve", "-c", cfgPath,
		"--scenario", scPath, "--scenario-start", r.begin.UTC().Format(time.RFC3339Nano), "--scenario-hold")
	if err != nil {
		_, _ = capture.Stop()
		return nil, err
	}
	var ws []*watched
	defer func() {
		for _, w := range ws {
			w.look.close()
		}
	}()
	for i, c := range r.clients {
		look, err := newLooker(sctx, hosts[i])
		if err != nil {
			_ = server.Stop()
			_, _ = capture.Stop()
			return nil, err
		}
		inst, err := c.Start(pctx, hosts[i], hosts[i].IfName)
		if err != nil {
			look.close()
			_ = server.Stop()
			_, _ = capture.Stop()
			return nil, err
		}
		ws = append(ws, &watched{c: c, inst: inst, look: look})
	}
	r.log.Info("scenario running", "clients", len(ws), "duration", sc.Duration)
	path, errs := r.runScenario(ctx, capture, server, ws)
	if path == "" {
		return nil, errors.Join(errs...)
	}
	cells, err := r.evaluate(path, ws)
	return cells, errors.Join(append(errs, err)...)
}

// durationLine matches a scenario file's top-level duration key.
var durationLine = regexp.MustCompile(`(?m)^duration\s*=\s*"[^"\n]*"`)

// withTail returns scenario file data, parsed as sc, with its duration
// extended by tail (see serveTail), checked by parsing it again.
func withTail(data []byte, sc *scenario.Scenario, tail time.Duration) ([]byte, error) {
	want := sc.Duration + tail
	out := durationLine.ReplaceAll(data, []byte(fmt.Sprintf("duration = %q", want.String())))
	got, err := scenario.Parse(sc.Name+".toml", out)
	if err != nil {
		return nil, fmt.Errorf("lab: scenario %s with a tail: %w", sc.Name, err)
	}
	if got.Duration != want {
		return nil, fmt.Errorf("lab: scenario %s: duration %v with a tail, want %v", sc.Name, got.Duration, want)
	}
	return out, nil
}

// runScenario samples the clients until the scenario's end while the
// capture is stopped captureLead before it, then stops the clients and
// ralab. It returns the capture's path ("" if it failed) and the errors.
func (r *scenarioRun) runScenario(ctx context.Context, capture *netlab.Capture, server *netlab.Process, ws []*watched) (string, []error) {
	end := r.begin.Add(r.e.sc.Duration)
	type stopped struct {
		path string
		err  error
	}
	captured := make(chan stopped, 1)
	// Sampling goes on until the scenario's end and the capture's,
	// whichever is later: a loaded machine may stop the capture late.
	finish := make(chan struct{})
	watchCtx, cancelWatch := context.WithCancel(ctx)
	go func() {
		// The capture stops at its time, or at once when the run fails.
		select {
		case <-time.After(time.Until(end.Add(-captureLead))):
		case <-watchCtx.Done():
		}
		path, err := capture.Stop()
		captured <- stopped{path, err}
		select {
		case <-time.After(time.Until(end)):
		case <-watchCtx.Done():
		}
		close(finish)
	}()
	waitErr := r.watch(watchCtx, server, ws, finish)
	cancelWatch()
	c := <-captured
	var errs []error
	if waitErr != nil {
		errs = append(errs, waitErr)
	}
	if c.err != nil {
		errs = append(errs, c.err)
	}
	for _, w := range ws {
		// Clients that exit after their Reply (dhclient -S, dhcp6c -i)
		// have stopped already; their exit status is no failure.
		_ = w.inst.Stop()
	}
	if err := server.Stop(); err != nil && waitErr == nil {
		errs = append(errs, fmt.Errorf("ralab serve: %w", err))
	}
	return c.path, errs
}

// evaluate copies the capture at path to OutDir, analyses it exactly as
// "ralab analyze FILE" does (and once more with client identification
// off), writes the report as JSON and HTML next to it and returns the
// cells.
func (r *scenarioRun) evaluate(path string, ws []*watched) ([]matrix.Cell, error) {
	name := r.e.sc.Name
	r.pcapng = name + ".pcapng"
	if err := copyFile(path, filepath.Join(r.opts.OutDir, r.pcapng)); err != nil {
		return nil, err
	}
	rep, err := analyze(path, r.pcapng, conformance.Options{})
	if err != nil {
		return nil, err
	}
	rep.Generator = r.opts.Generator
	wire, err := analyze(path, r.pcapng, conformance.Options{NoKnowledge: true})
	if err != nil {
		return nil, err
	}
	var errs []error
	r.report, r.htmlReport = name+".report.json", name+".report.html"
	if err := writeReport(filepath.Join(r.opts.OutDir, r.report), rep, render.JSON); err != nil {
		errs = append(errs, err)
	}
	if err := writeReport(filepath.Join(r.opts.OutDir, r.htmlReport), rep, render.HTML); err != nil {
		errs = append(errs, err)
	}
	var cells []matrix.Cell
	for _, w := range ws {
		cells = append(cells, r.cell(w, rep, wire))
	}
	return cells, errors.Join(errs...)
}

// watch samples every client's resolver state and has each look up a
// name through the servers it holds, until finish is closed, ctx is done
// or the server exits. It returns nil when finish is closed.
func (r *scenarioRun) watch(ctx context.Context, server *netlab.Process, ws []*watched, finish <-chan struct{}) error {
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	defer func() {
		for _, w := range ws {
			w.flush()
		}
	}()
	for {
		now := time.Now()
		for _, w := range ws {
			s := sample(w.inst, now)
			w.record(s)
			w.look.lookup(s.Servers)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-server.Done():
			return fmt.Errorf("%w: %v; see logs/%s/rtr/ralab-serve.stderr", ErrServerExited, server.Err(), r.e.sc.Name)
		case <-finish:
			// The final sample, at the end of the run.
			now := time.Now()
			for _, w := range ws {
				w.record(sample(w.inst, now))
			}
			return nil
		case <-tick.C:
		}
	}
}

// addLinkLocalServers adds the link-local RDNSS address of each
// rdnss-link-local impairment (F14) of sc to the router's bridge, as the
// scenario asks ("a DNS server must listen on fe80::53"): then a client
// that holds it resolves the address and its queries reach the wire,
// where the observer sees them.
func addLinkLocalServers(ctx context.Context, rtr *netlab.Host, sc *scenario.Scenario) error {
	var addrs []string
	for _, spec := range sc.Impairments {
		if spec.Type == nil || spec.Type.Name != "rdnss-link-local" {
			continue
		}
		// The default address is that of the impairment catalogue.
		a := "fe80::53"
		if v, ok := spec.Params["address"]; ok {
			a = strings.Trim(v, `"`)
		}
		if _, err := netip.ParseAddr(a); err != nil {
			return fmt.Errorf("lab: scenario %s, impairment %s: %w", sc.Name, spec.Name, err)
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		if _, err := rtr.Run(ctx, "ip", "-6", "addr", "add", a+"/64", "dev", rtr.IfName, "nodad"); err != nil {
			return fmt.Errorf("lab: adding %s to the router: %w", a, err)
		}
	}
	return nil
}

// record adds s to the timeline: the first sample of each run of
// unchanged state at once, the last one (kept in tail) when the state
// changes or at flush. Both ends of each run let Judge bound how long an
// empty stretch lasted.
func (w *watched) record(s matrix.Sample) {
	if n := len(w.timeline); n > 0 {
		last := w.timeline[n-1]
		if last.Error == s.Error && slices.Equal(last.Servers, s.Servers) {
			w.tail = &s
			return
		}
	}
	w.flush()
	w.timeline = append(w.timeline, s)
}

// flush adds the pending last sample of the current run, if any.
func (w *watched) flush() {
	if w.tail != nil {
		w.timeline = append(w.timeline, *w.tail)
		w.tail = nil
	}
}

// sample reads one client's resolver state.
func sample(inst *labclient.Instance, now time.Time) matrix.Sample {
	s := matrix.Sample{At: now.UTC(), Servers: []string{}}
	res, err := inst.Resolver()
	if err != nil {
		s.Error = err.Error()
		return s
	}
	for _, a := range res.Addrs() {
		if a.Is6() && a.IsLinkLocalUnicast() && a.Zone() == "" {
			a = a.WithZone(inst.IfName)
		}
		if v := a.String(); !slices.Contains(s.Servers, v) {
			s.Servers = append(s.Servers, v)
		}
	}
	return s
}

// analyze runs the observer on the capture at path with the tracker
// options o, evaluated at the capture's end: with zero options exactly
// what "ralab analyze FILE" reports. The report names the capture name,
// as it is called in the output directory.
func analyze(path, name string, o conformance.Options) (*conformance.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	o.Source = conformance.Source{Name: name}
	rep, err := conformance.AnalyzeWith(bufio.NewReader(f), conformance.AnalyzeOptions{Tracker: o})
	if err != nil {
		return nil, fmt.Errorf("lab: analyzing %s: %w", path, err)
	}
	return rep, nil
}

// writeReport writes the observer's report to path with render.
func writeReport(path string, rep *conformance.Report, render func(io.Writer, *conformance.Report) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := render(f, rep); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// verdictUnseen is a cell's verdict when the capture shows nothing of
// the client.
const verdictUnseen = "unseen"

// observed returns the observer's entry for mac in rep and its index, or
// -1.
func observed(rep *conformance.Report, mac string) (*conformance.Client, int) {
	i := slices.IndexFunc(rep.Clients, func(oc conformance.Client) bool { return strings.EqualFold(oc.MAC, mac) })
	if i < 0 {
		return nil, -1
	}
	return &rep.Clients[i], i
}

// cell compares the observer's verdict on w's host (in rep, and in wire
// without client identification) with what w held.
func (r *scenarioRun) cell(w *watched, rep, wire *conformance.Report) matrix.Cell {
	mac := w.inst.Host.MAC.String()
	c := matrix.Cell{
		Client: w.c.Name, Class: classes[w.c.Name], MAC: mac, Scenario: r.e.sc.Name,
		Verdict: verdictUnseen, Pcapng: r.pcapng, HeldAtEnd: []string{},
		Findings: []string{}, FIDs: []string{}, Evidence: []int{}, Timeline: w.timeline,
		EvaluatedAt: rep.End, Report: r.htmlReport, WireVerdict: verdictUnseen,
	}
	if n := len(w.timeline); n > 0 {
		c.HeldAtEnd = w.timeline[n-1].Servers
	}
	r.expect(&c)
	if oc, i := observed(rep, mac); oc != nil {
		setObserved(&c, oc)
		if r.htmlReport != "" {
			c.Report += "#client-" + strconv.Itoa(i+1)
		}
	} else {
		c.Reason = "the capture shows no packet from or to this client"
	}
	if oc, _ := observed(wire, mac); oc != nil {
		c.WireVerdict, c.WireRecovered = string(oc.Verdict), oc.Recovered
	}
	c.DependsOnKnowledge = c.WireVerdict != c.Verdict || c.WireRecovered != c.Recovered
	grace := time.Duration(rep.OutageGraceSeconds * float64(time.Second))
	if grace <= 0 {
		grace = conformance.DefaultOutageGrace
	}
	c.GraceSeconds = grace.Seconds()
	c.SetComparison(matrix.Compare(c.Verdict, c.Recovered, w.timeline, rep.End, grace, matrix.DefaultWindow))
	return c
}

// setObserved copies the observer's verdict on a client into c.
func setObserved(c *matrix.Cell, oc *conformance.Client) {
	c.Verdict, c.Recovered, c.Reason, c.LostAt = string(oc.Verdict), oc.Recovered, oc.Reason, oc.LostAt
	c.Outages, c.WithoutDNSSeconds = oc.OutageStats.Count, oc.OutageStats.WithoutDNSSeconds
	for _, f := range oc.Findings {
		if !slices.Contains(c.Findings, f.ID) {
			c.Findings = append(c.Findings, f.ID)
		}
	}
	slices.Sort(c.Findings)
	ids := slices.Clone(c.Findings)
	for _, o := range oc.Outages {
		ids = append(ids, o.FIDs...)
	}
	c.FIDs = matrix.FailureIDs(ids, c.Reason)
	for _, e := range oc.Evidence {
		c.Evidence = append(c.Evidence, e.Packet)
	}
	for _, k := range oc.Knowledge {
		c.Knowledge = append(c.Knowledge, k.Client+": "+k.Behaviour)
	}
}

// expect sets c's expectation from the scenario file and when the
// scenario's first impaired phase began and ended.
func (r *scenarioRun) expect(c *matrix.Cell) {
	sc := r.e.sc
	ex, ok := sc.Expect[c.Class]
	if !ok || c.Class == "" {
		return
	}
	c.Expected, c.ExpectedNote = string(ex.Outcome), ex.Note
	i := slices.IndexFunc(sc.Phases, func(p scenario.Phase) bool { return len(p.Impairments) > 0 })
	if i < 0 {
		return
	}
	from := r.begin.Add(sc.Phases[i].Start).UTC()
	c.ImpairedFrom = &from
	if p := sc.Phases[i]; p.End < sc.Duration {
		until := r.begin.Add(p.End).UTC()
		c.ImpairedUntil = &until
	}
}
