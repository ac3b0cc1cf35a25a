package advertiser

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/ralab/ralab/internal/impair"
)

// Protocol constants from RFC 4861 §10 (router constants).
const (
	// MaxInitialRtrAdvertInterval caps the interval after each of the first
	// MaxInitialRtrAdvertisements RAs.
	MaxInitialRtrAdvertInterval = 16 * time.Second
	// MaxInitialRtrAdvertisements is how many RAs use the capped interval.
	MaxInitialRtrAdvertisements = 3
	// MaxFinalRtrAdvertisements is the most final RAs sent on shutdown.
	MaxFinalRtrAdvertisements = 3
	// MinDelayBetweenRAs is the least time between two multicast RAs.
	MinDelayBetweenRAs = 3 * time.Second
	// MaxRADelayTime is the largest random delay before answering an RS.
	MaxRADelayTime = 500 * time.Millisecond
	// MaxRtrSolicitations and RtrSolicitationInterval are the host
	// constants of RFC 4861 §10: a host sends at most 3 RS, 4 s apart,
	// when an interface comes up (RFC 7559 backs off from there).
	MaxRtrSolicitations     = 3
	RtrSolicitationInterval = 4 * time.Second
)

// Bounds of the per-source RS history that keeps a flood from starving
// well-behaved hosts of unicast answers.
const (
	// NoisyWindow is the window in which a source may send up to
	// MaxRtrSolicitations RS and still count as a well-behaved host:
	// twice RTR_SOLICITATION_INTERVAL, room for a host's three RS and
	// for tools such as rdisc6 that send them 1 s apart.
	NoisyWindow = 2 * RtrSolicitationInterval
	// NoisyHold is how long a source that sent more stays noisy; every
	// further RS in that time extends it.
	NoisyHold = 30 * time.Second
	// MaxTrackedSources bounds the history; a source that arrives when
	// it is full (a flood from more sources than a lab link holds) is
	// treated as well-behaved but not remembered.
	MaxTrackedSources = 4096
)

// Kind says why an RA was sent. It is the "kind" label of the RA counter.
// It is the impairment package's kind, so that the send path hands it to
// impairments as it is.
type Kind = impair.Kind

// RA kinds the scheduler produces (impair.KindReplay is only ever made by
// an impairment).
const (
	// KindInitial is one of the first MaxInitialRtrAdvertisements
	// unsolicited multicast RAs after the interface became advertising.
	KindInitial = impair.KindInitial
	// KindPeriodic is an unsolicited multicast RA.
	KindPeriodic = impair.KindPeriodic
	// KindSolicitedMulticast answers one or more RS to all-nodes.
	KindSolicitedMulticast = impair.KindSolicitedMulticast
	// KindSolicitedUnicast answers one RS to its source (RFC 7772 §5.1).
	KindSolicitedUnicast = impair.KindSolicitedUnicast
	// KindFinal is a final RA sent on shutdown (RFC 4861 §6.2.5).
	KindFinal = impair.KindFinal
	// KindReload is the multicast RA sent at once after a reload.
	KindReload = impair.KindReload
)

// Kinds lists every Kind, for pre-creating metric label values.
var Kinds = []Kind{KindInitial, KindPeriodic, KindSolicitedMulticast, KindSolicitedUnicast, KindFinal, KindReload}

// Reasons why an RS does not get an answer of its own. They are the
// "reason" label of the suppressed-answer counter.
const (
	// ReasonCoalesced: a multicast RA already scheduled no later than the
	// computed answer time answers it (RFC 4861 §6.2.6).
	ReasonCoalesced = "coalesced"
	// ReasonPerSource: this source got, or is about to get, a unicast RA
	// less than MinDelayBetweenRAs ago.
	ReasonPerSource = "per-source-rate"
	// ReasonGlobalRate: the global unicast token bucket was empty, so the
	// answer falls back to a (rate-limited) multicast RA.
	ReasonGlobalRate = "global-rate"
	// ReasonNotAdvertising: the interface is not advertising yet.
	ReasonNotAdvertising = "not-advertising"
	// ReasonNoisySource: the source sent more than MaxRtrSolicitations
	// RS within NoisyWindow, more than a host does (RFC 4861 §6.3.7), and
	// only the half of the token bucket kept for well-behaved hosts was
	// left, so the answer falls back to a (rate-limited) multicast RA.
	ReasonNoisySource = "noisy-source"
)

// Reasons lists every suppression reason, for pre-creating metric labels.
var Reasons = []string{
	ReasonCoalesced, ReasonPerSource, ReasonGlobalRate, ReasonNoisySource, ReasonNotAdvertising, ReasonImpairment,
}

// Limits bounds unicast solicited RAs. RFC 4861 and RFC 7772 set no rate
// for unicast RAs; these bounds keep an RS flood from making ralab send
// more than a lab link can reasonably want.
type Limits struct {
	// UnicastRate is the sustained number of unicast RAs per second over
	// all sources (token bucket refill rate).
	UnicastRate float64
	// UnicastBurst is the token bucket size.
	UnicastBurst int
}

// DefaultLimits allow 10 unicast RAs per second with bursts of 20: enough
// for dozens of hosts booting at once, each sending up to
// MAX_RTR_SOLICITATIONS (3) RS, while a flood from many sources costs at
// most 10 packets a second plus one multicast RA every MinDelayBetweenRAs.
// A single source never gets more than one unicast RA per
// MinDelayBetweenRAs, and noisy sources (ReasonNoisySource) never take the
// last 10 tokens, which stay for hosts that solicit as hosts do.
var DefaultLimits = Limits{UnicastRate: 10, UnicastBurst: 20}

// Send is one RA that the Scheduler says is due.
type Send struct {
	// Kind says why it is sent.
	Kind Kind
	// At is when it was scheduled.
	At time.Time
	// Dst is the unicast destination; the zero Addr means all-nodes
	// multicast (ff02::1).
	Dst netip.Addr
}

// Decision is what the Scheduler did with one RS.
type Decision struct {
	// Scheduled reports whether a new RA was scheduled for this RS.
	Scheduled bool
	// Send is the scheduled RA when Scheduled is true.
	Send Send
	// Suppressed lists the reasons, in order, why the RS did not get the
	// answer it asked for: "global-rate" followed by a multicast Send
	// means the unicast answer was downgraded to multicast.
	Suppressed []string
}

// Scheduler decides when RAs are sent on one interface, per RFC 4861
// §6.2.4 and §6.2.6. It has no clock, goroutines or sockets: every method
// takes the current time, so it is deterministic for a given rand source.
// It is not safe for concurrent use.
type Scheduler struct {
	min, max time.Duration
	limits   Limits
	// rnd draws unsolicited intervals and delay draws RS answer delays:
	// separate streams, so that RS traffic cannot shift the unsolicited
	// schedule of a seeded Scheduler.
	rnd, delay *rand.Rand

	advertising bool
	// sent counts multicast RAs since Start, for the initial interval cap.
	sent int
	// lastMC is when the last multicast RA was sent (zero if never).
	lastMC time.Time
	// timer is the unsolicited-RA timer of §6.2.4.
	timer time.Time
	// solicited is a pending solicited multicast RA (zero if none).
	solicited time.Time
	// reload is a pending reload RA (zero if none).
	reload time.Time
	// unicast holds pending unicast answers sorted by At.
	unicast []Send
	// perSource maps a source to the time of its last unicast answer.
	perSource map[netip.Addr]time.Time
	// history counts each source's recent RS, to tell flooding sources
	// from hosts (at most MaxTrackedSources entries).
	history   map[netip.Addr]rsHistory
	nextPrune time.Time

	tokens     float64
	tokensTime time.Time
}

// NewScheduler returns a Scheduler for RAs every MinInterval..MaxInterval
// (RFC 4861 §6.2.1), drawing random delays from rnd.
//
// Out-of-range intervals, which config validation rejects, are corrected
// rather than trusted: max ≤ 0 becomes 600 s, and min outside 0 < min ≤
// max becomes max/3, the RFC 4861 §6.2.1 default.
func NewScheduler(min, max time.Duration, limits Limits, rnd *rand.Rand) *Scheduler {
	s := &Scheduler{
		limits:    limits,
		rnd:       rnd,
		delay:     rand.New(rand.NewPCG(rnd.Uint64(), rnd.Uint64())),
		perSource: map[netip.Addr]time.Time{},
		history:   map[netip.Addr]rsHistory{},
	}
	s.SetIntervals(min, max)
	return s
}

// SetIntervals changes MinInterval and MaxInterval; the new values are
// used from the next time the timer is set.
func (s *Scheduler) SetIntervals(min, max time.Duration) {
	if max <= 0 {
		max = 600 * time.Second
	}
	if min <= 0 || min > max {
		min = max / 3
	}
	s.min, s.max = min, max
}

// Start makes the interface advertising at now: the first initial RA is
// due at once, or MinDelayBetweenRAs after the last multicast RA if that
// was sent recently (an interface that flapped). Pending answers from a
// previous advertising period are dropped.
func (s *Scheduler) Start(now time.Time) {
	s.advertising = true
	s.sent = 0
	s.timer = s.earliestMulticast(now)
	s.solicited = time.Time{}
	s.reload = time.Time{}
	s.unicast = nil
	clear(s.perSource)
	s.tokens = float64(s.limits.UnicastBurst)
	s.tokensTime = now
}

// Stop makes the interface non-advertising (link down); nothing is due
// until the next Start.
func (s *Scheduler) Stop() {
	s.advertising = false
	s.unicast = nil
	s.solicited = time.Time{}
	s.reload = time.Time{}
}

// MulticastSent records a multicast RA sent outside Due, such as a final
// RA, so that later RAs keep their distance from it.
func (s *Scheduler) MulticastSent(now time.Time) { s.lastMC = now }

// earliestMulticast returns the earliest time at or after now when a
// multicast RA may go out under MIN_DELAY_BETWEEN_RAS.
func (s *Scheduler) earliestMulticast(now time.Time) time.Time {
	if !s.lastMC.IsZero() {
		if e := s.lastMC.Add(MinDelayBetweenRAs); e.After(now) {
			return e
		}
	}
	return now
}

// nextMulticast returns when the next multicast RA is due.
func (s *Scheduler) nextMulticast() time.Time {
	t := s.timer
	for _, c := range []time.Time{s.solicited, s.reload} {
		if !c.IsZero() && c.Before(t) {
			t = c
		}
	}
	return t
}

// Next returns when the next RA is due, or the zero time when nothing is
// (not advertising).
func (s *Scheduler) Next() time.Time {
	if !s.advertising {
		return time.Time{}
	}
	t := s.nextMulticast()
	if len(s.unicast) > 0 && s.unicast[0].At.Before(t) {
		t = s.unicast[0].At
	}
	return t
}

// Due removes and returns the RAs due at now: pending unicast answers in
// time order, then at most one multicast RA. Sending a multicast RA
// restarts the §6.2.4 timer at a random interval, capped at
// MaxInitialRtrAdvertInterval for the first MaxInitialRtrAdvertisements.
func (s *Scheduler) Due(now time.Time) []Send {
	if !s.advertising {
		return nil
	}
	var out []Send
	n := 0
	for n < len(s.unicast) && !s.unicast[n].At.After(now) {
		n++
	}
	for _, snd := range s.unicast[:n] {
		// The per-source limit counts from when the answer really goes
		// out, as MIN_DELAY_BETWEEN_RAS does for multicast (lastMC):
		// a timer that fires late must not shorten the gap to the next
		// answer to that source.
		if now.After(s.perSource[snd.Dst]) {
			s.perSource[snd.Dst] = now
		}
	}
	out = append(out, s.unicast[:n]...)
	s.unicast = slices.Delete(s.unicast, 0, n)

	at := s.nextMulticast()
	if at.After(now) {
		return out
	}
	var k Kind
	switch {
	case !s.reload.IsZero() && !s.reload.After(now):
		k = KindReload
	case !s.solicited.IsZero() && !s.solicited.After(now):
		k = KindSolicitedMulticast
	case s.sent < MaxInitialRtrAdvertisements:
		k = KindInitial
	default:
		k = KindPeriodic
	}
	out = append(out, Send{Kind: k, At: at})
	s.lastMC = now
	s.sent++
	s.solicited = time.Time{}
	s.reload = time.Time{}
	s.timer = now.Add(s.interval())
	return out
}

// interval returns the next unsolicited RA interval: uniform in
// [MinInterval, MaxInterval] (RFC 4861 §6.2.4), and for the timer set
// after each of the first MaxInitialRtrAdvertisements RAs at most
// MaxInitialRtrAdvertInterval. (RFC 4861 §6.2.4 caps "the first few
// advertisements (up to MAX_INITIAL_RTR_ADVERTISEMENTS)"; like CoreRAD we
// read it as the timer set after each of them. radvd caps only the first
// two gaps. Either way the first three RAs are at most 16 s apart.)
func (s *Scheduler) interval() time.Duration {
	d := s.min + time.Duration(s.rnd.Int64N(int64(s.max-s.min)+1))
	if s.sent <= MaxInitialRtrAdvertisements && d > MaxInitialRtrAdvertInterval {
		d = MaxInitialRtrAdvertInterval
	}
	return d
}

// Reload schedules a multicast RA at now, or at the earliest time
// MinDelayBetweenRAs allows, so that changes and withdrawals reach hosts
// at once. It replaces a pending solicited multicast RA, which would go
// out no earlier.
func (s *Scheduler) Reload(now time.Time) {
	if !s.advertising {
		return
	}
	s.reload = s.earliestMulticast(now)
	s.solicited = time.Time{}
}

// Solicit handles a valid RS from src received at now (RFC 4861 §6.2.6).
// With unicast set and a specified src, the answer is a unicast RA to src
// (RFC 7772 §5.1), limited to one per source per MinDelayBetweenRAs and by
// the global token bucket; otherwise it is a multicast RA, never sooner
// than MinDelayBetweenRAs after the previous one, and merged with any
// multicast RA already due no later.
func (s *Scheduler) Solicit(now time.Time, src netip.Addr, unicast bool) Decision {
	if !s.advertising {
		return Decision{Suppressed: []string{ReasonNotAdvertising}}
	}
	s.prune(now)
	// "compute a random delay within the range 0 through
	// MAX_RA_DELAY_TIME" (RFC 4861 §6.2.6).
	delay := time.Duration(s.delay.Int64N(int64(MaxRADelayTime) + 1))
	next := s.nextMulticast()
	var d Decision

	if unicast && src.IsValid() && !src.IsUnspecified() {
		src = src.WithZone("")
		noisy := s.noisy(now, src)
		if last, ok := s.perSource[src]; ok && now.Before(last.Add(MinDelayBetweenRAs)) {
			// A host that solicits again this soon (typically its RS
			// crossed our answer) still gets an answer, but through the
			// multicast path below, which RFC 4861 §6.2.6 already limits
			// to one per MIN_DELAY_BETWEEN_RAS; a flood from one source
			// thus costs at most one extra multicast RA per 3 s.
			d.Suppressed = append(d.Suppressed, ReasonPerSource)
			return s.solicitMulticast(now, delay, next, d)
		}
		at := now.Add(delay)
		if !next.After(at) {
			d.Suppressed = append(d.Suppressed, ReasonCoalesced)
			return d
		}
		if s.take(now, noisy) {
			snd := Send{Kind: KindSolicitedUnicast, At: at, Dst: src}
			i, _ := slices.BinarySearchFunc(s.unicast, at, func(e Send, t time.Time) int { return e.At.Compare(t) })
			// Insert after equal times so answers keep arrival order.
			for i < len(s.unicast) && s.unicast[i].At.Equal(at) {
				i++
			}
			s.unicast = slices.Insert(s.unicast, i, snd)
			s.perSource[src] = at
			d.Scheduled, d.Send = true, snd
			return d
		}
		if noisy {
			d.Suppressed = append(d.Suppressed, ReasonNoisySource)
		} else {
			d.Suppressed = append(d.Suppressed, ReasonGlobalRate)
		}
	}
	return s.solicitMulticast(now, delay, next, d)
}

// solicitMulticast schedules the multicast answer to an RS received at now
// with the random delay drawn, given the next scheduled multicast RA; d
// carries the reasons a unicast answer was not used.
func (s *Scheduler) solicitMulticast(now time.Time, delay time.Duration, next time.Time, d Decision) Decision {
	// "If the router sent a multicast Router Advertisement (solicited or
	// unsolicited) within the last MIN_DELAY_BETWEEN_RAS seconds, schedule
	// the advertisement to be sent at a time corresponding to
	// MIN_DELAY_BETWEEN_RAS plus the random value after the previous
	// advertisement was sent." (RFC 4861 §6.2.6)
	at := now.Add(delay)
	if !s.lastMC.IsZero() && now.Sub(s.lastMC) < MinDelayBetweenRAs {
		at = s.lastMC.Add(MinDelayBetweenRAs + delay)
	}
	// "If the computed value corresponds to a time later than the time the
	// next multicast Router Advertisement is scheduled to be sent, ignore
	// the random delay and send the advertisement at the already-scheduled
	// time." (RFC 4861 §6.2.6)
	if !next.After(at) {
		d.Suppressed = append(d.Suppressed, ReasonCoalesced)
		return d
	}
	s.solicited = at
	d.Scheduled, d.Send = true, Send{Kind: KindSolicitedMulticast, At: at}
	return d
}

// take takes one token from the global unicast bucket at now. A noisy
// source may not take the last half of the burst: that reserve, refilled
// first, answers the hosts that solicit as hosts do, however many noisy
// sources flood the link.
func (s *Scheduler) take(now time.Time, noisy bool) bool {
	if el := now.Sub(s.tokensTime); el > 0 {
		s.tokens += el.Seconds() * s.limits.UnicastRate
		s.tokensTime = now
	}
	if max := float64(s.limits.UnicastBurst); s.tokens > max {
		s.tokens = max
	}
	need := 1.0
	if noisy {
		need += float64(s.limits.UnicastBurst / 2)
	}
	if s.tokens < need {
		return false
	}
	s.tokens--
	return true
}

// prune forgets sources whose last answer is older than
// MinDelayBetweenRAs, at most once per MinDelayBetweenRAs, so the map
// holds at most the answers of the last two such periods: a bounded number
// under the token bucket however many sources send RS.
func (s *Scheduler) prune(now time.Time) {
	if now.Before(s.nextPrune) {
		return
	}
	for a, t := range s.perSource {
		if now.Sub(t) >= MinDelayBetweenRAs {
			delete(s.perSource, a)
		}
	}
	for a, h := range s.history {
		if h.expired(now) {
			delete(s.history, a)
		}
	}
	s.nextPrune = now.Add(MinDelayBetweenRAs)
}

// rsHistory is one source's recent RS.
type rsHistory struct {
	// start is when the current NoisyWindow began and n how many RS the
	// source sent since.
	start time.Time
	n     int
	// noisyUntil is when the source stops counting as noisy.
	noisyUntil time.Time
}

// expired reports whether h no longer says anything at now.
func (h rsHistory) expired(now time.Time) bool {
	return now.Sub(h.start) >= NoisyWindow && !now.Before(h.noisyUntil)
}

// noisy records an RS from src at now and reports whether src sends more
// RS than a host does: more than MaxRtrSolicitations within NoisyWindow,
// now or within the last NoisyHold.
func (s *Scheduler) noisy(now time.Time, src netip.Addr) bool {
	h, ok := s.history[src]
	if !ok && len(s.history) >= MaxTrackedSources {
		return false
	}
	if now.Sub(h.start) >= NoisyWindow {
		h.start, h.n = now, 0
	}
	h.n++
	if h.n > MaxRtrSolicitations {
		h.noisyUntil = now.Add(NoisyHold)
	}
	s.history[src] = h
	return now.Before(h.noisyUntil)
}
