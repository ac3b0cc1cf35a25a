package dhcpv6

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/ralab/ralab/internal/impair"
)

// errServerOff reports that an impairment turned the server off (F10).
var errServerOff = errors.New("server turned off")

// WithImpairments makes the server consult, for every datagram, the
// impairments that set returns (nil: none), as the RA sender does:
// impair.Set.DHCPv6Request may drop the received message or delay its
// answer, impair.Set.DHCPv6ConfigFor may change the configuration the
// answer is built from (no DNS servers, field guide F12; no server at all,
// F10), and impair.Set.DHCPv6Reply may drop or delay the answer (F9).
// Dropped messages are counted as discards with reason "impaired"; every
// effect is logged, rate-limited.
func WithImpairments(set func() *impair.Set) Option {
	return func(o *serverOptions) { o.impairments = set }
}

// outcome is the answer to one datagram: the datagram to send, where to,
// and how long an impairment holds it back first.
type outcome struct {
	reply []byte
	to    netip.AddrPort
	delay time.Duration
}

// process answers one datagram with h, applying the impairments in force.
// It returns the answer, or an error wrapping one of the ErrDiscard values
// when nothing is sent. A delayed request is answered at once and its
// answer held back by the request's delay plus the reply's: the client
// sees the same as if the server had received the request late. The
// answer is appended to buf.
func (s *Server) process(h *Handler, msg []byte, src netip.AddrPort, dst netip.Addr, now time.Time,
	buf []byte) (outcome, error) {
	var set *impair.Set
	if s.opts.impairments != nil {
		set = s.opts.impairments()
	}
	if set == nil {
		reply, to, err := h.AppendReply(buf, msg, src, dst, now)
		if err == nil {
			s.noteReply(now, to, reply)
		}
		return outcome{reply: reply, to: to}, err
	}

	req := set.DHCPv6Request(now, src.Addr().WithZone(""))
	s.effects(now, req.Effects)
	if req.Drop {
		return outcome{}, s.impairedDrop(h, msg, src, now, "request dropped")
	}
	p, err := s.impairedPolicy(h, set, now)
	if err != nil {
		return outcome{}, s.impairedDrop(h, msg, src, now, err.Error())
	}
	reply, to, err := h.handleWith(p, msg, src, dst, now, buf)
	if err != nil {
		return outcome{}, err
	}
	s.noteReply(now, to, reply)
	rep := set.DHCPv6Reply(now, to.Addr().WithZone(""))
	s.effects(now, rep.Effects)
	if rep.Drop {
		// The message was received and counted by handleWith; count the
		// lost answer as a discard.
		err := fmt.Errorf("%w: reply to %s dropped", ErrDiscardImpaired, to)
		h.discard(msg, src, now, err)
		return outcome{}, err
	}
	return outcome{reply: reply, to: to, delay: req.Delay + rep.Delay}, nil
}

// impairedPolicy returns the configuration to answer with now: h's own,
// or the one the impairments make of it. A configuration that turns the
// server off (F10) or cannot be encoded gives an error.
func (s *Server) impairedPolicy(h *Handler, set *impair.Set, now time.Time) (*policy, error) {
	s.mu.Lock()
	ifc, hw := s.ifc, s.hw
	s.mu.Unlock()
	c, es := set.DHCPv6ConfigFor(now, ifc)
	s.effects(now, es)
	if len(es) == 0 {
		return h.pol.Load(), nil
	}
	if !c.Enabled {
		return nil, errServerOff
	}
	ifc.DHCPv6 = c
	return newPolicy(ifc, hw)
}

// impairedDrop counts and logs msg as received and dropped by an
// impairment, and returns the discard error.
func (s *Server) impairedDrop(h *Handler, msg []byte, src netip.AddrPort, now time.Time, why string) error {
	err := fmt.Errorf("%w: %s", ErrDiscardImpaired, why)
	h.discardUnread(msg, src, now, err)
	return err
}

// noteReply tells the WithOnReply hook, if any, about an answer built.
func (s *Server) noteReply(now time.Time, to netip.AddrPort, reply []byte) {
	if s.opts.onReply != nil {
		s.opts.onReply(now, to, reply)
	}
}

// effects logs what impairments did, rate-limited, and tells the
// WithOnEffect hook, if any.
func (s *Server) effects(now time.Time, es []impair.Effect) {
	for _, e := range es {
		if s.opts.onEffect != nil {
			s.opts.onEffect(e)
		}
		if n, ok := s.effLogs.Allow(now); ok {
			s.log.Info("impairment", "name", e.Impairment, "fid", e.FID, "action", e.Action, "detail", e.Detail,
				"suppressed_since_last", n)
		}
	}
}
