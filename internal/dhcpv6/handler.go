package dhcpv6

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/lograte"
)

// Status messages sent with the status codes, for the user (RFC 8415
// §21.13).
const (
	msgNoAddrs   = "stateless server: no addresses assigned here"
	msgNoPrefix  = "stateless server: no prefixes delegated here"
	msgNoBinding = "stateless server: no bindings"
	msgSuccess   = "stateless server: nothing to release"
)

// Handler is the pure protocol core of the server of one interface: it
// turns a received datagram into the datagram to send back and its
// destination, or into a discard error. It is safe for concurrent use.
type Handler struct {
	ifname string
	log    *slog.Logger
	m      *Metrics
	pol    atomic.Pointer[policy]
	lim    *limiter
	logs   lograte.Limiter
	opts   handlerOptions
}

// A HandlerOption changes a Handler's defaults.
type HandlerOption func(*handlerOptions)

type handlerOptions struct {
	// global overrides the configuration's rate_total and burst_total.
	global      bool
	globalRate  float64
	globalBurst int
	maxClients  int
}

// WithGlobalRate sets the interface-wide cap on messages processed per
// second and its burst instead of the configuration's rate_total and
// burst_total; rate <= 0 removes the cap.
func WithGlobalRate(rate float64, burst int) HandlerOption {
	return func(o *handlerOptions) { o.global, o.globalRate, o.globalBurst = true, rate, burst }
}

// WithMaxClients bounds the number of clients the per-client rate limiter
// tracks at once.
func WithMaxClients(n int) HandlerOption {
	return func(o *handlerOptions) { o.maxClients = max(n, 1) }
}

// NewHandler returns the protocol core for ifc. hw is the interface's
// link-layer address, used for a DUID-LL or DUID-LLT server DUID; it may be
// nil for the other DUID types. A nil logger discards logs; a nil m counts
// nothing.
func NewHandler(ifc config.Interface, hw net.HardwareAddr, logger *slog.Logger, m *Metrics,
	opts ...HandlerOption) (*Handler, error) {
	o := handlerOptions{maxClients: DefaultMaxClients}
	for _, fn := range opts {
		fn(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		ifname: ifc.Name,
		log:    logger.With("interface", ifc.Name),
		m:      m,
		lim:    newLimiter(o.maxClients),
		logs:   lograte.Limiter{PerSecond: 10},
		opts:   o,
	}
	if err := h.Update(ifc, hw); err != nil {
		return nil, err
	}
	return h, nil
}

// Update replaces the configuration; the next message handled uses it. On
// error the previous configuration stays in effect.
func (h *Handler) Update(ifc config.Interface, hw net.HardwareAddr) error {
	p, err := newPolicy(ifc, hw)
	if err != nil {
		return err
	}
	h.pol.Store(p)
	return nil
}

// DUID returns the server DUID in use.
func (h *Handler) DUID() []byte {
	return bytes.Clone(h.pol.Load().duid)
}

// Handle processes one datagram msg received from src and sent to dst (the
// zero Addr when the transport cannot tell; the RFC 8415 §16 unicast rule
// is then not applied). It returns the datagram to send and where to send
// it, or an error wrapping one of the ErrDiscard values. Every call is
// counted in Metrics and discards are logged at info level, rate-limited.
func (h *Handler) Handle(msg []byte, src netip.AddrPort, dst netip.Addr,
	now time.Time) ([]byte, netip.AddrPort, error) {
	return h.handleWith(h.pol.Load(), msg, src, dst, now, nil)
}

// AppendReply is Handle appending the reply to buf, so that a caller that
// reuses buf answers without allocating.
func (h *Handler) AppendReply(buf, msg []byte, src netip.AddrPort, dst netip.Addr,
	now time.Time) ([]byte, netip.AddrPort, error) {
	return h.handleWith(h.pol.Load(), msg, src, dst, now, buf)
}

// handleWith is Handle with the configuration p, appending to buf (nil:
// a new buffer).
func (h *Handler) handleWith(p *policy, msg []byte, src netip.AddrPort, dst netip.Addr, now time.Time,
	buf []byte) ([]byte, netip.AddrPort, error) {
	h.m.received(h.ifname, outerType(msg))
	reply, to, inner, err := h.handle(p, msg, src, dst, now, buf)
	if err != nil {
		h.discard(msg, src, now, err)
		return nil, netip.AddrPort{}, err
	}
	if h.log.Enabled(context.Background(), slog.LevelDebug) {
		h.log.Debug("dhcpv6 reply", "request", inner.typ.String(), "to", to.String(),
			"xid", hex.EncodeToString(inner.xid[:]), "client_id", hex.EncodeToString(inner.clientID),
			"bytes", len(reply))
	}
	return reply, to, nil
}

// outerType returns the type of the outermost message in msg, 0 for an
// empty datagram.
func outerType(msg []byte) MessageType {
	if len(msg) == 0 {
		return 0
	}
	return MessageType(msg[0])
}

// discard counts the discard of msg for the reason err wraps and logs it,
// rate-limited.
func (h *Handler) discard(msg []byte, src netip.AddrPort, now time.Time, err error) {
	reason := Reason(err)
	h.m.discarded(h.ifname, reason)
	if n, ok := h.logs.Allow(now); ok {
		h.log.Info("dhcpv6 message discarded", "reason", reason, "type", outerType(msg).String(),
			"src", src.String(), "err", err.Error(), "suppressed_since_last", n)
	}
}

// discardUnread counts msg as received and discarded before the handler
// read it (too long, or dropped by an impairment) and logs the discard,
// rate-limited.
func (h *Handler) discardUnread(msg []byte, src netip.AddrPort, now time.Time, err error) {
	h.m.received(h.ifname, outerType(msg))
	h.discard(msg, src, now, err)
}

// handle is Handle with the configuration p and without counting and
// logging, appending to buf; inner is the answered client message.
func (h *Handler) handle(p *policy, msg []byte, src netip.AddrPort, dst netip.Addr, now time.Time,
	buf []byte) ([]byte, netip.AddrPort, clientMsg, error) {
	var cm clientMsg
	if !h.lim.allowGlobal(h.globalRate(p), h.globalBurst(p), now) {
		return nil, netip.AddrPort{}, cm, ErrDiscardOverloaded
	}
	if len(msg) == 0 {
		return nil, netip.AddrPort{}, cm, fmt.Errorf("%w: empty datagram", ErrDiscardMalformed)
	}
	srcAddr := src.Addr().Unmap()
	if !srcAddr.IsValid() || srcAddr.IsUnspecified() || srcAddr.IsMulticast() {
		// RFC 8415 §18.3.10: the answer is unicast to the source address.
		return nil, netip.AddrPort{}, cm, fmt.Errorf("%w: source %s cannot be answered", ErrDiscardMalformed, src)
	}
	relays, inner, err := unwrapRelays(msg)
	if err != nil {
		return nil, netip.AddrPort{}, cm, err
	}
	client, to := replyTarget(src, relays)
	if !h.lim.allowClient(client, p.rate, p.burst, now) {
		return nil, netip.AddrPort{}, cm, ErrDiscardRateLimited
	}
	cm, err = parseForServer(inner, len(relays) > 0, dst)
	if err != nil {
		return nil, netip.AddrPort{}, cm, err
	}
	if buf == nil {
		buf = make([]byte, 0, replySizeHint(p, relays))
	}
	reply, err := answer(p, &cm, buf)
	if err != nil {
		return nil, netip.AddrPort{}, cm, err
	}
	if len(relays) > 0 {
		reply = wrapRelayReply(relays, reply)
	}
	if len(reply) > maxUDPPayload {
		return nil, netip.AddrPort{}, cm, fmt.Errorf("%w: %d bytes", ErrDiscardTooLarge, len(reply))
	}
	return reply, to, cm, nil
}

// unwrapRelays unwraps the Relay-forward messages around msg (RFC 8415
// §19.2 seen from the server), outermost first, and returns them with the
// client message inside. A chain of relays that obey HOP_COUNT_LIMIT
// (§7.6, §19.1.1) wraps a message at most HOP_COUNT_LIMIT+1 times.
func unwrapRelays(msg []byte) ([]relayMsg, []byte, error) {
	var relays []relayMsg
	b := msg
	for MessageType(b[0]) == RelayForward {
		if len(relays) > hopCountLimit {
			return nil, nil, fmt.Errorf("%w: more than %d nested relay-forward messages",
				ErrDiscardRelayDepth, hopCountLimit+1)
		}
		r, err := parseRelayMsg(b)
		if err != nil {
			return nil, nil, err
		}
		if len(r.inner) == 0 {
			return nil, nil, fmt.Errorf("%w: empty relay message option", ErrDiscardMalformed)
		}
		relays = append(relays, r)
		b = r.inner
	}
	return relays, b, nil
}

// replyTarget returns the client a message from src came from, for rate
// limiting, and where its answer goes.
func replyTarget(src netip.AddrPort, relays []relayMsg) (client netip.Addr, to netip.AddrPort) {
	client = src.Addr().Unmap()
	to = src
	if to.Port() == 0 {
		to = netip.AddrPortFrom(src.Addr(), clientPort)
	}
	if len(relays) > 0 {
		client = netip.AddrFrom16(relays[len(relays)-1].peerAddr).Unmap()
		// RFC 8415 §19.3: the Relay-reply goes to the relay agent on the
		// server port, unless the relay asked to be answered on its
		// source port (RFC 8357 §5.2).
		if !relays[0].hasSourcePort || src.Port() == 0 {
			to = netip.AddrPortFrom(src.Addr(), serverPort)
		}
	}
	return client, to
}

// parseForServer parses b, a client message that came relayed or to dst,
// and checks that a server takes it.
func parseForServer(b []byte, relayed bool, dst netip.Addr) (clientMsg, error) {
	switch MessageType(b[0]) {
	case Solicit, Request, Confirm, Renew, Rebind, Release, Decline, InformationRequest:
	default:
		// Advertise, Reply, Reconfigure and Relay-reply go to clients and
		// relays only (RFC 8415 §16.3, §16.10, §16.11, §16.14); other
		// types are not defined by RFC 8415 §7.3.
		return clientMsg{}, fmt.Errorf("%w: message type %d (%s)", ErrDiscardNotForServer, b[0], MessageType(b[0]))
	}
	cm, err := parseClientMsg(b)
	if err != nil {
		return cm, err
	}
	if !relayed && dst.IsValid() && !dst.IsMulticast() {
		switch cm.typ {
		case Solicit, Confirm, Rebind, InformationRequest:
			// RFC 8415 §16: servers MUST discard these when they arrive
			// with a Layer 3 unicast destination address.
			return cm, fmt.Errorf("%w: %s sent to %s", ErrDiscardUnicast, cm.typ, dst)
		}
	}
	return cm, nil
}

// globalRate returns the interface-wide cap in force with p.
func (h *Handler) globalRate(p *policy) float64 {
	if h.opts.global {
		return h.opts.globalRate
	}
	return p.rateTotal
}

// globalBurst returns the burst of the interface-wide cap in force with p.
func (h *Handler) globalBurst(p *policy) int {
	if h.opts.global {
		return h.opts.globalBurst
	}
	return p.burstTotal
}

// replySizeHint estimates the size of an answer so it is built with one
// allocation.
func replySizeHint(p *policy, relays []relayMsg) int {
	n := clientHeaderLen + 2*(4+maxDUIDLen) + 128
	for _, o := range p.options {
		n += len(o.wire)
	}
	for _, r := range relays {
		n += relayHeaderLen + 8 + len(r.interfaceID)
	}
	return n
}

// answer validates cm for its type (RFC 8415 §16) and appends the
// Advertise or Reply that RFC 8415 §18.3 prescribes for a stateless server
// to b.
func answer(p *policy, cm *clientMsg, b []byte) ([]byte, error) {
	switch cm.typ {
	case InformationRequest:
		return answerInformationRequest(p, cm, b)
	case Solicit:
		return answerSolicit(p, cm, b)
	case Request, Renew, Decline, Release:
		return answerForServer(p, cm, b)
	case Confirm, Rebind:
		return nil, checkConfirmRebind(cm)
	default:
		// Types a server does not receive; handle filters them earlier.
		return nil, fmt.Errorf("%w: message type %d (%s)", ErrDiscardNotForServer, uint8(cm.typ), cm.typ)
	}
}

// answerInformationRequest answers an Information-request (RFC 8415
// §16.12, §18.3.6). A Client Identifier is optional here.
func answerInformationRequest(p *policy, cm *clientMsg, b []byte) ([]byte, error) {
	if len(cm.ias) > 0 {
		return nil, fmt.Errorf("%w: option %d", ErrDiscardIAInInformationRequest, cm.ias[0].code)
	}
	if cm.serverID != nil && !bytes.Equal(cm.serverID, p.duid) {
		return nil, fmt.Errorf("%w: %x", ErrDiscardOtherServer, cm.serverID)
	}
	// RFC 8415 §18.3.6: Reply with the requested configuration.
	b = appendHeader(b, Reply, cm, p)
	return appendConfig(b, p, cm), nil
}

// answerSolicit answers a Solicit (RFC 8415 §16.2, §18.3.9).
func answerSolicit(p *policy, cm *clientMsg, b []byte) ([]byte, error) {
	if cm.clientID == nil {
		return nil, ErrDiscardNoClientID
	}
	if cm.serverID != nil {
		return nil, ErrDiscardServerIDPresent
	}
	if p.ignoreSolicit {
		return nil, ErrDiscardSolicitIgnored
	}
	// RFC 8415 §18.3.9: each IA comes back empty with NoAddrsAvail
	// (IA_NA, IA_TA) or NoPrefixAvail (IA_PD) inside it; a Solicit
	// without IAs gets the status at the top level (as RFC 3315 §17.2.2
	// put it). The configured options go along (the client must still
	// honour SOL_MAX_RT, RFC 8415 §18.2.9).
	b = appendHeader(b, Advertise, cm, p)
	b = appendIAs(b, cm, statusNoAddrsAvail, msgNoAddrs, statusNoPrefixAvail, msgNoPrefix)
	return appendConfig(b, p, cm), nil
}

// answerForServer answers the messages addressed to one server: Request,
// Renew, Decline and Release (RFC 8415 §16.4, §16.6, §16.8, §16.9).
func answerForServer(p *policy, cm *clientMsg, b []byte) ([]byte, error) {
	if cm.serverID == nil {
		return nil, ErrDiscardNoServerID
	}
	if !bytes.Equal(cm.serverID, p.duid) {
		return nil, fmt.Errorf("%w: %x", ErrDiscardOtherServer, cm.serverID)
	}
	if cm.clientID == nil {
		return nil, ErrDiscardNoClientID
	}
	b = appendHeader(b, Reply, cm, p)
	switch cm.typ {
	case Request:
		// RFC 8415 §18.3.2: NoAddrsAvail / NoPrefixAvail in each IA.
		b = appendIAs(b, cm, statusNoAddrsAvail, msgNoAddrs, statusNoPrefixAvail, msgNoPrefix)
		return appendConfig(b, p, cm), nil
	case Renew:
		// RFC 8415 §18.3.4: NoBinding in each IA we have no entry for.
		b = appendIAs(b, cm, statusNoBinding, msgNoBinding, statusNoBinding, msgNoBinding)
		return appendConfig(b, p, cm), nil
	default:
		// RFC 8415 §18.3.7, §18.3.8: Success at the top level and
		// NoBinding in each IA.
		b = appendStatus(b, statusSuccess, msgSuccess)
		for _, x := range cm.ias {
			b = appendIAStatus(b, x, statusNoBinding, msgNoBinding)
		}
		return b, nil
	}
}

// checkConfirmRebind returns why a Confirm or Rebind (RFC 8415 §16.5,
// §16.7) gets no answer from a stateless server.
func checkConfirmRebind(cm *clientMsg) error {
	if cm.clientID == nil {
		return ErrDiscardNoClientID
	}
	if cm.serverID != nil {
		return ErrDiscardServerIDPresent
	}
	if cm.typ == Confirm {
		// RFC 8415 §18.3.3: a server that cannot tell whether the
		// addresses are on link MUST NOT reply.
		return ErrDiscardConfirm
	}
	// RFC 8415 §18.3.5: a server without a binding for the IAs and
	// without knowledge of the link's prefixes sends no IA back, and with
	// nothing to say it does not send a Reply at all.
	return ErrDiscardRebind
}

// appendHeader appends the message header and the identifiers every
// Advertise and Reply carries (RFC 8415 §18.3): the client's Client
// Identifier when it sent one, and our Server Identifier.
func appendHeader(b []byte, t MessageType, cm *clientMsg, p *policy) []byte {
	b = append(b, byte(t), cm.xid[0], cm.xid[1], cm.xid[2])
	if cm.clientID != nil {
		b = appendOption(b, optClientID, cm.clientID)
	}
	return appendOption(b, optServerID, p.duid)
}

// appendIAs echoes each IA of cm with a status inside, or appends a top
// level status with the address code when cm has no IA.
func appendIAs(b []byte, cm *clientMsg, addrCode uint16, addrMsg string, prefixCode uint16, prefixMsg string) []byte {
	if len(cm.ias) == 0 {
		return appendStatus(b, addrCode, addrMsg)
	}
	for _, x := range cm.ias {
		if x.code == optIAPD {
			b = appendIAStatus(b, x, prefixCode, prefixMsg)
		} else {
			b = appendIAStatus(b, x, addrCode, addrMsg)
		}
	}
	return b
}

// appendConfig appends the configured options the client gets under the
// option policy.
func appendConfig(b []byte, p *policy, cm *clientMsg) []byte {
	for _, o := range p.options {
		if p.wants(cm.typ, cm.oro, o.code) {
			b = append(b, o.wire...)
		}
	}
	return b
}

// wrapRelayReply wraps reply in one Relay-reply per received Relay-forward,
// innermost last (RFC 8415 §19.3): hop count, link and peer address are
// copied, and the Interface-Id option is echoed when it was sent (§21.18).
func wrapRelayReply(relays []relayMsg, reply []byte) []byte {
	n := len(reply)
	for _, r := range relays {
		n += relayHeaderLen + 4
		if r.interfaceID != nil {
			n += 4 + len(r.interfaceID)
		}
	}
	out := make([]byte, 0, n)
	lenAt := make([]int, 0, len(relays))
	for _, r := range relays {
		out = append(out, byte(RelayReply), r.hopCount)
		out = append(out, r.linkAddr[:]...)
		out = append(out, r.peerAddr[:]...)
		if r.interfaceID != nil {
			out = appendOption(out, optInterfaceID, r.interfaceID)
		}
		out = binary.BigEndian.AppendUint16(out, optRelayMsg)
		lenAt = append(lenAt, len(out))
		out = append(out, 0, 0)
	}
	out = append(out, reply...)
	for _, at := range lenAt {
		binary.BigEndian.PutUint16(out[at:], uint16(len(out)-at-2))
	}
	return out
}

// innerType returns the type of the innermost message in a datagram built
// by Handle, looking through Relay-reply wrappers.
func innerType(b []byte) MessageType {
	for len(b) >= relayHeaderLen && MessageType(b[0]) == RelayReply {
		var inner []byte
		_ = walkOptions(b[relayHeaderLen:], func(code uint16, body []byte) error {
			if code == optRelayMsg {
				inner = body
			}
			return nil
		})
		b = inner
	}
	if len(b) == 0 {
		return 0
	}
	return MessageType(b[0])
}
