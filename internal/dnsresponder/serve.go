package dnsresponder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linkRecheck is how often Serve looks for its interface while waiting
// for it, and then checks that the interface is still the same and still
// has the responder addresses.
const linkRecheck = time.Second

// ErrNoInterface reports a ServeConfig without an interface name.
var ErrNoInterface = errors.New("no interface to serve DNS on")

// ServeConfig configures Serve.
type ServeConfig struct {
	// Interface is the name of the interface to serve. Required.
	Interface string
	// Zone is what the responder answers.
	Zone Config
	// Addrs are the unicast IPv6 addresses to answer on, usually the
	// advertised RDNSS addresses. At least one is required.
	Addrs []netip.Addr
	// Port is the UDP and TCP port; it must not be 0.
	Port uint16
	// OnLink are the prefixes the interface advertises as on-link. Clients
	// query from addresses in them, so answers need a route to each: Serve
	// adds one to every prefix that has no route through the interface,
	// as a router usually has from an address of its own in the prefix.
	OnLink []netip.Prefix
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
	// Metrics receives the Prometheus counters; nil means none.
	Metrics *Metrics
	// OnQuery, when not nil, is called for every answered query.
	OnQuery QueryFunc
	// Journal, when not nil, records every address and route before
	// Serve adds it and forgets it once removed, so that a later start
	// can remove what a crashed run left (package hoststate).
	Journal HostJournal
}

// HostJournal records the addresses and routes Serve adds; package
// hoststate's *Journal is one.
type HostJournal interface {
	AddAddr(ifname string, a netip.Addr) error
	ForgetAddr(ifname string, a netip.Addr) error
	AddRoute(ifname string, p netip.Prefix) error
	ForgetRoute(ifname string, p netip.Prefix) error
}

// noJournal is the HostJournal that records nothing.
type noJournal struct{}

func (noJournal) AddAddr(string, netip.Addr) error       { return nil }
func (noJournal) ForgetAddr(string, netip.Addr) error    { return nil }
func (noJournal) AddRoute(string, netip.Prefix) error    { return nil }
func (noJournal) ForgetRoute(string, netip.Prefix) error { return nil }

// Serve runs the lab DNS responder of interface cfg.Interface until ctx
// ends. It waits for the interface to exist, adds each of cfg.Addrs that
// the interface lacks as a /128 without duplicate address detection
// (IFA_F_NODAD), so that the router answers queries sent to the advertised
// RDNSS addresses, adds a route to each cfg.OnLink prefix that the
// interface has none to, so that the answers reach the clients, and serves
// cfg.Zone on every address over UDP and TCP, bound to the interface.
// While it runs it restores an address or route that disappears (Linux
// flushes them when a link goes down), and when the interface is deleted
// it waits for it again and starts over with fresh statistics. On every
// exit it removes exactly the addresses and routes it added that are
// still there.
//
// Serve creates its netlink and DNS sockets in the network namespace of
// the calling thread: a caller that switched namespaces must have locked
// the goroutine to its thread (runtime.LockOSThread).
//
// It returns nil when ctx ends, or the first error that stops it: an
// invalid configuration, a netlink failure such as a missing
// CAP_NET_ADMIN, or a socket error.
func Serve(ctx context.Context, cfg ServeConfig) error {
	v, err := checkServeConfig(cfg)
	if err != nil {
		return err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// A handle keeps the namespace it was created in, whatever thread
	// later uses it.
	nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("dnsresponder: netlink: %w", err)
	}
	defer nl.Close()
	journal := cfg.Journal
	if journal == nil {
		journal = noJournal{}
	}
	r := &runner{
		nl:          nl,
		journal:     journal,
		name:        cfg.Interface,
		addrs:       v.addrs,
		onLink:      v.onLink,
		log:         logger.With("component", "dnsresponder", "interface", cfg.Interface),
		added:       make(map[netip.Addr]int),
		addedRoutes: make(map[netip.Prefix]int),
	}
	defer r.removeAdded()
	scfg := ServerConfig{Handler: v.handler, Interface: cfg.Interface, Logger: logger, Metrics: cfg.Metrics,
		OnQuery: cfg.OnQuery}
	for _, a := range v.addrs {
		scfg.Addrs = append(scfg.Addrs, netip.AddrPortFrom(a, cfg.Port))
	}
	return r.run(ctx, scfg)
}

// checkedServeConfig is what Serve takes from a ServeConfig it checked.
type checkedServeConfig struct {
	handler *Handler
	// addrs are the responder's addresses and onLink the on-link
	// prefixes, without zones or duplicates.
	addrs  []netip.Addr
	onLink []netip.Prefix
}

// checkServeConfig checks cfg and builds its handler.
func checkServeConfig(cfg ServeConfig) (checkedServeConfig, error) {
	var v checkedServeConfig
	if cfg.Interface == "" {
		return v, ErrNoInterface
	}
	h, err := NewHandler(cfg.Zone)
	if err != nil {
		return v, fmt.Errorf("dnsresponder: %w", err)
	}
	v.handler = h
	if len(cfg.Addrs) == 0 {
		return v, ErrNoAddrs
	}
	if cfg.Port == 0 {
		return v, fmt.Errorf("%w: port 0", ErrAddr)
	}
	for _, p := range cfg.OnLink {
		if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() || p.Masked() != p {
			return v, fmt.Errorf("%w: on-link prefix %v", ErrAddr, p)
		}
		if !slices.Contains(v.onLink, p) {
			v.onLink = append(v.onLink, p)
		}
	}
	v.addrs = make([]netip.Addr, 0, len(cfg.Addrs))
	for _, a := range cfg.Addrs {
		a = a.WithZone("")
		if !a.Is6() || a.Is4In6() || a.IsUnspecified() || a.IsMulticast() {
			return v, fmt.Errorf("%w: %v: want a unicast IPv6 address", ErrAddr, a)
		}
		if !slices.Contains(v.addrs, a) {
			v.addrs = append(v.addrs, a)
		}
	}
	return v, nil
}

// run serves scfg on every usable incarnation of the interface, adding
// the addresses first, until ctx ends (nil) or an error stops it.
func (r *runner) run(ctx context.Context, scfg ServerConfig) error {
	for {
		index, err := r.waitLink(ctx)
		if err != nil || ctx.Err() != nil {
			return err
		}
		if err := r.ensureAddrs(index); err != nil {
			return err
		}
		s, err := Listen(ctx, scfg)
		if err != nil {
			return fmt.Errorf("dnsresponder: %w", err)
		}
		again, err := r.serve(ctx, s, index)
		if !again {
			return err
		}
	}
}

// runner manages the responder addresses and routes of one interface.
type runner struct {
	nl     *netlink.Handle
	name   string
	addrs  []netip.Addr
	onLink []netip.Prefix
	log    *slog.Logger
	// journal records additions before they are made.
	journal HostJournal
	// added and addedRoutes map each address and route Serve added to
	// the index of the interface it added it to.
	added       map[netip.Addr]int
	addedRoutes map[netip.Prefix]int
}

// linkIndex returns the index of the interface, or 0 if it does not
// exist.
func (r *runner) linkIndex() (int, error) {
	l, err := r.nl.LinkByName(r.name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return 0, nil
		}
		return 0, fmt.Errorf("dnsresponder: netlink: finding %s: %w", r.name, err)
	}
	return l.Attrs().Index, nil
}

// waitLink waits until the interface exists and returns its index. It
// returns 0 and nil when ctx ends first.
func (r *runner) waitLink(ctx context.Context) (int, error) {
	t := time.NewTicker(linkRecheck)
	defer t.Stop()
	logged := false
	for {
		index, err := r.linkIndex()
		if err != nil || index != 0 {
			return index, err
		}
		if !logged {
			r.log.Info("waiting for interface to serve DNS")
			logged = true
		}
		select {
		case <-ctx.Done():
			return 0, nil
		case <-t.C:
		}
	}
}

// ensureAddrs adds each responder address that interface index lacks.
func (r *runner) ensureAddrs(index int) error {
	link := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: index}}
	list, err := r.nl.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("dnsresponder: netlink: listing addresses of %s: %w", r.name, err)
	}
	have := make(map[netip.Addr]bool, len(list))
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			have[ip.Unmap()] = true
		}
	}
	for _, a := range r.addrs {
		if have[a] {
			continue
		}
		// nodad: the address is usable at once, and a lab router must
		// answer on it even if a client claims it too (RFC 4862 §5.4
		// would make it tentative, then unusable).
		na := &netlink.Addr{IPNet: addrNet(a), Flags: unix.IFA_F_NODAD}
		r.record(r.journal.AddAddr(r.name, a))
		err := r.nl.AddrAdd(link, na)
		if err != nil {
			r.record(r.journal.ForgetAddr(r.name, a))
		}
		if errors.Is(err, unix.EEXIST) {
			continue // Added by someone else since the list: not ours.
		}
		if err != nil {
			return fmt.Errorf("dnsresponder: adding %v/128 to %s: %w", a, r.name, err)
		}
		r.added[a] = index
		r.log.Info("added DNS responder address", "addr", a)
	}
	return r.ensureRoutes(link)
}

// ensureRoutes adds a route through link to each on-link prefix that has
// none through it.
func (r *runner) ensureRoutes(link netlink.Link) error {
	if len(r.onLink) == 0 {
		return nil
	}
	index := link.Attrs().Index
	list, err := r.nl.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{LinkIndex: index}, netlink.RT_FILTER_OIF)
	if err != nil {
		return fmt.Errorf("dnsresponder: netlink: listing routes of %s: %w", r.name, err)
	}
	have := make(map[netip.Prefix]bool, len(list))
	for _, rt := range list {
		if p, ok := prefixOf(rt.Dst); ok {
			have[p] = true
		}
	}
	for _, p := range r.onLink {
		if have[p] {
			continue
		}
		r.record(r.journal.AddRoute(r.name, p))
		err := r.nl.RouteAdd(routeTo(index, p))
		if err != nil {
			r.record(r.journal.ForgetRoute(r.name, p))
		}
		switch {
		case errors.Is(err, unix.ENETDOWN):
			// Linux refuses routes through a link that is down; try
			// again once it is up.
			continue
		case errors.Is(err, unix.EEXIST):
			continue // Added by someone else since the list: not ours.
		case err != nil:
			return fmt.Errorf("dnsresponder: adding a route to %v through %s: %w", p, r.name, err)
		}
		r.addedRoutes[p] = index
		r.log.Info("added route so that DNS answers reach clients", "prefix", p)
	}
	return nil
}

// routeTo returns the on-link route to p through interface index, marked
// as a static route.
func routeTo(index int, p netip.Prefix) *netlink.Route {
	return &netlink.Route{
		LinkIndex: index,
		Dst:       &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 128)},
		Protocol:  unix.RTPROT_STATIC,
	}
}

// prefixOf converts a route destination to a netip.Prefix.
func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	ones, bits := n.Mask.Size()
	if !ok || bits != 128 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones), true
}

// addrNet returns a as a /128.
func addrNet(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(128, 128)}
}

// serve runs s until ctx ends or s fails, or until the interface is
// replaced or deleted; then again is true, s is closed and Serve should
// wait for the interface again.
func (r *runner) serve(ctx context.Context, s *Server, index int) (again bool, err error) {
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t := time.NewTicker(linkRecheck)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return false, fmt.Errorf("dnsresponder: %w", err)
			}
			return false, nil
		case <-t.C:
		}
		now, err := r.linkIndex()
		switch {
		case err != nil:
			r.log.Warn("cannot check interface", "err", err)
		case now != index:
			r.log.Warn("interface deleted or replaced; restarting the DNS responder",
				"old_index", index, "new_index", now)
			s.Close()
			<-done
			// The kernel removed the addresses and routes with the
			// interface.
			for a, i := range r.added {
				if i == index {
					delete(r.added, a)
				}
			}
			for p, i := range r.addedRoutes {
				if i == index {
					delete(r.addedRoutes, p)
				}
			}
			return true, nil
		default:
			if err := r.ensureAddrs(index); err != nil {
				r.log.Warn("cannot restore DNS responder addresses", "err", err)
			}
		}
	}
}

// record logs a failure to update the journal, which only costs crash
// recovery.
func (r *runner) record(err error) {
	if err != nil {
		r.log.Warn("cannot update the crash recovery record", "err", err)
	}
}

// removeAdded removes the addresses and routes Serve added that are still
// there.
func (r *runner) removeAdded() {
	for p, index := range r.addedRoutes {
		err := r.nl.RouteDel(routeTo(index, p))
		switch {
		case err == nil:
			r.log.Info("removed route", "prefix", p)
		case errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENODEV):
			// Already gone, with its interface or by another hand.
		default:
			r.log.Warn("cannot remove route", "prefix", p, "err", err)
		}
		r.record(r.journal.ForgetRoute(r.name, p))
		delete(r.addedRoutes, p)
	}
	for a, index := range r.added {
		link := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: index}}
		err := r.nl.AddrDel(link, &netlink.Addr{IPNet: addrNet(a)})
		switch {
		case err == nil:
			r.log.Info("removed DNS responder address", "addr", a)
		case errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENODEV):
			// Already gone, with its interface or by another hand.
		default:
			r.log.Warn("cannot remove DNS responder address", "addr", a, "err", err)
		}
		r.record(r.journal.ForgetAddr(r.name, a))
		delete(r.added, a)
	}
}
