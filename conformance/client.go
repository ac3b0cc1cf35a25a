package conformance

import (
	"container/list"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// client is the tracker's model of one client.
type client struct {
	mac         wire.MAC
	elem        *list.Element
	first, last time.Time
	opts        Options

	addrs       map[netip.Addr]*Address
	addrOrder   []netip.Addr
	addrDropped int

	duids            []string
	hostname         string
	vendorClass      []string
	oro              []uint16
	hasORO           bool
	sentDHCPv6Client bool
	infoRequests     int
	prl              []uint8
	dhcp4VendorClass string
	v6only           *v6onlyOffer

	clientRole, serverRole bool
	counts                 ClientCounts
	rs                     []Evidence

	timeline capped[Event]

	raOffers   capped[RAOffer]
	raHadDNS   bool // a non-assumed RA with a non-zero RDNSS reached it
	dhcpOffers capped[DHCPv6Offer]
	dhcpEver   map[netip.Addr]bool

	// RA-learned servers, keyed by address (RFC 8106 §5.3.1 updates an
	// existing entry whichever router sent the option).
	servers   map[netip.Addr]*serverState
	intervals capped[Interval]
	// lastRA is the last RA that reached the client (non-assumed).
	lastRA     Evidence
	lastRAFrom wire.MAC
	sawO, sawM bool
	firstO     *Evidence
	// pref64Until is when the last PREF64 that reached the client ends.
	pref64Until time.Time
	// rlUntil is when the router lifetime of the last RA that reached
	// the client ends (zero for router lifetime 0).
	rlUntil time.Time
	// earlyRS is the first RS sent well after the client joined, shortly
	// before its RA-learned lifetimes ran out, and earlyRSLead how long
	// before (NetworkManager's behaviour, field guide §1).
	earlyRS     *Evidence
	earlyRSLead time.Duration
	// perRouter is the query that showed the client keeps RDNSS servers
	// per router: it used a server after another router withdrew it
	// while the offering router's offer still ran (F15).
	perRouter *Evidence
	// omission is what its queries showed about RAs that omit a server
	// (F6).
	omission omissionEvidence
	// lastDAD is the time of the client's last DAD probe.
	lastDAD time.Time

	// DHCPv6-learned servers: the last Reply's option 23 replaces them
	// (RFC 8415 §18.2.10.1).
	dhcpDNS   []netip.Addr
	dhcpSince map[netip.Addr]time.Time
	// dhcpGone is when a Reply last removed each DHCPv6-learned server.
	dhcpGone map[netip.Addr]time.Time
	dhcpEv   *Evidence
	dhcpTx   *transaction // the transaction whose Reply set dhcpDNS
	// dhcpLost says how DHCPv6-learned DNS went away, if it did.
	dhcpLost    *Evidence
	dhcpRefresh uint32
	dhcpHasIRT  bool
	lastReply   *Evidence
	txs         []*transaction

	dns      map[netip.Addr]*DNSUse
	dnsOrder []netip.Addr
	// lookups are its Neighbor Solicitations for the addresses of DNS
	// servers offered to it (an on-link server it tries to reach).
	lookups map[netip.Addr]*lookupUse
	// sentIPv6: it sent at least one IPv6 packet; a host that never does
	// is no IPv6 client.
	sentIPv6 bool

	// hist follows its DNS over the whole observation.
	hist dnsHistory
	// profile is what matchProfile returns for the client's fingerprints
	// (its DHCPv6 options, DHCPv4 Vendor Class and earlyRS), set again
	// whenever one of them changes.
	profile *profile

	find findingSet
}

// lookupUse counts a client's Neighbor Solicitations for one address.
type lookupUse struct {
	count       int
	first, last Evidence
}

// v6onlyOffer is a DHCPv4 OFFER with option 108 (RFC 8925).
type v6onlyOffer struct {
	ev   Evidence
	wait uint32
}

// serverState is one RA-learned DNS server of a client, under the RFC 8106
// rules and under the variants client knowledge may select.
type serverState struct {
	addr         netip.Addr
	router       wire.MAC
	valid        bool
	from         time.Time
	expires      time.Time // zero: infinite
	lastLifetime uint32
	last         Evidence
	reached      string
	assumed      bool

	ended     time.Time
	endedEv   Evidence
	endReason lossCause // lossExpired or lossWithdrawn
	// fragOffer is the last fragmented RA that offered the server with a
	// non-zero lifetime: hosts must drop it (RFC 6980 §5), so a client
	// that keeps using the server after it ran out evidently did not.
	fragOffer Evidence
	// lapses are the spans in which its offer had ended and came back.
	lapses spanStats
	// staleLookups counts the client's distinct lookups of the server
	// since its offer last ended, the last at lastStale.
	staleLookups int
	lastStale    time.Time
	// withdrawnFrom is the router that had offered the server when
	// another one withdrew it (F15); zero otherwise.
	withdrawnFrom wire.MAC

	// queries are the spacings of the client's lookups of the server
	// while no RA omitted it, and omissionEnded when a window after an
	// RA that omitted it last ended.
	queries       queryGaps
	omissionEnded time.Time
	// byRouter is the server as each router offers it, for clients that
	// store the whole last RA per router (dhcpcd): for them a lifetime 0
	// or an omission from one router leaves another router's offer
	// standing (field guide §2: F6, F15).
	byRouter map[wire.MAC]*routerOffer

	// Android ignores non-zero lifetimes below 120 s (field guide §1).
	androidValid   bool
	androidEver    bool
	androidExpires time.Time

	// The server as seen only through RAs with a non-zero router
	// lifetime: Apple ignores an RA with router lifetime 0 entirely, its
	// RDNSS too (field guide §1, F7).
	nzValid     bool
	nzEver      bool
	nzExpires   time.Time
	nzEnded     time.Time
	nzEndedEv   Evidence
	nzOmitted   time.Time
	nzOmittedEv Evidence
}

// maxRoutersPerServer caps serverState.byRouter: a link with more
// routers offering one server than this is an attack, not a lab.
const maxRoutersPerServer = 16

// routerOffer is one router's offer of a server in a client that keeps
// the last RA of each router whole.
type routerOffer struct {
	valid     bool
	expires   time.Time // zero: infinite
	last      Evidence
	ended     time.Time
	endedEv   Evidence
	omitted   time.Time // an RA from this router came without the server
	omittedEv Evidence
	// omitQueries counts the client's queries to the server since
	// omitted.
	omitQueries int
}

// runningAt reports whether the offer is valid with its lifetime
// running at t (omission aside).
func (o *routerOffer) runningAt(t time.Time) bool {
	return o.valid && (o.expires.IsZero() || o.expires.After(t))
}

// offer applies one RDNSS lifetime lt for the server from this router's
// RA p.
func (o *routerOffer) offer(p *wire.Packet, lt uint32) {
	o.omitted, o.last = time.Time{}, ev(p, "")
	if lt == 0 {
		if o.valid {
			o.valid, o.ended, o.endedEv = false, p.Time, ev(p, "RDNSS lifetime 0")
		}
		return
	}
	o.valid, o.expires = true, time.Time{}
	if lt != infiniteLifetime {
		o.expires = p.Time.Add(time.Duration(lt) * time.Second)
	}
}

// lossCause is how an RA-learned DNS server stopped being valid.
type lossCause string

// Loss causes.
const (
	// lossExpired: its RDNSS lifetime ran out with no RA refreshing it.
	lossExpired lossCause = "expired"
	// lossWithdrawn: an RA gave it lifetime 0.
	lossWithdrawn lossCause = "withdrawn"
	// lossOmitted: an RA from the same router came without it, on a
	// client that drops DNS at once (F6).
	lossOmitted lossCause = "omitted"
)

// transaction is one DHCPv6 client transaction (same xid and type).
type transaction struct {
	xid      uint32
	typ      uint8
	sends    []Evidence
	count    int
	elapsed  []uint16
	answered bool
	// discarded: the client retransmitted after a Reply.
	discarded bool
	reply     Evidence
	oro       []uint16
	hasORO    bool
	clientID  []byte
}

func newClient(m wire.MAC, ts time.Time, o Options) *client {
	return &client{
		mac: m, first: ts, last: ts, opts: o,
		addrs:     make(map[netip.Addr]*Address),
		servers:   make(map[netip.Addr]*serverState),
		dns:       make(map[netip.Addr]*DNSUse),
		dhcpSince: make(map[netip.Addr]time.Time),
		dhcpEver:  make(map[netip.Addr]bool),
	}
}

// event appends a timeline event (capped).
func (c *client) event(kind string, p *wire.Packet, detail string) {
	c.eventAt(kind, p.Time, p.N, detail)
}

func (c *client) eventAt(kind string, ts time.Time, n int, detail string) {
	c.timeline.addStamped(Event{Kind: kind, Time: ts, Packet: n, Detail: detail}, c.opts.MaxEvents, eventStamp)
}

// problems turns p's malformed pieces into client findings.
func (c *client) problems(p *wire.Packet) {
	for _, pr := range p.Problems {
		c.find.add(Finding{ID: pr.ID, Severity: problemSeverity(pr), Client: c.mac.String(), Time: p.Time,
			RFC: pr.RFC, Message: pr.Message}, "problem:"+pr.ID+":"+pr.Message, ev(p, ""))
	}
}

// eui64 returns the modified EUI-64 interface identifier of m (RFC 4291
// appendix A).
func eui64(m wire.MAC) [8]byte {
	return [8]byte{m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]}
}

// classify returns the Address kind of a for a client with MAC m.
func classify(a netip.Addr, m wire.MAC) string {
	if a.IsLinkLocalUnicast() {
		return AddrLinkLocal
	}
	b := a.As16()
	if [8]byte(b[8:16]) == eui64(m) {
		return AddrSLAAC
	}
	return AddrTemporary
}

// addAddress records address a learned from source at ts.
func (c *client) addAddress(a netip.Addr, source string, ts time.Time) {
	if !a.Is6() || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return
	}
	if e, ok := c.addrs[a]; ok {
		if ts.After(e.LastSeen) {
			e.LastSeen = ts
		}
		if source == LearnedDHCPv6IA {
			e.Kind, e.Source = AddrDHCPv6, source
		}
		return
	}
	if len(c.addrs) >= c.opts.MaxAddresses {
		c.addrDropped++
		return
	}
	kind := classify(a, c.mac)
	if source == LearnedDHCPv6IA {
		kind = AddrDHCPv6
	}
	c.addrs[a] = &Address{Address: a.String(), Kind: kind, Source: source, FirstSeen: ts, LastSeen: ts}
	c.addrOrder = append(c.addrOrder, a)
}

// expire closes the validity of RA-learned servers whose lifetime ended
// by now, in the order they ended (then by address), so that servers
// ending together are reported in the same order on every run.
func (c *client) expire(now time.Time) {
	var buf [4]*serverState
	due := buf[:0]
	for _, s := range c.servers {
		if s.valid && !s.expires.IsZero() && !s.expires.After(now) {
			due = append(due, s)
		}
	}
	slices.SortFunc(due, func(a, b *serverState) int {
		if d := a.expires.Compare(b.expires); d != 0 {
			return d
		}
		return a.addr.Compare(b.addr)
	})
	for _, s := range due {
		c.checkExpiry(s)
		c.endServer(s, s.expires, lossExpired,
			Evidence{Time: s.expires, Note: "lifetime from packet " + strconv.Itoa(s.last.Packet) + " ended"})
	}
}

// endServer ends s at at: its RDNSS ran out or was withdrawn.
func (c *client) endServer(s *serverState, at time.Time, reason lossCause, e Evidence) {
	s.valid = false
	s.ended, s.endedEv, s.endReason = at, e, reason
	to := at
	c.intervals.addStamped(Interval{Server: s.addr.String(), Via: ViaRA, From: s.from, To: &to}, c.opts.MaxOffers,
		intervalStamp)
	kind := EventRDNSSExpired
	if reason == lossWithdrawn {
		kind = EventRDNSSWithdrawn
	}
	c.eventAt(kind, at, e.Packet, s.addr.String())
}

// raTemplate is what one RA offers, computed once and applied to every
// client it reaches.
type raTemplate struct {
	p      *wire.Packet
	ra     *wire.RouterAdvertisement
	from   wire.MAC
	detail map[string]string // by reached
	offers []RAOffer
	in     map[netip.Addr]bool
}

// newRATemplate prepares RA p from router from.
func newRATemplate(p *wire.Packet, from wire.MAC) *raTemplate {
	cp := *p // Kept past this packet (the router's last multicast RA).
	t := &raTemplate{p: &cp, ra: p.RA, from: from, in: make(map[netip.Addr]bool),
		detail: map[string]string{
			ReachedMulticast: "from " + from.String() + " (" + ReachedMulticast + ")",
			ReachedUnicast:   "from " + from.String() + " (" + ReachedUnicast + ")",
		}}
	rs := from.String()
	for _, o := range p.RA.Options.RDNSS {
		var exp *time.Time
		if o.Lifetime != infiniteLifetime {
			e := p.Time.Add(time.Duration(o.Lifetime) * time.Second)
			exp = &e
		}
		for _, a := range o.Servers {
			t.offers = append(t.offers, RAOffer{Server: a.String(), Router: rs, LifetimeSeconds: o.Lifetime,
				OfferedAt: p.Time, Packet: p.N, ExpiresAt: exp})
			t.in[a] = true
		}
	}
	return t
}

// applyRA applies an RA that reached the client (RFC 8106 §5.3.1).
// Assumed RAs were sent before the client's first packet.
func (c *client) applyRA(t *raTemplate, reached string, assumed bool) {
	p, ra, from := t.p, t.ra, t.from
	c.expire(p.Time)
	if !assumed {
		c.counts.RAsReceived++
		c.lastRA, c.lastRAFrom = ev(p, ""), from
		c.eventAt(EventRA, p.Time, p.N, t.detail[reached])
		c.sawO = c.sawO || ra.Other
		c.sawM = c.sawM || ra.Managed
		if ra.Other && c.firstO == nil {
			e := c.lastRA
			c.firstO = &e
		}
		for _, o := range ra.Options.PREF64 {
			c.pref64Until = p.Time.Add(time.Duration(o.Lifetime) * time.Second)
		}
		c.rlUntil = time.Time{}
		if ra.RouterLifetime != 0 {
			c.rlUntil = p.Time.Add(time.Duration(ra.RouterLifetime) * time.Second)
		}
	}
	i := 0
	for _, o := range ra.Options.RDNSS {
		for _, a := range o.Servers {
			off := t.offers[i]
			i++
			off.Reached, off.Assumed = reached, assumed
			c.raOffers.addStamped(off, c.opts.MaxOffers, raOfferStamp)
			c.offerRA(p, o.Lifetime, a, from, reached, assumed)
			c.offerRANonZero(p, o.Lifetime, a, ra.RouterLifetime)
			if !assumed && o.Lifetime != 0 {
				c.raHadDNS = true
			}
		}
	}
	for _, s := range c.servers {
		if o := s.byRouter[from]; o != nil && o.valid && !t.in[s.addr] && o.omitted.IsZero() {
			o.omitted, o.omittedEv = p.Time, ev(p, "RA without "+s.addr.String())
		}
		if s.nzValid && s.router == from && !t.in[s.addr] && s.nzOmitted.IsZero() && ra.RouterLifetime != 0 {
			s.nzOmitted, s.nzOmittedEv = p.Time, ev(p, "RA without "+s.addr.String())
		}
	}
}

func (c *client) offerRA(p *wire.Packet, lt uint32, a netip.Addr, from wire.MAC, reached string, assumed bool) {
	s, ok := c.servers[a]
	if !ok {
		if len(c.servers) >= maxServers {
			return
		}
		s = &serverState{addr: a, assumed: assumed}
		c.servers[a] = s
	}
	if !assumed {
		s.assumed = false
	}
	prev := s.router
	s.router, s.lastLifetime, s.last, s.reached = from, lt, ev(p, ""), reached
	o := s.byRouter[from]
	if o == nil && len(s.byRouter) < maxRoutersPerServer {
		if s.byRouter == nil {
			s.byRouter = make(map[wire.MAC]*routerOffer)
		}
		o = &routerOffer{}
		s.byRouter[from] = o
	}
	if o != nil {
		c.closeOmission(s, o, p.Time)
		o.offer(p, lt)
	}
	if lt == 0 {
		if s.valid {
			s.withdrawnFrom = wire.MAC{}
			if prev != from && prev != (wire.MAC{}) {
				s.withdrawnFrom = prev
			}
			c.endServer(s, p.Time, lossWithdrawn, ev(p, "RDNSS lifetime 0"))
		}
		s.androidValid = false
		return
	}
	if !s.valid {
		if !s.ended.IsZero() {
			s.lapses.add(p.Time.Sub(s.ended), c.opts.OutageGrace)
		}
		s.staleLookups = 0
		s.valid, s.from = true, p.Time
	}
	s.expires = time.Time{}
	if lt != infiniteLifetime {
		s.expires = p.Time.Add(time.Duration(lt) * time.Second)
	}
	if lt >= 120 {
		s.androidValid, s.androidEver, s.androidExpires = true, true, s.expires
	}
}

// Lookups of a server after its offer ended show that the client kept it
// when there are minStaleLookups distinct ones, or one at least
// keptAfter after the end: a single lookup soon after may have started
// before the end and left late (a loaded host).
const (
	minStaleLookups = 2
	keptAfter       = 10 * time.Second
)

// keptAt reports whether the client's lookups of the server up to t,
// after its offer ended, show that it kept the server.
func (s *serverState) keptAt(t time.Time) bool {
	return s.staleLookups >= minStaleLookups || (s.staleLookups > 0 && !s.ended.IsZero() && t.Sub(s.ended) >= keptAfter)
}

// lookupGap is how far apart two queries must be to count as distinct
// lookups; a resolver's retries and parallel queries come closer.
const lookupGap = 250 * time.Millisecond

// noteStale counts a query to the server at t while its offer had ended.
func (s *serverState) noteStale(t time.Time) {
	if s.staleLookups == 0 || t.Sub(s.lastStale) >= lookupGap {
		s.staleLookups++
	}
	s.lastStale = t
}

// staleGrace is how long after a server's offer ended a query to it is
// taken as the client's timers running a little behind the capture
// (clients count lifetimes in whole seconds and apply an RA a little after
// it is captured), not as stale use (C8) or as proof that the client
// still holds the server.
const staleGrace = 2 * time.Second

// noteFragmentedRA records the servers fragmented RA p offered: the
// client must drop it (RFC 6980 §5), so it changes nothing, but a client
// that keeps using a server these alone kept offering evidently accepted
// it (F13).
func (c *client) noteFragmentedRA(p *wire.Packet) {
	for _, o := range p.RA.Options.RDNSS {
		if o.Lifetime == 0 {
			continue
		}
		for _, a := range o.Servers {
			if s, ok := c.servers[a]; ok {
				s.fragOffer = ev(p, "fragmented RA with RDNSS "+a.String())
			}
		}
	}
}

// fragmentedOnly returns the last fragmented RA that offered s after its
// last accepted offer, if any.
func (s *serverState) fragmentedOnly() (Evidence, bool) {
	return s.fragOffer, s.fragOffer.Packet != 0 && s.fragOffer.Time.After(s.last.Time)
}

// Bounds of the re-solicitation NetworkManager is known for (field guide
// §1: about 60 s before an RA-learned item expires): an RS counts when the
// earliest lifetime end is this near, at least earlyRSAfterJoin after the
// client's first packet (not its link-up RSs), and earlyRSQuiet after the
// last RA that reached it (not prompted by a fresh RA) and after its last
// DAD probe (not a link that came up again).
const (
	earlyRSMinLead   = 20 * time.Second
	earlyRSMaxLead   = 90 * time.Second
	earlyRSAfterJoin = 30 * time.Second
	earlyRSQuiet     = 10 * time.Second
)

// noteRS records whether the RS p re-solicits before the client's
// RA-learned lifetimes run out.
func (c *client) noteRS(p *wire.Packet) {
	if c.earlyRS != nil || p.Time.Sub(c.first) < earlyRSAfterJoin || c.counts.RAsReceived == 0 ||
		p.Time.Sub(c.lastRA.Time) < earlyRSQuiet || (!c.lastDAD.IsZero() && p.Time.Sub(c.lastDAD) < earlyRSQuiet) {
		return
	}
	end := c.rlUntil
	for _, s := range c.servers {
		if s.valid && !s.assumed && !s.expires.IsZero() && s.expires.After(p.Time) &&
			(end.IsZero() || s.expires.Before(end)) {
			end = s.expires
		}
	}
	if lead := end.Sub(p.Time); !end.IsZero() && lead >= earlyRSMinLead && lead <= earlyRSMaxLead {
		e := ev(p, "RS before RA-learned lifetimes end")
		c.earlyRS, c.earlyRSLead = &e, lead
		c.profile = matchProfile(c)
	}
}

// offerRANonZero updates the view of server a that ignores RAs with
// router lifetime 0 (rl), as Apple clients do (field guide §1).
func (c *client) offerRANonZero(p *wire.Packet, lt uint32, a netip.Addr, rl uint16) {
	s, ok := c.servers[a]
	if !ok || rl == 0 {
		return
	}
	s.nzOmitted = time.Time{}
	if lt == 0 {
		if s.nzValid {
			s.nzValid, s.nzEnded, s.nzEndedEv = false, p.Time, ev(p, "RDNSS lifetime 0")
		}
		return
	}
	s.nzValid, s.nzEver = true, true
	s.nzExpires = time.Time{}
	if lt != infiniteLifetime {
		s.nzExpires = p.Time.Add(time.Duration(lt) * time.Second)
	}
}

// rfcValidAt reports whether the server is valid at t under the RFC 8106
// rules alone: offered with a lifetime that has not run out.
func (s *serverState) rfcValidAt(t time.Time) bool {
	return s.valid && (s.expires.IsZero() || s.expires.After(t))
}

// validAt reports whether server a was validly offered to the client at
// ts by RA (under RFC 8106 rules) or DHCPv6.
func (c *client) validAt(a netip.Addr, ts time.Time) bool {
	if s, ok := c.servers[a]; ok && s.rfcValidAt(ts) {
		return true
	}
	return slices.Contains(c.dhcpDNS, a)
}

// offered reports whether a was ever offered on the wire.
func (c *client) offered(a netip.Addr) bool {
	if _, ok := c.servers[a]; ok {
		return true
	}
	return c.dhcpEver[a]
}

// query records a DNS query from the client (checks C7, C8).
func (c *client) query(p *wire.Packet) {
	srv := p.Dst
	u, ok := c.dns[srv]
	if !ok {
		if len(c.dns) >= maxServers {
			return
		}
		u = &DNSUse{Server: srv.String(), First: p.Time, FirstPacket: p.N}
		c.dns[srv] = u
		c.dnsOrder = append(c.dnsOrder, srv)
	}
	u.Queries++
	u.Last, u.LastPacket = p.Time, p.N
	if s, ok := c.servers[srv]; ok {
		c.noteQueryInOmission(p, s)
	}
	c.find.check("C7")
	if c.offered(srv) {
		c.find.check("C8")
	}
	c.checkPrecedence(p, srv)
	if c.pref64Until.After(p.Time) {
		c.find.check("C11")
	}
	if p.DNS.Type == 28 && strings.EqualFold(p.DNS.Name, "ipv4only.arpa.") && c.pref64Until.After(p.Time) {
		// RFC 9872: a host with a PREF64 from RAs uses it rather than
		// RFC 7050 discovery.
		c.find.add(Finding{ID: "C11", Severity: SeverityInfo, Client: c.mac.String(), Time: p.Time, RFC: "RFC 9872",
			Message: "queries AAAA ipv4only.arpa (RFC 7050 NAT64 discovery) although an RA gave it a valid PREF64"}, "C11", ev(p, ""))
	}
	if srv.Is4() || c.validAt(srv, p.Time) {
		return
	}
	if st, ok := c.servers[srv]; ok && !st.valid && !st.ended.IsZero() && p.Time.Sub(st.ended) <= staleGrace {
		return // Timers a little behind the capture's, not stale use.
	}
	u.Stale++
	if s, ok := c.servers[srv]; ok && !s.ended.IsZero() && !s.valid {
		s.noteStale(p.Time)
		if c.perRouter == nil && s.keptAt(p.Time) && s.endReason == lossWithdrawn && s.withdrawnFrom != (wire.MAC{}) &&
			perRouterView(s, p.Time, false).valid {
			e := ev(p, "query to "+srv.String()+" after another router withdrew it")
			c.perRouter = &e
		}
		if fe, ok := s.fragmentedOnly(); ok && s.endReason == lossExpired {
			c.find.add(Finding{ID: "C8", Severity: SeverityError, Client: c.mac.String(), Time: p.Time,
				RFC: "RFC 6980 §5",
				Message: "queries DNS server " + srv.String() + " after its RDNSS lifetime expired at " +
					stamp(s.ended) + ", when only fragmented RAs had offered it since (last " + pkt(fe.Packet) +
					"): it evidently accepts fragmented Neighbor Discovery, which hosts must drop (F13)"},
				"C8frag:"+srv.String(), fe, ev(p, "query after only fragmented offers"))
			return
		}
		c.find.add(Finding{ID: "C8", Severity: SeverityWarning, Client: c.mac.String(), Time: p.Time,
			RFC: "RFC 8106 §5.3.1",
			Message: "queries DNS server " + srv.String() + " after its RDNSS lifetime " + string(s.endReason) +
				" at " + stamp(s.ended)},
			"C8:"+srv.String(), ev(p, "stale query"))
		return
	}
	if !c.offered(srv) {
		c.find.add(Finding{ID: "C7", Severity: SeverityInfo, Client: c.mac.String(), Time: p.Time,
			RFC:     "RFC 8106 §5.3.1",
			Message: "queries DNS server " + srv.String() + " that no RA or DHCPv6 Reply in this capture offered it (learned earlier, or configured)"},
			"C7:"+srv.String(), ev(p, "query to a server not offered"))
	}
}

// checkPrecedence runs C10 on a query to srv. RFC 8106 §5.3.1: a host
// SHOULD keep DNS options from all sources, storing them so that
// information from DHCP comes first and takes precedence over RA, and
// SHOULD be able to keep at least three servers from at least two
// sources. On the wire: a lookup that starts at an RA-learned server while
// the client holds DHCPv6-learned ones (no query to those within the
// resolver timeout before) shows RA first; a query to the fourth or a
// later server offered shows it keeps more than three (F16).
func (c *client) checkPrecedence(p *wire.Packet, srv netip.Addr) {
	raOnly := func(s *serverState) bool {
		return s.rfcValidAt(p.Time) && !s.assumed && !slices.Contains(c.dhcpDNS, s.addr)
	}
	n := 0
	for _, s := range c.servers {
		if raOnly(s) {
			n++
		}
	}
	// A client known not to apply its DHCPv6 DNS holds only the RA ones:
	// precedence applies to a client holding servers from both sources.
	prof := identify(c)
	precedence := len(c.dhcpDNS) > 0 && n > 0 && (prof == nil || !prof.dhcpv6DNSUnseen)
	kept := n+len(c.dhcpDNS) > 3
	if !precedence && !kept {
		return // One source in use, at most three servers: nothing to judge.
	}
	if j := slices.Index(c.dhcpDNS, srv); j >= 0 && j < 3 {
		// One of the first three DHCPv6-learned servers, which come
		// first: the check applies, and it passes.
		c.find.check("C10")
		return
	}
	// Valid servers, DHCPv6 first, then RA by age.
	offered := slices.Clone(c.dhcpDNS)
	ras := make([]*serverState, 0, n)
	for _, s := range c.servers {
		if raOnly(s) {
			ras = append(ras, s)
		}
	}
	slices.SortFunc(ras, func(a, b *serverState) int {
		if d := a.from.Compare(b.from); d != 0 {
			return d
		}
		return a.addr.Compare(b.addr)
	})
	for _, s := range ras {
		offered = append(offered, s.addr)
	}
	i := slices.Index(offered, srv)
	if i < 0 {
		return
	}
	cm := c.mac.String()
	if precedence {
		c.find.check("C10")
		if i >= len(c.dhcpDNS) && !c.queriedWithin(c.dhcpDNS, p.Time.Add(-dnsAnswerWait), p.Time) {
			c.find.add(Finding{ID: "C10", Severity: SeverityInfo, Client: cm, Time: p.Time, RFC: "RFC 8106 §5.3.1",
				Message: "queried RA-learned " + srv.String() + " first although it holds DHCPv6-learned " +
					joinAddrs(c.dhcpDNS) + ", which RFC 8106 §5.3.1 puts first"},
				"C10:precedence", ev(p, ""))
		}
	}
	if kept {
		c.find.check("C10")
		if i >= 3 {
			c.find.add(Finding{ID: "C10", Severity: SeverityInfo, Client: cm, Time: p.Time, RFC: "RFC 8106 §5.3.1",
				Message: fmt.Sprintf("queried %s, server %d of the %d it was offered: it keeps more than three (glibc, rdnssd and Android keep three, F16)",
					srv, i+1, len(offered))},
				"C10:kept", ev(p, ""))
		}
	}
}

// serverText formats DNS server a, reusing the text of a server the
// client already queried.
func (c *client) serverText(a netip.Addr) string {
	if u, ok := c.dns[a]; ok {
		return u.Server
	}
	return a.String()
}

// queriedWithin reports whether the client queried one of servers in
// [from, to).
func (c *client) queriedWithin(servers []netip.Addr, from, to time.Time) bool {
	for _, a := range servers {
		if u, ok := c.dns[a]; ok && !u.Last.Before(from) && u.Last.Before(to) {
			return true
		}
	}
	return false
}

// setDHCPDNS replaces the DHCPv6-learned servers (RFC 8415 §18.2.10.1).
func (c *client) setDHCPDNS(servers []netip.Addr, p *wire.Packet) {
	now := p.Time
	for _, old := range c.dhcpDNS {
		if !slices.Contains(servers, old) {
			if c.dhcpGone == nil {
				c.dhcpGone = make(map[netip.Addr]time.Time)
			}
			c.dhcpGone[old] = now
			to := now
			c.intervals.addStamped(Interval{Server: old.String(), Via: ViaDHCPv6, From: c.dhcpSince[old], To: &to},
				c.opts.MaxOffers, intervalStamp)
			delete(c.dhcpSince, old)
		}
	}
	for _, n := range servers {
		if _, ok := c.dhcpSince[n]; !ok {
			c.dhcpSince[n] = now
		}
	}
	if len(c.dhcpDNS) > 0 && len(servers) == 0 {
		how := "DHCPv6 Reply " + pkt(p.N) + " replaced the DNS servers of Reply " + pkt(c.dhcpEv.Packet) + " with none"
		if p.DHCPv6 == nil || p.DHCPv6.Type != wire.DHCPv6Reply {
			how = "the client discarded Reply " + pkt(c.dhcpEv.Packet) + " and asked again (packet " + pkt(p.N) + ")"
		}
		l := ev(p, how)
		c.dhcpLost = &l
	} else if len(servers) > 0 {
		c.dhcpLost = nil
	}
	c.dhcpDNS = servers
	e := ev(p, "")
	c.dhcpEv = &e
}
