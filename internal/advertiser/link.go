package advertiser

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkState is what the advertiser needs to know about its interface.
type LinkState struct {
	// Usable reports whether the interface exists, is up with carrier and
	// has a non-tentative link-local address.
	Usable bool
	// Reason says why it is not usable.
	Reason string
	// Index, MTU and MAC describe the interface.
	Index int
	MTU   int
	MAC   net.HardwareAddr
	// LinkLocal is the usable link-local address.
	LinkLocal netip.Addr
}

// same reports whether a and b describe the same usable link, so that the
// advertiser need not restart.
func (a LinkState) same(b LinkState) bool {
	return a.Usable == b.Usable && a.Reason == b.Reason && a.Index == b.Index &&
		a.MTU == b.MTU && a.LinkLocal == b.LinkLocal && a.MAC.String() == b.MAC.String()
}

// indexedInterface returns the interface of st for package ndp, named by
// its index in decimal. ndp scopes the socket's address, its multicast
// sends and its destinations by the interface's name, which Go's net
// package turns into an index through a cache it refreshes at most once
// a minute (net.ipv6ZoneCache): after the interface is deleted and
// created again, the name maps to the old index, and bind fails with "no
// such device" for up to a minute. A decimal zone is the index itself
// (the cache's last resort), so the socket follows the index netlink
// reported for this incarnation of the link. (An interface literally
// named with the decimal index of another would take precedence; Linux
// allows such names but nothing creates them.)
func indexedInterface(st LinkState) *net.Interface {
	return &net.Interface{Index: st.Index, MTU: st.MTU, Name: strconv.Itoa(st.Index), HardwareAddr: st.MAC,
		Flags: net.FlagUp | net.FlagMulticast}
}

// probeLink reads the state of the interface name from the kernel.
func probeLink(name string) LinkState {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return LinkState{Reason: "interface does not exist"}
		}
		return LinkState{Reason: "netlink: " + err.Error()}
	}
	at := l.Attrs()
	st := LinkState{Index: at.Index, MTU: at.MTU, MAC: at.HardwareAddr}
	switch {
	case at.Flags&net.FlagUp == 0:
		st.Reason = "interface is down"
		return st
	case at.OperState != netlink.OperUp && at.OperState != netlink.OperUnknown:
		// OperUnknown is what dummy, tun and loopback report when up.
		st.Reason = "no carrier (operstate " + at.OperState.String() + ")"
		return st
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		st.Reason = "netlink: " + err.Error()
		return st
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || !ip.Is6() || !ip.IsLinkLocalUnicast() {
			continue
		}
		// A tentative address cannot be bound until DAD ends (RFC 4862
		// §5.4); one that failed DAD never can.
		if a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		st.Usable, st.LinkLocal = true, ip
		return st
	}
	st.Reason = "no usable link-local address (missing or tentative)"
	return st
}

// A LinkWatcher reports the state of one interface. The advertiser reads
// State when Changed receives, and starts over (a new NDP socket, the
// initial RAs) when the state is no longer the same usable link.
type LinkWatcher interface {
	// State returns the latest state.
	State() LinkState
	// Changed receives when the state may have changed.
	Changed() <-chan struct{}
}

// WatchFunc starts watching the interface name until ctx ends,
// re-checking at least every recheck.
type WatchFunc func(ctx context.Context, name string, recheck time.Duration, log *slog.Logger) LinkWatcher

// linkWatcher tracks the state of one interface from netlink link and
// address notifications, re-checking every recheck interval in case a
// notification is lost or the subscription fails.
type linkWatcher struct {
	name    string
	recheck time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	state   LinkState
	changed chan struct{}
}

// WatchNetlink is the WatchFunc of production: the kernel's view of the
// interface, from netlink notifications and a re-check every recheck.
func WatchNetlink(ctx context.Context, name string, recheck time.Duration, log *slog.Logger) LinkWatcher {
	w := &linkWatcher{
		name:    name,
		recheck: recheck,
		log:     log,
		state:   probeLink(name),
		changed: make(chan struct{}, 1),
	}
	go w.run(ctx)
	return w
}

// State returns the latest state.
func (w *linkWatcher) State() LinkState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// update re-reads the state and signals a change.
func (w *linkWatcher) update(why string) {
	st := probeLink(w.name)
	w.mu.Lock()
	same := st.same(w.state)
	w.state = st
	w.mu.Unlock()
	if !same {
		w.log.Debug("link state", "after", why, "usable", st.Usable, "reason", st.Reason, "link_local", st.LinkLocal)
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
}

// Changed receives after the state changed.
func (w *linkWatcher) Changed() <-chan struct{} { return w.changed }

// run follows netlink notifications until ctx ends.
func (w *linkWatcher) run(ctx context.Context) {
	t := time.NewTicker(w.recheck)
	defer t.Stop()
	var linkC chan netlink.LinkUpdate
	var addrC chan netlink.AddrUpdate
	var done chan struct{}
	defer func() {
		if done != nil {
			close(done)
		}
	}()
	subscribe := func() {
		if done != nil {
			close(done)
		}
		done = make(chan struct{})
		linkC = make(chan netlink.LinkUpdate, 16)
		addrC = make(chan netlink.AddrUpdate, 16)
		if err := netlink.LinkSubscribe(linkC, done); err != nil {
			w.log.Warn("netlink link subscription failed; polling", "err", err)
			linkC = nil
		}
		if err := netlink.AddrSubscribe(addrC, done); err != nil {
			w.log.Warn("netlink address subscription failed; polling", "err", err)
			addrC = nil
		}
	}
	subscribe()
	// The state may have changed between the first probe and subscribing.
	w.update("subscribe")
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-linkC:
			if !ok {
				linkC = nil
			}
			w.update("link notification")
		case _, ok := <-addrC:
			if !ok {
				addrC = nil
			}
			w.update("address notification")
		case <-t.C:
			if linkC == nil || addrC == nil {
				subscribe()
			}
			w.update("poll")
		}
	}
}
