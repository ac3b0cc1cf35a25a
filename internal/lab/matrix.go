package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/conformance"
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
	// sampleInterval is how often each client's resolver state is read.
	sampleInterval = time.Second
	// digInterval is how often each client queries the servers it holds,
	// so that its DNS use shows on the wire, as a real client's steady
	// lookups would. Once a second makes the 3–4 s windows after an RA
	// that omits a server long enough for the observer to tell a client
	// that keeps the server from one that drops it (F6).
	digInterval = time.Second
	// digTimeout bounds one dig.
	digTimeout = 5 * time.Second
	// endMargin is how long before the scenario's end the observer's
	// verdicts are evaluated. The clients' state is read until
	// matrix.DefaultWindow.After later, still before the scenario ends.
	endMargin = 3 * time.Second
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

// expectedVerdicts maps a scenario outcome to the verdict it means at the
// end of the run (a late answer ends with DNS), or to
// matrix.ExpectedFlaps, which any end state may follow.
var expectedVerdicts = map[scenario.Outcome]string{
	scenario.OutcomeDNS:      string(matrix.ActualDNSOK),
	scenario.OutcomeLateDNS:  string(matrix.ActualDNSOK),
	scenario.OutcomeFlaps:    matrix.ExpectedFlaps,
	scenario.OutcomeLosesDNS: string(matrix.ActualDNSLost),
	scenario.OutcomeNoDNS:    string(matrix.ActualNoDNS),
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
	// scenario NAME.pcapng, NAME.report.json and logs/NAME/.
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
	if err := netlab.LookTool("dig", "bind9-dnsutils"); err != nil {
		return nil, err
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
				info.Pcapng, info.Report = sr.pcapng, sr.report
				if err != nil {
					info.Error = err.Error()
					log.Error("scenario failed", "scenario", e.sc.Name, "err", err)
				}
				results[i] = result{cells: cells, sc: info, err: err}
				agree := 0
				for _, c := range cells {
					if c.Agree {
						agree++
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
				fmt.Fprintf(progress, "scenario %d/%d %s finished: %d/%d cells agree; %d of %d done, elapsed %s, ETA %s\n",
					i+1, len(selected), e.sc.Name, agree, len(cells), finished, len(selected),
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
	// pcapng and report are the output file names, set once written.
	pcapng, report string
}

// watched is one running client and its resolver timeline.
type watched struct {
	c    *labclient.Client
	inst *labclient.Instance
	// timeline are the changes of its resolver state, and the last
	// sample.
	timeline []matrix.Sample
	lastDig  time.Time
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
	if err := os.WriteFile(scPath, r.e.data, 0o644); err != nil {
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
	// timeline. The verdicts are for endMargin before the scenario's end,
	// and the run stops just after the comparison window that follows;
	// with --scenario-hold ralab then neither sends its final RAs (which
	// would withdraw what the clients hold) nor exits before it is
	// stopped.
	begin := time.Now()
	server, err := rtr.Start(pctx, "ralab-serve", r.opts.Executable, "serve", "-c", cfgPath,
		"--scenario", scPath, "--scenario-start", begin.UTC().Format(time.RFC3339Nano), "--scenario-hold")
	if err != nil {
		_, _ = capture.Stop()
		return nil, err
	}
	var ws []*watched
	for i, c := range r.clients {
		inst, err := c.Start(pctx, hosts[i], hosts[i].IfName)
		if err != nil {
			_ = server.Stop()
			_, _ = capture.Stop()
			return nil, err
		}
		ws = append(ws, &watched{c: c, inst: inst})
	}
	r.log.Info("scenario running", "clients", len(ws), "duration", sc.Duration)

	evalAt := begin.Add(sc.Duration - endMargin)
	waitErr := r.watch(ctx, server, ws, evalAt.Add(matrix.DefaultWindow.After))

	var errs []error
	if waitErr != nil {
		errs = append(errs, waitErr)
	}
	path, err := capture.Stop()
	if err != nil {
		errs = append(errs, err)
	}
	for _, w := range ws {
		// Clients that exit after their Reply (dhclient -S, dhcp6c -i)
		// have stopped already; their exit status is no failure.
		_ = w.inst.Stop()
	}
	if err := server.Stop(); err != nil && waitErr == nil {
		errs = append(errs, fmt.Errorf("ralab serve: %w", err))
	}
	if path == "" {
		return nil, errors.Join(errs...)
	}
	r.pcapng = sc.Name + ".pcapng"
	if err := copyFile(path, filepath.Join(r.opts.OutDir, r.pcapng)); err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	rep, err := analyze(path, evalAt)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	r.report = sc.Name + ".report.json"
	if err := writeReport(filepath.Join(r.opts.OutDir, r.report), rep); err != nil {
		errs = append(errs, err)
	}
	var cells []matrix.Cell
	for _, w := range ws {
		cells = append(cells, r.cell(w, rep))
	}
	return cells, errors.Join(errs...)
}

// watch samples every client's resolver state and has each query the
// servers it holds, until end, ctx is done or the server exits.
func (r *scenarioRun) watch(ctx context.Context, server *netlab.Process, ws []*watched, end time.Time) error {
	// Queries still running at the end are cancelled, so the capture
	// stops right after the final sample.
	dctx, cancel := context.WithCancel(ctx)
	var digs sync.WaitGroup
	defer digs.Wait()
	defer cancel()
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(end))
	defer timer.Stop()
	for {
		now := time.Now()
		for _, w := range ws {
			s := sample(w.inst, now)
			w.record(s)
			// The tolerance keeps ticker jitter from skipping a tick.
			if len(s.Servers) > 0 && now.Sub(w.lastDig) >= digInterval-sampleInterval/10 {
				w.lastDig = now
				h := w.inst.Host
				digs.Go(func() { dig(dctx, h, s.Servers) })
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-server.Done():
			return fmt.Errorf("%w: %v; see logs/%s/rtr/ralab-serve.stderr", ErrServerExited, server.Err(), r.e.sc.Name)
		case <-timer.C:
			// The final sample, at the end of the comparison window.
			now := time.Now()
			for _, w := range ws {
				w.timeline = append(w.timeline, sample(w.inst, now))
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

// record adds s to the timeline if it differs from the last sample: the
// timeline keeps the changes of the client's state.
func (w *watched) record(s matrix.Sample) {
	if n := len(w.timeline); n > 0 {
		last := w.timeline[n-1]
		if last.Error == s.Error && slices.Equal(last.Servers, s.Servers) {
			return
		}
	}
	w.timeline = append(w.timeline, s)
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

// dig queries each server once for an AAAA record of the lab zone, from
// the client's namespace, so that the client's DNS use is on the wire.
// Failures are expected (a server that no longer answers) and ignored.
func dig(ctx context.Context, h *netlab.Host, servers []string) {
	for _, s := range servers {
		if _, err := netip.ParseAddr(s); err != nil {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, digTimeout)
		_, _ = h.Run(dctx, "dig", "+tries=1", "+time=2", "@"+s, "www.lab.example", "AAAA")
		cancel()
	}
}

// analyze runs the observer on the capture at path, as of at.
func analyze(path string, at time.Time) (*conformance.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	rep, err := conformance.AnalyzeAt(f, at)
	if err != nil {
		return nil, fmt.Errorf("lab: analyzing %s: %w", path, err)
	}
	return rep, nil
}

// writeReport writes the observer's report as JSON to path.
func writeReport(path string, rep *conformance.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := conformance.RenderJSON(f, rep); err != nil {
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

// cell compares the observer's verdict on w's host with what w held.
func (r *scenarioRun) cell(w *watched, rep *conformance.Report) matrix.Cell {
	mac := w.inst.Host.MAC.String()
	c := matrix.Cell{
		Client: w.c.Name, Class: classes[w.c.Name], MAC: mac, Scenario: r.e.sc.Name,
		Verdict: verdictUnseen, Pcapng: r.pcapng, HeldAtEnd: []string{},
		Findings: []string{}, FIDs: []string{}, Evidence: []int{}, Timeline: w.timeline,
	}
	c.EvaluatedAt = rep.End
	if n := len(w.timeline); n > 0 {
		c.HeldAtEnd = w.timeline[n-1].Servers
	}
	if ex, ok := r.e.sc.Expect[c.Class]; ok && c.Class != "" {
		c.Expected, c.ExpectedNote = expectedVerdicts[ex.Outcome], ex.Note
	}
	i := slices.IndexFunc(rep.Clients, func(oc conformance.Client) bool { return strings.EqualFold(oc.MAC, mac) })
	if i >= 0 {
		oc := rep.Clients[i]
		c.Verdict, c.Reason, c.LostAt = string(oc.Verdict), oc.Reason, oc.LostAt
		for _, f := range oc.Findings {
			if !slices.Contains(c.Findings, f.ID) {
				c.Findings = append(c.Findings, f.ID)
			}
		}
		slices.Sort(c.Findings)
		c.FIDs = matrix.FailureIDs(c.Findings, c.Reason)
		for _, e := range oc.Evidence {
			c.Evidence = append(c.Evidence, e.Packet)
		}
	} else {
		c.Reason = "the capture shows no packet from or to this client"
	}
	cmp := matrix.Compare(c.Verdict, w.timeline, rep.End, matrix.DefaultWindow)
	c.Actual, c.ActualLostAt, c.Agree, c.SettledAt = cmp.Actual, cmp.LostAt, cmp.Agree, cmp.SettledAt
	return c
}
