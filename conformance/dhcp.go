package conformance

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ralab/ralab/conformance/wire"
)

// isClientMessage reports DHCPv6 message types clients send (RFC 8415
// §7.3).
func isClientMessage(t uint8) bool {
	switch t {
	case 1, 3, 4, 5, 6, 8, 9, wire.DHCPv6InfoRequest:
		return true
	}
	return false
}

func (t *Tracker) observeDHCPv6(p *wire.Packet) {
	m := p.DHCPv6
	switch {
	case isClientMessage(m.Type) && p.DstPort == 547:
		c := t.client(p.SrcMAC, p.Time)
		if c == nil {
			return
		}
		c.touch(p)
		c.problems(p)
		if m.ClientID != nil && len(t.duids) < 8*t.opts.MaxClients {
			t.duids[duidString(m.ClientID)] = c.mac
		}
		c.clientMessage(p, m)
		t.follow(c, p.Time, p)
	case m.Type == wire.DHCPv6RelayForw:
		// Relayed client traffic is seen only on the server's link; the
		// client's own message, if on this link, was observed directly.
		if c, ok := t.clients[p.SrcMAC]; ok {
			c.serverRole = true
		}
	default:
		in := m.Inner()
		if in == nil || (in.Type != wire.DHCPv6Reply && in.Type != wire.DHCPv6Advertise && in.Type != 10) {
			return
		}
		if s, ok := t.clients[p.SrcMAC]; ok {
			s.serverRole = true
		}
		var c *client
		if m.Type != wire.DHCPv6RelayRepl && !p.DstMAC.Multicast() {
			c = t.clients[p.DstMAC]
		}
		if c == nil && in.ClientID != nil {
			if mac, ok := t.duids[duidString(in.ClientID)]; ok {
				c = t.clients[mac]
			}
		}
		if in.Type == wire.DHCPv6Reply {
			t.replies++
			t.matchSent(p, SentDHCPv6Reply)
		}
		if c == nil {
			t.linkProblems(p)
			return
		}
		c.expire(p.Time)
		c.problems(p)
		c.serverMessage(p, in)
		t.follow(c, p.Time, p)
	}
}

// clientMessage records a DHCPv6 message the client sent.
func (c *client) clientMessage(p *wire.Packet, m *wire.DHCPv6) {
	c.clientRole = true
	c.sentDHCPv6Client = true
	c.hasORO, c.oro = m.HasORO, m.ORO
	if c.oro == nil {
		c.oro = []uint16{}
	}
	if m.ClientID != nil {
		c.duids = addUnique(c.duids, duidString(m.ClientID), 8)
	}
	for _, v := range m.VendorClass {
		c.vendorClass = addUnique(c.vendorClass, v, 8)
	}
	if m.FQDN != "" {
		c.hostname = m.FQDN
	}
	kind := EventDHCPv6Client
	switch m.Type {
	case wire.DHCPv6InfoRequest:
		c.counts.InformationRequests++
		c.infoRequests++
		kind = EventInfoRequest
	case wire.DHCPv6Solicit:
		c.counts.Solicits++
		kind = EventSolicit
	default:
		c.counts.OtherDHCPv6++
	}
	c.profile = matchProfile(c)
	detail := fmt.Sprintf("xid %06x", m.TransactionID)
	if kind == EventDHCPv6Client {
		detail = wire.DHCPv6TypeName(m.Type) + " " + detail
	}
	c.event(kind, p, detail)

	var tx *transaction
	for i := len(c.txs) - 1; i >= 0 && i >= len(c.txs)-4; i-- {
		if c.txs[i].xid == m.TransactionID && c.txs[i].typ == m.Type {
			tx = c.txs[i]
			break
		}
	}
	var prev *transaction
	if tx == nil {
		if n := len(c.txs); n > 0 {
			prev = c.txs[n-1]
		}
		tx = &transaction{xid: m.TransactionID, typ: m.Type, oro: m.ORO, hasORO: m.HasORO, clientID: m.ClientID}
		if len(c.txs) >= maxTransactions {
			c.txs = c.txs[1:]
		}
		c.txs = append(c.txs, tx)
	}
	if tx.answered && p.Time.After(tx.reply.Time) {
		// Retransmitted after the Reply: the client discarded it.
		c.find.add(Finding{ID: "N1", Severity: SeverityError, Client: c.mac.String(), Time: p.Time,
			RFC: "RFC 8415 §16.10",
			Message: fmt.Sprintf("client retransmitted %s %06x after the Reply %s: it discarded that Reply",
				wire.DHCPv6TypeName(m.Type), m.TransactionID, pkt(tx.reply.Packet))},
			fmt.Sprintf("N1:discarded:%06x", tx.xid), tx.reply, ev(p, ""))
		tx.answered, tx.discarded = false, true
		if c.dhcpTx == tx {
			c.setDHCPDNS(nil, p)
			c.dhcpTx = nil
		}
	}
	tx.count++
	if len(tx.sends) < 16 {
		tx.sends = append(tx.sends, ev(p, ""))
		tx.elapsed = append(tx.elapsed, m.ElapsedTime)
	}
	if m.Type == wire.DHCPv6InfoRequest {
		checkInfoRequest(c, p, m, tx, prev)
	}
	if m.Type == wire.DHCPv6Solicit || m.Type == wire.DHCPv6InfoRequest {
		checkExchangeChoice(c, p, m)
	}
}

// serverMessage records a DHCPv6 Reply or Advertise addressed to the
// client.
func (c *client) serverMessage(p *wire.Packet, m *wire.DHCPv6) {
	if m.Type != wire.DHCPv6Reply {
		c.event(EventDHCPv6Server, p, wire.DHCPv6TypeName(m.Type))
		return
	}
	c.counts.Replies++
	e := ev(p, "")
	c.lastReply = &e
	var tx *transaction
	for i := len(c.txs) - 1; i >= 0; i-- {
		if c.txs[i].xid == m.TransactionID {
			tx = c.txs[i]
			break
		}
	}
	if tx != nil {
		tx.answered, tx.reply = true, e
	}
	var dns []string
	for _, a := range m.DNS {
		dns = append(dns, a.String())
	}
	c.event(EventReply, p, fmt.Sprintf("xid %06x DNS [%s]", m.TransactionID, strings.Join(dns, " ")))
	for _, a := range m.IAAddresses {
		c.addAddress(a, LearnedDHCPv6IA, p.Time)
	}
	if tx != nil && tx.typ == wire.DHCPv6InfoRequest {
		checkInfoReply(c, p, m, tx)
	}
	if m.HasStatus && m.StatusCode != 0 {
		return // A failure status carries no configuration (RFC 8415 §18.2.10).
	}
	if m.HasRefreshTime {
		c.dhcpRefresh, c.dhcpHasIRT = m.RefreshTime, true
	} else {
		c.dhcpRefresh, c.dhcpHasIRT = 0, false
	}
	if len(m.DNS) > 0 {
		o := DHCPv6Offer{Servers: dns, Domains: m.Domains, ServerDUID: duidString(m.ServerID),
			ServerAddress: addrString(p.Src), At: p.Time, Packet: p.N,
			TransactionID: fmt.Sprintf("%06x", m.TransactionID)}
		if m.HasRefreshTime {
			rt := m.RefreshTime
			o.RefreshTimeSeconds = &rt
		}
		c.dhcpOffers.addStamped(o, c.opts.MaxOffers, dhcpOfferStamp)
		for _, a := range m.DNS {
			if len(c.dhcpEver) < maxServers {
				c.dhcpEver[a] = true
			}
		}
	}
	// Only a Reply that answers the client's own request configures it,
	// and clients discard one without Server ID or with another Client ID
	// (RFC 8415 §16.10).
	if m.ServerID == nil || (tx != nil && tx.clientID != nil && !bytes.Equal(tx.clientID, m.ClientID)) {
		return
	}
	if tx != nil || len(c.txs) == 0 {
		c.setDHCPDNS(append([]netip.Addr(nil), m.DNS...), p)
		c.dhcpTx = tx
	}
}
