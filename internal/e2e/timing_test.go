package e2e

import (
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// solicitConfig has a long interval, so that most RAs in the capture
// answer solicitations.
const solicitConfig = `
[[interface]]
name = "lab0"
max_interval = "600s"
unicast_solicited = true

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"

  [[interface.rdnss]]
  servers = ["2001:db8:1::53"]
`

// TestSolicitedAnswer has rdisc6 solicit several times, 4 s apart (more
// than MIN_DELAY_BETWEEN_RAS, so the per-source limit does not apply),
// and checks from capture timestamps that each RS gets an RA, unicast to
// the soliciting address or multicast, within MAX_RA_DELAY_TIME (R3, N3;
// RFC 4861 §6.2.6).
func TestSolicitedAnswer(t *testing.T) {
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	t.Parallel()
	l := newLab(t, solicitConfig)
	c1 := l.Host(t, "c1", mac1)
	// The kernel of c1 solicits at link up until it hears an RA; rdisc6
	// stops it by getting c1 one. Then wait out the per-source limit.
	solicit(t, c1, 5, time.Second)
	const rounds = 4
	type run struct{ from, to time.Time }
	var runs []run
	for range rounds {
		time.Sleep(minDelayBetweenRAs + time.Second)
		from := time.Now()
		// rdisc6 itself waits 1.5 s: the deadline under test is taken
		// from the capture below, not from rdisc6 on a loaded machine.
		solicit(t, c1, 1, 1500*time.Millisecond)
		runs = append(runs, run{from, time.Now()})
	}
	_, pkts := l.stopCapture(t)
	ras := routerAds(t, pkts)
	rss := solicitations(pkts, c1.LinkLocal())
	for i, r := range runs {
		var in []packet
		for _, rs := range rss {
			if !rs.At.Before(r.from.Add(-10*time.Millisecond)) && !rs.At.After(r.to) {
				in = append(in, rs)
			}
		}
		if len(in) != 1 {
			t.Errorf("run %d: captured %d RS from rdisc6, want 1", i, len(in))
			continue
		}
		rs := in[0]
		a, ok := answer(ras, rs)
		if !ok {
			t.Errorf("run %d: RS at %s got no RA", i, rs.At.Format(time.StampMicro))
			continue
		}
		delay := a.At.Sub(rs.At)
		t.Logf("run %d: RS answered by an RA to %s after %v", i, a.Dst, delay)
		if delay > maxRADelay+answerSlack {
			t.Errorf("run %d: RS answered after %v, want at most MAX_RA_DELAY_TIME %v (+%v allowance)", i, delay, maxRADelay, answerSlack)
		}
		if a.HopLimit != 255 {
			t.Errorf("run %d: answer has hop limit %d, want 255 (RFC 4861 §6.1.2)", i, a.HopLimit)
		}
	}
}

// timingConfig is the shortest interval RFC 4861 allows: max 4 s, so
// min is 0.75 × 4 s = 3 s (RFC 4861 §6.2.1).
const timingConfig = `
[[interface]]
name = "lab0"
max_interval = "4s"
min_interval = "auto"

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"
`

// TestTiming captures ralab's unsolicited RAs for about 25 s with
// MaxRtrAdvInterval 4 s and checks, from capture timestamps, that the
// first three (initial) RAs are at most MAX_INITIAL_RTR_ADVERT_INTERVAL
// apart and all RAs are between MinRtrAdvInterval (3 s, which is also
// MIN_DELAY_BETWEEN_RAS) and MaxRtrAdvInterval apart (R2; RFC 4861
// §6.2.4). No host is on the link, so no RS changes the schedule.
func TestTiming(t *testing.T) {
	t.Parallel()
	const (
		minInterval = 3 * time.Second
		maxInterval = 4 * time.Second
		observe     = 25 * time.Second
	)
	l := newLab(t, timingConfig)
	time.Sleep(observe)
	_, pkts := l.stopCapture(t)
	if n := len(solicitations(pkts, routerLL)); n != 0 {
		t.Errorf("router sent %d RS", n)
	}
	ras := routerAds(t, pkts)
	for _, r := range ras {
		if r.Dst != allNodes {
			t.Errorf("unsolicited RA at %s went to %s, want %s", r.At.Format(time.StampMicro), r.Dst, allNodes)
		}
	}
	g := gaps(ras)
	t.Logf("%d RAs, gaps %v", len(ras), g)
	// At most maxInterval apart over the capture: at least this many.
	if want := int(observe/(maxInterval+lateSlack)) + 1; len(ras) < want {
		t.Fatalf("captured %d RAs in %v, want at least %d", len(ras), observe, want)
	}
	for i, d := range g {
		hi := maxInterval
		if i < 2 {
			// Between the initial RAs (RFC 4861 §6.2.4): random in
			// [min, max], capped at MAX_INITIAL_RTR_ADVERT_INTERVAL.
			hi = min(maxInterval, maxInitialInterval)
		}
		if d < minInterval-earlySlack || d > hi+lateSlack {
			t.Errorf("RA %d came %v after RA %d, want %v to %v (±%v/%v)", i+1, d, i, minInterval, hi, earlySlack, lateSlack)
		}
	}
}
