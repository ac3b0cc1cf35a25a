package advertiser

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func newTestScheduler(min, max time.Duration, seed uint64) *Scheduler {
	return NewScheduler(min, max, DefaultLimits, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
}

// rsArrival is one RS arriving at the scheduler.
type rsArrival struct {
	at      time.Time
	src     netip.Addr
	unicast bool
}

// simulated is the outcome of a simulation.
type simulated struct {
	sent      []Send
	sentAt    []time.Time
	decisions []Decision
	maxSrcs   int
}

// simulate drives s as the transport does, with a fake clock that jumps
// to the next event: RS arrivals (sorted) and due RAs, until end.
func simulate(s *Scheduler, rs []rsArrival, end time.Time) simulated {
	var out simulated
	i := 0
	for {
		n := s.Next()
		if i < len(rs) && (n.IsZero() || !rs[i].at.After(n)) {
			if rs[i].at.After(end) {
				break
			}
			out.decisions = append(out.decisions, s.Solicit(rs[i].at, rs[i].src, rs[i].unicast))
			out.maxSrcs = max(out.maxSrcs, len(s.perSource))
			i++
			continue
		}
		if n.IsZero() || n.After(end) {
			break
		}
		for _, snd := range s.Due(n) {
			out.sent = append(out.sent, snd)
			out.sentAt = append(out.sentAt, n)
		}
	}
	return out
}

// multicast returns the send times of the multicast RAs.
func (r simulated) multicast() []time.Time {
	var ts []time.Time
	for i, s := range r.sent {
		if !s.Dst.IsValid() {
			ts = append(ts, r.sentAt[i])
		}
	}
	return ts
}

func (r simulated) count(k Kind) int {
	n := 0
	for _, s := range r.sent {
		if s.Kind == k {
			n++
		}
	}
	return n
}

func offsets(ts []time.Time) []time.Duration {
	var ds []time.Duration
	for _, t := range ts {
		ds = append(ds, t.Sub(t0))
	}
	return ds
}

func kinds(ss []Send) []string {
	var ks []string
	for _, s := range ss {
		ks = append(ks, s.Kind.String())
	}
	return ks
}

func TestInitialAdvertisements(t *testing.T) {
	tests := []struct {
		name     string
		min, max time.Duration
		wantAt   []time.Duration
		wantKind []string
	}{
		{
			name: "long intervals capped at 16 s",
			min:  200 * time.Second, max: 600 * time.Second,
			wantAt:   []time.Duration{0, 16 * time.Second, 32 * time.Second, 48 * time.Second},
			wantKind: []string{"initial", "initial", "initial", "periodic"},
		},
		{
			name: "short fixed interval not stretched",
			min:  5 * time.Second, max: 5 * time.Second,
			wantAt:   []time.Duration{0, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second},
			wantKind: []string{"initial", "initial", "initial", "periodic", "periodic"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestScheduler(tt.min, tt.max, 1)
			s.Start(t0)
			r := simulate(s, nil, t0.Add(tt.wantAt[len(tt.wantAt)-1]))
			if diff := cmp.Diff(tt.wantAt, offsets(r.sentAt)); diff != "" {
				t.Errorf("send times (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantKind, kinds(r.sent)); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPeriodicIntervalBounds(t *testing.T) {
	tests := []struct {
		min, max time.Duration
	}{
		{3 * time.Second, 4 * time.Second},
		{200 * time.Second, 600 * time.Second},
		{30 * time.Second, 30 * time.Second},
		{1350 * time.Second, 1800 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v-%v", tt.min, tt.max), func(t *testing.T) {
			s := newTestScheduler(tt.min, tt.max, 7)
			s.Start(t0)
			r := simulate(s, nil, t0.Add(2000*tt.max))
			ts := r.multicast()
			if len(ts) < 1000 {
				t.Fatalf("only %d RAs", len(ts))
			}
			lo, hi := time.Duration(1<<62), time.Duration(0)
			// Skip the capped gaps after the initial RAs.
			for i := MaxInitialRtrAdvertisements + 1; i < len(ts); i++ {
				g := ts[i].Sub(ts[i-1])
				lo, hi = min(lo, g), max(hi, g)
			}
			if lo < tt.min || hi > tt.max {
				t.Errorf("gaps in [%v, %v], want within [%v, %v]", lo, hi, tt.min, tt.max)
			}
			// The draw is uniform: over 1000 draws it should come near both ends.
			if span := tt.max - tt.min; span > 0 && (lo-tt.min > span/20 || tt.max-hi > span/20) {
				t.Errorf("gaps in [%v, %v] do not cover [%v, %v]", lo, hi, tt.min, tt.max)
			}
		})
	}
}

func TestSetIntervalsGuards(t *testing.T) {
	tests := []struct {
		name             string
		min, max         time.Duration
		wantMin, wantMax time.Duration
	}{
		{"valid", 200 * time.Second, 600 * time.Second, 200 * time.Second, 600 * time.Second},
		{"zero max", 0, 0, 200 * time.Second, 600 * time.Second},
		{"min above max", 10 * time.Second, 9 * time.Second, 3 * time.Second, 9 * time.Second},
		{"negative min", -1, 30 * time.Second, 10 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestScheduler(tt.min, tt.max, 1)
			if diff := cmp.Diff([2]time.Duration{tt.wantMin, tt.wantMax}, [2]time.Duration{s.min, s.max}); diff != "" {
				t.Errorf("intervals (-want +got):\n%s", diff)
			}
		})
	}
}

// settled returns a scheduler past its initial RAs whose last multicast RA
// went out at t0 and whose next periodic RA is due far in the future.
func settled(t *testing.T, seed uint64) *Scheduler {
	t.Helper()
	s := newTestScheduler(1000*time.Second, 1800*time.Second, seed)
	s.Start(t0.Add(-time.Hour))
	s.sent = MaxInitialRtrAdvertisements
	s.lastMC = t0
	s.timer = t0.Add(1000 * time.Second)
	return s
}

func TestSolicitMulticast(t *testing.T) {
	ll := netip.MustParseAddr("fe80::1")
	tests := []struct {
		name string
		// prep adjusts the scheduler before the RS.
		prep    func(s *Scheduler)
		rsAt    time.Duration
		src     netip.Addr
		unicast bool
		// wantLo/wantHi bound the scheduled time; zero means not scheduled.
		wantLo, wantHi time.Duration
		wantKind       Kind
		wantSuppressed []string
	}{
		{
			name: "random delay 0..0.5 s", rsAt: 100 * time.Second, src: ll,
			wantLo: 100 * time.Second, wantHi: sec(100.5), wantKind: KindSolicitedMulticast,
		},
		{
			name: "unspecified source with unicast on goes multicast", rsAt: 100 * time.Second,
			src: netip.IPv6Unspecified(), unicast: true,
			wantLo: 100 * time.Second, wantHi: sec(100.5), wantKind: KindSolicitedMulticast,
		},
		{
			name: "within MIN_DELAY_BETWEEN_RAS of last multicast", rsAt: time.Second, src: ll,
			wantLo: 3 * time.Second, wantHi: sec(3.5), wantKind: KindSolicitedMulticast,
		},
		{
			name: "periodic RA due sooner absorbs it",
			prep: func(s *Scheduler) { s.timer = t0.Add(100 * time.Second) },
			rsAt: 100 * time.Second, src: ll, unicast: true,
			wantSuppressed: []string{ReasonCoalesced},
		},
		{
			name: "solicited RA already pending absorbs it",
			prep: func(s *Scheduler) { s.solicited = t0.Add(3 * time.Second) },
			rsAt: time.Second, src: ll,
			wantSuppressed: []string{ReasonCoalesced},
		},
		{
			name: "unicast", rsAt: 100 * time.Second, src: ll, unicast: true,
			wantLo: 100 * time.Second, wantHi: sec(100.5), wantKind: KindSolicitedUnicast,
		},
		{
			name: "unicast ignores MIN_DELAY_BETWEEN_RAS", rsAt: time.Second, src: ll, unicast: true,
			wantLo: time.Second, wantHi: sec(1.5), wantKind: KindSolicitedUnicast,
		},
		{
			name: "unicast same source within 3 s falls back to multicast",
			prep: func(s *Scheduler) { s.perSource[ll] = t0.Add(98 * time.Second) },
			rsAt: sec(100.9), src: ll, unicast: true,
			wantLo: sec(100.9), wantHi: sec(101.4), wantKind: KindSolicitedMulticast,
			wantSuppressed: []string{ReasonPerSource},
		},
		{
			name: "same source within 3 s after a multicast RA waits for MIN_DELAY_BETWEEN_RAS",
			prep: func(s *Scheduler) {
				s.perSource[ll] = t0.Add(98 * time.Second)
				s.MulticastSent(t0.Add(100 * time.Second))
			},
			rsAt: sec(100.9), src: ll, unicast: true,
			wantLo: 103 * time.Second, wantHi: sec(103.5), wantKind: KindSolicitedMulticast,
			wantSuppressed: []string{ReasonPerSource},
		},
		{
			name: "unicast same source after 3 s",
			prep: func(s *Scheduler) { s.perSource[ll] = t0.Add(97 * time.Second) },
			rsAt: 100 * time.Second, src: ll, unicast: true,
			wantLo: 100 * time.Second, wantHi: sec(100.5), wantKind: KindSolicitedUnicast,
		},
		{
			name: "unicast bucket empty falls back to multicast",
			prep: func(s *Scheduler) { s.tokens, s.tokensTime = 0, t0.Add(100*time.Second) },
			rsAt: 100 * time.Second, src: ll, unicast: true,
			wantLo: 100 * time.Second, wantHi: sec(100.5), wantKind: KindSolicitedMulticast,
			wantSuppressed: []string{ReasonGlobalRate},
		},
		{
			name: "not advertising",
			prep: func(s *Scheduler) { s.Stop() },
			rsAt: 100 * time.Second, src: ll,
			wantSuppressed: []string{ReasonNotAdvertising},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Several seeds cover the random delay.
			var lo, hi time.Duration = 1 << 62, 0
			for seed := uint64(0); seed < 200; seed++ {
				s := settled(t, seed)
				if tt.prep != nil {
					tt.prep(s)
				}
				d := s.Solicit(t0.Add(tt.rsAt), tt.src, tt.unicast)
				if diff := cmp.Diff(tt.wantSuppressed, d.Suppressed); diff != "" {
					t.Fatalf("Suppressed (-want +got):\n%s", diff)
				}
				if d.Scheduled != (tt.wantHi != 0) {
					t.Fatalf("Scheduled = %v, want %v", d.Scheduled, tt.wantHi != 0)
				}
				if !d.Scheduled {
					continue
				}
				if d.Send.Kind != tt.wantKind {
					t.Fatalf("Kind = %v, want %v", d.Send.Kind, tt.wantKind)
				}
				at := d.Send.At.Sub(t0)
				lo, hi = min(lo, at), max(hi, at)
				if got := s.Next(); !got.Equal(d.Send.At) {
					t.Fatalf("Next() = %v, want the answer at %v", got.Sub(t0), at)
				}
			}
			if tt.wantHi == 0 {
				return
			}
			if lo < tt.wantLo || hi > tt.wantHi {
				t.Errorf("answers in [%v, %v], want within [%v, %v]", lo, hi, tt.wantLo, tt.wantHi)
			}
			if span := tt.wantHi - tt.wantLo; lo-tt.wantLo > span/10 || tt.wantHi-hi > span/10 {
				t.Errorf("answers in [%v, %v] do not spread over [%v, %v]", lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

// TestLateUnicastKeepsPerSourceGap checks that a unicast answer sent late
// (the timer fired after its At) still keeps the next answer to the same
// source MinDelayBetweenRAs after it on the wire; e2e.TestRSFlood saw a
// 2.85 s gap on a loaded machine before Due recorded the real send time.
func TestLateUnicastKeepsPerSourceGap(t *testing.T) {
	ll := netip.MustParseAddr("fe80::1")
	s := settled(t, 5)
	d := s.Solicit(t0.Add(100*time.Second), ll, true)
	if !d.Scheduled {
		t.Fatalf("not scheduled: %v", d.Suppressed)
	}
	late := d.Send.At.Add(400 * time.Millisecond)
	if diff := cmp.Diff([]string{"solicited-unicast"}, kinds(s.Due(late))); diff != "" {
		t.Fatalf("Due (-want +got):\n%s", diff)
	}
	// MinDelayBetweenRAs after the planned time, but not after the send.
	// It is answered by multicast instead.
	d = s.Solicit(d.Send.At.Add(MinDelayBetweenRAs), ll, true)
	if diff := cmp.Diff([]string{ReasonPerSource}, d.Suppressed); diff != "" {
		t.Errorf("RS 3 s after the planned answer: Suppressed (-want +got):\n%s", diff)
	}
	if !d.Scheduled || d.Send.Kind != KindSolicitedMulticast {
		t.Fatalf("RS 3 s after the planned answer: %+v, want a multicast answer", d)
	}
	s.Due(d.Send.At)
	third := late.Add(MinDelayBetweenRAs)
	if d.Send.At.After(third) {
		third = d.Send.At
	}
	d = s.Solicit(third.Add(time.Millisecond), ll, true)
	if !d.Scheduled || d.Send.Kind != KindSolicitedUnicast {
		t.Errorf("RS 3 s after the late answer: %+v, want a unicast answer", d)
	}
}

func TestSolicitedMulticastResetsTimer(t *testing.T) {
	s := settled(t, 3)
	d := s.Solicit(t0.Add(100*time.Second), netip.IPv6Unspecified(), false)
	if !d.Scheduled {
		t.Fatalf("not scheduled: %v", d.Suppressed)
	}
	got := s.Due(d.Send.At)
	if diff := cmp.Diff([]string{"solicited-multicast"}, kinds(got)); diff != "" {
		t.Fatalf("Due (-want +got):\n%s", diff)
	}
	if next := s.Next().Sub(d.Send.At); next < s.min || next > s.max {
		t.Errorf("periodic timer %v after the solicited RA, want within [%v, %v]", next, s.min, s.max)
	}
}

func TestReload(t *testing.T) {
	tests := []struct {
		name     string
		reloadAt time.Duration
		pending  bool
		wantAt   time.Duration
	}{
		{name: "long after last multicast: at once", reloadAt: 100 * time.Second, wantAt: 100 * time.Second},
		{name: "right after last multicast: at last+3 s", reloadAt: time.Second, wantAt: 3 * time.Second},
		{name: "replaces a pending solicited RA", reloadAt: time.Second, pending: true, wantAt: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settled(t, 1)
			if tt.pending {
				s.solicited = t0.Add(sec(3.4))
			}
			s.Reload(t0.Add(tt.reloadAt))
			r := simulate(s, nil, t0.Add(10*time.Minute))
			if diff := cmp.Diff([]string{"reload"}, kinds(r.sent)); diff != "" {
				t.Fatalf("sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]time.Duration{tt.wantAt}, offsets(r.sentAt)); diff != "" {
				t.Errorf("reload time (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRestartAfterFlap(t *testing.T) {
	s := newTestScheduler(4*time.Second, 5*time.Second, 1)
	s.Start(t0)
	simulate(s, nil, t0)
	s.Stop()
	if !s.Next().IsZero() {
		t.Fatalf("Next() after Stop = %v, want zero", s.Next())
	}
	s.Start(t0.Add(time.Second))
	r := simulate(s, nil, t0.Add(20*time.Second))
	want := []time.Duration{3 * time.Second, 7 * time.Second}
	if got := offsets(r.sentAt); len(got) < 2 || got[0] != want[0] {
		t.Fatalf("after flap sent at %v, want first at %v", got, want[0])
	}
	if diff := cmp.Diff([]string{"initial", "initial", "initial"}, kinds(r.sent)[:3]); diff != "" {
		t.Errorf("kinds after flap (-want +got):\n%s", diff)
	}
}

// checkMulticastSpacing checks that multicast RAs are at least
// MinDelayBetweenRAs apart and never more than max apart.
func checkMulticastSpacing(t *testing.T, ts []time.Time, max time.Duration) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		if g := ts[i].Sub(ts[i-1]); g < MinDelayBetweenRAs || g > max {
			t.Errorf("multicast RAs %d and %d are %v apart, want within [%v, %v]", i-1, i, g, MinDelayBetweenRAs, max)
		}
	}
}

func TestFlood(t *testing.T) {
	const (
		n        = 10000
		duration = 100 * time.Second
		min, max = 4 * time.Second, 5 * time.Second
	)
	addr := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 14: byte(i >> 8), 15: byte(i)})
	}
	tests := []struct {
		name    string
		src     func(i int) netip.Addr
		unicast bool
		// wantMaxUnicast bounds the unicast RAs over the flood.
		wantMaxUnicast int
	}{
		{
			name: "one source unicast", src: func(int) netip.Addr { return addr(1) }, unicast: true,
			// One per source per MIN_DELAY_BETWEEN_RAS.
			wantMaxUnicast: int(duration/MinDelayBetweenRAs) + 1,
		},
		{
			name: "10000 sources unicast", src: addr, unicast: true,
			// Token bucket: burst plus rate × duration.
			wantMaxUnicast: DefaultLimits.UnicastBurst + int(DefaultLimits.UnicastRate*duration.Seconds()),
		},
		{
			name: "10000 sources multicast", src: addr,
		},
		{
			name: "unspecified source", src: func(int) netip.Addr { return netip.IPv6Unspecified() }, unicast: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestScheduler(min, max, 42)
			s.Start(t0)
			var rs []rsArrival
			for i := range n {
				rs = append(rs, rsArrival{at: t0.Add(duration * time.Duration(i) / n), src: tt.src(i), unicast: tt.unicast})
			}
			r := simulate(s, rs, t0.Add(duration))

			mc := r.multicast()
			checkMulticastSpacing(t, mc, max)
			// Multicast: at most one per MIN_DELAY_BETWEEN_RAS (RFC 4861 §6.2.6).
			if limit := int(duration/MinDelayBetweenRAs) + 1; len(mc) > limit {
				t.Errorf("%d multicast RAs in %v, want at most %d", len(mc), duration, limit)
			}
			// The schedule keeps running: the last multicast RA is recent.
			if last := mc[len(mc)-1]; t0.Add(duration).Sub(last) > max {
				t.Errorf("last multicast RA at %v, want within %v of the end", last.Sub(t0), max)
			}
			if got := r.count(KindSolicitedUnicast); got > tt.wantMaxUnicast {
				t.Errorf("%d unicast RAs, want at most %d", got, tt.wantMaxUnicast)
			}
			// Per source: unicast RAs at least MIN_DELAY_BETWEEN_RAS apart.
			last := map[netip.Addr]time.Time{}
			for i, snd := range r.sent {
				if !snd.Dst.IsValid() {
					continue
				}
				if l, ok := last[snd.Dst]; ok && r.sentAt[i].Sub(l) < MinDelayBetweenRAs {
					t.Fatalf("unicast RAs to %v %v apart", snd.Dst, r.sentAt[i].Sub(l))
				}
				last[snd.Dst] = r.sentAt[i]
			}
			// Memory stays bounded by the rate, not by the number of sources.
			if bound := DefaultLimits.UnicastBurst + int(2*DefaultLimits.UnicastRate*MinDelayBetweenRAs.Seconds()); r.maxSrcs > bound {
				t.Errorf("remembered up to %d sources, want at most %d", r.maxSrcs, bound)
			}
			t.Logf("%d RS: %d multicast RAs, %d unicast RAs, kinds %v", n, len(mc), r.count(KindSolicitedUnicast), countKinds(r.sent))
		})
	}
}

func countKinds(ss []Send) map[string]int {
	m := map[string]int{}
	for _, s := range ss {
		m[s.Kind.String()]++
	}
	return m
}

// TestPeriodicOnTimeUnderUnicastFlood checks that unicast answers never
// move the unsolicited schedule: the periodic RAs go out exactly when they
// would without any RS.
func TestPeriodicOnTimeUnderUnicastFlood(t *testing.T) {
	const min, max = 30 * time.Second, 40 * time.Second
	quiet := newTestScheduler(min, max, 9)
	quiet.Start(t0)
	want := simulate(quiet, nil, t0.Add(10*time.Minute)).multicast()

	busy := newTestScheduler(min, max, 9)
	busy.Start(t0)
	var rs []rsArrival
	for i := range 10000 {
		rs = append(rs, rsArrival{
			at:      t0.Add(10 * time.Minute * time.Duration(i) / 10000),
			src:     netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 14: byte(i >> 8), 15: byte(i)}),
			unicast: true,
		})
	}
	// The token bucket must never fall back to multicast here, or the
	// timer would legitimately reset: give it room.
	busy.limits = Limits{UnicastRate: 1000, UnicastBurst: 1000}
	busy.tokens = 1000
	got := simulate(busy, rs, t0.Add(10*time.Minute))
	gotMC := got.multicast()
	if len(gotMC) != len(want) {
		t.Fatalf("%d multicast RAs under flood, %d without", len(gotMC), len(want))
	}
	if diff := cmp.Diff(offsets(want), offsets(gotMC)); diff != "" {
		t.Errorf("multicast RA times under flood (-quiet +flood):\n%s", diff)
	}
	if n := got.count(KindSolicitedUnicast); n < 9000 {
		t.Errorf("only %d unicast answers", n)
	}
	if slices.ContainsFunc(got.sent, func(s Send) bool { return s.Kind == KindSolicitedMulticast }) {
		t.Errorf("unicast flood produced solicited multicast RAs")
	}
}

func BenchmarkSolicitFlood(b *testing.B) {
	s := newTestScheduler(200*time.Second, 600*time.Second, 1)
	s.Start(t0)
	now := t0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(100 * time.Microsecond)
		src := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
		s.Solicit(now, src, true)
		if n := s.Next(); !n.After(now) {
			s.Due(now)
		}
	}
}

// FuzzScheduler drives a Scheduler with arbitrary RS and reload sequences
// and checks the RFC 4861 invariants on what it sends: multicast RAs at
// least MinDelayBetweenRAs apart and never more than MaxInterval apart,
// unicast RAs at least MinDelayBetweenRAs apart per source and within the
// token bucket overall.
func FuzzScheduler(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 2, 3, 250, 4, 5})
	f.Add(uint64(2), []byte{255, 255, 0, 0, 0, 0, 7, 7, 7})
	f.Fuzz(func(t *testing.T, seed uint64, events []byte) {
		const min, max = 4 * time.Second, 6 * time.Second
		s := newTestScheduler(min, max, seed)
		s.Start(t0)
		now := t0
		var sent []Send
		var sentAt []time.Time
		drain := func(until time.Time) {
			for n := s.Next(); !n.After(until); n = s.Next() {
				for _, x := range s.Due(n) {
					sent, sentAt = append(sent, x), append(sentAt, n)
				}
			}
		}
		// Each event byte: low 3 bits pick a source (7 = ::), bit 3
		// unicast, bit 4 a reload instead of an RS, the top 3 bits the
		// time step (0..7 × 250 ms).
		for _, e := range events {
			next := now.Add(time.Duration(e>>5) * 250 * time.Millisecond)
			drain(next)
			now = next
			if e&0x10 != 0 {
				s.Reload(now)
				continue
			}
			src := netip.IPv6Unspecified()
			if e&7 != 7 {
				src = netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: e & 7})
			}
			s.Solicit(now, src, e&8 != 0)
		}
		end := now.Add(2 * max)
		drain(end)

		var mc []time.Time
		lastUni := map[netip.Addr]time.Time{}
		uni := 0
		for i, x := range sent {
			if !x.Dst.IsValid() {
				mc = append(mc, sentAt[i])
				continue
			}
			uni++
			if l, ok := lastUni[x.Dst]; ok && sentAt[i].Sub(l) < MinDelayBetweenRAs {
				t.Fatalf("unicast RAs to %v %v apart", x.Dst, sentAt[i].Sub(l))
			}
			lastUni[x.Dst] = sentAt[i]
		}
		for i := 1; i < len(mc); i++ {
			if g := mc[i].Sub(mc[i-1]); g < MinDelayBetweenRAs || g > max {
				t.Fatalf("multicast RAs %d and %d %v apart", i-1, i, g)
			}
		}
		if limit := DefaultLimits.UnicastBurst + int(DefaultLimits.UnicastRate*end.Sub(t0).Seconds()) + 1; uni > limit {
			t.Fatalf("%d unicast RAs, bucket allows %d", uni, limit)
		}
	})
}

// TestFloodFairness floods the scheduler with 10 RS from each of 1000
// sources, round after round as a flooding tool sends them, and checks
// that a host soliciting during the flood still gets its unicast answer
// within MAX_RA_DELAY_TIME, that the unicast budget holds, and that the
// flood's sources are counted as noisy.
func TestFloodFairness(t *testing.T) {
	const (
		sources, rounds = 1000, 10
		duration        = 5 * time.Second
	)
	flooder := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 8: 0x02, 13: 0xfe, 14: byte(i >> 8), 15: byte(i)})
	}
	host := netip.MustParseAddr("fe80::2:1")
	// From the fourth round on, every flood source has sent more than a
	// host would.
	for _, at := range []time.Duration{sec(2), sec(2.7), sec(3.3), sec(4.1), sec(4.9), sec(6)} {
		t.Run(at.String(), func(t *testing.T) {
			s := newTestScheduler(200*time.Second, 600*time.Second, 3)
			s.Start(t0.Add(-time.Minute))
			s.lastMC = t0.Add(-time.Second)
			var rs []rsArrival
			for i := range sources * rounds {
				rs = append(rs, rsArrival{at: t0.Add(duration * time.Duration(i) / (sources * rounds)), src: flooder(i % sources), unicast: true})
			}
			i, _ := slices.BinarySearchFunc(rs, t0.Add(at), func(r rsArrival, t time.Time) int { return r.at.Compare(t) })
			rs = slices.Insert(rs, i, rsArrival{at: t0.Add(at), src: host, unicast: true})
			r := simulate(s, rs, t0.Add(duration+2*time.Second))
			// Its answer: a unicast RA to it or a multicast RA (one due
			// anyway, which the RS coalesces with).
			answered := false
			for j, snd := range r.sent {
				sentAt := r.sentAt[j]
				if (snd.Dst == host || !snd.Dst.IsValid()) && !sentAt.Before(t0.Add(at)) && sentAt.Sub(t0.Add(at)) <= MaxRADelayTime {
					answered = true
				}
			}
			if !answered {
				t.Errorf("host's RS at %v (%+v) not answered within %v", at, r.decisions[i], MaxRADelayTime)
			}
			if limit := DefaultLimits.UnicastBurst + int(DefaultLimits.UnicastRate*(duration+2*time.Second).Seconds()); r.count(KindSolicitedUnicast) > limit {
				t.Errorf("%d unicast RAs, want at most %d", r.count(KindSolicitedUnicast), limit)
			}
			reasons := map[string]int{}
			for _, d := range r.decisions {
				for _, x := range d.Suppressed {
					reasons[x]++
				}
			}
			if reasons[ReasonNoisySource] < sources*(rounds-MaxRtrSolicitations-1)/2 {
				t.Errorf("suppressed %v, want at least %d noisy-source", reasons, sources*(rounds-MaxRtrSolicitations-1)/2)
			}
			t.Logf("unicast RAs %d, suppressed %v", r.count(KindSolicitedUnicast), reasons)
		})
	}
}

// TestNoisyHistoryBounded checks that the per-source history stays within
// MaxTrackedSources under a flood from ever new sources, and that a host
// then still counts as well-behaved.
func TestNoisyHistoryBounded(t *testing.T) {
	s := newTestScheduler(200*time.Second, 600*time.Second, 5)
	s.Start(t0)
	now := t0
	for i := range 3 * MaxTrackedSources {
		now = now.Add(time.Millisecond)
		s.Solicit(now, netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}), true)
		if len(s.history) > MaxTrackedSources {
			t.Fatalf("history holds %d sources, want at most %d", len(s.history), MaxTrackedSources)
		}
	}
	host := netip.MustParseAddr("fe80::2:1")
	for range MaxRtrSolicitations {
		if s.noisy(now, host) {
			t.Fatalf("a host's RS counted as noisy")
		}
		now = now.Add(time.Second)
	}
}
