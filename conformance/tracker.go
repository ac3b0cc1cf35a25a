package conformance

import (
	"bytes"
	"container/list"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// Default bounds of a Tracker (Options fields left zero).
const (
	DefaultMaxClients   = 4096
	DefaultMaxEvents    = 256
	DefaultMaxAddresses = 32
	DefaultMaxOffers    = 64
)

// Protocol constants used by the tracker and the checks.
const (
	// maxRADelay is MAX_RA_DELAY_TIME (RFC 4861 §10).
	maxRADelay = 500 * time.Millisecond
	// minDelayBetweenRAs is MIN_DELAY_BETWEEN_RAS (RFC 4861 §10).
	minDelayBetweenRAs = 3 * time.Second
	// rsAnswerWindow is how long after an RS an RA still counts as its
	// answer: MAX_RA_DELAY_TIME plus the MIN_DELAY_BETWEEN_RAS rate limit a
	// router may add (RFC 4861 §6.2.6).
	rsAnswerWindow = minDelayBetweenRAs + maxRADelay + 500*time.Millisecond
	// infiniteLifetime is the all-ones lifetime (RFC 8106 §5.1).
	infiniteLifetime = 0xffffffff
	// dnsAnswerWait is how long a DNS query waits for its answer before
	// it counts as unanswered: the 5 s default timeout of glibc's stub
	// resolver (resolv.conf(5), "timeout").
	dnsAnswerWait = 5 * time.Second
	// maxEvidence bounds the evidence kept per finding.
	maxEvidence = 5
	// maxFindings bounds the distinct findings kept per subject.
	maxFindings = 64
	// maxTransactions bounds the DHCPv6 transactions kept per client.
	maxTransactions = 32
	// maxServers bounds the DNS servers tracked per client.
	maxServers = 64
	// maxRS bounds the RS times kept per client.
	maxRS = 64
	// maxRouters bounds the routers tracked; RAs from further senders
	// are counted as ignored.
	maxRouters = 1024
)

// Options configure a Tracker.
type Options struct {
	// Source is copied into reports.
	Source Source
	// MaxClients caps tracked clients; the least recently seen is evicted
	// beyond it. 0 means DefaultMaxClients.
	MaxClients int
	// MaxEvents caps each client's timeline. 0 means DefaultMaxEvents.
	MaxEvents int
	// MaxAddresses caps each client's address set. 0 means
	// DefaultMaxAddresses.
	MaxAddresses int
	// MaxOffers caps each client's recorded RA and DHCPv6 offers. 0 means
	// DefaultMaxOffers.
	MaxOffers int
	// OutageGrace is the shortest lapse of DNS that counts as an outage:
	// real routers send an RDNSS lifetime equal to their RA interval, so
	// the lifetime lapses for milliseconds each cycle, which no client
	// notices. 0 means DefaultOutageGrace; negative means none.
	OutageGrace time.Duration
	// NoKnowledge turns client identification off: every client is
	// judged by what the wire shows alone, as an unidentified one.
	NoKnowledge bool
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// DefaultOutageGrace is Options.OutageGrace when left zero.
const DefaultOutageGrace = 2 * time.Second

// GraceOption returns the Options.OutageGrace for a grace d that an
// operator set, in which 0 means no grace at all (Options takes 0 for the
// default).
func GraceOption(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// Sent describes something ralab itself sent, told to the observer by
// "ralab serve" through Tracker.NoteSent. It is kept apart from what the
// wire showed: the report lists it with the packet that matched, if any.
type Sent struct {
	// Time is when it was sent.
	Time time.Time
	// Kind is "ra" or "dhcpv6-reply".
	Kind string
	// From is the sending interface's MAC.
	From wire.MAC
	// Destination is the IPv6 destination.
	Destination netip.Addr
	// Summary describes the content in words.
	Summary string
}

// Sent kinds.
const (
	// SentRA is a Router Advertisement.
	SentRA = "ra"
	// SentDHCPv6Reply is a DHCPv6 Reply.
	SentDHCPv6Reply = "dhcpv6-reply"
)

// Tracker builds the per-client and per-router model from decoded
// packets, in capture order. It is safe for concurrent use: a live capture
// can feed it while another goroutine takes reports.
type Tracker struct {
	mu   sync.Mutex
	opts Options
	log  *slog.Logger

	packets, malformed, ignored, evictions int
	start, last                            time.Time

	clients map[wire.MAC]*client
	lru     *list.List // of *client, most recent first
	routers map[wire.MAC]*router
	duids   map[string]wire.MAC // client DUID (hex) to MAC

	pendingRS []pendingRS
	linkFind  findingSet
	sent      []SentRecord
	sentFrom  []wire.MAC
	replies   int // DHCPv6 Replies seen on the link, to anyone
	// deadlines are when clients' DNS may change with no packet.
	deadlines deadlines
	// naSeen is when a Neighbor Advertisement for each target was last
	// seen, from anyone (bounded by maxNATargets).
	naSeen map[netip.Addr]time.Time
}

// maxNATargets bounds Tracker.naSeen.
const maxNATargets = 1 << 14

// pendingRS is an RS waiting for an RA (checks R3, N3).
type pendingRS struct {
	mac  wire.MAC
	ev   Evidence
	done bool
}

// NewTracker returns an empty Tracker.
func NewTracker(o Options) *Tracker {
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = DefaultMaxAddresses
	}
	if o.MaxOffers <= 0 {
		o.MaxOffers = DefaultMaxOffers
	}
	switch {
	case o.OutageGrace == 0:
		o.OutageGrace = DefaultOutageGrace
	case o.OutageGrace < 0:
		o.OutageGrace = 0
	}
	lg := o.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Tracker{
		opts:    o,
		log:     lg,
		clients: make(map[wire.MAC]*client),
		lru:     list.New(),
		routers: make(map[wire.MAC]*router),
		duids:   make(map[string]wire.MAC),
		naSeen:  make(map[netip.Addr]time.Time),
	}
}

// ObserveFrame decodes an Ethernet frame captured at ts, numbers it
// (1-based, in call order) and observes it. It returns the decoded packet
// and the decode error (a *MalformedError), which the tracker has already
// counted and turned into findings.
func (t *Tracker) ObserveFrame(frame []byte, ts time.Time) (wire.Packet, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, err := wire.Decode(frame, ts, t.packets+1)
	t.observe(p)
	return p, err
}

// Observe adds one decoded packet. Packets must come in capture order;
// p.N should number them from 1 (ObserveFrame does).
func (t *Tracker) Observe(p wire.Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.observe(p)
}

func (t *Tracker) observe(p wire.Packet) {
	t.packets++
	if p.N == 0 {
		p.N = t.packets
	}
	if t.start.IsZero() || p.Time.Before(t.start) {
		t.start = p.Time
	}
	if p.Time.After(t.last) {
		t.last = p.Time
	}
	if len(p.Problems) > 0 {
		t.malformed++
	}
	t.expireRS(p.Time)
	t.runDeadlines(p.Time)
	switch {
	case p.RA != nil:
		t.observeRA(&p)
	case p.RS != nil:
		t.observeRS(&p)
	case p.NS != nil:
		t.observeNS(&p)
	case p.NA != nil:
		t.observeNA(&p)
	case p.DHCPv6 != nil:
		t.observeDHCPv6(&p)
	case p.DNS != nil:
		t.observeDNS(&p)
	case p.DHCPv4 != nil:
		t.observeDHCPv4(&p)
	default:
		if len(p.Problems) == 0 {
			t.ignored++
		}
		t.linkProblems(&p)
	}
}

// NoteSent records what ralab meant to send; it is matched against later
// packets from s.From.
func (t *Tracker) NoteSent(s Sent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	const maxSent = 1024
	if len(t.sent) >= maxSent {
		t.sent = t.sent[1:]
		t.sentFrom = t.sentFrom[1:]
	}
	t.sent = append(t.sent,
		SentRecord{Time: s.Time, Kind: s.Kind, Destination: addrString(s.Destination), Summary: s.Summary})
	t.sentFrom = append(t.sentFrom, s.From)
}

// matchSent marks the oldest unmatched SentRecord of this kind from p's
// source as seen in p.
func (t *Tracker) matchSent(p *wire.Packet, kind string) {
	for i := range t.sent {
		s := &t.sent[i]
		if s.SeenPacket != 0 || s.Kind != kind || t.sentFrom[i] != p.SrcMAC {
			continue
		}
		if d := p.Time.Sub(s.Time); d < -time.Second || d > 2*time.Second {
			continue
		}
		if s.Destination != "" && s.Destination != addrString(p.Dst) {
			continue
		}
		s.SeenPacket = p.N
		return
	}
}

// client returns the client with MAC m, creating it at time ts. It
// returns nil for routers and group addresses.
func (t *Tracker) client(m wire.MAC, ts time.Time) *client {
	if m.Multicast() {
		return nil
	}
	if _, ok := t.routers[m]; ok {
		return nil
	}
	if c, ok := t.clients[m]; ok {
		t.lru.MoveToFront(c.elem)
		return c
	}
	c := newClient(m, ts, t.opts)
	c.elem = t.lru.PushFront(c)
	t.clients[m] = c
	for len(t.clients) > t.opts.MaxClients {
		old := t.lru.Back().Value.(*client)
		t.lru.Remove(old.elem)
		delete(t.clients, old.mac)
		for d, mm := range t.duids {
			if mm == old.mac {
				delete(t.duids, d)
			}
		}
		t.evictions++
		t.log.Debug("client evicted", "mac", old.mac.String(), "clients", len(t.clients))
	}
	// Seed what the routers last multicast: it reached the client only if
	// it was already on the link, so it is marked assumed.
	rmacs := make([]wire.MAC, 0, len(t.routers))
	for m, r := range t.routers {
		if r.lastMcast != nil && r.lastMcast.p.Time.Before(ts) {
			rmacs = append(rmacs, m)
		}
	}
	slices.SortFunc(rmacs, func(a, b wire.MAC) int { return bytes.Compare(a[:], b[:]) })
	for _, m := range rmacs {
		c.applyRA(t.routers[m].lastMcast, ReachedMulticast, true)
	}
	return c
}

// touch notes client activity at p.
func (c *client) touch(p *wire.Packet) {
	if p.Time.After(c.last) {
		c.last = p.Time
	}
	c.expire(p.Time)
	if p.IPVersion == 6 {
		c.sentIPv6 = true
	}
	if p.Src.IsValid() && !p.Src.IsUnspecified() && p.IPVersion == 6 {
		c.addAddress(p.Src, LearnedSource, p.Time)
	}
}

func (t *Tracker) linkProblems(p *wire.Packet) {
	for _, pr := range p.Problems {
		t.linkFind.add(Finding{ID: pr.ID, Severity: problemSeverity(pr), Time: p.Time, RFC: pr.RFC,
			Message: pr.Message}, "problem:"+pr.ID+":"+pr.Message, ev(p, ""))
	}
}

func problemSeverity(pr wire.Problem) string {
	if pr.Warning {
		return SeverityWarning
	}
	return SeverityError
}

// ev returns the evidence of packet p.
func ev(p *wire.Packet, note string) Evidence {
	return Evidence{Packet: p.N, Time: p.Time, Note: note}
}

func (t *Tracker) observeRS(p *wire.Packet) {
	c := t.client(p.SrcMAC, p.Time)
	if c == nil {
		t.linkProblems(p)
		return
	}
	c.touch(p)
	c.counts.RS++
	c.clientRole = true
	if len(c.rs) >= maxRS {
		c.rs = c.rs[1:]
	}
	c.rs = append(c.rs, ev(p, ""))
	known := c.earlyRS != nil
	c.noteRS(p)
	if !known && c.earlyRS != nil {
		t.follow(c, p.Time, p) // It may identify the client (NetworkManager).
	}
	c.event(EventRS, p, "")
	c.problems(p)
	checkRS(c, p)
	t.pendingRS = append(t.pendingRS, pendingRS{mac: c.mac, ev: ev(p, "RS")})
}

// expireRS settles RSs older than rsAnswerWindow at now (check N3).
func (t *Tracker) expireRS(now time.Time) {
	keep := t.pendingRS[:0]
	for _, rs := range t.pendingRS {
		if rs.done {
			continue
		}
		if now.Sub(rs.ev.Time) <= rsAnswerWindow {
			keep = append(keep, rs)
			continue
		}
		if c, ok := t.clients[rs.mac]; ok && len(t.routers) > 0 {
			for _, r := range t.routers {
				r.find.check("R3")
			}
			c.find.add(Finding{ID: "N3", Severity: SeverityWarning, Client: c.mac.String(), Time: rs.ev.Time,
				RFC: "RFC 4861 §6.2.6",
				Message: "Router Solicitation got no Router Advertisement within " + seconds(rsAnswerWindow) +
					" (RAs converted to unicast or filtered on the path: F3/F4)"}, "N3", rs.ev)
		}
	}
	t.pendingRS = keep
}

func (t *Tracker) observeNS(p *wire.Packet) {
	if _, ok := t.routers[p.SrcMAC]; ok {
		return
	}
	c := t.client(p.SrcMAC, p.Time)
	if c == nil {
		return
	}
	c.touch(p)
	c.problems(p)
	if p.Src.IsUnspecified() {
		c.counts.DAD++
		c.lastDAD = p.Time
		c.clientRole = true
		c.addAddress(p.NS.Target, LearnedDAD, p.Time)
		c.event(EventDAD, p, p.NS.Target.String())
		checkDAD(c, p)
		return
	}
	c.event(EventNS, p, "target "+p.NS.Target.String())
	c.lookup(p)
}

func (t *Tracker) observeNA(p *wire.Packet) {
	if _, ok := t.naSeen[p.NA.Target]; ok || len(t.naSeen) < maxNATargets {
		t.naSeen[p.NA.Target] = p.Time
	}
	if _, ok := t.routers[p.SrcMAC]; ok || p.NA.Router {
		return
	}
	c := t.client(p.SrcMAC, p.Time)
	if c == nil {
		return
	}
	c.touch(p)
	c.problems(p)
	c.addAddress(p.NA.Target, LearnedNA, p.Time)
	c.event(EventNA, p, p.NA.Target.String())
}

func (t *Tracker) observeDNS(p *wire.Packet) {
	d := p.DNS
	if !d.Response && p.DstPort == 53 {
		c := t.client(p.SrcMAC, p.Time)
		if c == nil {
			return
		}
		c.touch(p)
		c.clientRole = true
		c.problems(p)
		c.counts.DNSQueries++
		c.event(EventDNSQuery, p, c.serverText(p.Dst)+" "+d.Name)
		c.query(p)
		t.followUse(c, p)
		return
	}
	if d.Response && p.SrcPort == 53 {
		if c, ok := t.clients[p.DstMAC]; ok {
			c.counts.DNSAnswers++
			c.event(EventDNSAnswer, p, c.serverText(p.Src)+" "+d.Name)
			if u, ok := c.dns[p.Src]; ok {
				u.Answers++
				t.followUse(c, p)
			}
		}
		if c, ok := t.clients[p.SrcMAC]; ok {
			c.serverRole = true
		}
	}
}

func (t *Tracker) observeDHCPv4(p *wire.Packet) {
	m := p.DHCPv4
	if m.Op == 1 {
		c := t.client(p.SrcMAC, p.Time)
		if c == nil {
			return
		}
		c.touch(p)
		c.clientRole = true
		if m.Hostname != "" {
			c.hostname = m.Hostname
		}
		if m.VendorClass != "" {
			c.dhcp4VendorClass = m.VendorClass
			c.profile = matchProfile(c)
		}
		if m.PRL != nil {
			c.prl = m.PRL
		}
		c.event(EventDHCPv4, p, dhcp4TypeName(m.MessageType))
		checkDHCPv4Request(c, p)
		if c.sentIPv6 {
			t.follow(c, p.Time, p) // Its Vendor Class may identify it (Android).
		}
		return
	}
	if c, ok := t.clients[m.ClientMAC]; ok {
		c.event(EventDHCPv4, p, dhcp4TypeName(m.MessageType))
		if m.MessageType == wire.DHCPv4Offer && m.HasV6OnlyWait {
			c.v6only = &v6onlyOffer{ev: ev(p, "OFFER with option 108"), wait: m.V6OnlyWait}
		}
	}
}

func dhcp4TypeName(t uint8) string {
	names := [...]string{"", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"}
	if int(t) < len(names) && t != 0 {
		return names[t]
	}
	return "BOOTP"
}

// addrString formats a, or "" when invalid.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// duidString formats a DUID as hex.
func duidString(b []byte) string { return hex.EncodeToString(b) }

// addUnique appends s to list unless present, keeping at most max.
func addUnique(list []string, s string, max int) []string {
	if slices.Contains(list, s) || len(list) >= max {
		return list
	}
	return append(list, s)
}
