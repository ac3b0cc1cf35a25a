package liveobserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/capture"
	"github.com/ralab/ralab/internal/config"
	"github.com/vishvananda/netns"
)

// Defaults of Config fields left zero.
const (
	// DefaultProgress is how often progress is logged.
	DefaultProgress = 30 * time.Second
	// DefaultPoll is how often a missing or down interface is looked for,
	// as the advertiser and the DHCPv6 server do.
	DefaultPoll = time.Second
)

// flushEvery bounds how long a captured frame waits in the pcapng writer's
// buffer, so that a reader following the file sees it.
const flushEvery = time.Second

// Errors returned by Start.
var (
	// ErrNoInterface reports a Config without an interface name.
	ErrNoInterface = errors.New("liveobserve: no interface")
	// ErrFormat reports an Output with an unknown format.
	ErrFormat = errors.New("liveobserve: unknown report format")
)

// Report formats of an Output.
const (
	// FormatJSON is the ralab.report/v1 JSON schema (render.JSON).
	FormatJSON = "json"
	// FormatMarkdown is Markdown (render.Markdown).
	FormatMarkdown = "md"
	// FormatHTML is a standalone HTML page (render.HTML).
	FormatHTML = "html"
)

// Output is one report file an Observer keeps current.
type Output struct {
	// Path is the file; it is replaced atomically on each write.
	Path string
	// Format is FormatJSON, FormatMarkdown or FormatHTML.
	Format string
}

// Config configures an Observer.
type Config struct {
	// Interface is the name of the interface to capture on (required).
	Interface string
	// PCAPNG is the capture file to write; "" writes none. The file is
	// created (truncated) by Start and holds the whole run, across the
	// interface going away and returning.
	PCAPNG string
	// Outputs are the report files rewritten every ReportEvery and at
	// Close.
	Outputs []Output
	// ReportEvery is how often Outputs are rewritten while capturing; 0
	// writes them only at Close.
	ReportEvery time.Duration
	// Progress is how often progress is logged; 0 means DefaultProgress
	// and a negative value turns progress logs off.
	Progress time.Duration
	// MaxClients caps the tracked clients; 0 means
	// conformance.DefaultMaxClients.
	MaxClients int
	// OutageGrace is the shortest lapse of DNS counted as an outage; 0
	// means conformance.DefaultOutageGrace, negative none.
	OutageGrace time.Duration
	// Wait makes Start succeed when the interface does not exist yet, and
	// the Observer wait for it. Without Wait, Start fails then.
	Wait bool
	// Poll is how often a missing or down interface is looked for; 0
	// means DefaultPoll.
	Poll time.Duration
	// Metrics, when set, receive the observer's conclusions every
	// DefaultMetricsEvery, at each rewrite of Outputs and at Close
	// (ralab_clients and the outage series).
	Metrics *Metrics
	// Generator names the ralab build in the reports
	// (conformance.Report.Generator).
	Generator string
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// FromConfig returns the Config of the observer that ifc's [interface.observe]
// table asks for: the capture in <dir>/<name>.pcapng and the reports in
// <dir>/<name>.report.{json,md,html}, waiting for the interface as the
// advertiser does. The caller checks ifc.Observe.Enabled.
func FromConfig(ifc config.Interface, log *slog.Logger) Config {
	base := filepath.Join(ifc.Observe.Dir, ifc.Name)
	return Config{
		Interface: ifc.Name,
		PCAPNG:    base + ".pcapng",
		Outputs: []Output{
			{Path: base + ".report.json", Format: FormatJSON},
			{Path: base + ".report.md", Format: FormatMarkdown},
			{Path: base + ".report.html", Format: FormatHTML},
		},
		ReportEvery: ifc.Observe.ReportEvery,
		MaxClients:  ifc.Observe.MaxClients,
		OutageGrace: conformance.GraceOption(ifc.Observe.OutageGrace),
		Wait:        true,
		Logger:      log,
	}
}

// An Observer captures on one interface and reports on its clients. Its
// methods are safe for concurrent use.
type Observer struct {
	cfg   Config
	log   *slog.Logger
	tr    *conformance.Tracker
	start time.Time

	cancel context.CancelFunc
	done   chan struct{}
	// closeOnce guards the final write; closeErr is its result.
	closeOnce sync.Once
	closeErr  error

	// pmu guards the pcapng writer and its file.
	pmu       sync.Mutex
	file      *os.File
	pw        *capture.Writer
	lastFlush time.Time

	// mu guards the listener state, statistics and effects.
	mu sync.Mutex
	// mac is the interface's MAC while open, the From of NoteSent records
	// that give none.
	mac  net.HardwareAddr
	cur  *capture.Listener
	base capture.Stats
	// opens counts how often the interface was opened.
	opens   int
	effects *effectLog
	// runErr is why capturing stopped for good, if it did.
	runErr error
	// wmu serialises report writes.
	wmu sync.Mutex
}

// Start validates c, creates the pcapng file and starts observing in the
// background until ctx ends or Close is called. It fails at once when the
// interface cannot be captured on for lack of privileges, and, without
// c.Wait, when the interface does not exist.
func Start(ctx context.Context, c Config) (*Observer, error) {
	if c.Interface == "" {
		return nil, ErrNoInterface
	}
	for _, o := range c.Outputs {
		switch o.Format {
		case FormatJSON, FormatMarkdown, FormatHTML:
		default:
			return nil, fmt.Errorf("%w %q for %s: want json, md or html", ErrFormat, o.Format, o.Path)
		}
	}
	if c.Progress == 0 {
		c.Progress = DefaultProgress
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.MaxClients <= 0 {
		c.MaxClients = conformance.DefaultMaxClients
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "observer", "interface", c.Interface)
	o := &Observer{
		cfg:     c,
		log:     log,
		start:   time.Now(),
		done:    make(chan struct{}),
		effects: newEffectLog(),
		tr: conformance.NewTracker(conformance.Options{
			Source:      conformance.Source{Kind: conformance.SourceInterface, Name: c.Interface},
			MaxClients:  c.MaxClients,
			OutageGrace: c.OutageGrace,
			Logger:      log,
		}),
	}

	// Open at once when possible, so that a permission problem, or a
	// missing interface when not waiting, is the caller's error.
	l, err := o.open()
	switch {
	case err == nil:
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("%w (observing needs CAP_NET_RAW: run as root or grant the capability)", err)
	case !c.Wait:
		return nil, err
	}
	if c.PCAPNG != "" {
		if err := o.createPCAPNG(); err != nil {
			if l != nil {
				_ = l.Close()
			}
			return nil, err
		}
	}
	// The goroutine that re-opens the interface must look for it in the
	// network namespace Start was called in, which need not be the
	// process's (a test may run Start on a thread switched into a lab
	// namespace).
	ns, err := netns.Get()
	if err != nil {
		o.log.Debug("cannot pin the network namespace; re-opening in the process's", "err", err)
	}
	ctx, o.cancel = context.WithCancel(ctx)
	go func() {
		defer o.leaveNetns(o.enterNetns(ns))
		o.run(ctx, l)
	}()
	return o, nil
}

// enterNetns locks the calling goroutine to its thread and switches the
// thread into ns (then closing ns), returning the namespace to go back to.
// With ns not open it does nothing and returns a closed handle.
func (o *Observer) enterNetns(ns netns.NsHandle) netns.NsHandle {
	if !ns.IsOpen() {
		return ns
	}
	defer ns.Close()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err == nil {
		err = netns.Set(ns)
	}
	if err != nil {
		o.log.Warn("cannot enter the network namespace; re-opening in the thread's", "err", err)
	}
	return orig
}

// leaveNetns switches the thread back to orig and unlocks it. When that
// fails the thread stays locked, and the Go runtime retires it when the
// goroutine ends, so no other goroutine runs in the wrong namespace.
func (o *Observer) leaveNetns(orig netns.NsHandle) {
	if !orig.IsOpen() {
		return
	}
	defer orig.Close()
	if err := netns.Set(orig); err != nil {
		o.log.Warn("cannot leave the network namespace", "err", err)
		return
	}
	runtime.UnlockOSThread()
}

// createPCAPNG creates the capture file and writes its header, so that a
// file that exists and is not empty means the capture runs.
func (o *Observer) createPCAPNG() error {
	f, err := os.Create(o.cfg.PCAPNG)
	if err != nil {
		return fmt.Errorf("liveobserve: creating capture file: %w", err)
	}
	pw, err := capture.NewWriter(f, o.cfg.Interface)
	if err == nil {
		err = pw.Flush()
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("liveobserve: %s: %w", o.cfg.PCAPNG, err)
	}
	o.file, o.pw = f, pw
	return nil
}

// open opens a capture on the interface if it exists and is up.
func (o *Observer) open() (*capture.Listener, error) {
	ifi, err := net.InterfaceByName(o.cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("liveobserve: interface %q: %w", o.cfg.Interface, err)
	}
	if ifi.Flags&net.FlagUp == 0 {
		return nil, fmt.Errorf("liveobserve: interface %q is down", o.cfg.Interface)
	}
	l, err := capture.Listen(ifi)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.cur, o.mac = l, ifi.HardwareAddr
	o.opens++
	n := o.opens
	o.mu.Unlock()
	o.log.Info("observing", "mac", ifi.HardwareAddr.String(), "index", ifi.Index, "open", n)
	return l, nil
}

// run captures until ctx ends, re-opening the interface whenever it went
// away, and logs progress and rewrites the reports meanwhile.
func (o *Observer) run(ctx context.Context, l *capture.Listener) {
	defer close(o.done)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		o.periodic(ctx)
	}()
	defer wg.Wait()
	if l == nil {
		o.log.Info("waiting for the interface")
	}
	for {
		if l == nil {
			if l = o.waitOpen(ctx); l == nil {
				return
			}
		}
		err := l.Run(ctx, o.handle)
		o.closeListener(l)
		l = nil
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errPCAPNG) {
			o.mu.Lock()
			o.runErr = err
			o.mu.Unlock()
			o.log.Error("capture stopped", "err", err)
			return
		}
		o.log.Warn("capture interrupted; waiting for the interface to return", "err", err)
	}
}

// waitOpen polls for the interface until it can be opened or ctx ends
// (then it returns nil).
func (o *Observer) waitOpen(ctx context.Context) *capture.Listener {
	t := time.NewTicker(o.cfg.Poll)
	defer t.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		l, err := o.open()
		if err == nil {
			return l
		}
		if s := err.Error(); s != last {
			o.log.Debug("interface not ready", "err", err)
			last = s
		}
	}
}

// closeListener closes l and keeps its statistics.
func (o *Observer) closeListener(l *capture.Listener) {
	st, err := l.Stats()
	if err != nil {
		o.log.Debug("reading capture statistics", "err", err)
	}
	_ = l.Close()
	o.mu.Lock()
	o.base = addStats(o.base, st)
	if o.cur == l {
		o.cur = nil
	}
	o.mu.Unlock()
}

// addStats returns the sum of a and b.
func addStats(a, b capture.Stats) capture.Stats {
	return capture.Stats{
		Packets:       a.Packets + b.Packets,
		Bytes:         a.Bytes + b.Bytes,
		KernelPackets: a.KernelPackets + b.KernelPackets,
		KernelDrops:   a.KernelDrops + b.KernelDrops,
	}
}

// errPCAPNG marks a failure to write the capture file, which ends the
// capture: a run whose file silently lacks packets would mislead.
var errPCAPNG = errors.New("writing the capture file")

// handle records one captured frame.
func (o *Observer) handle(p capture.Packet) error {
	if err := o.writePacket(p); err != nil {
		return fmt.Errorf("%w %s: %w", errPCAPNG, o.cfg.PCAPNG, err)
	}
	// A malformed frame is counted and reported by the tracker; it is
	// not a reason to stop.
	_, _ = o.tr.ObserveFrame(p.Data, p.Time)
	return nil
}

// writePacket appends p to the pcapng file, if any, flushing at most once
// per flushEvery.
func (o *Observer) writePacket(p capture.Packet) error {
	o.pmu.Lock()
	defer o.pmu.Unlock()
	if o.pw == nil {
		return nil
	}
	if err := o.pw.WritePacket(p); err != nil {
		return err
	}
	if now := time.Now(); now.Sub(o.lastFlush) >= flushEvery {
		o.lastFlush = now
		return o.pw.Flush()
	}
	return nil
}

// flush pushes buffered frames to the pcapng file.
func (o *Observer) flush() {
	o.pmu.Lock()
	defer o.pmu.Unlock()
	if o.pw == nil {
		return
	}
	if err := o.pw.Flush(); err != nil {
		o.log.Warn("flushing the capture file", "err", err)
	}
	o.lastFlush = time.Now()
}

// periodic logs progress and rewrites the reports until ctx ends.
func (o *Observer) periodic(ctx context.Context) {
	var progress, rewrite, flush, metrics <-chan time.Time
	if o.cfg.Progress > 0 {
		t := time.NewTicker(o.cfg.Progress)
		defer t.Stop()
		progress = t.C
	}
	if o.cfg.ReportEvery > 0 && len(o.cfg.Outputs) > 0 {
		t := time.NewTicker(o.cfg.ReportEvery)
		defer t.Stop()
		rewrite = t.C
	}
	if o.cfg.Metrics != nil && (rewrite == nil || o.cfg.ReportEvery > DefaultMetricsEvery) {
		// Rewrites update the metrics too; a tick of its own only when
		// they are rarer.
		t := time.NewTicker(DefaultMetricsEvery)
		defer t.Stop()
		metrics = t.C
	}
	if o.cfg.PCAPNG != "" {
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		flush = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush:
			o.flush()
		case now := <-metrics:
			o.cfg.Metrics.Update(o.cfg.Interface, o.Report(now))
		case now := <-progress:
			o.logProgress("progress", o.Report(now))
		case now := <-rewrite:
			r := o.Report(now)
			o.cfg.Metrics.Update(o.cfg.Interface, r)
			if err := o.writeOutputs(r); err != nil {
				o.log.Warn("rewriting the report", "err", err)
			}
		}
	}
}

// logProgress logs what r counts.
func (o *Observer) logProgress(msg string, r *conformance.Report) {
	st := o.Stats()
	o.log.Info(msg, "packets", st.Packets, "kernel_drops", st.KernelDrops,
		"clients", len(r.Clients), "routers", len(r.Routers), "sent", len(r.Sent),
		"dns_ok", r.Summary.DNSOK, "dns_lost", r.Summary.DNSLost,
		"no_dns", r.Summary.NoDNS, "inconclusive", r.Summary.Inconclusive)
}

// Stats returns the capture counters of the whole run, over every time the
// interface was opened.
func (o *Observer) Stats() capture.Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.base
	if o.cur != nil {
		cur, err := o.cur.Stats()
		if err == nil {
			// Listener.Stats accumulates; base holds closed listeners only.
			st = addStats(st, cur)
		}
	}
	return st
}

// Report returns the report at now: the tracker's, with the effects of
// ralab's own impairments and a CAPTURE finding when the kernel dropped
// frames (verdicts may then miss packets).
func (o *Observer) Report(now time.Time) *conformance.Report {
	r := o.tr.Report(now)
	r.Generator = o.cfg.Generator
	o.mu.Lock()
	r.Findings = append(r.Findings, o.effects.findings()...)
	o.mu.Unlock()
	return WithCaptureFindings(r, o.Stats(), now)
}

// WithCaptureFindings adds to r a CAPTURE finding when st shows that the
// kernel dropped frames, and returns r.
func WithCaptureFindings(r *conformance.Report, st capture.Stats, now time.Time) *conformance.Report {
	if st.KernelDrops > 0 {
		r.Findings = append(r.Findings, conformance.Finding{
			ID:       conformance.CheckCapture,
			Severity: conformance.SeverityWarning,
			Time:     now,
			Evidence: []conformance.Evidence{},
			Message: fmt.Sprintf("the kernel dropped %d frames because the capture socket's buffer was full: "+
				"verdicts may rest on an incomplete capture", st.KernelDrops),
		})
	}
	return r
}

// closeDrain bounds how long Close waits for the capture to read the
// frames the kernel has already queued for it.
const closeDrain = time.Second

// drain waits, at most closeDrain, until the capture has read every frame
// the kernel queued on its socket (or dropped), so that what was sent just
// before Close, such as the daemon's final RAs, is in the capture and the
// report. The kernel queues a frame sent on the interface before the send
// returns.
func (o *Observer) drain() {
	deadline := time.Now().Add(closeDrain)
	for {
		o.mu.Lock()
		l := o.cur
		o.mu.Unlock()
		if l == nil {
			return
		}
		st, err := l.Stats()
		if err != nil || st.Packets+st.KernelDrops >= st.KernelPackets || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Err returns why capturing stopped before Close, or nil.
func (o *Observer) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runErr
}

// Close stops the capture, completes the pcapng file with the capture
// statistics, writes the final reports and returns the final report. It
// returns the first error of those steps, or why capturing stopped early.
// Further calls return the same.
func (o *Observer) Close() (*conformance.Report, error) {
	var r *conformance.Report
	o.closeOnce.Do(func() {
		o.drain()
		o.cancel()
		<-o.done
		end := time.Now()
		st := o.Stats()
		if st.KernelDrops > 0 {
			o.log.Warn("the kernel dropped frames: the report may miss packets", "dropped", st.KernelDrops)
		}
		errs := []error{o.Err()}
		o.pmu.Lock()
		if o.pw != nil {
			err := o.pw.WriteStats(st, o.start, end)
			if err == nil {
				err = o.pw.Flush()
			}
			errs = append(errs, err, o.file.Close())
			o.pw = nil
		}
		o.pmu.Unlock()
		r = o.Report(end)
		o.cfg.Metrics.Update(o.cfg.Interface, r)
		errs = append(errs, o.writeOutputs(r))
		o.logProgress("observer stopped", r)
		o.closeErr = errors.Join(errs...)
	})
	if r == nil {
		r = o.Report(time.Now())
	}
	return r, o.closeErr
}
