package dnsresponder

import (
	"maps"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// MaxClients bounds the per-client table of a Server; queries from further
// clients are still answered and counted in Stats.OtherClientQueries.
const MaxClients = 4096

// Drop reasons, the keys of Stats.Dropped and the values of the "reason"
// label of ralab_dns_dropped_total.
const (
	// DropMalformed counts messages that are not DNS messages.
	DropMalformed = "malformed"
	// DropResponse counts DNS responses sent to the server.
	DropResponse = "response"
	// DropTCPLimit counts TCP connections refused because MaxTCPConns
	// were open.
	DropTCPLimit = "tcp-limit"
	// DropWrite counts responses that could not be sent.
	DropWrite = "write-error"
	// DropNeighbour counts UDP responses not sent because their
	// destination does not answer Neighbor Discovery (package udpio).
	DropNeighbour = "neighbour-unresolved"
	// DropSendBuffer counts UDP responses dropped because the socket's
	// send buffer was full; the server never waits for room.
	DropSendBuffer = "send-buffer-full"
	// DropReceiveQueue counts queries the kernel dropped because the
	// socket's receive queue was full (SO_RXQ_OVFL).
	DropReceiveQueue = "receive-queue-full"
)

// dropReasons lists every drop reason, to pre-create the series.
var dropReasons = []string{
	DropMalformed, DropResponse, DropTCPLimit, DropWrite, DropNeighbour, DropSendBuffer, DropReceiveQueue,
}

// queryTypes are the query types counted by name; others count as "other"
// so that a client cannot grow the label set.
var queryTypes = map[uint16]string{
	dns.TypeA: "A", dns.TypeAAAA: "AAAA", dns.TypeANY: "ANY",
	dns.TypeCNAME: "CNAME", dns.TypeHTTPS: "HTTPS", dns.TypeMX: "MX",
	dns.TypeNS: "NS", dns.TypePTR: "PTR", dns.TypeSOA: "SOA",
	dns.TypeSRV: "SRV", dns.TypeSVCB: "SVCB", dns.TypeTXT: "TXT",
}

// typeName returns the counted name of query type t.
func typeName(t uint16) string {
	if s, ok := queryTypes[t]; ok {
		return s
	}
	return "other"
}

// rcodeName returns the name of rcode, such as "NXDOMAIN".
func rcodeName(rcode int) string {
	if rcode == dns.RcodeBadVers {
		// 16 is BADVERS in a message without TSIG (RFC 6891 §6.1.3);
		// miekg/dns names it BADSIG.
		return "BADVERS"
	}
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "other"
}

// Metrics holds the Prometheus collectors shared by every Server of a
// process; each Server fills in its own interface label.
type Metrics struct {
	queries   *prometheus.CounterVec
	responses *prometheus.CounterVec
	dropped   *prometheus.CounterVec
	truncated *prometheus.CounterVec
	clients   *prometheus.GaugeVec
}

// NewMetrics creates the DNS responder collectors and registers them with
// reg. A nil reg leaves them unregistered (tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "ralab"
	m := &Metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "dns_queries_total",
			Help: "DNS queries answered by the lab DNS responder, by interface, transport and query type (A, AAAA, ANY, CNAME, HTTPS, MX, NS, PTR, SOA, SRV, SVCB, TXT, other).",
		}, []string{"interface", "transport", "type"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "dns_responses_total",
			Help: "DNS responses sent by the lab DNS responder, by interface and rcode.",
		}, []string{"interface", "rcode"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "dns_dropped_total",
			Help: "DNS messages or connections dropped unanswered by the lab DNS responder, by interface and reason (malformed, response, tcp-limit, write-error, neighbour-unresolved, send-buffer-full, receive-queue-full).",
		}, []string{"interface", "reason"}),
		truncated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "dns_truncated_total",
			Help: "UDP responses of the lab DNS responder sent empty with TC=1 because they did not fit, by interface.",
		}, []string{"interface"}),
		clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "dns_clients",
			Help: "Distinct client addresses that queried the lab DNS responder, by interface.",
		}, []string{"interface"}),
	}
	if reg != nil {
		reg.MustRegister(m.queries, m.responses, m.dropped, m.truncated, m.clients)
	}
	return m
}

// init pre-creates the series of iface that are not keyed by query data.
func (m *Metrics) init(iface string) {
	for _, r := range dropReasons {
		m.dropped.WithLabelValues(iface, r)
	}
	m.truncated.WithLabelValues(iface)
	m.clients.WithLabelValues(iface).Set(0)
}

// ClientStats counts the queries of one client address.
type ClientStats struct {
	// Queries is the number of answered queries.
	Queries uint64
	// First and Last are when the first and the latest query arrived.
	First, Last time.Time
}

// Stats is a snapshot of a Server's counters.
type Stats struct {
	// Queries counts answered queries by query type name ("AAAA",
	// "other", ...).
	Queries map[string]uint64
	// Responses counts responses by rcode name ("NOERROR", "NXDOMAIN",
	// "REFUSED", ...).
	Responses map[string]uint64
	// Dropped counts unanswered messages by reason (DropMalformed, ...).
	Dropped map[string]uint64
	// Truncated counts UDP responses sent empty with TC=1.
	Truncated uint64
	// Clients counts answered queries per client address (without port).
	Clients map[netip.Addr]ClientStats
	// OtherClientQueries counts queries of clients beyond MaxClients.
	OtherClientQueries uint64
}

// counters is the mutable, locked form of Stats, mirrored to Metrics.
type counters struct {
	iface string
	m     *Metrics // nil: no Prometheus

	mu sync.Mutex
	s  Stats
}

// newCounters returns empty counters for interface label iface.
func newCounters(iface string, m *Metrics) *counters {
	if m != nil {
		m.init(iface)
	}
	return &counters{iface: iface, m: m, s: Stats{
		Queries:   make(map[string]uint64),
		Responses: make(map[string]uint64),
		Dropped:   make(map[string]uint64),
		Clients:   make(map[netip.Addr]ClientStats),
	}}
}

// answered counts one answered query from client.
func (c *counters) answered(client netip.Addr, t Transport, res Result, now time.Time) {
	typ, rcode := typeName(res.Question.Qtype), rcodeName(res.Rcode)
	c.mu.Lock()
	c.s.Queries[typ]++
	c.s.Responses[rcode]++
	if res.Truncated {
		c.s.Truncated++
	}
	cs, ok := c.s.Clients[client]
	switch {
	case ok || len(c.s.Clients) < MaxClients:
		if !ok {
			cs.First = now
		}
		cs.Queries++
		cs.Last = now
		c.s.Clients[client] = cs
	default:
		c.s.OtherClientQueries++
	}
	nclients := len(c.s.Clients)
	c.mu.Unlock()
	if c.m != nil {
		c.m.queries.WithLabelValues(c.iface, t.String(), typ).Inc()
		c.m.responses.WithLabelValues(c.iface, rcode).Inc()
		if res.Truncated {
			c.m.truncated.WithLabelValues(c.iface).Inc()
		}
		c.m.clients.WithLabelValues(c.iface).Set(float64(nclients))
	}
}

// drop counts one unanswered message or connection.
func (c *counters) drop(reason string) { c.dropN(reason, 1) }

// dropN counts n unanswered messages.
func (c *counters) dropN(reason string, n uint64) {
	c.mu.Lock()
	c.s.Dropped[reason] += n
	c.mu.Unlock()
	if c.m != nil {
		c.m.dropped.WithLabelValues(c.iface, reason).Add(float64(n))
	}
}

// snapshot returns a deep copy of the counters.
func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Queries:            maps.Clone(c.s.Queries),
		Responses:          maps.Clone(c.s.Responses),
		Dropped:            maps.Clone(c.s.Dropped),
		Truncated:          c.s.Truncated,
		Clients:            maps.Clone(c.s.Clients),
		OtherClientQueries: c.s.OtherClientQueries,
	}
}
