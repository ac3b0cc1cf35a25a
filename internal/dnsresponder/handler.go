package dnsresponder

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/miekg/dns"
)

// ipv4onlyARPA is the special-use name of RFC 7050 §2.2 and RFC 8880.
const ipv4onlyARPA = "ipv4only.arpa."

// The well-known IPv4 addresses of ipv4only.arpa (RFC 7050 §2.2).
var ipv4onlyAddrs = []netip.Addr{
	netip.AddrFrom4([4]byte{192, 0, 0, 170}),
	netip.AddrFrom4([4]byte{192, 0, 0, 171}),
}

// Size limits of a response.
const (
	// MinUDPSize is the UDP payload size of a requestor without EDNS (RFC
	// 1035 §4.2.1) and the floor of an advertised EDNS size (RFC 6891
	// §6.2.5).
	MinUDPSize = 512
	// MaxUDPSize is the largest UDP response sent and the payload size
	// advertised in our OPT record: 1232 bytes avoids IP fragmentation on
	// any IPv6 path (DNS Flag Day 2020, RFC 9715 §3.2).
	MaxUDPSize = 1232
	// maxTCPSize is the largest DNS message over TCP (RFC 1035 §4.2.2).
	maxTCPSize = 65535
)

// Errors that make Handle drop a message without an answer.
var (
	// ErrMalformed reports bytes that are not a DNS message.
	ErrMalformed = errors.New("malformed DNS message")
	// ErrNotQuery reports a message with QR=1, a response, which a server
	// never answers.
	ErrNotQuery = errors.New("DNS message is a response, not a query")
)

// Transport is the transport a query came over; it sets the response size
// limit.
type Transport int

// Transports.
const (
	// UDP limits responses to the requestor's payload size.
	UDP Transport = iota
	// TCP allows responses up to 65535 bytes.
	TCP
)

// String returns "udp" or "tcp".
func (t Transport) String() string {
	if t == TCP {
		return "tcp"
	}
	return "udp"
}

// Result describes one answered query.
type Result struct {
	// Question is the query's question; zero when the query had none
	// (FORMERR).
	Question dns.Question
	// Rcode is the response code, including extended codes such as
	// dns.RcodeBadVers.
	Rcode int
	// Truncated is true when the UDP response was too large and was sent
	// empty with TC=1.
	Truncated bool
	// Synthesized is true when the answer holds DNS64-synthesised AAAA
	// records (RFC 6147), including AAAA ipv4only.arpa.
	Synthesized bool
}

// Handler answers DNS queries from a fixed zone. It is safe for
// concurrent use.
type Handler struct {
	z *zone
}

// NewHandler validates c and returns a Handler that answers from it.
func NewHandler(c Config) (*Handler, error) {
	z, err := newZone(c)
	if err != nil {
		return nil, err
	}
	return &Handler{z: z}, nil
}

// Zone returns the canonical name of the handler's zone, with a trailing
// dot.
func (h *Handler) Zone() string { return h.z.origin }

// Handle answers the wire-format query b that arrived over t. It returns
// the wire-format response and what was answered, or ErrMalformed or
// ErrNotQuery (wrapped) when the message must be dropped unanswered. It
// never panics on any input.
func (h *Handler) Handle(b []byte, t Transport) ([]byte, Result, error) {
	var req dns.Msg
	if err := req.Unpack(b); err != nil {
		return nil, Result{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if req.Response {
		return nil, Result{}, ErrNotQuery
	}
	resp, res := h.Answer(&req)
	limit := maxTCPSize
	if t == UDP {
		limit = udpLimit(&req)
	}
	out, err := resp.Pack()
	if err == nil && len(out) > limit {
		truncate(resp)
		res.Truncated = true
		out, err = resp.Pack()
	}
	if err != nil {
		// Only reachable for a response the zone cannot produce; keep
		// the client informed rather than silent.
		resp = failure(&req, dns.RcodeServerFailure)
		res.Rcode = dns.RcodeServerFailure
		if out, err = resp.Pack(); err != nil {
			return nil, res, fmt.Errorf("%w: cannot pack a response: %w", ErrMalformed, err)
		}
	}
	return out, res, nil
}

// udpLimit returns the UDP response size limit for req: 512 bytes without
// EDNS, else the requestor's payload size, at least 512 (RFC 6891 §6.2.5)
// and at most MaxUDPSize.
func udpLimit(req *dns.Msg) int {
	opt := req.IsEdns0()
	if opt == nil {
		return MinUDPSize
	}
	return min(max(int(opt.UDPSize()), MinUDPSize), MaxUDPSize)
}

// truncate empties every section but the question and the OPT record and
// sets TC, so that the requestor retries over TCP (RFC 2181 §9, RFC 7766
// §5) instead of using a partial answer.
func truncate(m *dns.Msg) {
	m.Truncated = true
	m.Answer, m.Ns = nil, nil
	var extra []dns.RR
	if opt := m.IsEdns0(); opt != nil {
		extra = []dns.RR{opt}
	}
	m.Extra = extra
}

// failure returns an empty response to req with rcode.
func failure(req *dns.Msg, rcode int) *dns.Msg {
	m := reply(req)
	m.Rcode = rcode
	if opt := req.IsEdns0(); opt != nil && countOPT(req) == 1 {
		m.Extra = append(m.Extra, responseOPT(opt))
	}
	return m
}

// reply returns the skeleton of a response to req: same ID, opcode, RD and
// CD (RFC 1035 §4.1.1, RFC 4035 §3.1.6), the question copied, RA=0.
func reply(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.Id = req.Id
	m.Response = true
	m.Opcode = req.Opcode
	m.RecursionDesired = req.RecursionDesired
	m.CheckingDisabled = req.CheckingDisabled
	m.Question = req.Question
	m.Compress = true
	return m
}

// responseOPT returns the OPT record answering q: version 0, our payload
// size, the DO bit copied (RFC 3225 §3), no options.
func responseOPT(q *dns.OPT) *dns.OPT {
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetUDPSize(MaxUDPSize)
	if q.Do() {
		o.SetDo()
	}
	return o
}

// countOPT returns the number of OPT records in m's additional section.
func countOPT(m *dns.Msg) int {
	n := 0
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n
}

// Answer returns the response to the parsed query req and what was
// answered, without any size limit. It is the pure core of Handle.
func (h *Handler) Answer(req *dns.Msg) (*dns.Msg, Result) {
	var res Result
	if len(req.Question) > 0 {
		res.Question = req.Question[0]
	}
	switch {
	case countOPT(req) > 1:
		// RFC 6891 §6.1.1: more than one OPT record is FORMERR.
		res.Rcode = dns.RcodeFormatError
		return failure(req, res.Rcode), res
	case req.Opcode != dns.OpcodeQuery:
		res.Rcode = dns.RcodeNotImplemented
		return failure(req, res.Rcode), res
	case len(req.Question) != 1:
		// RFC 9619 §2: a query has exactly one question.
		res.Rcode = dns.RcodeFormatError
		return failure(req, res.Rcode), res
	}
	opt := req.IsEdns0()
	if opt != nil && opt.Version() != 0 {
		// RFC 6891 §6.1.3: unsupported EDNS version.
		res.Rcode = dns.RcodeBadVers
		return failure(req, res.Rcode), res
	}
	m := reply(req)
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	switch {
	case q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY:
		m.Rcode = dns.RcodeRefused
	case q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR:
		// No zone transfers: there is no secondary to feed.
		m.Rcode = dns.RcodeRefused
	case name == ipv4onlyARPA:
		res.Synthesized = h.answerIPv4Only(m, q)
	case dns.IsSubDomain(h.z.origin, name):
		m.Authoritative = true
		res.Synthesized = h.answerZone(m, q, name)
	default:
		// Not ours, and we never recurse: the lab is offline.
		m.Rcode = dns.RcodeRefused
	}
	if opt != nil {
		m.Extra = append(m.Extra, responseOPT(opt))
	}
	res.Rcode = m.Rcode
	return m, res
}

// answerIPv4Only fills m for a query about ipv4only.arpa (RFC 7050 §2.2,
// RFC 8880 §7.2) and reports whether it synthesised AAAA records.
func (h *Handler) answerIPv4Only(m *dns.Msg, q dns.Question) bool {
	switch q.Qtype {
	case dns.TypeA, dns.TypeANY:
		for _, a := range ipv4onlyAddrs {
			m.Answer = append(m.Answer, h.z.rrA(q.Name, a))
		}
	case dns.TypeAAAA:
		if !h.z.pref64.IsValid() {
			return false // NODATA: no DNS64 in this lab.
		}
		for _, a := range ipv4onlyAddrs {
			m.Answer = append(m.Answer, h.z.rrAAAA(q.Name, embed(h.z.pref64, a)))
		}
		return true
	}
	return false
}

// answerZone fills m for a query about name, inside the zone, and reports
// whether it synthesised AAAA records.
func (h *Handler) answerZone(m *dns.Msg, q dns.Question, name string) bool {
	z := h.z
	owner := q.Name
	for range maxCNAMEChain + 1 {
		n := z.nodes[name]
		if n == nil {
			if !z.exists[name] {
				// RFC 6604 §2.1: the rcode is that of the last name of a
				// CNAME chain.
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = append(m.Ns, z.soa)
			return false
		}
		if n.cname != "" && q.Qtype != dns.TypeCNAME && q.Qtype != dns.TypeANY {
			m.Answer = append(m.Answer, z.rrCNAME(owner, n.cname))
			name, owner = n.cname, n.cname
			if !dns.IsSubDomain(z.origin, name) {
				return false // The client resolves the rest elsewhere.
			}
			continue
		}
		before := len(m.Answer)
		synth := z.records(m, q.Qtype, owner, name, n)
		if len(m.Answer) == before {
			m.Ns = append(m.Ns, z.soa) // NODATA (RFC 2308 §2.2).
		}
		return synth
	}
	// newZone rejects longer chains and loops.
	m.Rcode = dns.RcodeServerFailure
	return false
}

// records appends n's records of type qtype, named owner, to m's answer,
// synthesising AAAA from A when n has none (RFC 6147 §5.1.6), and reports
// whether it did.
func (z *zone) records(m *dns.Msg, qtype uint16, owner, name string, n *node) bool {
	all := qtype == dns.TypeANY
	if (qtype == dns.TypeSOA || all) && name == z.origin {
		m.Answer = append(m.Answer, z.soa)
	}
	if n.cname != "" && (qtype == dns.TypeCNAME || all) {
		m.Answer = append(m.Answer, z.rrCNAME(owner, n.cname))
	}
	if qtype == dns.TypeA || all {
		for _, a := range n.a {
			m.Answer = append(m.Answer, z.rrA(owner, a))
		}
	}
	if qtype == dns.TypeAAAA || all {
		for _, a := range n.aaaa {
			m.Answer = append(m.Answer, z.rrAAAA(owner, a))
		}
	}
	if qtype == dns.TypeTXT || all {
		for _, t := range n.txt {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: z.hdr(owner, dns.TypeTXT), Txt: t})
		}
	}
	// DNS64 (RFC 6147 §5.1.6 and §5.1.7): an AAAA query for a name with A
	// records only is answered with AAAA records synthesised from them,
	// with the A records' TTL (the zone's SOA minimum is the same TTL).
	if qtype == dns.TypeAAAA && len(n.aaaa) == 0 && len(n.a) > 0 && z.pref64.IsValid() {
		for _, a := range n.a {
			m.Answer = append(m.Answer, z.rrAAAA(owner, embed(z.pref64, a)))
		}
		return true
	}
	return false
}

// hdr returns a record header for name and type t in class IN with the
// zone's TTL.
func (z *zone) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: z.ttl}
}

// rrA returns an A record.
func (z *zone) rrA(name string, a netip.Addr) dns.RR {
	b := a.As4()
	return &dns.A{Hdr: z.hdr(name, dns.TypeA), A: b[:]}
}

// rrAAAA returns an AAAA record.
func (z *zone) rrAAAA(name string, a netip.Addr) dns.RR {
	b := a.As16()
	return &dns.AAAA{Hdr: z.hdr(name, dns.TypeAAAA), AAAA: b[:]}
}

// rrCNAME returns a CNAME record.
func (z *zone) rrCNAME(name, target string) dns.RR {
	return &dns.CNAME{Hdr: z.hdr(name, dns.TypeCNAME), Target: target}
}
