package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/matrix"
	"github.com/ralab/ralab/internal/netlab"
)

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

// hostName is the lab host name of client name: netlab host names
// allow no "-".
func hostName(name string) string { return strings.ReplaceAll(name, "-", "_") }

// labRun is one lab of one scenario: its link, its clients, its
// capture.
type labRun struct {
	opts ScenarioOptions
	log  *slog.Logger
	plan labPlan
	// begin is when the scenario started.
	begin time.Time
	// pcapng and report are the output file names, set once written;
	// report is the JSON report, htmlReport its HTML rendering.
	pcapng, report, htmlReport string
	// timer times the run's phases.
	timer phaseTimer
}

// phaseTimer records how long each phase of a lab's run takes.
type phaseTimer struct {
	phases []matrix.Phase
	name   string
	since  time.Time
}

// next ends the current phase, if any, and starts phase name ("" starts
// none).
func (t *phaseTimer) next(name string) {
	now := time.Now()
	if t.name != "" {
		t.phases = append(t.phases, matrix.Phase{Name: t.name,
			Seconds: now.Sub(t.since).Round(time.Millisecond).Seconds()})
	}
	t.name, t.since = name, now
}

// watched is one running client and its resolver timeline.
type watched struct {
	c    *labclient.Client
	inst *labclient.Instance
	// timeline are the first and the last sample of each run of
	// unchanged resolver state (see record).
	timeline []matrix.Sample
	// tail, when hasTail is set, is the latest sample of the current
	// run when it is not the run's first, to be added at the next change
	// or at the end.
	tail    matrix.Sample
	hasTail bool
	// look sends its lookups.
	look *looker
}

// run builds the lab, runs the scenario and returns its cells. The lab is
// removed on every path; its logs are kept under OutDir/logs/NAME.
func (r *labRun) run(ctx context.Context) ([]matrix.Cell, error) {
	r.timer.next("lab")
	l, err := netlab.New(ctx, netlab.Options{Logger: r.log, KeepDir: true})
	if err != nil {
		r.timer.next("")
		return nil, err
	}
	cells, runErr := r.inLab(ctx, l)
	r.timer.next("close")
	if err := l.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := copyLogs(l.Dir(), filepath.Join(r.opts.OutDir, "logs", r.plan.name())); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := os.RemoveAll(l.Dir()); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("lab: %w", err))
	}
	r.timer.next("")
	return cells, runErr
}

// inLab runs the scenario in l: capture, hosts, ralab, clients, then
// the scenario and the evaluation of its capture. On an error before the
// scenario runs, what was started is left to l.Close.
func (r *labRun) inLab(ctx context.Context, l *netlab.Lab) ([]matrix.Cell, error) {
	// Processes outlive a cancelled ctx so they can be stopped in order.
	pctx := context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	rtr := l.Router()
	cfgPath, scPath, err := r.writeFiles(rtr)
	if err != nil {
		return nil, err
	}
	// The capture starts before the hosts exist, so it holds each host's
	// DAD and Router Solicitations: even a client that never sends
	// anything itself (rdnssd) is seen by the observer.
	r.timer.next("capture")
	capture, err := rtr.StartCapture(pctx, "capture")
	if err != nil {
		return nil, err
	}
	r.timer.next("hosts")
	hosts, err := r.addHosts(sctx, l)
	if err != nil {
		return nil, err
	}
	if err := addLinkLocalServers(sctx, rtr, r.plan.e.sc); err != nil {
		return nil, err
	}
	r.timer.next("serve")
	server, err := r.startServer(pctx, rtr, cfgPath, scPath)
	if err != nil {
		return nil, err
	}
	r.timer.next("clients")
	ws, err := r.startClients(sctx, pctx, hosts)
	defer func() {
		for _, w := range ws {
			w.look.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	r.log.Info("scenario running", "clients", len(ws), "duration", r.plan.e.sc.Duration)
	r.timer.next("scenario")
	path, errs := r.runScenario(ctx, capture, server, ws)
	if path == "" {
		return nil, errors.Join(errs...)
	}
	r.timer.next("analyze")
	cells, err := r.evaluate(path, ws)
	return cells, errors.Join(append(errs, err)...)
}

// writeFiles writes the configuration and the scenario, its duration
// extended by serveTail, to the router's directory and returns their
// paths.
func (r *labRun) writeFiles(rtr *netlab.Host) (cfgPath, scPath string, err error) {
	cfgPath = filepath.Join(rtr.Dir(), "ralab.toml")
	scPath = filepath.Join(rtr.Dir(), "scenario.toml")
	if err := os.WriteFile(cfgPath, r.opts.Config, 0o644); err != nil {
		return "", "", fmt.Errorf("lab: %w", err)
	}
	served, err := withTail(r.plan.e.data, r.plan.e.sc, serveTail)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(scPath, served, 0o644); err != nil {
		return "", "", fmt.Errorf("lab: %w", err)
	}
	return cfgPath, scPath, nil
}

// addHosts adds a host per client, in parallel, so that every client
// starts within a moment of the scenario's start.
func (r *labRun) addHosts(ctx context.Context, l *netlab.Lab) ([]*netlab.Host, error) {
	hosts := make([]*netlab.Host, len(r.plan.clients))
	errs := make([]error, len(r.plan.clients))
	var wg sync.WaitGroup
	for i, c := range r.plan.clients {
		wg.Go(func() {
			hosts[i], errs[i] = l.AddHost(ctx, hostName(c.Name), r.plan.macs[i])
		})
	}
	wg.Wait()
	return hosts, errors.Join(errs...)
}

// startServer starts "ralab serve" with the scenario. An explicit
// --scenario-start gives the harness the scenario's exact timeline.
// ralab's copy of the scenario lasts serveTail longer, and with
// --scenario-hold it neither sends its final RAs (which would withdraw
// what the clients hold) nor exits before it is stopped.
func (r *labRun) startServer(ctx context.Context, rtr *netlab.Host, cfgPath, scPath string) (*netlab.Process, error) {
	r.begin = time.Now()
	return rtr.Start(ctx, "ralab-serve", r.opts.Executable, "serve", "-c", cfgPath,
		"--scenario", scPath, "--scenario-start", r.begin.UTC().Format(time.RFC3339Nano), "--scenario-hold")
}

// startClients opens each host's lookup socket and starts its client,
// all hosts in parallel. It returns the clients started, also on error.
func (r *labRun) startClients(sctx, pctx context.Context, hosts []*netlab.Host) ([]*watched, error) {
	ws := make([]*watched, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, c := range r.plan.clients {
		wg.Go(func() {
			look, err := newLooker(sctx, hosts[i])
			if err != nil {
				errs[i] = err
				return
			}
			inst, err := c.Start(pctx, hosts[i], hosts[i].IfName)
			if err != nil {
				look.close()
				errs[i] = err
				return
			}
			ws[i] = &watched{c: c, inst: inst, look: look}
		})
	}
	wg.Wait()
	var started []*watched
	for _, w := range ws {
		if w != nil {
			started = append(started, w)
		}
	}
	return started, errors.Join(errs...)
}

// runScenario samples the clients until the scenario's end while the
// capture is stopped captureLead before it, then stops the clients and
// ralab. It returns the capture's path ("" if it failed) and the errors.
func (r *labRun) runScenario(ctx context.Context, capture *netlab.Capture, server *netlab.Process,
	ws []*watched) (string, []error) {
	end := r.begin.Add(r.plan.e.sc.Duration)
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
	r.timer.next("stop")
	var errs []error
	if waitErr != nil {
		errs = append(errs, waitErr)
	}
	if c.err != nil {
		errs = append(errs, c.err)
	}
	r.stopAll(server, ws)
	return c.path, errs
}

// stopAll stops the clients and ralab, all at once. The clients are
// killed: their state has been read for the last time and the capture
// has ended, so what they would do on SIGTERM (a DHCPv6 Release, final
// state files) is no part of the run, and some (dibbler) took the whole
// grace period of 5 s over it. Clients that exit after their Reply
// (dhclient -S, dhcp6c -i) have stopped already; no client's exit
// status is a failure. Nor is ralab's: its run is over and captured;
// one that had to be killed after SIGTERM is logged.
func (r *labRun) stopAll(server *netlab.Process, ws []*watched) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() {
			_ = w.inst.Process.Signal(os.Kill)
			<-w.inst.Process.Done()
		})
	}
	if err := server.Stop(); err != nil {
		r.log.Warn("ralab serve did not stop in time", "err", err)
	}
	wg.Wait()
}

// watch samples every client's resolver state and has each look up a
// name through the servers it holds, until finish is closed, ctx is done
// or the server exits. It returns nil when finish is closed. Each client
// is sampled by a goroutine of its own, so a slow read of one client's
// state (nmcli on a loaded machine) never delays another's samples.
func (r *labRun) watch(ctx context.Context, server *netlab.Process, ws []*watched, finish <-chan struct{}) error {
	abort := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { w.watch(finish, abort) })
	}
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-server.Done():
		err = fmt.Errorf("%w: %v; see logs/%s/rtr/ralab-serve.stderr", ErrServerExited, server.Err(), r.plan.name())
	case <-finish:
	}
	close(abort)
	wg.Wait()
	return err
}

// watch samples w every sampleInterval and sends its lookups until
// finish is closed, when it takes a final sample at the end of the run,
// or abort is.
func (w *watched) watch(finish, abort <-chan struct{}) {
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	defer w.flush()
	for {
		s, servers := sample(w.inst)
		w.record(s)
		w.look.lookup(servers)
		select {
		case <-finish:
			s, _ := sample(w.inst)
			w.record(s)
			return
		case <-abort:
			return
		case <-tick.C:
		}
	}
}
