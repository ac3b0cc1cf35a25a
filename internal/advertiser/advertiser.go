package advertiser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/lograte"
	"github.com/ralab/ralab/internal/ra"
	"github.com/ralab/ralab/internal/sysctl"
	"golang.org/x/sys/unix"
)

// ErrPermission reports that the process may not open raw ICMPv6 sockets
// or write sysctls: it needs root or CAP_NET_RAW and CAP_NET_ADMIN. It
// wraps os.ErrPermission.
var ErrPermission = fmt.Errorf("advertiser: run as root or with CAP_NET_RAW (raw ICMPv6 socket) and CAP_NET_ADMIN (/proc/sys/net/ipv6): %w", os.ErrPermission)

// DefaultFinalSpacing is the time between the final RAs sent on shutdown.
// RFC 4861 §6.2.5 allows up to MaxFinalRtrAdvertisements (3) final RAs
// and sets no spacing; MIN_DELAY_BETWEEN_RAS (§6.2.6) would make shutdown
// take 6 s. ralab sends the first at once and the others 250 ms apart, so
// a lost packet is likely covered and shutdown stays under ~1 s.
const DefaultFinalSpacing = 250 * time.Millisecond

// Options tune an Advertiser. The zero value is production behaviour.
type Options struct {
	// Logger receives the advertiser's logs; nil discards them.
	Logger *slog.Logger
	// Metrics receives its metrics; nil keeps them unregistered.
	Metrics *Metrics
	// Sysctl is where per-interface sysctls live; nil is /proc/sys.
	Sysctl *sysctl.FS
	// Recheck is how often the link state is re-read in case a netlink
	// notification is missed; 0 means 2 s.
	Recheck time.Duration
	// OnEffect, when set, is called with everything an impairment did
	// (see SetImpairments), from the advertiser's goroutine; it must not
	// block.
	OnEffect func(impair.Effect)
	// OnSent, when set, is called for every RA the daemon meant to send
	// and for every packet that went on the wire, from the advertiser's
	// goroutine; it must not block or keep Sent.Bytes.
	OnSent func(Sent)
	// Journal, when set, records the original value of every sysctl
	// before the advertiser changes it, so that a later start can
	// restore it after a crash (package hoststate).
	Journal SysctlJournal
	// Watch follows the interface's state; nil is WatchNetlink.
	Watch WatchFunc
	// Dial opens the NDP socket on the usable link; nil is DialNDP.
	Dial DialFunc
}

// SysctlJournal records sysctl changes before they are made; package
// hoststate's *Journal is one.
type SysctlJournal interface {
	// SaveSysctl records the value key of ifname had before a change.
	SaveSysctl(ifname, key, value string) error
	// ForgetSysctls records that the sysctls of ifname are restored.
	ForgetSysctls(ifname string) error
}

// An Advertiser sends Router Advertisements on one interface and answers
// its Router Solicitations.
type Advertiser struct {
	name    string
	log     *slog.Logger
	m       *Metrics
	sysctl  *sysctl.FS
	sched   *Scheduler
	recheck time.Duration
	invLog  *lograte.Limiter
	errLog  *lograte.Limiter
	effLog  *lograte.Limiter
	// rsLog limits the per-RS debug lines, linkLog the lines of a
	// flapping link, dropLog the warnings about socket drops.
	rsLog   *lograte.Limiter
	linkLog *lograte.Limiter
	dropLog *lograte.Limiter
	journal SysctlJournal
	watch   WatchFunc
	dial    DialFunc

	onEffect func(impair.Effect)
	onSent   func(Sent)

	reloadC chan struct{}
	// imp holds the impairments in use; impC signals a change.
	imp  atomic.Pointer[impair.Set]
	impC chan struct{}
	// pending are impaired sends due later, sorted by time, and fragID
	// the last IPv6 fragment identification used; both belong to the
	// goroutine of Run.
	pending []impair.Send
	fragID  uint32

	mu sync.Mutex
	// cfg is the configuration in use; next a pending reload.
	cfg, next *config.Interface
	// withdrawFrom is the configuration last announced by multicast
	// before a reload; until a multicast RA has gone out after the
	// reload, RAs are built from ra.Withdrawn(*withdrawFrom, cfg).
	withdrawFrom *config.Interface
	status       Status
}

// New returns an Advertiser for ifc.
func New(ifc config.Interface, o Options) *Advertiser {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Sysctl == nil {
		o.Sysctl = sysctl.New("")
	}
	if o.Recheck == 0 {
		o.Recheck = 2 * time.Second
	}
	if o.Watch == nil {
		o.Watch = WatchNetlink
	}
	if o.Dial == nil {
		o.Dial = DialNDP
	}
	a := &Advertiser{
		name:   ifc.Name,
		log:    o.Logger.With("interface", ifc.Name),
		m:      o.Metrics,
		sysctl: o.Sysctl,
		sched: NewScheduler(ifc.MinInterval, ifc.MaxInterval, DefaultLimits,
			rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))),
		recheck: o.Recheck,
		invLog:  &lograte.Limiter{Burst: 5, Every: 10 * time.Second},
		errLog:  &lograte.Limiter{Burst: 5, Every: 10 * time.Second},
		effLog:  &lograte.Limiter{Burst: 10, Every: 10 * time.Second},
		rsLog:   &lograte.Limiter{Burst: 20, Every: time.Second},
		linkLog: &lograte.Limiter{Burst: 10, Every: 10 * time.Second},
		dropLog: &lograte.Limiter{Burst: 1, Every: 10 * time.Second},
		journal: o.Journal,
		watch:   o.Watch,
		dial:    o.Dial,
		reloadC: make(chan struct{}, 1),
		impC:    make(chan struct{}, 1),

		onEffect: o.OnEffect,
		onSent:   o.OnSent,
		cfg:      &ifc,
		status: Status{
			Interface: ifc.Name,
			State:     "waiting",
			Counters: Counters{
				Sent:       map[string]uint64{},
				Invalid:    map[string]uint64{},
				Suppressed: map[string]uint64{},
			},
		},
	}
	a.m.init(a.name)
	return a
}

// Reload replaces the configuration. It takes effect at once: one RA
// built from ra.Withdrawn(old, ifc) goes out as soon as
// MIN_DELAY_BETWEEN_RAS allows, and later RAs are built from ifc alone.
// The interface name cannot change; ifc.Name is ignored.
func (a *Advertiser) Reload(ifc config.Interface) {
	ifc.Name = a.name
	a.mu.Lock()
	a.next = &ifc
	a.mu.Unlock()
	select {
	case a.reloadC <- struct{}{}:
	default:
	}
}

// Status returns a snapshot of the advertiser's state.
func (a *Advertiser) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.status
	s.Counters = s.Counters.clone()
	for _, p := range []**time.Time{&s.LastMulticast, &s.NextRA} {
		if *p != nil {
			t := **p
			*p = &t
		}
	}
	return s
}

// applyReload takes a pending reload, if any, at now.
func (a *Advertiser) applyReload(now time.Time) {
	a.mu.Lock()
	next := a.next
	a.next = nil
	if next == nil {
		a.mu.Unlock()
		return
	}
	if a.withdrawFrom == nil {
		a.withdrawFrom = a.cfg
	}
	a.cfg = next
	a.mu.Unlock()
	a.sched.SetIntervals(next.MinInterval, next.MaxInterval)
	a.sched.Reload(now)
	a.log.Info("new configuration applied; announcing it")
}

// setState records the link state for Status and metrics.
func (a *Advertiser) setState(state string, st LinkState) {
	a.mu.Lock()
	a.status.State, a.status.Reason = state, st.Reason
	a.status.NextRA = nil
	a.status.LinkLocal, a.status.MAC = "", ""
	if state == "advertising" {
		a.status.LinkLocal, a.status.MAC = st.LinkLocal.String(), st.MAC.String()
	}
	a.mu.Unlock()
	v := 0.0
	if state == "advertising" {
		v = 1
	}
	a.m.up.WithLabelValues(a.name).Set(v)
}

// count updates a status counter under the lock.
func (a *Advertiser) count(f func(c *Counters)) {
	a.mu.Lock()
	f(&a.status.Counters)
	a.mu.Unlock()
}

// Run advertises until ctx ends. It waits for the interface to exist and
// be usable, and starts over, with the initial fast RAs, whenever the
// interface goes away and comes back. When ctx ends while advertising, it
// sends the final RAs and restores the sysctls it changed. It returns an
// error only for conditions that retrying cannot fix, such as
// ErrPermission.
func (a *Advertiser) Run(ctx context.Context) error {
	defer a.setState("stopped", LinkState{})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := a.watch(wctx, a.name, a.recheck, a.log)
	waitingLogged := ""
	for {
		st := w.State()
		if !st.Usable {
			if st.Reason != waitingLogged {
				a.limited(a.linkLog, slog.LevelInfo, "waiting for interface", "reason", st.Reason)
				waitingLogged = st.Reason
			}
			a.setState("waiting", st)
			select {
			case <-ctx.Done():
				return nil
			case <-w.Changed():
			case <-a.reloadC:
				a.applyReload(time.Now())
			}
			continue
		}
		waitingLogged = ""
		err := a.serve(ctx, w, st)
		switch {
		case errors.Is(err, ErrPermission):
			return err
		case ctx.Err() != nil:
			return nil
		case err != nil:
			a.limited(a.errLog, slog.LevelWarn, "advertising stopped; retrying", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

// serve advertises on one usable incarnation of the link until it changes
// (nil) or ctx ends (nil, after the final RAs).
func (a *Advertiser) serve(ctx context.Context, w LinkWatcher, st LinkState) error {
	saved, err := a.applySysctls()
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: %v", ErrPermission, err)
	case err != nil:
		return fmt.Errorf("disabling autoconfiguration from our own RAs: %w", err)
	}
	defer a.restoreSysctls(saved)

	conn, err := a.listen(ctx, w, st)
	if err != nil {
		return err
	}
	if conn == nil {
		// ctx ended or the link changed while listening.
		return nil
	}
	defer conn.Close()
	lw := newLinkWire(conn, a.name, st)
	defer lw.close()
	a.pending = nil

	var changed []string
	for _, c := range saved.Changed() {
		changed = append(changed, c.Key+"="+c.Value)
	}
	a.limited(a.linkLog, slog.LevelInfo, "advertising", "link_local", st.LinkLocal, "mac", st.MAC.String(),
		"sysctls_to_restore", strings.Join(changed, ","))
	a.setState("advertising", st)
	a.sched.Start(time.Now())
	defer a.sched.Stop()

	in := a.startReading(ctx, conn, st)
	defer in.stop()
	return a.loop(ctx, w, st, lw, in)
}

// reading is the goroutines that read the NDP socket of one link.
type reading struct {
	// rs receives the valid RS, err the error that ended reading.
	rs  chan rsEvent
	err chan error
	// stop ends reading and waits for the goroutines.
	stop func()
}

// startReading reads RS from conn, and watches the kernel's drops at it,
// until the returned reading is stopped.
func (a *Advertiser) startReading(ctx context.Context, conn Conn, st LinkState) reading {
	in := reading{rs: make(chan rsEvent, 64), err: make(chan error, 1)}
	readCtx, stopRead := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		in.err <- a.read(readCtx, conn, st, in.rs)
	}()
	go func() {
		defer wg.Done()
		a.watchDrops(readCtx, st.LinkLocal)
	}()
	in.stop = func() {
		stopRead()
		// Unblock ReadRaw.
		_ = conn.SetReadDeadline(time.Unix(1, 0))
		wg.Wait()
	}
	return in
}

// loop sends the scheduled RAs and answers the RS of in on the link st
// until it changes (nil), reading fails (the error) or ctx ends (nil,
// after the final RAs).
func (a *Advertiser) loop(ctx context.Context, w LinkWatcher, st LinkState, lw wire, in reading) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	a.scheduleNext(timer)
	for {
		select {
		case <-ctx.Done():
			a.sendFinal(lw, st)
			return nil
		case <-w.Changed():
			if now := w.State(); !now.same(st) {
				a.limited(a.linkLog, slog.LevelInfo, "interface changed; restarting", "reason", now.Reason)
				return nil
			}
			continue
		case err := <-in.err:
			return fmt.Errorf("reading: %w", err)
		case ev := <-in.rs:
			if !a.answerRS(ev.at, ev.src) {
				continue
			}
			a.solicited(ev)
		case <-a.reloadC:
			a.applyReload(time.Now())
		case <-a.impC:
		case <-timer.C:
			now := time.Now()
			for _, s := range a.sched.Due(now) {
				a.send(now, lw, st, s.Kind, s.Dst)
			}
			a.flush(now, lw, st)
		}
		a.scheduleNext(timer)
	}
}

// scheduleNext sets timer to the next RA or impaired send, and tells
// Status when that is.
func (a *Advertiser) scheduleNext(timer *time.Timer) {
	next := a.nextImpaired(a.sched.Next())
	// Since Go 1.23, Reset discards a pending expiry.
	timer.Reset(time.Until(next))
	a.mu.Lock()
	a.status.NextRA = &next
	a.mu.Unlock()
}

// solicited hands the RS ev to the scheduler and counts the answers it
// suppressed.
func (a *Advertiser) solicited(ev rsEvent) {
	a.mu.Lock()
	unicast := a.cfg.UnicastSolicited
	a.mu.Unlock()
	d := a.sched.Solicit(ev.at, ev.src, unicast)
	for _, r := range d.Suppressed {
		a.m.suppressed.WithLabelValues(a.name, r).Inc()
		a.count(func(c *Counters) { c.Suppressed[r]++ })
	}
	if d.Scheduled {
		a.limited(a.rsLog, slog.LevelDebug, "router solicitation", "src", ev.src, "answer", d.Send.Kind,
			"in", d.Send.At.Sub(ev.at), "suppressed", d.Suppressed)
	} else {
		a.limited(a.rsLog, slog.LevelDebug, "router solicitation", "src", ev.src, "suppressed", d.Suppressed)
	}
}

// applySysctls turns the kernel's RA processing off on the interface
// (sysctl.RouterSettings), recording each original value in the journal
// first.
func (a *Advertiser) applySysctls() (*sysctl.Saved, error) {
	if a.journal != nil {
		for _, s := range sysctl.RouterSettings {
			cur, err := a.sysctl.Get(a.name, s.Key)
			if err != nil || cur == s.Value {
				continue // Apply reports the error.
			}
			if err := a.journal.SaveSysctl(a.name, s.Key, cur); err != nil {
				a.log.Warn("cannot record the sysctl for crash recovery", "key", s.Key, "err", err)
			}
		}
	}
	saved, err := a.sysctl.Apply(a.name, sysctl.RouterSettings)
	if err != nil && a.journal != nil {
		// Apply put back what it had changed.
		_ = a.journal.ForgetSysctls(a.name)
	}
	return saved, err
}

// restoreSysctls restores what applySysctls changed and clears the
// journal's record of it.
func (a *Advertiser) restoreSysctls(saved *sysctl.Saved) {
	if err := saved.Restore(); err != nil {
		a.log.Warn("restoring sysctls", "err", err)
		return
	}
	if a.journal != nil {
		if err := a.journal.ForgetSysctls(a.name); err != nil {
			a.log.Warn("cannot update the crash recovery record", "err", err)
		}
	}
}

// listen opens the NDP socket, retrying while the link-local address is
// not yet bindable. It returns a nil Conn when ctx ends or the link
// changes first.
func (a *Advertiser) listen(ctx context.Context, w LinkWatcher, st LinkState) (Conn, error) {
	backoff := 100 * time.Millisecond
	for {
		conn, err := a.dial(st)
		if err == nil {
			return conn, nil
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%w: %v", ErrPermission, err)
		}
		// Expected briefly while the address settles; worth a warning
		// once it persists.
		if backoff < 2*time.Second {
			a.log.Debug("cannot open NDP socket yet; retrying", "err", err, "in", backoff)
		} else if dropped, ok := a.errLog.Allow(time.Now()); ok {
			a.log.Warn("cannot open NDP socket; retrying", "err", err, "in", backoff, "suppressed_since_last", dropped)
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-w.Changed():
			if !w.State().same(st) {
				return nil, nil
			}
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// rsEvent is one valid RS, stamped on receipt.
type rsEvent struct {
	at  time.Time
	src netip.Addr
}

// read reads RS from conn, validates them and passes the valid ones on,
// until ctx ends.
func (a *Advertiser) read(ctx context.Context, conn Conn, st LinkState, rsC chan<- rsEvent) error {
	b := make([]byte, max(st.MTU, 1280))
	for {
		n, cm, src, err := conn.ReadRaw(b)
		now := time.Now()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// A message larger than the buffer is truncated, not an error;
			// anything else means the socket is unusable (link gone).
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		if cm != nil && cm.IfIndex != 0 && cm.IfIndex != st.Index {
			continue
		}
		hop := -1
		if cm != nil {
			hop = cm.HopLimit
		}
		rs, err := ParseRS(b[:n], hop, src)
		if err != nil {
			r := InvalidReason(err)
			a.m.invalid.WithLabelValues(a.name, r).Inc()
			a.count(func(c *Counters) { c.Invalid[r]++ })
			if dropped, ok := a.invLog.Allow(now); ok {
				a.log.Warn("invalid router solicitation", "src", src, "err", err, "suppressed_since_last", dropped)
			}
			continue
		}
		a.m.rsReceived.WithLabelValues(a.name).Inc()
		a.count(func(c *Counters) { c.RSReceived++ })
		select {
		case rsC <- rsEvent{at: now, src: rs.Source}:
		case <-ctx.Done():
			return nil
		}
	}
}

// current returns the configuration to build RAs from now.
func (a *Advertiser) current() config.Interface {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.withdrawFrom != nil {
		return ra.Withdrawn(*a.withdrawFrom, *a.cfg)
	}
	return *a.cfg
}

// send builds one RA of kind k to dst (zero: all-nodes) at now and puts
// it on the wire, through the impairments when there are any: their
// ConfigFor is called once before building, their RA after.
func (a *Advertiser) send(now time.Time, w wire, st LinkState, k Kind, dst netip.Addr) {
	base := a.current()
	ifc := base
	set := a.imp.Load()
	if set != nil {
		var es []impair.Effect
		ifc, es = set.ConfigFor(now, ifc)
		a.effects(now, es)
	}
	// After the impairments, so that final RAs stay final.
	if k == KindFinal {
		ifc = ra.Final(ifc)
	}
	multicast := !dst.IsValid()
	wdst := allNodes(dst)
	msg, b, err := build(ifc, st)
	if err != nil {
		a.sendErr(now, k.String(), wdst, err)
		return
	}
	a.sent(Sent{At: now, Kind: k.String(), Dst: wdst, Bytes: b})
	if set == nil {
		if err := w.ra(msg, wdst); err != nil {
			a.sendErr(now, k.String(), wdst, fmt.Errorf("writing to %s: %w", wdst, err))
			return
		}
		a.m.wire.WithLabelValues(a.name, PathICMPv6).Inc()
		a.sent(Sent{At: now, Kind: k.String(), Dst: wdst, Bytes: b, Wire: true})
	} else {
		sends, es := set.RA(now, impair.Outgoing{Kind: k, Dst: dst, RA: msg})
		a.effects(now, es)
		a.dispatch(now, w, st, sends)
		if multicast && k != KindFinal {
			a.secondRouter(now, w, set, base)
		}
	}
	if multicast {
		a.announced(now, b)
	}
	a.m.raSent.WithLabelValues(a.name, k.String()).Inc()
	a.count(func(c *Counters) { c.Sent[k.String()]++ })
	a.log.Debug("router advertisement sent", "kind", k, "dst", wdst, "impaired", set != nil)
}

// build builds the RA for ifc and checks that it fits the link MTU.
func build(ifc config.Interface, st LinkState) (*ndp.RouterAdvertisement, []byte, error) {
	msg, b, err := ra.Build(ifc, st.MAC)
	if err != nil {
		return nil, nil, fmt.Errorf("building: %w", err)
	}
	if err := checkSize(len(b), st.MTU); err != nil {
		return nil, nil, err
	}
	return msg, b, nil
}

// announced records the multicast RA b, meant to go out at now, as what
// the interface announces.
func (a *Advertiser) announced(now time.Time, b []byte) {
	dec := decodeRA(b)
	a.mu.Lock()
	a.withdrawFrom = nil
	a.status.LastMulticast = &now
	a.status.RA = dec
	a.mu.Unlock()
	a.m.lastMulticast.WithLabelValues(a.name).Set(float64(now.UnixNano()) / 1e9)
	lt := lifetimes(dec)
	for _, o := range []string{"router", "rdnss", "dnssl", "pref64"} {
		if v, ok := lt[o]; ok {
			a.m.lifetime.WithLabelValues(a.name, o).Set(v)
		} else {
			a.m.lifetime.DeleteLabelValues(a.name, o)
		}
	}
}

// ErrTooBig reports an RA that does not fit the link MTU in one packet.
var ErrTooBig = errors.New("RA larger than the link MTU")

// checkSize refuses an ICMPv6 message of n octets that would not fit in one
// IPv6 packet on a link of the given MTU: the kernel would fragment it, and
// hosts MUST drop fragmented ND messages (RFC 6980 §5).
func checkSize(n, mtu int) error {
	const ipv6Header = 40
	if mtu > 0 && n+ipv6Header > mtu {
		return fmt.Errorf("%w: %d octets + %d-octet IPv6 header > MTU %d", ErrTooBig, n, ipv6Header, mtu)
	}
	return nil
}

// sendFinal sends the final RAs of RFC 4861 §6.2.5.
func (a *Advertiser) sendFinal(w wire, st LinkState) {
	for i := range MaxFinalRtrAdvertisements {
		if i > 0 {
			time.Sleep(DefaultFinalSpacing)
		}
		a.send(time.Now(), w, st, KindFinal, netip.Addr{})
		a.sched.MulticastSent(time.Now())
	}
	a.log.Info("final router advertisements sent", "count", MaxFinalRtrAdvertisements)
}

// Forget removes the interface's metric series, when it is no longer
// served (removed from the configuration).
func (a *Advertiser) Forget() { a.m.forget(a.name) }

// CheckPrivileges reports ErrPermission when the process cannot open a raw
// ICMPv6 socket, so that a daemon fails at start with a clear message
// rather than once per interface later.
func CheckPrivileges() error {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%w (raw ICMPv6 socket: %v)", ErrPermission, err)
		}
		return fmt.Errorf("advertiser: opening a raw ICMPv6 socket: %w", err)
	}
	return unix.Close(fd)
}
