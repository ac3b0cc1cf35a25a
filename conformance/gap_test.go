package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGapCause(t *testing.T) {
	from := t0
	to := t0.Add(12 * time.Second)
	s := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	mc := func(sec float64, n int) raEvent { return raEvent{at: s(sec), packet: n, accepted: true} }
	// A router whose multicast RAs were 4 s apart before the gap.
	normal := func(events ...raEvent) *router {
		r := &router{mac: routerMAC, gapCount: 5, gapMin: 4 * time.Second}
		r.history = append([]raEvent{mc(-4, 1), mc(0, 2)}, events...)
		return r
	}
	tests := []struct {
		name     string
		r        *router
		lifetime uint32
		want     []string
	}{
		{"unknown router", nil, 12, []string{""}},
		{"RAs reached it without the server", normal(mc(4, 3)), 12, []string{"reached it", "first #3", "(F6)"}},
		{"fragmented RAs", normal(raEvent{at: s(4), packet: 3, fragmented: true}, raEvent{at: s(8), packet: 4, fragmented: true}),
			12, []string{"2 RA(s) as IPv6 fragments", "(first #3)", "RFC 6980 §5, F13"}},
		{"an RA without the server, then fragments", normal(mc(0.5, 3), raEvent{at: s(4), packet: 4, fragmented: true}),
			12, []string{"1 RA(s) as IPv6 fragments", "(first #4)", "F13); 1 RA(s) from", "(first #3) without this server (F6)"}},
		{"unicast to other hosts only", normal(raEvent{at: s(4), packet: 3, accepted: true, dst: client2MAC}),
			12, []string{"only as unicast to other hosts (1, first #3)", "(F3)"}},
		{"only solicited unicast answers", normal(raEvent{at: s(5), packet: 3, accepted: true, dst: client2MAC, solicited: true}),
			12, []string{"answered 1 Router Solicitation(s)", "first #3", "(F4)"}},
		{"short lifetime between normal RAs", normal(mc(14, 3)), 3, []string{"lifetime 3 s", "shortest interval", "(4 s)", "(F5)"}},
		{"throttled, then an RA", normal(mc(40, 3)), 12, []string{"no RA for 40 s", "until #3", "throttled on the path", "(F1, F2)"}},
		{"throttled to the end", normal(), 12, []string{"up to the end of the capture", "(F1)", "(F3)", "(F4)", "cannot tell"}},
		{"unicast RA to this client after the gap only", normal(raEvent{at: s(20), packet: 3, accepted: true, dst: clientMAC}), 12,
			[]string{"no RA for 20 s", "until #3", "(F1, F2)"}},
	}
	for _, tt := range tests {
		got := gapCause(tt.r, clientMAC, from, to, tt.lifetime)
		for _, w := range tt.want {
			if !strings.Contains(got, w) || (w == "" && got != "") {
				t.Errorf("%s: gapCause = %q, want it to contain %q", tt.name, got, w)
			}
		}
	}
}

func TestRouterHistoryBounded(t *testing.T) {
	r := &router{}
	for i := range maxRAHistory + 10 {
		r.remember(raEvent{packet: i + 1})
	}
	if len(r.history) > maxRAHistory || r.history[len(r.history)-1].packet != maxRAHistory+10 {
		t.Errorf("history holds %d events, last %d; want at most %d, last %d", len(r.history), r.history[len(r.history)-1].packet, maxRAHistory, maxRAHistory+10)
	}
}

func TestFragmentedAcceptanceFinding(t *testing.T) {
	frag := func(s float64) tf {
		return at(s, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer), opts: ip6opts{fragment: true}}))
	}
	frames := []tf{
		at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
		at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer)})),
		frag(5), frag(9), frag(13), frag(17),
		at(18, query(t, clientMAC, clientLL, dnsServer, 1)), at(18.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
	}
	var got []string
	for _, f := range clientOf(t, run(frames, 0), clientMAC).Findings {
		if f.ID == "C8" {
			got = append(got, f.RFC+" "+f.Severity)
		}
	}
	if diff := cmp.Diff([]string{"RFC 6980 §5 error"}, got); diff != "" {
		t.Errorf("C8 findings (-want +got):\n%s", diff)
	}
	// Without the fragmented RAs, the same queries are plain stale use.
	plain := append(append([]tf{}, frames[:3]...), frames[7:]...)
	got = nil
	for _, f := range clientOf(t, run(plain, 0), clientMAC).Findings {
		if f.ID == "C8" {
			got = append(got, f.RFC+" "+f.Severity)
		}
	}
	if diff := cmp.Diff([]string{"RFC 8106 §5.3.1 warning"}, got); diff != "" {
		t.Errorf("C8 findings without fragments (-want +got):\n%s", diff)
	}
}

func TestQueryGapsYardstick(t *testing.T) {
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var q queryGaps
	if _, _, ok := q.yardstick(); ok {
		t.Error("yardstick of no spacings reported as usable")
	}
	// Lookups at 0, 1, 2, 4, 5 and 11 s, each an A and an AAAA query
	// 10 ms apart; the spacing to 11 s spans an omission.
	for _, s := range []float64{0, 1, 2, 4, 5} {
		q.add(sec(s), false)
		q.add(sec(s+0.01), false)
	}
	q.add(sec(11), true)
	median, longest, ok := q.yardstick()
	if !ok || median != time.Second || longest != 2*time.Second {
		t.Errorf("yardstick = %v, %v, %v; want median 1s (spacings 1, 1, 2, 1 s), longest 2s, true", median, longest, ok)
	}
	// The ring keeps only the most recent spacings.
	for i := range 40 {
		q.add(sec(60+5*float64(i)), false)
	}
	if median, longest, _ := q.yardstick(); median != 5*time.Second || longest != 5*time.Second {
		t.Errorf("after 40 spacings of 5 s: median %v, longest %v; want 5s, 5s", median, longest)
	}
}
